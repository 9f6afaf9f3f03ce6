"""Every Redis key, stream, Socket.IO namespace, room and event name of the demo.

RQ's own keys (``rq:queue:*``, ``rq:wip:*`` ...) belong to RQ and are reached
through its classes; the names here are the ones this project adds. Nothing
else in the package spells them out.
"""

#: Prefix of every Redis key this project writes.
PREFIX = "omq:"

#: Redis Stream of job lifecycle events. Each entry's id is the event's
#: sequence number: monotonic, so a client can ask for "everything after X".
EVENTS_STREAM = PREFIX + "events"

#: Approximate cap on the stream's length (``XADD MAXLEN ~``). Older events
#: are trimmed; a client that fell further behind gets a fresh snapshot.
EVENTS_MAXLEN = 20_000

#: Lock held by the one server process that runs the watcher, so several
#: server processes joined by the Socket.IO message queue still have one.
WATCHER_LOCK = PREFIX + "watcher:lock"

#: Hash of the server-owned deck state, one per deck: ``omq:deck:<deck id>``.
DECK_STATE = PREFIX + "deck:{0}"

#: Hash of the presenter sessions that may drive a deck (the current driver).
DECK_DRIVER = PREFIX + "deck:{0}:driver"

#: Sorted set of audience submissions per visitor, for the rate limit.
RATE_LIMIT = PREFIX + "rate:{0}:{1}"

#: Hash written by ``serve``: the processes it supervises (for /healthz).
SUPERVISED = PREFIX + "supervised"

#: Hash field our worker class adds to RQ's worker hash: the work-horse pid.
WORKER_HORSE_PID_FIELD = "omq_horse_pid"

# --- Socket.IO -------------------------------------------------------------

#: Namespace of the live dashboard (read-only for the audience).
LIVE_NAMESPACE = "/live"

#: Room that every dashboard viewer joins.
DASHBOARD_ROOM = "dashboard"

#: Server -> client: the full state, tagged with the last event id it covers.
SNAPSHOT_EVENT = "snapshot"

#: Server -> client: events after a known id, with ``prev`` and ``last`` ids.
DELTA_EVENT = "delta"

#: Server -> client: exact counts per queue and lane plus the worker list.
COUNTS_EVENT = "counts"

#: Server -> client: Redis is (un)reachable.
STATUS_EVENT = "status"

#: Server -> client: a request was refused or could not be served.
ERROR_EVENT = "error"

# --- control written by the presenter, read by workers and serve -------------

#: Set of queue names our workers skip while paused (plain ``rq worker``
#: processes know nothing of it and keep working).
PAUSED_QUEUES = PREFIX + "paused"

#: Hash ``{kind: count}``: how many workers of each kind ``serve`` should keep.
WORKERS_WANTED = PREFIX + "workers:wanted"
