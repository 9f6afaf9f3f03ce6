"""Processes vs threads: run one batch on dedicated workers and measure it.

A run compares legs side by side (say: one forking worker, one simple worker,
four forking workers, sixteen threads in one process) on the same batch of
``jobs.bench(work)`` jobs. Each leg, in turn:

1. starts its workers (``python -m demo worker --kind K --queues bench``; for
   threads one process with ``--threads N``) and waits until every one has
   registered with RQ, so no leg is timed while Python starts up;
2. enqueues the batch in one pipeline and waits for every job to end;
3. warm-stops its workers and measures, from RQ's own ``started_at`` and
   ``ended_at`` of the batch's jobs: jobs per second = jobs / (last end -
   first start). The pids that ran the jobs come from the workers'
   ``started`` events: one per job on a forking worker, one per worker on a
   simple one, one for all the threads. Each worker process's memory (RSS)
   is read from /proc before it stops.

Nothing is estimated or hard-coded. One run at a time (``keys.BENCH_LOCK``).
"""

import json
import logging
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from rq import Queue, Worker
from rq.job import Job
from rq.utils import str_to_date

from .. import jobs, keys
from ..live import events
from ..db import make_client

log = logging.getLogger("demo.bench")

#: Seconds the workers of a leg get to register with RQ.
START_TIMEOUT = 30.0

#: Seconds between two looks at a leg's progress (and pushes to the pages).
POLL = 0.25

#: Statuses a bench job ends in.
DONE = {"finished", "failed", "canceled", "stopped"}


class BenchBusy(Exception):
    """Another run holds the lock."""


def leg_timeout(batch):
    return min(900.0, 60.0 + batch * 0.5)


