"""Blocking vs background: the same slow task inline in the request, and as a job.

The inline path runs on a deliberately small pool (DEMO_INLINE_POOL slots,
like a server with 2 Unicorn workers): requests past it wait in line, and
one that is not done DEMO_REQUEST_TIMEOUT seconds after it arrived is cut
off with 504, wait included, as a router's timeout would. The background path
enqueues the task and answers 202 at once; the result is pushed when ready.

Every response time (measured here, from arrival to answer) is kept in
``keys.BLOCKING_SAMPLES`` and pushed to every viewer, so the chart shows
the whole room's clicks.
"""

import json
import threading
import time
from contextlib import contextmanager

from flask import current_app, jsonify

from .. import jobs, keys
from ..db import get_redis
from . import audience, bp
from .common import Refused, json_body, number, page, push, setting

TIMEOUT_MESSAGE = (
    "504 Gateway Timeout: no response within {0:g} s, so the server cut this request off. "
    "A long request holds one of the server's few workers and blocks everyone behind it; "
    "past the timeout it fails. Do slow work in a background job."
)


class LineFull(Exception):
    """More requests are waiting for a slot than the pool lets wait."""


class InlinePool:
    """The inline path's server: ``size`` slots and a line of waiting requests.

    Built on ``threading.BoundedSemaphore``, which gevent's monkey-patching
    (``serve``) turns into a cooperative one: a waiting request costs a
    greenlet, not a thread.
    """

    def __init__(self, size, max_waiting, on_change=lambda state: None):
        self.size, self.max_waiting, self.on_change = size, max_waiting, on_change
        self._slots = threading.BoundedSemaphore(size)
        self._lock = threading.Lock()
        self.busy = self.waiting = 0

    def state(self):
        return {"size": self.size, "busy": self.busy, "waiting": self.waiting}

    def _add(self, busy=0, waiting=0):
        with self._lock:
            self.busy += busy
            self.waiting += waiting
        self.on_change(self.state())

    @contextmanager
    def slot(self, deadline):
        """Hold a slot for the block; yield whether the request had to wait for it.

        Raises TimeoutError when ``deadline`` (``time.monotonic()``) passes in
        line, LineFull when the line is full.
        """
        queued = not self._slots.acquire(blocking=False)
        if queued:
            if self.waiting >= self.max_waiting:
                raise LineFull()
            self._add(waiting=1)
            try:
                got = self._slots.acquire(timeout=max(0.0, deadline - time.monotonic()))
            finally:
                self._add(waiting=-1)
            if not got:
                raise TimeoutError("no slot came free before the deadline")
        self._add(busy=1)
        try:
            yield queued
        finally:
            self._slots.release()
            self._add(busy=-1)


def _make_pool(state):
    config = state.app.config
    state.app.extensions["omq.demos.pool"] = InlinePool(
        config["DEMO_INLINE_POOL"], config["DEMO_INLINE_MAX_WAITING"],
        on_change=lambda pool: push("blocking", pool=pool))


bp.record_once(_make_pool)


def _pool():
    return current_app.extensions["omq.demos.pool"]


def _record(connection, path, started, who, ok, **extra):
    """Keep one response time and push it to every viewer."""
    sample = {"path": path, "ms": round((time.monotonic() - started) * 1000, 1), "ok": ok,
              "ts": time.time(), "nick": who.nick, **extra}
    with connection.pipeline() as pipe:
        pipe.lpush(keys.BLOCKING_SAMPLES, json.dumps(sample))
        pipe.ltrim(keys.BLOCKING_SAMPLES, 0, keys.BLOCKING_SAMPLES_MAX - 1)
        pipe.execute()
    push("blocking", sample=sample, pool=_pool().state())
    return sample


@bp.get("/blocking")
def blocking():
    """The blocking-vs-background page: two buttons and a live chart."""
    return page("demos/blocking.html", timeout=setting("DEMO_REQUEST_TIMEOUT"),
                pool=setting("DEMO_INLINE_POOL"), max_seconds=setting("DEMO_TASK_MAX_SECONDS"))


@bp.get("/blocking/samples")
def blocking_samples():
    """Recent response times (oldest first), the pool's occupancy and the timeout."""
    raw = get_redis().lrange(keys.BLOCKING_SAMPLES, 0, keys.BLOCKING_SAMPLES_MAX - 1)
    return jsonify(samples=[json.loads(s) for s in reversed(raw)], pool=_pool().state(),
                   timeout=setting("DEMO_REQUEST_TIMEOUT"), now=time.time())


@bp.post("/blocking/inline")
def blocking_inline():
    """Do the slow task inside this request, on the small pool; 504 past the timeout."""
    started = time.monotonic()
    seconds = number(json_body(), "seconds", 0.1, setting("DEMO_TASK_MAX_SECONDS"))
    connection = get_redis()
    who = audience.admit(connection)
    deadline = started + setting("DEMO_REQUEST_TIMEOUT")
    try:
        with _pool().slot(deadline) as queued:
            waited = time.monotonic() - started
            result = jobs.slow_report(seconds, deadline=deadline)
    except LineFull:
        raise Refused(503, f"the server is busy: {_pool().waiting} requests already wait for its "
                           f"{_pool().size} workers; try again in a moment") from None
    except TimeoutError:
        sample = _record(connection, "inline", started, who, ok=False)
        raise Refused(504, TIMEOUT_MESSAGE.format(setting("DEMO_REQUEST_TIMEOUT")), sample=sample) from None
    sample = _record(connection, "inline", started, who, ok=True, queued=queued,
                     waited_ms=round(waited * 1000, 1))
    return jsonify(sample=sample, result=result)


@bp.post("/blocking/background")
def blocking_background():
    """Enqueue the slow task and answer at once (202); the page gets the result by push."""
    started = time.monotonic()
    seconds = number(json_body(), "seconds", 0.1, setting("DEMO_TASK_MAX_SECONDS"))
    connection = get_redis()
    who, job = audience.submit(connection, jobs.slow_report, seconds, demo="blocking",
                               timeout=int(seconds) + 30, result_ttl=3600)
    sample = _record(connection, "background", started, who, ok=True, job=job.id)
    return jsonify(sample=sample, job=job.id), 202
