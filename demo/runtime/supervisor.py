"""Start, watch and restart the processes ``serve`` owns (web, workers, SMTP,
cron) and the embedded redis-server.

Each child runs in its own session, so a Ctrl-C reaches only ``serve``,
which then stops them in order, and each dies with ``serve`` if ``serve`` is
killed (``child.die_with_parent``). A child gets the Redis URL, which holds
the password, in its environment, never on its command line. A child that
dies unexpectedly is logged and restarted with exponential backoff; if it
was a worker, the job it was running is settled (retried or failed, with an
``abandoned`` event) instead of waiting for its heartbeat to expire, and the
settling is retried until Redis takes it. The embedded redis-server is
restarted at once on the same port with the same data.

One deployment may have several ``serve`` processes on one Redis. The
presenter's worker counts (``keys.WORKERS_WANTED``) are the deployment's:
the one supervisor holding ``keys.SCALER_LOCK`` runs that many workers of a
kind and the others run none of it; when the holder dies its lock expires
and another takes over.
"""

import logging
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import redis
from redis.exceptions import LockError

from .. import keys
from ..config import environment_without_secrets
from . import child as child_module

log = logging.getLogger("demo.serve")

#: Seconds a child must live before its restart backoff resets.
STABLE_AFTER = 30.0
#: Longest wait between two restarts of a crashing child.
MAX_BACKOFF = 30.0
#: Seconds the scaler lock lives without renewal: how long a dead holder's
#: workers take to be replaced by another serve's.
SCALER_TTL = 10
#: Seconds between two looks for dead workers of a killed serve on this host.
REAP_INTERVAL = 5.0


@dataclass
class Child:
    """One supervised process."""

    name: str
    argv: list
    kind: str = "service"  # "fork" / "simple" worker, or "service"
    #: Added to serve's environment for this child (secrets go here, never in argv).
    env: dict = field(default_factory=dict)
    #: Stopped before the others: a front door (a web server) closes before
    #: the workers behind it stop.
    stop_first: bool = False
    log_path: Path | None = None
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    restarts: int = 0
    backoff: float = 1.0
    restart_at: float | None = None

    @property
    def pid(self):
        return self.process.pid if self.process else None

    def alive(self):
        return self.process is not None and self.process.poll() is None


def worker_argv(kind, name, queues):
    """Every worker also runs RQ's scheduler: RQ's lock lets one of them move
    due jobs at a time, so scaling down never leaves scheduled jobs behind."""
    return [sys.executable, "-m", "demo", "worker", "--kind", kind, "--name", name, "--queues", ",".join(queues),
            *child_argv(), "--with-scheduler"]


def child_argv():
    """What every ``python -m demo`` child of this process is told: who its
    parent is (it ends itself when that one is gone) and how long to wait
    for a Redis that is restarting."""
    return ["--parent-pid", str(os.getpid()), "--wait-redis", str(child_module.WAIT_FOR_REDIS)]


