"""Read the queue state from Redis: counts, workers, newest job cards.

Every function here costs a bounded number of Redis round trips whatever the
size of the registries: counts are ``LLEN``/``ZCARD`` (``ZCOUNT`` of the
unexpired part of the finished and failed registries); lanes show only the
newest ``limit`` ids. Nothing calls RQ's registry cleanup (which moves jobs):
reads pass ``cleanup=False`` or go to Redis directly.
"""

import time
from datetime import timezone

from rq import Queue, Worker
from rq.exceptions import NoSuchJobError
from rq.executions import WORKER_EXECUTIONS_KEY_TEMPLATE
from rq.job import Job
from rq.registry import (
    CanceledJobRegistry,
    DeferredJobRegistry,
    FailedJobRegistry,
    FinishedJobRegistry,
    ScheduledJobRegistry,
    StartedJobRegistry,
)
from rq.results import Result
from rq.utils import parse_composite_key

from .. import keys
from ..security import mask_addresses, mask_deep

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

#: Registries whose score is the moment the job expires (its result or failure
#: TTL). An entry past it is a job Redis has already dropped: RQ's cleanup
#: would remove the entry, and the dashboard neither counts nor shows it.
EXPIRING = ("finished", "failed")

#: Longest argument text the detail panel shows.
ARG_LIMIT = 200

#: Longest result or error line a card shows.
INFO_LIMIT = 160


def _s(value):
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _registry(lane, queue_name, connection):
    return REGISTRIES[lane](queue_name, connection=connection)


def _queue_key(name, connection):
    return Queue(name, connection=connection).key


def _add_counts(pipe, connection, queue_names):
    now = f"({time.time()}"
    for name in queue_names:
        pipe.llen(_queue_key(name, connection))
        for lane in REGISTRIES:
            key = _registry(lane, name, connection).key
            if lane in EXPIRING:
                pipe.zcount(key, now, "+inf")
            else:
                pipe.zcard(key)


def _parse_counts(replies, queue_names):
    counts = {}
    for name in queue_names:
        counts[name] = {"queued": int(next(replies))}
        for lane in REGISTRIES:
            counts[name][lane] = int(next(replies))
    return counts


def _add_lanes(pipe, connection, queue_names, limit):
    now = f"({time.time()}"
    for name in queue_names:
        pipe.lrange(_queue_key(name, connection), -limit, -1)
        for lane in REGISTRIES:
            key = _registry(lane, name, connection).key
            if lane in EXPIRING:
                pipe.zrevrangebyscore(key, "+inf", now, start=0, num=limit)
            else:
                pipe.zrange(key, 0, limit - 1, desc=True)


def _parse_lanes(replies, queue_names):
    lanes = {}
    for name in queue_names:
        lanes[name] = {"queued": [_s(i) for i in reversed(next(replies))]}
        for lane, registry in REGISTRIES.items():
            ids = [registry.parse_job_id(_s(i)) for i in next(replies)]
            lanes[name][lane] = list(dict.fromkeys(ids))  # the started registry keys executions
    return lanes


def read_counts(connection, queue_names):
    """``{queue: {lane: count}}`` for every queue, in one round trip."""
    with connection.pipeline(transaction=False) as pipe:
        _add_counts(pipe, connection, queue_names)
        return _parse_counts(iter(pipe.execute()), queue_names)


def read_counts_since(connection, queue_names, after, limit):
    """Stream entries after id ``after`` (at most ``limit``) and the counts, as of one instant.

    One ``MULTI``/``EXEC``, so the counts are exactly those the entries lead
    to: a delta built from both never shows a count ahead of its cards.
    Entries are raw ``(id, fields)`` pairs, oldest first.
    """
    with connection.pipeline(transaction=True) as pipe:
        pipe.xrange(keys.EVENTS_STREAM, min="(" + after, count=limit)
        _add_counts(pipe, connection, queue_names)
        replies = iter(pipe.execute())
    entries = next(replies)
    return entries, _parse_counts(replies, queue_names)


def newest_ids(connection, queue_name, lane, limit):
    """Ids of the newest ``limit`` jobs of one lane, newest first."""
    if lane == "queued":
        ids = connection.lrange(_queue_key(queue_name, connection), -limit, -1)
        return [_s(i) for i in reversed(ids)]
    registry = _registry(lane, queue_name, connection)
    ids = registry.get_job_ids(0, limit - 1, desc=True, cleanup=False)
    return list(dict.fromkeys(ids))  # the started registry keys executions


def read_lanes(connection, queue_names, limit):
    """``{queue: {lane: [job id, ...]}}``, newest first, at most ``limit`` each."""
    with connection.pipeline(transaction=False) as pipe:
        _add_lanes(pipe, connection, queue_names, limit)
        return _parse_lanes(iter(pipe.execute()), queue_names)


def read_view(connection, queue_names, limit):
    """Counts, lanes and the newest event id as of one instant: ``(counts, lanes, last)``.

    One ``MULTI``/``EXEC``: nothing can happen between the reads, so the
    lanes show exactly the state that the events up to ``last`` describe.
    A client given this view and then the events after ``last`` misses
    nothing and sees nothing twice. The cost does not depend on the size of
    the registries: ``LLEN``/``ZCARD`` for counts, ``limit`` ids per lane.
    """
    with connection.pipeline(transaction=True) as pipe:
        _add_counts(pipe, connection, queue_names)
        _add_lanes(pipe, connection, queue_names, limit)
        pipe.xrevrange(keys.EVENTS_STREAM, count=1)
        replies = iter(pipe.execute())
    counts = _parse_counts(replies, queue_names)
    lanes = _parse_lanes(replies, queue_names)
    newest = next(replies)
    return counts, lanes, (_s(newest[0][0]) if newest else "0-0")


def _iso(value):
    """ISO 8601 with its zone, so browsers read RQ's UTC times right."""
    if not value:
        return None
    if value.tzinfo is None:  # RQ stores UTC
        value = value.replace(tzinfo=timezone.utc)
    return value.isoformat()


def _short(value, limit=ARG_LIMIT):
    """``repr(value)`` cut to ``limit`` characters; never raises."""
    try:
        text = repr(value)
    except Exception:  # a user object whose __repr__ fails
        text = f"<unprintable {type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _text(value, limit=INFO_LIMIT):
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _fraction(value):
    try:
        return min(1.0, max(0.0, float(value)))
    except (TypeError, ValueError):
        return None


def _last_line(text):
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def card(job):
    """What a dashboard card shows about ``job`` (all strings: the page escapes)."""
    meta = job.meta or {}
    return {
        "id": job.id,
        "func": _text(job.func_name or "?", 120),
        "queue": job.origin,
        "status": _s(job.get_status(refresh=False) or ""),
        "progress": _fraction(meta.get("progress")),
        "nick": _text(meta.get("nick", ""), 40),
        "enqueued_at": _iso(job.enqueued_at),
        "started_at": _iso(job.started_at),
        "ended_at": _iso(job.ended_at),
        "worker": job.worker_name or "",
    }


def _unreadable(job_id, origin=""):
    return {"id": job_id, "func": "?", "queue": origin, "status": "unreadable", "progress": None,
            "nick": "", "enqueued_at": None, "started_at": None, "ended_at": None, "worker": ""}


def _result_info(result):
    """One line about a job's latest result: its value, or its exception's last line (no addresses)."""
    if result.type == result.Type.SUCCESSFUL:
        return mask_addresses(_text("" if result.return_value is None else _short(result.return_value, INFO_LIMIT)))
    return mask_addresses(_text(_last_line(result.exc_string)))


def fetch_cards(connection, ids):
    """Cards for ``ids`` in two round trips; ids whose job is gone are skipped.

    Finished and failed cards also carry ``info`` (the result, or the
    exception's last line), read from RQ's result stream of those jobs only.
    """
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
            out[job.id] = _unreadable(job.id, job.origin)
    ended = [i for i, c in out.items() if c["status"] in ("finished", "failed")]
    if ended:
        with connection.pipeline(transaction=False) as pipe:
            for job_id in ended:
                pipe.xrevrange(Result.get_key(job_id), count=1)
            replies = pipe.execute()
        for job_id, reply in zip(ended, replies):
            if not reply:
                continue
            try:
                result = Result.restore(job_id, _s(reply[0][0]), reply[0][1], connection=connection)
                out[job_id]["info"] = _result_info(result)
            except Exception:
                out[job_id]["info"] = "(result could not be read)"
    return out


def find_job(connection, job_id):
    """The job with id ``job_id`` as a visitor typed it, or None.

    RQ raises ValueError for an id with characters it never makes (``<``,
    spaces...); for a visitor that is simply "no such job", not a 500.
    """
    if not isinstance(job_id, str) or not job_id or len(job_id) > 100:
        return None
    try:
        return Job.fetch(job_id, connection=connection)
    except (NoSuchJobError, ValueError):
        return None


