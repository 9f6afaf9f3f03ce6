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

# --- live demos (demo/demos/, demo/smtp.py, demo/cron.py) ---------------------

#: List of the mails the embedded SMTP sink received, newest first (JSON each).
MAILBOX = PREFIX + "mailbox"

#: Most mails ``MAILBOX`` keeps (``LTRIM``): older ones are dropped.
MAILBOX_MAX = 50

#: Counter giving each received mail its id.
MAILBOX_SEQ = PREFIX + "mailbox:seq"

#: Sorted set of audience jobs not yet known to be over (score: accepted at),
#: for the global cap. Terminal ones are pruned when the cap is checked.
AUDIENCE_OPEN = PREFIX + "audience:open"

#: List of one visitor's recent job ids (``omq:audience:mine:<visitor id>``).
AUDIENCE_MINE = PREFIX + "audience:mine:{0}"

#: List of the blocking demo's response-time samples, newest first (JSON each).
BLOCKING_SAMPLES = PREFIX + "demo:blocking:samples"

#: Most samples ``BLOCKING_SAMPLES`` keeps.
BLOCKING_SAMPLES_MAX = 300

#: Hash of the blocking demo's gunicorn workers: pid -> JSON ``{state: idle | busy
#: | timeout, info, since, timeout}``, written by its hooks (demo/runtime/gunicorn_conf.py).
BLOCKING_GUNICORN = PREFIX + "demo:blocking:gunicorn"

#: Sorted set of requests the blocking demo has sent to gunicorn and not yet
#: heard back from (score: when the entry is stale): the requests in flight.
BLOCKING_INFLIGHT = PREFIX + "demo:blocking:inflight"

#: Queue the processes-vs-threads runs use, with their own short-lived workers.
BENCH_QUEUE = "bench"

#: Lock held while a processes-vs-threads run is going (one at a time).
BENCH_LOCK = PREFIX + "bench:lock"

#: List of finished processes-vs-threads runs, newest first (JSON each).
BENCH_RUNS = PREFIX + "bench:runs"

#: Most runs ``BENCH_RUNS`` keeps.
BENCH_RUNS_MAX = 30

#: Name of the recurring job on rq's cron scheduler (rq keys its history by it).
CRON_TICK_NAME = "omq-tick"

#: Server -> client on ``LIVE_NAMESPACE``: a demo's own news (a response-time
#: sample, the inline pool's occupancy, a run's progress), ``{"demo": name, ...}``.
DEMO_EVENT = "demo"

# --- issue 5: the presenter drives, the audience follows (demo/follow.py) -----

#: The deck whose state the server owns: ``DECK_STATE.format(DECK_ID)``. One
#: site is served per deployment, so one id.
DECK_ID = "main"

#: Namespace of the deck: audience and presenter sockets of the slides.
DECK_NAMESPACE = "/deck"

#: Room every socket of a deck joins: ``DECK_ROOM.format(deck id)``.
DECK_ROOM = "deck:{0}"

#: Room of one presenter session's sockets (every tab of that browser shares the
#: session): ``DECK_PRESENTER_ROOM.format(deck id, presenter id)``.
DECK_PRESENTER_ROOM = "deck:{0}:presenter:{1}"

#: Server -> client: the deck state ``{seq, h, f, panel, at}``; sent at once to
#: every socket that (re)connects, then to the room after every accepted move.
#: Client -> server: ask for it again (acked with ``{ok, state}``).
DECK_STATE_EVENT = "state"

#: Server -> client: who this socket is ``{role: audience | driver | standby,
#: reason}``; sent on connect and to a session's sockets when the driver changes.
DECK_DRIVER_EVENT = "driver"

#: Client -> server: a move ``{seq, h, f, panel}`` (driver only; acked).
DECK_MOVE_EVENT = "move"

#: Client -> server: a presenter session takes the driver's seat explicitly
#: (acked). A presenter socket claims the seat on connect when nobody holds it.
DECK_TAKEOVER_EVENT = "takeover"

# --- issue 15: security (demo/security.py, demo/live/guard.py) ----------------

#: Sorted set of the open audience jobs one client holds (score: accepted
#: at), for its fair share of the cap: ``AUDIENCE_HELD.format(kind, id)`` with
#: kind ``visitor`` (the cookie's id) or ``address`` (the IP address).
AUDIENCE_HELD = PREFIX + "audience:held:{0}:{1}"

