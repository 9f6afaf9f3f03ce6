"""The app's enqueue path: an RQ job and its event, written in one transaction."""

from datetime import datetime, timedelta, timezone

from rq import Queue

from . import events


def enqueue(connection, func, *args, queue="default", meta=None, **options):
    """Enqueue ``func(*args)`` on ``queue`` and emit ``enqueued``; return the job.

    ``options`` are RQ's (``retry``, ``timeout``, ``result_ttl``...). With
    ``at=datetime`` or ``delay=seconds`` the job is scheduled instead and the
    event is ``scheduled``.
    """
    at = options.pop("at", None)
    delay = options.pop("delay", None)
    if delay is not None:
        at = datetime.now(timezone.utc) + timedelta(seconds=float(delay))
    q = Queue(queue, connection=connection)
    with connection.pipeline() as pipe:
        if at is None:
            job = q.enqueue_call(func, args=args, meta=meta, pipeline=pipe, **options)
            events.publish(connection, "enqueued", job, pipeline=pipe)
        else:
            job = q.create_job(func, args=args, meta=meta, **options)
            q.schedule_job(job, at, pipeline=pipe)
            events.publish(connection, "scheduled", job, pipeline=pipe, at=repr(at.timestamp()))
        pipe.execute()
    return job
