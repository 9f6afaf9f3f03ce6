"""The JSON API: health, queue state, job detail, presenter actions."""

import redis
from flask import Blueprint, current_app, jsonify, request

from . import actions, events, state
from ..db import get_health_redis, get_redis, redact_url
from ..talk.presenter import is_presenter, presenter_required

bp = Blueprint("api", __name__)


@bp.get("/healthz")
def healthz():
    """Redis and the workers are up (503 when Redis is down), and the version.

    The audience learns states only; the presenter also gets the Redis URL
    (password redacted) and version, and each worker's name and pid.
    """
    presenter = is_presenter()
    body = {"version": current_app.config["VERSION"], "redis": {"ok": False}, "workers": []}
    if presenter:
        body["redis"]["url"] = redact_url(current_app.config["REDIS_URL"])
    try:
        # Its own short-timeout client, and no RQ Worker objects: building one
        # raises its client's socket timeout to minutes (RQ's _set_connection).
        connection = get_health_redis()
        version = connection.info("server").get("redis_version")
        body["redis"]["ok"] = True
        workers = state.read_workers(connection)
        if presenter:
            body["redis"]["version"] = version
            body["workers"] = [{"name": w["name"], "pid": w["pid"], "state": w["state"]} for w in workers]
        else:
            body["workers"] = [{"state": w["state"]} for w in workers]
    except redis.RedisError as exc:
        body["redis"]["error"] = exc.__class__.__name__
        return jsonify(body), 503
    return jsonify(body)


@bp.get("/api/snapshot")
def snapshot():
    """The dashboard's state for clients without Socket.IO (the audience's: no pids or hosts)."""
    connection = get_redis()
    limit = current_app.config["DASHBOARD_LANE_LIMIT"]
    body = state.snapshot(connection, current_app.config["QUEUE_NAMES"], limit, events.last_id(connection))
    if not is_presenter():
        body["workers"] = [state.public_worker(w) for w in body["workers"]]
    return jsonify(body)


def page_snapshot():
    """The snapshot a dashboard page carries in its HTML, or None when Redis does not answer.

    Its first paint then waits for no socket: the page shows this state at
    once and its hello asks for what happened since ``last`` (the view and
    its id are read in one transaction). Bounded by the lane limit, like the
    hello's snapshot it replaces.
    """
    try:
        body = state.snapshot(get_redis(), current_app.config["QUEUE_NAMES"],
                              current_app.config["DASHBOARD_LANE_LIMIT"])
    except redis.RedisError:
        return None
    if not is_presenter():  # what /api/snapshot tells the audience, no more
        body["workers"] = [state.public_worker(w) for w in body["workers"]]
    return body


@bp.get("/api/jobs/<job_id>")
def job(job_id):
    """One job's detail (its arguments whole for the presenter only)."""
    detail = state.job_detail(get_redis(), job_id, reveal=is_presenter())
    if detail is None:
        return jsonify(error=f"no job with id {job_id[:100]!r}"), 404
    return jsonify(detail)


def _act(data):
    try:
        return jsonify(actions.perform(get_redis(), data, current_app.config["QUEUE_NAMES"]))
    except actions.ActionError as exc:
        return jsonify(error=str(exc)), 400


@bp.post("/api/jobs/<job_id>/<op>")
@presenter_required
def job_action(job_id, op):
    """Presenter: requeue, cancel or delete a job."""
    if op not in ("requeue", "cancel", "delete"):
        return jsonify(error=f"unknown job action {op!r}: requeue, cancel or delete"), 404
    return _act({"op": op, "job": job_id})


@bp.post("/api/queues/<name>/<op>")
@presenter_required
def queue_action(name, op):
    """Presenter: empty, pause or resume a queue, or enqueue a burst of jobs on it."""
    if op not in ("empty", "pause", "resume", "burst"):
        return jsonify(error=f"unknown queue action {op!r}: empty, pause, resume or burst"), 404
    data = request.get_json(silent=True) if op == "burst" else None
    count = data.get("count", 10) if isinstance(data, dict) else 10
    return _act({"op": op, "queue": name, **({"count": count} if op == "burst" else {})})


@bp.post("/api/workers")
@presenter_required
def scale_workers():
    """Presenter: ask serve for N workers of a kind (fork or simple)."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return jsonify(error='send JSON like {"count": 3, "kind": "fork"}'), 400
    return _act({"op": "scale", "count": data.get("count"), "kind": data.get("kind", "fork")})