# --- issue 13: the Redis console (demo/console/) ------------------------------
# The sandbox is its own redis-server (``serve`` starts it), so its key names
# need no ``omq:`` prefix. Each visitor's keys live under ``v:<space>:``, where
# the space is a hash of the visitor id, and only that visitor's ACL user may
# touch them.

#: Everything of one visitor on the sandbox starts with this (the ACL key pattern adds ``*``).
CONSOLE_SPACE = "v:{0}:"

#: Prefix of the keys a visitor names: ``GET name`` reads ``v:<space>:k:name``.
CONSOLE_SPACE_KEY = CONSOLE_SPACE + "k:"

#: Hash of one visitor's keys (field: the name they typed, value: bytes it uses),
#: for ``KEYS``/``SCAN`` (HSCAN with their pattern) and the quotas.
CONSOLE_SPACE_INDEX = CONSOLE_SPACE + "i"

#: Set on every command with a TTL of the idle limit; once it has expired the
#: sweep deletes the visitor's keys and ACL user.
CONSOLE_SPACE_ALIVE = CONSOLE_SPACE + "t"

#: ACL user of one visitor on the sandbox: only the allowed commands, only ``v:<space>:*``.
CONSOLE_USER = "omq-console-{0}"

#: Lock on the sandbox: one process per deployment sweeps idle visitors at a time.
CONSOLE_SWEEP_LOCK = PREFIX + "console:sweep"

#: ACL user on the queue's Redis for QUEUE mode: read-only commands, ``rq:*`` keys only.
CONSOLE_QUEUE_USER = "omq-queue-reader"

#: Stream of the presenter's console (command and reply per entry), on the queue's
#: Redis: followers replay what they missed from it, like the dashboard's events.
CONSOLE_TRANSCRIPT = PREFIX + "console:presenter"

#: Approximate cap on ``CONSOLE_TRANSCRIPT`` (``XADD MAXLEN ~``).
CONSOLE_TRANSCRIPT_MAXLEN = 200

#: Socket.IO namespace of the console pages.
CONSOLE_NAMESPACE = "/console"

#: Room every console socket joins: the presenter's entries go to it.
CONSOLE_ROOM = "console"

#: Client -> server: run one command line ``{line, mode}``; acked with the reply.
CONSOLE_RUN_EVENT = "run"

#: Client -> server: ``{since}``; acked with the presenter's entries after it.
CONSOLE_HELLO_EVENT = "hello"

#: Server -> client: one new entry of the presenter's console ``{id, prev, ...}``.
CONSOLE_ENTRY_EVENT = "entry"

# --- issue 10: presenter identity, the seat, the phone remote (demo/talk/) --------

#: Sorted set of the presenter sessions with a socket on ``DECK_NAMESPACE``:
#: members ``"<presenter id> <server process id>"``, scored by the time (ms)
#: the entry expires unless that process renews it, so the sockets of a
#: crashed process stop counting on their own. ``DECK_PRESENCE.format(deck id)``.
DECK_PRESENCE = PREFIX + "deck:{0}:presence"

#: Server -> client on ``DECK_NAMESPACE``: a phone paired through this
#: presenter session's remote QR code ``{paired: true}``.
DECK_REMOTE_EVENT = "remote"

#: String: a one-time code of the phone remote's QR, by its SHA-256; the value
#: is the presenter id that made it. Expires after ``DEMO_REMOTE_CODE_TTL``.
REMOTE_CODE = PREFIX + "remote:code:{0}"

#: String: the job one try of a visitor's submission made (``omq:audience:request:
#: <visitor id>:<request id>``), so a phone that lost the answer and sends the
#: same submission again gets the same job instead of a second one.
AUDIENCE_REQUEST = PREFIX + "audience:request:{0}:{1}"

# --- faults: nothing lost between taking a job and starting it (demo/live/dequeue.py)

#: List of the job ids one worker has taken off a queue and not yet settled:
#: ``HELD.format(worker name)``. The claim moves an id here in one step.
HELD = PREFIX + "held:{0}"

#: Set of the worker names that have a holding list, for recovery to find them.
HOLDERS = PREFIX + "holders"
