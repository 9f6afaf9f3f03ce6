"""Blocking vs background: the same slow task inline in a real gunicorn, and as a job.

The inline path is the slides' ``app.py`` on a real gunicorn with the
slides' ``gunicorn.conf.py`` (2 sync workers and their ``timeout``), which
``serve`` supervises (``demo/runtime/gunicorn_conf.py``). This view stands
in front of it as a proxy does in production: it forwards the request to
``POST /report/inline`` and gives up after DEMO_REQUEST_TIMEOUT seconds,
wait included (504, like Heroku's router at 30 s). gunicorn kills a worker
busy for longer than its own ``timeout`` (``WORKER TIMEOUT``, a 502 here).
Requests past the two busy workers wait in the listen backlog of gunicorn's
socket; ``keys.BLOCKING_INFLIGHT`` counts what this proxy has sent and not
yet heard back, and gunicorn's hooks say which worker is busy, so
``waiting = in flight - busy``.

The background path enqueues the task and answers 202 at once; the result
is pushed when ready. Every response time (arrival to answer) is kept in
``keys.BLOCKING_SAMPLES`` and pushed to every viewer, so the chart shows the
whole room's clicks.
"""

import http.client
import json
import time
import urllib.error
import urllib.request
import uuid

from flask import jsonify

from .. import jobs, keys
from ..db import get_redis
from ..runtime import gunicorn_conf
from . import audience, bp
from .common import Refused, json_body, number, page, push, setting

ROUTER_TIMEOUT = (
    "504 Gateway Timeout: no answer within {0:g} s, so the proxy in front of gunicorn gave up "
    "(Heroku's router does the same at 30 s). gunicorn's worker is still busy with it, for nobody. "
    "Do slow work in a background job."
)
WORKER_TIMEOUT = (
    "502 Bad Gateway: gunicorn killed the worker after its {0} s timeout (WORKER TIMEOUT), and the "
    "request died with it. Do slow work in a background job."
)

#: Seconds an in-flight entry outlives its deadline before it counts as lost.
INFLIGHT_GRACE = 5


def gunicorn_state(connection):
    """gunicorn's workers (pid, state, what they run), requests in flight, and how many wait."""
    with connection.pipeline() as pipe:
        pipe.zremrangebyscore(keys.BLOCKING_INFLIGHT, "-inf", time.time())
        pipe.zcard(keys.BLOCKING_INFLIGHT)
        pipe.hgetall(keys.BLOCKING_GUNICORN)
        _, inflight, raw = pipe.execute()
    workers = sorted(({"pid": int(pid), **json.loads(value)} for pid, value in raw.items()), key=lambda w: w["pid"])
    busy = sum(1 for w in workers if w["state"] == "busy")
    timeouts = {w.get("timeout") for w in workers if w.get("timeout")}
    return {"workers": workers, "inflight": inflight, "busy": busy, "waiting": max(0, inflight - busy),
            "timeout": max(timeouts) if timeouts else None}


def _pool(connection):
    """What the page shows of the inline path: gunicorn's state and the proxy's timeout."""
    return {**gunicorn_state(connection), "router_timeout": setting("DEMO_REQUEST_TIMEOUT")}


def _enter(connection, ticket, deadline):
    """Count one request in flight; False when too many already wait."""
    with connection.pipeline() as pipe:
        pipe.zadd(keys.BLOCKING_INFLIGHT, {ticket: deadline + INFLIGHT_GRACE})
        pipe.zcard(keys.BLOCKING_INFLIGHT)
        pipe.hlen(keys.BLOCKING_GUNICORN)
        _, inflight, workers = pipe.execute()
    if inflight > max(workers, 1) + setting("DEMO_INLINE_MAX_WAITING"):
        connection.zrem(keys.BLOCKING_INFLIGHT, ticket)
        return False
    push("blocking", pool=_pool(connection))
    return True


def _leave(connection, ticket):
    connection.zrem(keys.BLOCKING_INFLIGHT, ticket)
    push("blocking", pool=_pool(connection))


def _forward(seconds, timeout):
    """POST the slide app's /report/inline on gunicorn; its JSON, or Refused with the reason."""
    url = f"{setting('DEMO_GUNICORN_URL').rstrip('/')}/report/inline?seconds={seconds:g}"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=b"", method="POST"), timeout=timeout) as answer:
            return json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        if exc.code == 500:  # the app never fails on its own: gunicorn aborted the worker mid-request
            raise _Killed() from None
        raise Refused(502, f"502 Bad Gateway: gunicorn answered {exc.code} {exc.reason}") from None
    except (TimeoutError, OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError):
            raise _Timeout() from None
        if isinstance(reason, ConnectionRefusedError):
            raise Refused(503, "gunicorn is not answering (it may be restarting): try again in a moment") from None
        raise _Killed() from None


class _Timeout(Exception):
    """The proxy gave up waiting."""


class _Killed(Exception):
    """gunicorn closed the connection without an answer: its worker was killed."""


def _record(connection, path, started, who, ok, **extra):
    """Keep one response time and push it to every viewer."""
    sample = {"path": path, "ms": round((time.monotonic() - started) * 1000, 1), "ok": ok,
              "ts": time.time(), "nick": who.nick, **extra}
    with connection.pipeline() as pipe:
        pipe.lpush(keys.BLOCKING_SAMPLES, json.dumps(sample))
        pipe.ltrim(keys.BLOCKING_SAMPLES, 0, keys.BLOCKING_SAMPLES_MAX - 1)
        pipe.execute()
    push("blocking", sample=sample)
    return sample


@bp.get("/blocking")
def blocking():
    """The blocking-vs-background page: two buttons and a live chart."""
    return page("demos/blocking.html", timeout=setting("DEMO_REQUEST_TIMEOUT"),
                gunicorn_timeout=setting("DEMO_GUNICORN_TIMEOUT") or gunicorn_conf.timeout,
                max_seconds=setting("DEMO_TASK_MAX_SECONDS"), gunicorn=bool(setting("DEMO_GUNICORN_URL")))


@bp.get("/blocking/samples")
def blocking_samples():
    """Recent response times (oldest first), gunicorn's workers and the timeouts."""
    connection = get_redis()
    raw = connection.lrange(keys.BLOCKING_SAMPLES, 0, keys.BLOCKING_SAMPLES_MAX - 1)
    return jsonify(samples=[json.loads(s) for s in reversed(raw)], pool=_pool(connection),
                   timeout=setting("DEMO_REQUEST_TIMEOUT"), now=time.time())


@bp.post("/blocking/inline")
def blocking_inline():
    """Run the slow task inside a request to the slide's app on gunicorn; 504/502 past the timeouts."""
    started = time.monotonic()
    seconds = number(json_body(), "seconds", 0.1, setting("DEMO_TASK_MAX_SECONDS"))
    if not setting("DEMO_GUNICORN_URL"):
        raise Refused(503, "the blocking demo's gunicorn is not running: start the demo with 'python -m demo serve'")
    connection = get_redis()
    who = audience.admit(connection)
    timeout = setting("DEMO_REQUEST_TIMEOUT")
    ticket = uuid.uuid4().hex
    if not _enter(connection, ticket, time.time() + timeout):
        raise Refused(503, "the server is busy: too many requests already wait for gunicorn's workers; "
                           "try again in a moment")
    try:
        answer = _forward(seconds, timeout)
    except _Timeout:
        sample = _record(connection, "inline", started, who, ok=False, status=504)
        raise Refused(504, ROUTER_TIMEOUT.format(timeout), sample=sample) from None
    except _Killed:
        worker_timeout = gunicorn_state(connection)["timeout"] or "its"
        sample = _record(connection, "inline", started, who, ok=False, status=502)
        raise Refused(502, WORKER_TIMEOUT.format(worker_timeout), sample=sample) from None
    finally:
        _leave(connection, ticket)
    waited = max(0.0, time.monotonic() - started - seconds)
    sample = _record(connection, "inline", started, who, ok=True, status=200, queued=waited > 0.25,
                     waited_ms=round(waited * 1000, 1))
    result = {"summary": f"{answer.get('words')} words counted in {seconds:g} s", **answer}
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