def job_detail(connection, job_id, reveal=False):
    """Everything the detail panel shows, or None when there is no such job.

    Arguments, result and traceback may hold email addresses (a mail job's
    recipient): only with ``reveal`` (the presenter asks) are they shown whole.
    """
    job = find_job(connection, job_id)
    if job is None:
        return None
    try:
        detail = card(job)
    except Exception:
        detail = _unreadable(job.id, job.origin)
    try:
        args = [_short(a) for a in job.args]
        kwargs = {_text(k, 60): _short(v) for k, v in (job.kwargs or {}).items()}
    except Exception:
        args, kwargs = ["(arguments could not be read)"], {}
    result = exc = None
    try:
        latest = job.latest_result()
        if latest is not None and latest.type == latest.Type.SUCCESSFUL:
            result = _short(latest.return_value, 2000)
        elif latest is not None:
            exc = (latest.exc_string or "")[-5000:]
    except Exception:
        result = "(result could not be read)"
    try:
        description = _text(job.description or "", 300)
    except Exception:
        description = ""
    detail.update(
        args=args,
        kwargs=kwargs,
        result=result,
        exc_info=exc,
        description=description,
        created_at=_iso(job.created_at),
        retries_left=job.retries_left,
        timeout=job.timeout,
        progress_note=_text((job.meta or {}).get("progress_note", ""), 200),
    )
    if not reveal:
        for name in ("args", "kwargs", "result", "exc_info", "description", "progress_note"):
            detail[name] = mask_deep(detail[name])
    return detail


def read_workers(connection):
    """Every registered RQ worker (ours or plain), with its current job.

    Two round trips whatever the number of workers: the set of worker keys,
    then each worker's hash and its set of running executions.
    """
    worker_keys = sorted(_s(k) for k in connection.smembers(Worker.redis_workers_keys))
    if not worker_keys:
        return []
    prefix = Worker.redis_worker_namespace_prefix
    names = [k[len(prefix):] for k in worker_keys]
    with connection.pipeline(transaction=False) as pipe:
        for key, name in zip(worker_keys, names):
            pipe.hgetall(key)
            pipe.smembers(WORKER_EXECUTIONS_KEY_TEMPLATE.format(name))
        replies = iter(pipe.execute())
    workers = []
    for name in names:
        data = {_s(k): _s(v) for k, v in next(replies).items()}
        executions = sorted(_s(e) for e in next(replies))
        if not data:
            continue  # its key expired: the worker is gone
        state = data.get("state", "?")
        current = parse_composite_key(executions[0])[0] if executions and state == "busy" else None
        horse = data.get(keys.WORKER_HORSE_PID_FIELD)
        workers.append({
            "name": name,
            "pid": _int(data.get("pid")),
            "state": state,
            "current_job": current,
            "horse_pid": _int(horse) if current else None,
            "queues": [q for q in data.get("queues", "").split(",") if q],
            "done": _int(data.get("successful_job_count")) or 0,
            "failed": _int(data.get("failed_job_count")) or 0,
        })
    return workers


#: What the audience's HTTP views show of a worker (no pids; no host anywhere).
PUBLIC_WORKER_FIELDS = ("name", "state", "current_job", "queues", "done", "failed")


def public_worker(worker):
    """A worker as ``read_workers`` gives it, without its pid and work-horse pid."""
    return {name: worker.get(name) for name in PUBLIC_WORKER_FIELDS}


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def snapshot(connection, queue_names, limit, last_event_id=None):
    """The whole dashboard state, tagged with the last event id it includes.

    Its Redis work is bounded by ``limit``, not by the size of the
    registries: 100,000 failed jobs cost what 25 do.
    """
    counts, lanes, last = read_view(connection, queue_names, limit)
    ids = {i for per_queue in lanes.values() for lane_ids in per_queue.values() for i in lane_ids}
    return {
        "last": last if last_event_id is None else last_event_id,
        "queues": list(queue_names),
        "counts": counts,
        "lanes": lanes,
        "cards": fetch_cards(connection, ids),
        "workers": read_workers(connection),
        "paused": sorted(_s(n) for n in connection.smembers(keys.PAUSED_QUEUES)),
        "limit": limit,
    }
