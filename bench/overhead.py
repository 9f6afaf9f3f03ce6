"""What live events cost a worker: plain rq SimpleWorker vs our LiveSimpleWorker.

The same M no-op jobs (enqueued with plain ``Queue.enqueue`` on two queues,
so enqueueing costs both the same) are drained in burst mode by rq's
SimpleWorker and by the project's LiveSimpleWorker (events written in RQ's
own transactions, pausable queues), in one run against one fresh
redis-server.

The machine is shared and noisy, so the two take turns in small chunks
(``--chunk`` jobs each, a fresh worker per chunk, who goes first alternating):
whatever slows the machine down slows both alike. Each side's figure is its
M jobs over the sum of its chunks' times.

    python bench/overhead.py                 # 3000 jobs each, chunks of 100
    python bench/overhead.py --jobs 10000

Last line: plain_jps=… live_jps=… ratio=…   (ratio = live / plain; 1.0 is free)
"""

import argparse
import logging
import sys
import time

from common import BenchError, Redis, bench_main, workdir

from rq import Queue
from rq.registry import FinishedJobRegistry
from rq.worker import SimpleWorker

from demo import jobs, keys
from demo.live.worker import LiveSimpleWorker

SIDES = {"plain": SimpleWorker, "live": LiveSimpleWorker}


def _parse():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=3000, help="no-op jobs for each worker class (default 3000)")
    parser.add_argument("--chunk", type=int, default=100, help="jobs per turn (default 100)")
    args = parser.parse_args()
    if not (10 <= args.jobs <= 200_000 and 1 <= args.chunk <= args.jobs):
        parser.error("keep --jobs 10..200000 and --chunk 1..jobs")
    return args


def _enqueue(connection, queue_name, count):
    queue = Queue(queue_name, connection=connection)
    for start in range(0, count, 1000):
        with connection.pipeline() as pipe:
            for _ in range(min(1000, count - start)):
                queue.enqueue(jobs.noop, pipeline=pipe)
            pipe.execute()


def _turn(connection, side, jobs_left):
    """One fresh worker of ``side`` runs up to ``jobs_left`` jobs; seconds it took."""
    worker = SIDES[side]([side], connection=connection)
    started = time.perf_counter()
    worker.work(burst=True, max_jobs=jobs_left, logging_level="ERROR", with_scheduler=False)
    return time.perf_counter() - started


def run(args):
    logging.getLogger("rq").setLevel(logging.ERROR)
    spent = {side: 0.0 for side in SIDES}
    with workdir("overhead") as tmp, Redis(tmp) as redis:
        connection = redis.client
        _enqueue(connection, "warmup", 100)
        SimpleWorker(["warmup"], connection=connection).work(burst=True, logging_level="ERROR")
        connection.flushdb()
        for side in SIDES:
            _enqueue(connection, side, args.jobs)
        turns = 0
        while any(connection.llen(Queue(side, connection=connection).key) for side in SIDES):
            order = list(SIDES) if turns % 2 == 0 else list(reversed(SIDES))
            for side in order:
                spent[side] += _turn(connection, side, args.chunk)
            turns += 1
        for side in SIDES:
            done = FinishedJobRegistry(side, connection=connection).get_job_count(cleanup=False)
            if done != args.jobs:
                raise BenchError(f"{side} worker finished {done} of {args.jobs} jobs")
        written = connection.xlen(keys.EVENTS_STREAM)
        if written != 2 * args.jobs:  # started + finished for each live job, none for plain ones
            raise BenchError(f"expected {2 * args.jobs} events, found {written}")
    plain, live = (args.jobs / spent[side] for side in SIDES)
    print(f"{args.jobs} no-op jobs each, {turns} turns of up to {args.chunk} jobs; "
          f"plain {spent['plain']:.2f} s, live {spent['live']:.2f} s")
    print(f"plain_jps={plain:.0f} live_jps={live:.0f} ratio={live / plain:.3f}")
    return 0


def main():
    return bench_main("overhead", _parse, run)


if __name__ == "__main__":
    sys.exit(main())