class Supervisor:
    def __init__(self, redis_url, queues, log_dir, sleep=time.sleep, redis_server=None):
        self.redis_url = redis_url
        self.queues = list(queues)
        self.log_dir = Path(log_dir)
        self.sleep = sleep
        #: The embedded ``db.EmbeddedRedis`` to restart when it dies (None: external).
        self.redis_server = redis_server
        self.children = []
        self.stopping = False
        self._connection = None
        self._scaler = None
        self._leading = False
        self._unsettled = {}  # worker name -> why it died: settled once Redis answers
        self._unsettled_told = False
        self._redis_restart_at = None
        self._redis_down_since = None
        self._redis_backoff = 0.5
        self._next_reap = 0.0
        self._dead_seen = set()

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
        return self.add(Child(name, worker_argv(kind, name, self.queues), kind=kind))

    def _spawn(self, child):
        self.log_dir.mkdir(parents=True, exist_ok=True)
        child.log_path = self.log_dir / f"{child.name.split('.')[0]}-{child.kind}.log"
        with open(child.log_path, "ab") as out:
            child.process = subprocess.Popen(
                child.argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True, env=self._environment(child),
                **child_module.spawn_options(),
            )
        child.started_at = time.monotonic()
        child.restart_at = None
        log.info("started %s (pid %s)", child.name, child.pid)

    def _environment(self, child):
        """serve's environment without the web tier's secrets (a child that needs
        them has them in ``child.env``), and the Redis URL."""
        return {**environment_without_secrets(), "REDIS_URL": self.redis_url, **child.env}

    # -- watching ----------------------------------------------------------------

    def check(self):
        """Restart Redis if it died; reap dead children, settle their jobs, restart them when due."""
        self._check_redis()
        now = time.monotonic()
        for child in list(self.children):
            if child.process is not None and child.process.poll() is not None and child.restart_at is None:
                code = child.process.returncode
                reason = f"signal {-code}" if code < 0 else f"exit code {code}"
                log.warning("%s (pid %s) died: %s; log: %s", child.name, child.pid, reason, child.log_path)
                if child.kind in ("fork", "simple"):
                    self._unsettled[child.name] = f"worker {child.name} (pid {child.pid}) died: {reason}"
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
        self._reap_dead_workers()
        self._settle_jobs()
        self._scale()

    def _reap_dead_workers(self):
        """Queue for settling the workers of this host whose process is gone
        without a word: those of a ``serve`` that was killed (its own settling
        died with it). RQ would keep showing them, and their jobs started,
        until their heartbeat expired, minutes later."""
        from rq import Worker

        from ..db import process_running

        if time.monotonic() < self._next_reap:
            return
        self._next_reap = time.monotonic() + REAP_INTERVAL
        host, mine = socket.gethostname(), {c.name for c in self.children}
        try:
            workers = Worker.all(connection=self.connection)
        except redis.RedisError:
            return
        dead = {w.name: w.pid for w in workers
                if w.hostname == host and w.name.startswith("omq.") and w.name not in mine
                and w.pid and not process_running(w.pid)}
        for name in dead.keys() & self._dead_seen:  # dead two looks in a row: no live serve settles it
            self._unsettled.setdefault(name, f"worker {name} (pid {dead[name]}) is gone")
        self._dead_seen = set(dead)

    def _check_redis(self):
        """Restart the embedded redis-server on its port and data when it has died."""
        server = self.redis_server
        if server is None or server.alive() or self.stopping:
            return
        now = time.monotonic()
        if self._redis_down_since is None:
            code = server.process.returncode
            reason = f"signal {-code}" if code < 0 else f"exit code {code}"
            log.warning("redis-server (pid %s) died: %s; restarting it on port %s with the same data",
                        server.process.pid, reason, server.port)
            self._redis_down_since, self._redis_restart_at, self._redis_backoff = now, now, 0.5
        if now < self._redis_restart_at:
            return
        try:
            server.start()
        except RuntimeError as exc:
            log.warning("redis-server did not restart (%s); trying again in %.1f s", exc, self._redis_backoff)
            self._redis_restart_at = time.monotonic() + self._redis_backoff
            self._redis_backoff = min(self._redis_backoff * 2, 2.0)
            return
        log.warning("redis-server is back (pid %s) after %.1f s", server.process.pid,
                    time.monotonic() - self._redis_down_since)
        self._redis_down_since = None

    def _settle_jobs(self):
        """Settle the jobs of dead workers; what Redis refuses now is tried again next time."""
        from ..live.worker import recover_abandoned

        for name, reason in list(self._unsettled.items()):
            try:
                job = recover_abandoned(self.connection, name, reason)
            except redis.RedisError as exc:
                if not self._unsettled_told:
                    log.warning("could not settle the job of %s yet (%s): retrying until Redis answers", name, exc)
                    self._unsettled_told = True
                return
            self._unsettled_told = False
            del self._unsettled[name]
            if job is not None:
                log.warning("job %s was running on %s: settled (see its abandoned event)", job.id, name)

    def _scale(self):
        """Follow the presenter's wish for the deployment's number of workers of each kind."""
        try:
            wanted = self.connection.hgetall(keys.WORKERS_WANTED)
            leading = self._lead() if wanted else False
        except redis.RedisError:
            return
        for raw_kind, raw_count in wanted.items():
            kind, count = raw_kind.decode(), int(raw_count) if leading else 0
            current = [c for c in self.children if c.kind == kind]
            while len(current) < count:
                current.append(self.add_worker(kind))
            while len(current) > count:
                child = current.pop()
                self.children.remove(child)
                self._stop_children([child])

    def _lead(self):
        """Whether this supervisor holds (or now takes) the deployment's scaler lock."""
        if self._scaler is None:
            self._scaler = self.connection.lock(keys.SCALER_LOCK, timeout=SCALER_TTL, thread_local=False)
        if self._leading:
            try:
                self._scaler.reacquire()
                return True
            except LockError:
                log.warning("another serve now applies the presenter's worker counts")
                self._leading = False
        if self._scaler.acquire(blocking=False):
            log.info("this serve applies the presenter's worker counts for the deployment")
            self._leading = True
        return self._leading

    def workers(self):
        return [c for c in self.children if c.kind in ("fork", "simple")]

    # -- stopping ------------------------------------------------------------------

    def stop(self, timeout=30.0):
        """Warm-stop every child, front doors first (workers finish or requeue their job), then kill."""
        self.stopping = True
        self._stop_children([c for c in self.children if c.stop_first], timeout)
        self._stop_children([c for c in self.children if not c.stop_first], timeout)
        try:
            self._settle_jobs()
            if self._leading:
                self._scaler.release()  # another serve takes over at once
        except (redis.RedisError, LockError):
            pass
        if self._connection is not None:
            self._connection.close()

    def _stop_children(self, children, timeout=30.0):
        alive = [c for c in children if c.alive()]
        for child in alive:
            _signal(child.process, signal.SIGTERM)  # RQ: warm shutdown; gunicorn: graceful
        deadline = time.monotonic() + timeout
        while any(c.alive() for c in alive) and time.monotonic() < deadline:
            self.sleep(0.1)
        for child in alive:
            if child.alive():
                log.warning("%s did not stop in %.0f s: killing it", child.name, timeout)
                _signal(child.process, signal.SIGKILL)
                child.process.wait()
                if child.kind in ("fork", "simple"):
                    self._unsettled[child.name] = f"worker {child.name} killed at shutdown"
            else:
                child.process.wait()


def _signal(process, sig):
    try:
        os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass
