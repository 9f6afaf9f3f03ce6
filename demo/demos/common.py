"""What the demo views share: settings, JSON in and out, errors, live pushes.

Also two views every page uses: the index of demos and ``/demo/jobs/<id>``,
a job's status and (for our own job functions) its result as JSON.
"""

import json
import math
import time

from flask import current_app, jsonify, render_template, request
from rq.registry import ScheduledJobRegistry
from werkzeug.exceptions import HTTPException

from .. import keys
from ..config import check_numbers
from ..db import get_redis
from ..live.state import find_job
from ..extensions import socketio
from ..security import loads, mask_deep, printable
from ..talk.presenter import is_presenter
from . import bp
from .line import place_in_line

#: Every demo, in the order of the talk: (name, title, one-line summary).
DEMOS = (
    ("blocking", "Blocking vs background", "The same slow task inline in the request and as a job."),
    ("console.page", "Try Redis", "redis-cli in your browser: your own sandbox, and a read-only look at the queue."),
    ("highlight", "Code highlighting", "The Sidekiq RailsCast's example: a job colours a snippet with Pygments."),
    ("mail", "Email", "A job renders and sends a welcome email to a real SMTP server."),
    ("retries", "Failures and retries", "A job fails, waits, retries, and lands in Failed when out of retries."),
    ("schedule", "Scheduled and recurring", "Jobs for later, and a recurring job on rq's cron scheduler."),
    ("workers", "Processes vs threads", "The same batch on forking, simple and several workers, measured."),
    ("submit", "Your jobs", "Send a job from your phone and watch it run."),
)

#: Numeric settings: name -> (type, lowest allowed, highest allowed).
NUMERIC = {
    "DEMO_REQUEST_TIMEOUT": (float, 0.5, 600),
    "DEMO_INLINE_MAX_WAITING": (int, 0, 10_000),
    "DEMO_TASK_MAX_SECONDS": (float, 0.5, 600),
    "DEMO_WAIT_MAX": (float, 0.5, 600),
    "DEMO_SNIPPET_MAX": (int, 16, 60_000),
    "DEMO_RATE_LIMIT": (int, 1, 100_000),
    "DEMO_RATE_WINDOW": (float, 1, 86_400),
    "DEMO_RATE_LIMIT_PER_IP": (int, 1, 1_000_000),
    "DEMO_AUDIENCE_CAP": (int, 1, 100_000),
    "DEMO_SCHEDULE_MAX": (float, 1, 30 * 86_400),
    "DEMO_AUDIENCE_SCHEDULE_MAX": (float, 1, 30 * 86_400),
    "DEMO_SHARE_VISITOR": (float, 0.001, 1),
    "DEMO_SHARE_ADDRESS": (float, 0.001, 1),
    "DEMO_TICK_INTERVAL": (int, 1, 86_400),
    "DEMO_BENCH_MAX": (int, 1, 100_000),
}

#: Longest text kept of a failed job's traceback.
MAX_TRACEBACK = 4000


class Refused(Exception):
    """A request the demo will not serve; becomes ``{"error": message}`` JSON."""

    def __init__(self, status, message, headers=None, **extra):
        super().__init__(message)
        self.status, self.message, self.headers, self.extra = status, message, headers or {}, extra


def check_settings(app):
    """Coerce the numeric DEMO_* settings (they may come from the environment)."""
    check_numbers(app.config, NUMERIC)
    retry_intervals(app.config)


bp.record_once(lambda state: check_settings(state.app))


def retry_intervals(config):
    """DEMO_RETRY_INTERVALS as a list of whole seconds (one per retry)."""
    try:
        intervals = [int(part) for part in str(config["DEMO_RETRY_INTERVALS"]).split(",") if part.strip()]
    except ValueError:
        intervals = []
    if not 1 <= len(intervals) <= 10 or not all(0 <= i <= 3600 for i in intervals):
        raise ValueError("DEMO_RETRY_INTERVALS must be 1 to 10 comma-separated whole seconds from 0 to 3600")
    return intervals


def setting(name):
    return current_app.config[name]


# -- JSON in --------------------------------------------------------------------


def json_body():
    """The request's JSON object; 415 unless it is JSON, 400 unless an object.

    Insisting on ``application/json`` also means a plain cross-site HTML form
    can never reach these views (browsers cannot send JSON cross-site without
    a CORS preflight, which this app never grants).
    """
    if not request.is_json:
        raise Refused(415, "send JSON (Content-Type: application/json)")
    try:
        data = loads(request.get_data(cache=True))
    except ValueError as exc:  # not JSON, not UTF-8, nested too deeply, a number too large
        raise Refused(400, f"send a JSON object ({printable(exc, 120)})") from None
    if not isinstance(data, dict):
        raise Refused(400, "send a JSON object")
    return data