class Run:
    """One run: its legs, executed in order by ``execute()`` (a background task)."""

    def __init__(self, redis_url, batch, work, legs, log_dir, push=lambda run: None, queue=keys.BENCH_QUEUE):
        self.redis_url, self.batch, self.work, self.log_dir, self.push = redis_url, batch, work, Path(log_dir), push
        self.queue = queue
        self.id = uuid.uuid4().hex[:8]
        self.legs = [{"kind": leg["kind"], "workers": leg["workers"], "state": "waiting", "done": 0}
                     for leg in legs]
        self.state, self.started, self.ended, self.error = "starting", time.time(), None, None
        self.connection = make_client(redis_url, socket_timeout=10)

    def as_dict(self):
        return {"id": self.id, "batch": self.batch, "work": self.work, "state": self.state, "legs": self.legs,
                "started": self.started, "ended": self.ended, "error": self.error}

    def claim(self):
        """Take the one-run-at-a-time lock; BenchBusy when another run has it."""
        ttl = int(sum(leg_timeout(self.batch) + START_TIMEOUT + 15 for _ in self.legs))
        if not self.connection.set(keys.BENCH_LOCK, self.id, nx=True, ex=ttl):
            self.connection.close()
            raise BenchBusy()
        return self

    def execute(self):
        """Run every leg, keep the result in ``keys.BENCH_RUNS``, release the lock."""
        try:
            self.state = "running"
            for leg in self.legs:
                self._leg(leg)
            self.state = "done"
        except Exception as exc:  # the run must end, and say why, whatever happens
            log.exception("bench run %s failed", self.id)
            self.state, self.error = "failed", f"{exc.__class__.__name__}: {exc}"
        finally:
            self.ended = time.time()
            try:
                with self.connection.pipeline() as pipe:
                    pipe.lpush(keys.BENCH_RUNS, json.dumps(self.as_dict()))
                    pipe.ltrim(keys.BENCH_RUNS, 0, keys.BENCH_RUNS_MAX - 1)
                    pipe.execute()
                if self.connection.get(keys.BENCH_LOCK) == self.id.encode():
                    self.connection.delete(keys.BENCH_LOCK)
            finally:
                self.push(self.as_dict())
                self.connection.close()

    # -- one leg -------------------------------------------------------------------

    def _leg(self, leg):
        queue = Queue(self.queue, connection=self.connection)
        queue.empty()  # leftovers of an interrupted run must not be timed
        leg["state"] = "starting workers"
        self.push(self.as_dict())
        if leg["kind"] == "threads":
            base = f"omq.bench.threads.{self.id}"
            names = [f"{base}.{n + 1}" for n in range(leg["workers"])]
            processes = [self._spawn("threads", base, threads=leg["workers"])]
        else:
            names = [f"omq.bench.{leg['kind']}.{n + 1}.{self.id}" for n in range(leg["workers"])]
            processes = [self._spawn(leg["kind"], name) for name in names]
        try:
            self._wait_registered(names, processes)
            first_event = events.last_id(self.connection)
            leg["state"] = "running"
            ids = self._enqueue(queue)
            self._wait_done(leg, ids)
            memory = sum(_rss_mb(p.pid) for p in processes)
        finally:
            _stop(processes)
        leg.update(measure(self.connection, ids, first_event), memory_mb=round(memory, 1), state="done")
        self.push(self.as_dict())

    def _spawn(self, kind, name, threads=None):
        self.log_dir.mkdir(parents=True, exist_ok=True)
        argv = [sys.executable, "-m", "demo", "worker", "--redis-url", self.redis_url, "--kind", kind,
                "--queues", self.queue, "--name", name, "--parent-pid", str(os.getpid()),
                *(["--threads", str(threads)] if threads else [])]
        with open(self.log_dir / "bench.log", "ab") as out:
            return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)

    def _wait_registered(self, names, processes):
        deadline = time.monotonic() + START_TIMEOUT
        keys_ = [Worker.redis_worker_namespace_prefix + name for name in names]
        while self.connection.exists(*keys_) < len(keys_):
            if any(p.poll() is not None for p in processes):
                raise RuntimeError(f"a bench worker exited at start; see {self.log_dir / 'bench.log'}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the bench workers did not start within {START_TIMEOUT:.0f} s")
            time.sleep(0.1)

    def _enqueue(self, queue):
        data = [Queue.prepare_data(jobs.bench, args=(self.work,), result_ttl=600, failure_ttl=600, timeout=60)
                for _ in range(self.batch)]
        with self.connection.pipeline() as pipe:
            enqueued = queue.enqueue_many(data, pipeline=pipe)
            pipe.execute()
        return [job.id for job in enqueued]

    def _wait_done(self, leg, ids):
        deadline = time.monotonic() + leg_timeout(self.batch)
        pending = list(ids)
        began = time.monotonic()
        while pending:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{len(pending)} of {len(ids)} jobs were not done in "
                                   f"{leg_timeout(self.batch):.0f} s")
            time.sleep(POLL)
            with self.connection.pipeline(transaction=False) as pipe:
                for job_id in pending:
                    pipe.hget(Job.key_for(job_id), "status")
                statuses = pipe.execute()
            pending = [i for i, s in zip(pending, statuses) if s is None or s.decode() not in DONE]
            leg["done"] = len(ids) - len(pending)
            leg["elapsed"] = round(time.monotonic() - began, 2)
            self.push(self.as_dict())


def measure(connection, ids, first_event):
    """Jobs per second, processes and workers of one leg, from Redis alone."""
    with connection.pipeline(transaction=False) as pipe:
        for job_id in ids:
            pipe.hmget(Job.key_for(job_id), "started_at", "ended_at", "status")
        rows = pipe.execute()
    starts = [str_to_date(r[0]).timestamp() for r in rows if r[0]]
    ends = [str_to_date(r[1]).timestamp() for r in rows if r[1]]
    finished = sum(1 for r in rows if r[2] == b"finished")
    seconds = max(ends) - min(starts) if starts and ends else None
    ran = set(ids)
    started = [e for e in events.since(connection, first_event, limit=20 * len(ids) + 1000) or []
               if e["type"] == "started" and e.get("job") in ran]
    return {
        "jobs": len(ids), "finished": finished, "failed": len(ids) - finished,
        "seconds": round(seconds, 4) if seconds else None,
        "jobs_per_second": round(finished / seconds, 1) if seconds else None,
        "processes": len({e.get("pid") for e in started}),
        "workers_used": len({e.get("worker") for e in started}),
        "pids": sorted({int(e["pid"]) for e in started if e.get("pid", "").isdigit()})[:12],
    }


def _rss_mb(pid):
    """Resident memory of process ``pid`` in MB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _stop(processes, timeout=10.0):
    """Warm-stop the leg's workers (SIGTERM), then kill any that linger."""
    for process in processes:
        _signal(process, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for process in processes:
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal(process, signal.SIGKILL)
            process.wait()


def _signal(process, sig):
    try:
        os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass
