"""Where a job stands while it waits: its place in line and the workers that take it.

Workers take the queues in ``QUEUE_NAMES`` order, so a job waits behind every
job of the queues before its own and behind those ahead of it in its own
(RQ pushes on the right and pops on the left: ``LPOS`` is that count). The
phone's page gets this once with its 202 and again after a reconnect; in
between it follows the lifecycle events it is pushed. ``as_of`` is the last
event the counts include (read in the same transaction): a page replays the
events after it that reached it before this answer did.
"""

from flask import current_app
from rq import Queue

from .. import keys
from ..live.state import read_workers


def place_in_line(connection, job_id, queue):
    """``{ahead, line, as_of, workers: {busy, total}}`` for a queued job, or ``{}`` for a queue nobody serves.

    ``ahead`` is None once the job has left its queue (a worker took it).
    """
    names = current_app.config["QUEUE_NAMES"]
    if queue not in names:
        return {}
    line = names[:names.index(queue) + 1]
    prefix = Queue.redis_queue_namespace_prefix
    with connection.pipeline() as pipe:  # MULTI: the counts and the last event are one instant
        for name in line[:-1]:
            pipe.llen(prefix + name)
        pipe.lpos(prefix + queue, job_id)
        pipe.xrevrange(keys.EVENTS_STREAM, count=1)
        *before, position, newest = pipe.execute()
    workers = [w for w in read_workers(connection) if queue in w["queues"]]
    return {"ahead": None if position is None else sum(before) + position, "line": line,
            "as_of": newest[0][0].decode() if newest else "0-0",
            "workers": {"busy": sum(w["state"] == "busy" for w in workers), "total": len(workers)}}
