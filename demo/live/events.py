"""Job lifecycle events: written to one bounded Redis Stream, read back by id.

An event is a flat mapping of strings. Its stream id (``1700000000000-0``) is
its sequence number: ids only grow, so "everything after X" is one ``XRANGE``
and a client that sees a delta whose ``prev`` is not its last id knows it
missed something.

Write helpers take ``pipeline=None`` like RQ's, so a job change and its event
can be written in one transaction.

The stream goes to every dashboard, the audience's too: email addresses in
an event's fields (a mail job's result, an SMTP error, the sink's
recipients) are masked when it is written (``…@example.com``).
"""

import time

from redis.exceptions import ResponseError

from .. import keys
from ..security import mask_addresses

#: Every event type, in the order a job may meet them.
TYPES = (
    "enqueued",   # put on a queue by the app
    "scheduled",  # put in the scheduled registry (enqueue_in / enqueue_at)
    "started",    # picked up by a worker
    "progress",   # the job reported progress (see demo.jobs.report_progress)
    "finished",   # returned normally
    "failed",     # raised, and no retry is left
    "retry",      # raised and will run again (now or at ``at``)
    "canceled",   # canceled by the presenter
    "requeued",   # put back on its queue by the presenter
    "deleted",    # deleted by the presenter
    "abandoned",  # its worker died holding it (``outcome``: requeued, retried or failed)
    "seen",       # noticed by reconciliation (e.g. run by a plain ``rq worker``)
    "vanished",   # gone from Redis behind our back (rq empty, RQ's delete, its TTL): noticed by reconciliation
    # about a whole queue (``queue`` field, no job), written by presenter actions
    "emptied",    # the queue was emptied
    "paused",     # our workers skip the queue
    "resumed",    # our workers take from the queue again
    "mail",       # the embedded SMTP sink received a mail (``mail``: its id; no job)
    "web",        # a worker of the blocking demo's gunicorn: ``pid``, ``state`` (no job)
)

#: Longest text kept in an event field (results and tracebacks are cut).
MAX_FIELD = 500


def _clip(value, limit=MAX_FIELD):
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def job_fields(job):
    """The fields every event about ``job`` (an RQ Job, or those fields) carries."""
    if isinstance(job, dict):
        return {name: _clip(job.get(name) or "", 120) for name in ("job", "func", "queue", "nick")}
    return {
        "job": job.id,
        "func": _clip(job.func_name or "", 120),
        "queue": job.origin or "",
        "nick": _clip((job.meta or {}).get("nick", ""), 40),
    }


def publish(connection, type, job=None, pipeline=None, ts=None, **fields):
    """Append one event; return its id (or None when queued in ``pipeline``)."""
    if type not in TYPES:
        raise ValueError(f"unknown event type {type!r}")
    entry = {"type": type, "ts": repr(time.time() if ts is None else ts)}
    if job is not None:
        entry.update(job_fields(job))
    for name, value in fields.items():
        if value is not None:
            entry[name] = _clip(mask_addresses(value if isinstance(value, str) else str(value)))
    target = pipeline if pipeline is not None else connection
    return target.xadd(keys.EVENTS_STREAM, entry, maxlen=keys.EVENTS_MAXLEN, approximate=True)


def decode(entry_id, fields):
    """One stream entry as the dict clients get: its fields plus ``id``.

    Never raises: an entry someone wrote by hand with odd fields still
    decodes (its unknown type is ignored by the dashboards), so one bad entry
    cannot stop the watcher on the same id forever.
    """
    event = {_s(k): _s(v) for k, v in fields.items()}
    event["id"] = _s(entry_id)
    event.setdefault("type", "unknown")
    event["ts"] = _float(event.get("ts")) or 0.0
    if "progress" in event:
        event["progress"] = _float(event["progress"])
    return event


def _float(value):
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number and abs(number) != float("inf") else None  # JSON has no NaN


def _s(value):
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def last_id(connection):
    """Id of the newest event, or ``"0-0"`` when there is none."""
    entries = connection.xrevrange(keys.EVENTS_STREAM, count=1)
    return _s(entries[0][0]) if entries else "0-0"


def first_id(connection):
    """Id of the oldest event still kept, or None when the stream is empty."""
    entries = connection.xrange(keys.EVENTS_STREAM, count=1)
    return _s(entries[0][0]) if entries else None


def id_key(entry_id):
    """A stream id as an ``(ms, seq)`` pair of integers, the order ids compare in."""
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def valid_id(entry_id):
    """Whether ``entry_id`` looks like a stream id (``<ms>-<seq>``)."""
    if not isinstance(entry_id, str) or len(entry_id) > 41:
        return False
    ms, _, seq = entry_id.partition("-")
    return entry_id.isascii() and ms.isdigit() and (seq == "" or seq.isdigit())


def since(connection, after, limit=5000):
    """Events after id ``after``, oldest first, or None when some were trimmed.

    None means the stream no longer holds everything after ``after`` (or
    there are more than ``limit``, or ``after`` is not from this stream):
    the caller should send a snapshot instead.
    """
    with connection.pipeline(transaction=True) as pipe:
        pipe.xrange(keys.EVENTS_STREAM, count=1)
        pipe.xrevrange(keys.EVENTS_STREAM, count=1)
        oldest, newest = pipe.execute()
    if not oldest:
        # An empty stream is only consistent with a client that saw nothing;
        # any other id comes from before a Redis restart that lost the data.
        return [] if after == "0-0" else None
    if after != "0-0" and id_key(after) < id_key(_s(oldest[0][0])):
        # What came between ``after`` and the oldest kept event was trimmed
        # (or ``after`` is from another Redis): only a snapshot is safe.
        return None
    if id_key(after) > id_key(_s(newest[0][0])):
        return None  # an id from the future: another Redis, or one that lost data
    try:
        entries = connection.xrange(keys.EVENTS_STREAM, min="(" + after, count=limit + 1)
    except ResponseError:
        return None
    if len(entries) > limit:
        return None
    return [decode(i, f) for i, f in entries]


def read_blocking(connection, after, block_ms=1000, count=1000):
    """Events after ``after``, waiting up to ``block_ms`` for the first one."""
    response = connection.xread({keys.EVENTS_STREAM: after}, block=block_ms, count=count)
    if not response:
        return []
    return [decode(i, f) for i, f in response[0][1]]
