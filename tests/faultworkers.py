"""Workers that SIGKILL themselves at one exact moment of taking a job.

For tests/test_faults_dequeue.py: each is a real worker process started with
``python tests/faultworkers.py --redis-url URL --name NAME --moment MOMENT``.
It takes one job the normal way and dies at ``MOMENT``, exactly as if the
machine had killed it there:

- ``taken``: the job is off the queue and nothing else has happened yet;
- ``prepared``: RQ has registered the execution, no work-horse yet;
- ``forked``: the work-horse exists and has not marked the job started;
- ``running``: the work-horse has marked the job started, before its code runs;
- ``stopped``: not a kill but a warm stop (SIGTERM) right after taking it.

``--plain`` uses RQ's own ``Worker`` (its pop) instead of ours, to show what
the same kill costs there. ``record`` is the job the tests enqueue: it notes
every run of itself, so a test can count runs per job id.
"""

import argparse
import os
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rq import get_current_job  # noqa: E402
from rq.worker import Worker  # noqa: E402

from demo.db import make_client  # noqa: E402
from demo.live.worker import LiveWorker  # noqa: E402

#: List every run of ``record`` appends its job id to.
RAN = "faults:test:ran"


def record(tag=None, pause=0):
    """Note this run (after ``pause`` seconds of "work", so a kill can catch it running)."""
    time.sleep(pause)
    job = get_current_job()
    job.connection.rpush(RAN, job.id)
    return tag


def _die():
    os.kill(os.getpid(), signal.SIGKILL)


class DiesWhenTaken(LiveWorker):
    def execute_job(self, job, queue):
        _die()


class DiesWhenPrepared(LiveWorker):
    def fork_work_horse(self, job, queue):
        _die()


class DiesWhenForked(LiveWorker):
    def main_work_horse(self, job, queue):
        # In the work-horse: kill the worker, then carry on as a horse would.
        # Ours dies with its worker, so the job must not run from here.
        os.kill(self.pid, signal.SIGKILL)
        time.sleep(2)
        super().main_work_horse(job, queue)


class DiesWhenRunning(LiveWorker):
    def prepare_job_execution(self, job, remove_from_intermediate_queue=False):
        super().prepare_job_execution(job, remove_from_intermediate_queue)
        os.kill(self.pid, signal.SIGKILL)
        time.sleep(2)


class StopsWhenTaken(LiveWorker):
    """Not killed: asked to stop (SIGTERM, a warm shutdown) right after taking a job."""

    def execute_job(self, job, queue):
        os.kill(os.getpid(), signal.SIGTERM)  # RQ's handler raises StopRequested: the worker is idle
        time.sleep(5)
        super().execute_job(job, queue)


class PlainDiesWhenTaken(Worker):
    def execute_job(self, job, queue):
        _die()


MOMENTS = {"taken": DiesWhenTaken, "prepared": DiesWhenPrepared, "forked": DiesWhenForked,
           "running": DiesWhenRunning, "stopped": StopsWhenTaken}


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--moment", choices=sorted(MOMENTS), required=True)
    parser.add_argument("--queues", default="default,high,low")
    parser.add_argument("--plain", action="store_true")
    args = parser.parse_args(argv)
    cls = PlainDiesWhenTaken if args.plain else MOMENTS[args.moment]
    worker = cls(args.queues.split(","), connection=make_client(args.redis_url), name=args.name)
    worker.work(burst=False, logging_level="WARNING")


if __name__ == "__main__":
    main()