def number(data, name, low, high, unit="s"):
    """``data[name]`` as a finite number from ``low`` to ``high``; 400 otherwise."""
    value = data.get(name)
    problem = f"{name} must be a number from {low:g} to {high:g} {unit}".rstrip()
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise Refused(400, problem)
    try:
        value = float(value)
    except (ValueError, OverflowError):  # OverflowError: an integer too large for a float
        raise Refused(400, problem) from None
    if not math.isfinite(value) or not low <= value <= high:
        raise Refused(400, problem)
    return value


def whole(data, name, low, high):
    """``data[name]`` as a whole number from ``low`` to ``high``; 400 otherwise."""
    value = data.get(name)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Refused(400, f"{name} must be a whole number from {low} to {high}")
    return value


def text(data, name, longest, required=True):
    """``data[name]`` as one line of printable text of at most ``longest`` characters."""
    value = data.get(name, "")
    if not isinstance(value, str):
        raise Refused(400, f"{name} must be text")
    value = value.strip()
    if required and not value:
        raise Refused(400, f"{name} is missing")
    if len(value) > longest:
        raise Refused(400, f"{name} is too long: at most {longest} characters")
    if any(not ch.isprintable() for ch in value):
        raise Refused(400, f"{name} must be one line of printable text")
    return value


# -- out --------------------------------------------------------------------------


def page(template, **context):
    """Render a demo page (``?embed=1`` hides the top bar for the deck's iframes)."""
    return render_template(template, embed=request.args.get("embed") == "1",
                           presenter=is_presenter(), **context)


def push(demo, **payload):
    """Tell every page on the live namespace a demo's news (``keys.DEMO_EVENT``)."""
    socketio.emit(keys.DEMO_EVENT, {"demo": demo, "now": time.time(), **payload},
                  namespace=keys.LIVE_NAMESPACE, to=keys.DASHBOARD_ROOM)


@bp.errorhandler(Refused)
def refused(exc):
    return jsonify(error=exc.message, status=exc.status, **exc.extra), exc.status, exc.headers


@bp.errorhandler(HTTPException)
def http_error(exc):
    """JSON for the demos' calls (413 from MAX_CONTENT_LENGTH, 403 cross-site...)."""
    if request.method == "GET" and request.accept_mimetypes.best != "application/json":
        return render_template("error.html", code=exc.code, name=exc.name, message=exc.description), exc.code
    return jsonify(error=exc.description or exc.name, status=exc.code), exc.code


# -- views ------------------------------------------------------------------------


@bp.get("/")
def index():
    """Every demo, with a link to its page."""
    return page("demos/index.html", demos=DEMOS)


@bp.get("/jobs/<job_id>")
def job_status(job_id):
    """A job's status, progress and result (ours as JSON) or error, for the pages."""
    connection = get_redis()
    job = find_job(connection, job_id)
    if job is None:
        raise Refused(404, f"no job with id {job_id[:100]!r} (it may have expired)")
    from .audience import owns  # audience builds on this module

    return jsonify(describe(connection, job, reveal=is_presenter() or owns(connection, job.id)))


def status_of(job):
    """A job's status as plain text (``queued``, ``finished``...)."""
    status = job.get_status(refresh=False)
    return getattr(status, "value", status) or ""


def describe(connection, job, reveal=False):
    """The JSON a demo page gets about ``job``.

    Anyone may look a job up by its id (the dashboard shows ids): unless
    ``reveal`` (the presenter, or the visitor who sent it), email addresses in
    its result and error are masked.
    """
    status = status_of(job)
    meta = job.meta or {}
    body = {
        "id": job.id, "func": job.func_name, "queue": job.origin, "status": status,
        "nick": meta.get("nick", ""), "progress": meta.get("progress"), "note": meta.get("progress_note", ""),
        "attempts": meta.get("attempts"), "retries_left": job.retries_left,
        "enqueued_at": _ts(job.enqueued_at), "started_at": _ts(job.started_at), "ended_at": _ts(job.ended_at),
        "scheduled_for": None, "result": None, "error": None, "now": time.time(),
    }
    if status == "scheduled":
        scheduled = ScheduledJobRegistry(job.origin, connection=connection).get_scheduled_time(job)
        body["scheduled_for"] = scheduled.timestamp() if scheduled else None
    elif status == "queued":
        body.update(place_in_line(connection, job.id, job.origin))  # a page that reconnects learns it again
    latest = job.latest_result()
    if latest is not None and latest.type == latest.Type.SUCCESSFUL:
        body["result"] = _public(job.func_name, latest.return_value)
    elif latest is not None:
        body["error"] = (latest.exc_string or "")[-MAX_TRACEBACK:]
    if not reveal:
        body["result"], body["error"] = mask_deep(body["result"]), mask_deep(body["error"])
    return body


def _ts(value):
    return value.timestamp() if value else None


def _public(func_name, value):
    """Our own jobs' results as they are (JSON-safe); anything else as short text."""
    if (func_name or "").startswith("demo.jobs."):
        try:
            json.dumps(value)
            return value
        except (TypeError, ValueError):
            pass
    text_value = repr(value)
    return text_value if len(text_value) <= 500 else text_value[:499] + "…"
