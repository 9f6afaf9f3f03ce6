"""Presenter actions on jobs, queues and workers.

Callers check that the presenter asked (``demo.presenter``); this module only
does the work and writes an event for every change, so every dashboard sees
it at once.
"""

from rq import Queue
from rq.exceptions import InvalidJobOperation

from .. import keys
from . import events, state


class ActionError(ValueError):
    """The action cannot be done; the message says why, for the presenter."""


#: Most workers ``scale`` may ask ``serve`` for.
MAX_WORKERS = 8

#: Most jobs one ``burst`` enqueues, and how long each may wait (seconds).
MAX_BURST, BURST_SECONDS = 50, (1.0, 4.0)


def _job(connection, data):
    job_id = data.get("job")
    if not isinstance(job_id, str) or not job_id:
        raise ActionError("give the job id as 'job'")
    job = state.find_job(connection, job_id)
    if job is None:
        raise ActionError(f"no job with id {job_id[:100]!r}")
    return job


def _queue(data, queue_names):
    name = data.get("queue")
    if name not in queue_names:
        raise ActionError(f"unknown queue {name!r}; known: {', '.join(queue_names)}")
    return name


def requeue(connection, data, queue_names):
    job = _job(connection, data)
    try:
        job.requeue()
    except InvalidJobOperation as exc:
        raise ActionError(f"cannot requeue job {job.id}: {exc}") from None
    events.publish(connection, "requeued", job)
    return {"ok": True, "job": job.id}


def cancel(connection, data, queue_names):
    job = _job(connection, data)
    try:
        job.cancel()
    except InvalidJobOperation as exc:
        raise ActionError(f"cannot cancel job {job.id}: {exc}") from None
    events.publish(connection, "canceled", job, info="canceled by the presenter")
    return {"ok": True, "job": job.id}


def delete(connection, data, queue_names):
    job = _job(connection, data)
    with connection.pipeline() as pipe:
        job.delete(pipeline=pipe)
        events.publish(connection, "deleted", job, pipeline=pipe)
        pipe.execute()
    return {"ok": True, "job": job.id}


def empty(connection, data, queue_names):
    name = _queue(data, queue_names)
    removed = Queue(name, connection=connection).empty()
    events.publish(connection, "emptied", queue=name, info=f"{removed} jobs removed")
    return {"ok": True, "queue": name, "removed": removed}


def pause(connection, data, queue_names):
    name = _queue(data, queue_names)
    with connection.pipeline() as pipe:
        pipe.sadd(keys.PAUSED_QUEUES, name)
        events.publish(connection, "paused", queue=name, pipeline=pipe)
        pipe.execute()
    return {"ok": True, "queue": name, "paused": True}


def resume(connection, data, queue_names):
    name = _queue(data, queue_names)
    with connection.pipeline() as pipe:
        pipe.srem(keys.PAUSED_QUEUES, name)
        events.publish(connection, "resumed", queue=name, pipeline=pipe)
        pipe.execute()
    return {"ok": True, "queue": name, "paused": False}


def scale(connection, data, queue_names):
    count = data.get("count")
    if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= MAX_WORKERS:
        raise ActionError(f"give 'count' as a whole number from 0 to {MAX_WORKERS}")
    kind = data.get("kind", "fork")
    if kind not in ("fork", "simple"):
        raise ActionError("'kind' is 'fork' or 'simple'")
    connection.hset(keys.WORKERS_WANTED, kind, count)
    return {"ok": True, "kind": kind, "count": count}


def burst(connection, data, queue_names):
    """Enqueue ``count`` jobs of 1 to 4 seconds on a queue: the dashboard slide's choreography."""
    import random

    from .. import jobs
    from .enqueue import enqueue

    name = _queue(data, queue_names)
    count = data.get("count", 10)
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_BURST:
        raise ActionError(f"give 'count' as a whole number from 1 to {MAX_BURST}")
    low, high = BURST_SECONDS
    ids = [enqueue(connection, jobs.wait, round(random.uniform(low, high), 1), queue=name,
                   meta={"nick": "presenter"}).id for _ in range(count)]
    return {"ok": True, "queue": name, "jobs": ids}


OPERATIONS = {f.__name__: f for f in (requeue, cancel, delete, empty, pause, resume, scale, burst)}


def perform(connection, data, queue_names):
    op = data.get("op")
    if not isinstance(op, str) or op not in OPERATIONS:
        raise ActionError(f"unknown action {op!r}; one of: {', '.join(sorted(OPERATIONS))}")
    return OPERATIONS[op](connection, data, queue_names)
