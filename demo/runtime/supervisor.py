"""Start, watch and restart the processes ``serve`` owns (workers, SMTP, cron).

Each child runs in its own session, so a Ctrl-C reaches only ``serve``,
which then stops them in order. A child that dies unexpectedly is logged and
restarted with exponential backoff; if it was a worker, the job it was
running is settled at once (retried or failed, with an ``abandoned`` event)
instead of waiting for its heartbeat to expire.
"""

import logging
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import redis

from .. import keys

log = logging.getLogger("demo.serve")

#: Seconds a child must live before its restart backoff resets.
STABLE_AFTER = 30.0
#: Longest wait between two restarts of a crashing child.
MAX_BACKOFF = 30.0


@dataclass
class Child:
    """One supervised process."""

    name: str
    argv: list
    kind: str = "service"  # "fork" / "simple" worker, or "service"
    log_path: Path | None = None
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    restarts: int = 0
    backoff: float = 1.0
    restart_at: float | None = None
    env: dict = field(default_factory=dict)

    @property
    def pid(self):
        return self.process.pid if self.process else None

    def alive(self):
        return self.process is not None and self.process.poll() is None


def worker_argv(redis_url, kind, name, queues):
    """Every worker also runs RQ's scheduler: RQ's lock lets one of them move
    due jobs at a time, so scaling down never leaves scheduled jobs behind."""
    return [sys.executable, "-m", "demo", "worker", "--redis-url", redis_url, "--kind", kind,
            "--name", name, "--queues", ",".join(queues), "--parent-pid", str(os.getpid()),
            "--with-scheduler"]


class Supervisor:
    def __init__(self, redis_url, queues, log_dir, sleep=time.sleep):
        self.redis_url = redis_url
        self.queues = list(queues)
        self.log_dir = Path(log_dir)
        self.sleep = sleep
        self.children = []
        self.stopping = False
        self._connection = None

    @property
    def connection(self):
        if self._connection is None:
            from ..db import make_client

            self._connection = make_client(self.redis_url, socket_timeout=5)
        return self._connection

    # -- starting ----------------------------------------------------------------

    def add(self, child):
        self.children.append(child)
        self._spawn(child)
        return child

    def add_worker(self, kind="fork"):
        n = sum(1 for c in self.children if c.kind == kind) + 1
        name = f"omq.{kind}.{n}.{uuid.uuid4().hex[:6]}"
        return self.add(Child(name, worker_argv(self.redis_url, kind, name, self.queues), kind=kind))

    def _spawn(self, child):
        self.log_dir.mkdir(parents=True, exist_ok=True)
        child.log_path = self.log_dir / f"{child.name.split('.')[0]}-{child.kind}.log"
        with open(child.log_path, "ab") as out:
            child.process = subprocess.Popen(
                child.argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True, env={**os.environ, **child.env},
            )
        child.started_at = time.monotonic()
        child.restart_at = None
        log.info("started %s (pid %s)", child.name, child.pid)

    # -- watching ----------------------------------------------------------------

    def check(self):
        """Reap dead children, settle their jobs, restart them when due."""
        now = time.monotonic()
        for child in list(self.children):
            if child.process is not None and child.process.poll() is not None and child.restart_at is None:
                code = child.process.returncode
                reason = f"signal {-code}" if code < 0 else f"exit code {code}"
                log.warning("%s (pid %s) died: %s; log: %s", child.name, child.pid, reason, child.log_path)
                if child.kind in ("fork", "simple"):
                    self._settle_job(child, f"worker {child.name} (pid {child.pid}) died: {reason}")
                if now - child.started_at > STABLE_AFTER:
                    child.backoff = 1.0
                child.restart_at = now + child.backoff
                child.backoff = min(child.backoff * 2, MAX_BACKOFF)
            if child.restart_at is not None and now >= child.restart_at and not self.stopping:
                child.restarts += 1
                if child.kind in ("fork", "simple"):
                    # A fresh name: RQ keeps the dead worker's key until it expires.
                    base = child.name.rsplit(".", 1)[0]
                    child.name = f"{base}.{uuid.uuid4().hex[:6]}"
                    child.argv[child.argv.index("--name") + 1] = child.name
                self._spawn(child)
        self._scale()

    def _settle_job(self, child, reason):
        from ..live.worker import recover_abandoned

        try:
            job = recover_abandoned(self.connection, child.name, reason)
            if job is not None:
                log.warning("job %s was running on %s: settled (see its abandoned event)", job.id, child.name)
        except redis.RedisError as exc:
            log.warning("could not settle the job of %s: %s", child.name, exc)

    def _scale(self):
        """Follow the presenter's wish for a number of workers of each kind."""
        try:
            wanted = self.connection.hgetall(keys.WORKERS_WANTED)
        except redis.RedisError:
            return
        for raw_kind, raw_count in wanted.items():
            kind, count = raw_kind.decode(), int(raw_count)
            current = [c for c in self.children if c.kind == kind]
            while len(current) < count:
                current.append(self.add_worker(kind))
            while len(current) > count:
                child = current.pop()
                self.children.remove(child)
                self._stop_children([child])

    def workers(self):
        return [c for c in self.children if c.kind in ("fork", "simple")]

    # -- stopping ------------------------------------------------------------------

    def stop(self, timeout=30.0):
        """Warm-stop every child (workers finish or requeue their job), then kill."""
        self.stopping = True
        self._stop_children(self.children, timeout)
        if self._connection is not None:
            self._connection.close()

    def _stop_children(self, children, timeout=30.0):
        alive = [c for c in children if c.alive()]
        for child in alive:
            _signal(child.process, signal.SIGTERM)  # RQ: warm shutdown
        deadline = time.monotonic() + timeout
        while any(c.alive() for c in alive) and time.monotonic() < deadline:
            self.sleep(0.1)
        for child in alive:
            if child.alive():
                log.warning("%s did not stop in %.0f s: killing it", child.name, timeout)
                _signal(child.process, signal.SIGKILL)
                child.process.wait()
                if child.kind in ("fork", "simple"):
                    self._settle_job(child, f"worker {child.name} killed at shutdown")
            else:
                child.process.wait()


def _signal(process, sig):
    try:
        os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass
