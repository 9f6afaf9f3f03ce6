"""Taking a job off a queue without ever losing it, and giving it back.

RQ takes a job from several queues with ``BLPOP``: once Redis has popped the
id, only the worker's memory holds it until the worker registers the job as
started, so a worker killed in between loses the job for good. (With a single
queue RQ moves the id into an "intermediate" list with ``BLMOVE`` instead and
recovers it from there; this is that idea for any number of queues.)

Our workers take a job with one Lua script that moves the id from the first
non-empty queue into the worker's own holding list (``omq:held:<worker>``).
At every instant the id is on a queue, in one holding list, or settled: it
leaves the holding list in the transaction that settles the job (RQ's
``cleanup_execution``). ``settle_held`` reads a dead worker's list: a job that
never started goes back to the front of its queue, one that started is retried
or failed like RQ's abandoned jobs, visibly.

Redis cannot wait on several lists without popping from one, so an idle
worker waits on a doorbell instead: ``CLIENT TRACKING ... BCAST PREFIX
rq:queue:<name>`` makes Redis send a message for every write to those keys,
whoever writes them (the app, ``rq enqueue``, RQ's scheduler, rq-dashboard),
and needs no server configuration. The worker claims; when nothing was there
it waits for the bell (or a short timeout), then claims again.
"""

import contextvars
import logging
from datetime import timedelta

import redis
from rq.connections import parse_connection
from rq.exceptions import NoSuchJobError
from rq.executions import Execution, ExecutionRegistry
from rq.job import Job, JobStatus
from rq.job_lifecycle import record_job_failure
from rq.queue import Queue
from rq.utils import get_version, now
from rq.worker import Worker

from .. import keys
from . import events

log = logging.getLogger(__name__)

#: The ``Holding`` of the worker dequeuing in this context (set by our workers
#: around RQ's dequeue, read by ``PausableQueue.dequeue_any``).
CURRENT = contextvars.ContextVar("omq_holding", default=None)

#: Oldest Redis with everything used here (``CLIENT TRACKING``, ``LPOS``).
MIN_REDIS = (6, 2, 0)

#: KEYS: holding list, holders set, queue keys in priority order. ARGV: worker.
#: Returns the first queue key and the id it moved, or ``""`` followed by ids
#: already held (a reply lost on the way: the caller settles them first).
_CLAIM = """
local held = redis.call('LRANGE', KEYS[1], 0, -1)
if #held > 0 then
  table.insert(held, 1, '')
  return held
end
for i = 3, #KEYS do
  local id = redis.call('LPOP', KEYS[i])
  if id then
    redis.call('RPUSH', KEYS[1], id)
    redis.call('SADD', KEYS[2], ARGV[1])
    return {KEYS[i], id}
  end
end
return false
"""


def _s(value):
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def held_key(worker_name):
    return keys.HELD.format(worker_name)


def release(worker_name, job_id, pipeline):
    """Queue the removal of ``job_id`` from the worker's holding list in ``pipeline``."""
    pipeline.lrem(held_key(worker_name), 1, job_id)


class Doorbell:
    """Rings when any key under the given prefixes changes.

    One connection of its own, in RESP2, redirecting its own tracking
    messages to itself and subscribed to them. ``wait`` returns the keys
    that changed (``{"*"}`` for "anything": a flush, or a lost connection,
    after which the next ``arm`` starts over).
    """

    CHANNEL = "__redis__:invalidate"

    def __init__(self, connection, prefixes, socket_timeout=10):
        _client_class, self._connection_class, kwargs = parse_connection(connection)
        self._kwargs = {**kwargs, "protocol": 2, "socket_timeout": socket_timeout}
        self.prefixes = _disjoint(prefixes)
        self._conn = None

    @property
    def armed(self):
        return self._conn is not None

    def arm(self):
        """Subscribe (once); raises ``redis.ResponseError`` when Redis cannot track."""
        if self._conn is not None:
            return
        conn = self._connection_class(**self._kwargs)
        try:
            conn.send_command("CLIENT", "ID")
            own_id = conn.read_response()
            command = ["CLIENT", "TRACKING", "ON", "REDIRECT", own_id, "BCAST"]
            for prefix in self.prefixes:
                command += ["PREFIX", prefix]
            conn.send_command(*command)
            conn.read_response()
            conn.send_command("SUBSCRIBE", self.CHANNEL)
            conn.read_response()
        except BaseException:
            conn.disconnect()
            raise
        self._conn = conn

    def wait(self, timeout):
        """Block until a watched key changes or ``timeout`` passes; return the changed keys."""
        changed = set()
        try:
            if self._conn.can_read(timeout):
                while True:
                    message = self._conn.read_response()
                    if isinstance(message, list) and len(message) == 3 and _s(message[0]) == "message":
                        names = message[2]
                        changed.update(_s(n) for n in names) if isinstance(names, list) else changed.add("*")
                    if not self._conn.can_read(0):
                        break
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            self.close()
            changed.add("*")
        return changed

    def close(self):
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.disconnect()


def _disjoint(prefixes):
    """Redis refuses tracking prefixes where one starts another: keep the shortest."""
    kept = []
    for prefix in sorted(set(prefixes), key=len):
        if not any(prefix.startswith(shorter) for shorter in kept):
            kept.append(prefix)
    return kept


class Holding:
    """One worker's holding list, its claim script and its doorbell."""

    def __init__(self, connection, worker_name, queue_keys):
        self.connection = connection
        self.worker_name = worker_name
        self.key = held_key(worker_name)
        self._claim = connection.register_script(_CLAIM)
        self.doorbell = Doorbell(connection, [*queue_keys, keys.PAUSED_QUEUES])
        self._usable = None

    @property
    def usable(self):
        """Whether this Redis can do it all; otherwise RQ's own dequeue is used."""
        if self._usable is None:
            version = get_version(self.connection)
            self._usable = version >= MIN_REDIS
            if not self._usable:
                log.warning("Redis %s is older than %s: using RQ's BLPOP dequeue, which loses a job "
                            "whose worker dies between taking and starting it", version, MIN_REDIS)
        return self._usable

    def take(self, queue_class, queues, options):
        """Claim and fetch the first job of ``queues``: ``(job, queue)``, or None."""
        while True:
            reply = self._claim(keys=[self.key, keys.HOLDERS, *[q.key for q in queues]], args=[self.worker_name])
            if not reply:
                return None
            first, *rest = [_s(part) for part in reply]
            if first == "":
                self.settle_leftovers(rest)
                continue
            job_id = rest[0]
            try:
                found = queue_class._fetch_dequeued_job(self.connection, first, job_id, **options)
            except Exception:
                self.connection.lrem(self.key, 1, job_id)  # as with RQ's pop: a job that cannot load is dropped
                raise
            if found is None:  # its hash is gone (deleted while queued): take the next one
                self.connection.lrem(self.key, 1, job_id)
                continue
            return found

    def wait(self, timeout):
        """Wait up to ``timeout`` for a change; return the keys that changed.

        The first call only arms the doorbell and returns ``{"*"}``: the
        caller claims once more, so nothing pushed before the bell was armed
        is missed.
        """
        if not self.doorbell.armed:
            try:
                self.doorbell.arm()
            except redis.ResponseError as exc:
                log.warning("Redis refused CLIENT TRACKING (%s): using RQ's BLPOP dequeue", exc)
                self._usable = False
            return {"*"}
        return self.doorbell.wait(timeout)

    def settle_leftovers(self, job_ids):
        """Ids held from before (a lost reply): back to their queue if they never started."""
        for job_id in job_ids:
            settle_one(self.connection, self.worker_name, job_id, reason="", dead=False)

    def give_back(self):
        """On the way out: put back what this worker took and did not start."""
        settle_held(self.connection, self.worker_name, reason="", dead=False)

    def close(self):
        self.doorbell.close()


# -- recovery ----------------------------------------------------------------------


def settle_held(connection, worker_name, reason, dead=True):
    """Settle every job in ``worker_name``'s holding list; return ``[(job, outcome)]``.

    ``dead``: the worker died (``reason`` says how): a job that had started is
    retried or failed with an ``abandoned`` event, one that had not goes back
    to the front of its queue with one. Otherwise (the worker itself, on its
    way out) jobs that never started go back quietly and others are left to
    RQ. Safe to run twice at once: each id is settled by whoever removes it.
    """
    key = held_key(worker_name)
    settled = []
    for raw in connection.lrange(key, 0, -1):
        job, outcome = settle_one(connection, worker_name, _s(raw), reason, dead)
        if outcome is not None:
            settled.append((job, outcome))
    with connection.pipeline() as pipe:
        try:
            pipe.watch(key)
            if not pipe.exists(key):
                pipe.multi()
                pipe.srem(keys.HOLDERS, worker_name)
                pipe.execute()
        except redis.WatchError:
            pass  # it holds something again: it is alive
    return settled


