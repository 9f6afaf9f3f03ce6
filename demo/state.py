"""Read the queue state from Redis: counts, workers, newest job cards.

Every function here costs a bounded number of Redis round trips whatever the
size of the registries: counts are ``LLEN``/``ZCARD``; lanes show only the
newest ``limit`` ids. Nothing calls RQ's registry cleanup (which moves jobs):
reads pass ``cleanup=False`` or go to Redis directly.
"""

from rq import Queue, Worker
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.registry import (
    CanceledJobRegistry,
    DeferredJobRegistry,
    FailedJobRegistry,
    FinishedJobRegistry,
    ScheduledJobRegistry,
    StartedJobRegistry,
)

from . import keys

#: Lanes of the dashboard, left to right, and the RQ registry behind each.
REGISTRIES = {
    "scheduled": ScheduledJobRegistry,
    "deferred": DeferredJobRegistry,
    "started": StartedJobRegistry,
    "finished": FinishedJobRegistry,
    "failed": FailedJobRegistry,
    "canceled": CanceledJobRegistry,
}
LANES = ("scheduled", "deferred", "queued", "started", "finished", "failed", "canceled")

#: Longest argument text a card shows.
ARG_LIMIT = 200


def _s(value):
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _registry(lane, queue_name, connection):
    return REGISTRIES[lane](queue_name, connection=connection)


def read_counts(connection, queue_names):
    """``{queue: {lane: count}}`` for every queue, in one round trip."""
    with connection.pipeline(transaction=False) as pipe:
        for name in queue_names:
            pipe.llen(Queue(name, connection=connection).key)
            for lane in REGISTRIES:
                pipe.zcard(_registry(lane, name, connection).key)
        replies = pipe.execute()
    counts, lanes = {}, ("queued",) + tuple(REGISTRIES)
    for i, name in enumerate(queue_names):
        row = replies[i * len(lanes):(i + 1) * len(lanes)]
        counts[name] = dict(zip(lanes, (int(n) for n in row)))
    return counts


def newest_ids(connection, queue_name, lane, limit):
    """Ids of the newest ``limit`` jobs of one lane, newest first."""
    if lane == "queued":
        ids = connection.lrange(Queue(queue_name, connection=connection).key, -limit, -1)
        return [_s(i) for i in reversed(ids)]
    registry = _registry(lane, queue_name, connection)
    ids = registry.get_job_ids(0, limit - 1, desc=True, cleanup=False)
    return list(dict.fromkeys(ids))  # the started registry keys executions


def read_lanes(connection, queue_names, limit, with_tail=False):
    """``{queue: {lane: [job id, ...]}}``, newest first, at most ``limit`` each.

    With ``with_tail=True`` also return the id of the newest event, read in
    the same transaction as the lanes.
    """
    with connection.pipeline(transaction=with_tail) as pipe:
        for name in queue_names:
            pipe.lrange(Queue(name, connection=connection).key, -limit, -1)
            for lane in REGISTRIES:
                pipe.zrange(_registry(lane, name, connection).key, 0, limit - 1, desc=True)
        if with_tail:
            pipe.xrevrange(keys.EVENTS_STREAM, count=1)
        replies = list(pipe.execute())
    tail = None
    if with_tail:
        newest = replies.pop()
        tail = _s(newest[0][0]) if newest else "0-0"
    replies = iter(replies)
    lanes = {}
    for name in queue_names:
        queued = [_s(i) for i in reversed(next(replies))]
        lanes[name] = {"queued": queued}
        for lane in REGISTRIES:
            ids = [_s(i) for i in next(replies)]
            if lane == "started":
                ids = [i.split(":", 1)[0] for i in ids]
            lanes[name][lane] = list(dict.fromkeys(ids))
    return (lanes, tail) if with_tail else lanes


def _iso(value):
    return value.isoformat() if value else None


def _short(value, limit=ARG_LIMIT):
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def card(job):
    """What a dashboard card shows about ``job`` (all strings: the page escapes)."""
    meta = job.meta or {}
    return {
        "id": job.id,
        "func": job.func_name if job.func_name else "?",
        "queue": job.origin,
        "status": _s(job.get_status(refresh=False) or ""),
        "progress": meta.get("progress"),
        "nick": meta.get("nick", ""),
        "enqueued_at": _iso(job.enqueued_at),
        "started_at": _iso(job.started_at),
        "ended_at": _iso(job.ended_at),
        "worker": job.worker_name or "",
    }


def fetch_cards(connection, ids):
    """Cards for ``ids`` in one round trip; ids whose job is gone are skipped."""
    if not ids:
        return {}
    jobs = Job.fetch_many(list(ids), connection=connection)
    out = {}
    for job in jobs:
        if job is None:
            continue
        try:
            out[job.id] = card(job)
        except Exception:  # an unreadable job must not break a snapshot
            out[job.id] = {"id": job.id, "func": "?", "queue": job.origin, "status": "unreadable"}
    return out


def job_detail(connection, job_id):
    """Everything the detail panel shows, or None when there is no such job."""
    try:
        job = Job.fetch(job_id, connection=connection)
    except NoSuchJobError:
        return None
    detail = card(job)
    try:
        args = [_short(a) for a in job.args]
        kwargs = {k: _short(v) for k, v in (job.kwargs or {}).items()}
    except Exception:
        args, kwargs = ["(arguments could not be read)"], {}
    result = latest = None
    try:
        latest = job.latest_result()
        if latest is not None and latest.type == latest.Type.SUCCESSFUL:
            result = _short(latest.return_value, 2000)
    except Exception:
        result = "(result could not be read)"
    exc = None
    if latest is not None and latest.type != latest.Type.SUCCESSFUL:
        exc = (latest.exc_string or "")[-5000:]
    detail.update(
        args=args,
        kwargs=kwargs,
        result=result,
        exc_info=exc,
        description=_short(job.description or "", 300),
        retries_left=job.retries_left,
        progress_note=(job.meta or {}).get("progress_note", ""),
    )
    return detail


def read_workers(connection):
    """Every registered RQ worker (ours or plain), with its current job."""
    workers = []
    for worker in Worker.all(connection=connection):
        horse = connection.hget(worker.key, keys.WORKER_HORSE_PID_FIELD)
        workers.append({
            "name": worker.name,
            "pid": worker.pid,
            "hostname": _s(worker.hostname or ""),
            "state": _s(worker.get_state() or ""),
            "current_job": worker.get_current_job_id(),
            "horse_pid": int(horse) if horse else None,
            "queues": worker.queue_names(),
            "done": worker.successful_job_count,
            "failed": worker.failed_job_count,
        })
    workers.sort(key=lambda w: w["name"])
    return workers


def snapshot(connection, queue_names, limit, last_event_id):
    """The whole dashboard state, tagged with the last event id it includes."""
    lanes = read_lanes(connection, queue_names, limit)
    ids = {i for per_queue in lanes.values() for lane_ids in per_queue.values() for i in lane_ids}
    return {
        "last": last_event_id,
        "queues": list(queue_names),
        "counts": read_counts(connection, queue_names),
        "lanes": lanes,
        "cards": fetch_cards(connection, ids),
        "workers": read_workers(connection),
        "limit": limit,
    }