def settle_one(connection, worker_name, job_id, reason, dead):
    """Settle one held id; return ``(job or None, outcome or None)``.

    Outcomes: "requeued" (never started: back at the front of its queue),
    "retried" / "failed" (had started), "released" (already settled or
    gone), None (somebody else settled it first). The holding list is
    watched, so of two recoverers at once exactly one settles each id.
    """
    key = held_key(worker_name)
    with connection.pipeline() as pipe:
        while True:
            try:
                pipe.watch(key)
                if pipe.lpos(key, job_id) is None:
                    return None, None
                try:
                    job = Job.fetch(job_id, connection=connection)
                except NoSuchJobError:
                    job = None
                status = job.get_status(refresh=False) if job is not None else None
                if status == JobStatus.QUEUED:
                    outcome = _requeue_front(connection, pipe, job, worker_name, reason, announce=dead)
                elif status == JobStatus.STARTED and dead:
                    outcome = _abandon(connection, pipe, job, worker_name, reason)
                else:  # settled, gone, or (a live worker's) left to RQ
                    pipe.multi()
                    pipe.lrem(key, 1, job_id)
                    outcome = "released"
                pipe.execute()
                return job, outcome
            except redis.WatchError:
                continue


def _drop_executions(connection, job, pipe):
    """Queue the removal of the job's executions (its started-registry entries) in ``pipe``."""
    for execution_id in ExecutionRegistry(job.id, connection=connection).get_execution_ids():
        Execution(execution_id, job.id, connection=connection).delete(job=job, pipeline=pipe)


def _requeue_front(connection, pipe, job, worker_name, reason, announce):
    """The job never ran: it goes back where it was, the front of its queue."""
    queue = Queue(job.origin, connection=connection)
    pipe.watch(queue.key)
    on_queue = pipe.lpos(queue.key, job.id) is not None
    pipe.multi()
    pipe.lrem(held_key(worker_name), 1, job.id)
    _drop_executions(connection, job, pipe)
    if not on_queue:
        queue.push_job_id(job.id, pipeline=pipe, at_front=True)
    if announce:
        events.publish(connection, "abandoned", job, pipeline=pipe, worker=worker_name, outcome="requeued",
                       info=f"{reason}; it had not started: back at the front of {job.origin}")
    return "requeued"


def _abandon(connection, pipe, job, worker_name, reason):
    """The job was running when its worker died: retry it or fail it, like RQ would."""
    queue = Queue(job.origin, connection=connection)
    pipe.multi()
    pipe.lrem(held_key(worker_name), 1, job.id)
    _drop_executions(connection, job, pipe)
    if job.should_retry:
        _retry(job, queue, pipe)
        outcome = "retried"
    else:
        record_job_failure(job, f"AbandonedJobError: {reason}", pipe)
        outcome = "failed"
    events.publish(connection, "abandoned", job, pipeline=pipe, worker=worker_name,
                   info=f"{reason}; {outcome}", outcome=outcome)
    return outcome


def _retry(job, queue, pipe):
    """RQ's ``Job.retry``, every write in ``pipe``.

    RQ's own writes the scheduled status outside the pipeline it is given; in
    a watched transaction that write would happen even when the transaction
    is retried (``schedule_job`` writes the status in ``pipe`` anyway).
    """
    interval = job.get_retry_interval()
    job.retries_left = job.retries_left - 1
    if interval:
        queue.schedule_job(job, now() + timedelta(seconds=interval), pipeline=pipe)
    else:
        queue._enqueue_job(job, pipeline=pipe, at_front=job.enqueue_at_front_on_retry)


def abandon_current(connection, worker_name, job_id, reason):
    """Settle a started job that a dead worker ran without holding it (RQ's dequeue); the job or None."""
    try:
        job = Job.fetch(job_id, connection=connection)
    except NoSuchJobError:
        return None
    if job.get_status(refresh=False) != JobStatus.STARTED:
        return None
    with connection.pipeline() as pipe:
        _abandon(connection, pipe, job, worker_name, reason)
        pipe.execute()
    return job


def sweep_orphans(connection):
    """Settle the holding lists of workers that are gone without anyone noticing.

    ``serve`` settles a worker's jobs the moment it dies; a worker run
    elsewhere (``rq worker -w ...`` on another host) is known dead when RQ's
    key for it expires. Costs one round trip plus one per dead holder.
    """
    names = sorted(_s(n) for n in connection.smembers(keys.HOLDERS))
    if not names:
        return []
    with connection.pipeline(transaction=False) as pipe:
        for name in names:
            pipe.exists(Worker.redis_worker_namespace_prefix + name)
        alive = pipe.execute()
    settled = []
    for name, exists in zip(names, alive):
        if not exists:
            settled += settle_held(connection, name, f"worker {name} is gone (its key expired)")
    return settled
