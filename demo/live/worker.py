"""The project's RQ worker classes: RQ's own, plus lifecycle events.

``LiveWorker`` (forking, like ``rq worker``) and ``LiveSimpleWorker`` (runs
jobs in its own process) write an event to the stream at every transition.
They run anywhere RQ runs: ``python -m demo worker`` or, on another host,
``rq worker -w demo.live.worker.LiveWorker --url redis://...``.

How the event lands in RQ's own transaction: before calling RQ's handler we
park the event in ``self._pending``; RQ's handlers pass their pipeline to
``heartbeat()`` / ``increment_*_job_count()``, which we extend to append the
parked event to that pipeline, so the job's change and its event commit
together. If RQ ever stops calling those hooks, the event is written right
after the handler instead: late, never lost.
"""

import os
import time

from rq import Queue
from rq.exceptions import DequeueTimeout
from rq.job import JobStatus
from rq.worker import SimpleWorker, Worker

from .. import keys
from . import events, format


class _Pending:
    """An event waiting for RQ's next pipeline."""

    __slots__ = ("type", "job", "fields", "written")

    def __init__(self, type, job, fields):
        self.type, self.job, self.fields, self.written = type, job, fields, False


class LiveMixin:
    """Adds lifecycle events to any RQ worker class."""

    _pending = None

    # -- the park-and-flush mechanism ------------------------------------------

    def _park(self, type, job, **fields):
        self._pending = _Pending(type, job, fields)

    def _flush_into(self, pipeline):
        pending = self._pending
        if pending is not None and pipeline is not None:
            # Written into every pipeline RQ hands us until its handler returns:
            # RQ retries a transaction on WatchError, and only one of them commits.
            events.publish(self.connection, pending.type, pending.job, pipeline=pipeline, **pending.fields)
            pending.written = True

    def _settle(self):
        pending, self._pending = self._pending, None
        if pending is not None and not pending.written:
            events.publish(self.connection, pending.type, pending.job, **pending.fields)

    # -- RQ hooks that receive RQ's pipeline ----------------------------------

    def heartbeat(self, timeout=None, pipeline=None):
        super().heartbeat(timeout, pipeline=pipeline)
        self._flush_into(pipeline)

    def increment_successful_job_count(self, pipeline=None):
        super().increment_successful_job_count(pipeline=pipeline)
        self._flush_into(pipeline)

    def increment_failed_job_count(self, pipeline=None):
        super().increment_failed_job_count(pipeline=pipeline)
        self._flush_into(pipeline)

    # -- transitions ------------------------------------------------------------

    def prepare_job_execution(self, job, remove_from_intermediate_queue=False):
        self._park("started", job, worker=self.name, pid=os.getpid())
        try:
            super().prepare_job_execution(job, remove_from_intermediate_queue)
        finally:
            self._settle()

    def handle_job_success(self, job, queue, started_job_registry, execution):
        result = job._result
        self._park("finished", job, worker=self.name, info=format.summary(result))
        try:
            super().handle_job_success(job, queue, started_job_registry, execution)
        finally:
            self._settle()

    def handle_job_failure(self, job, queue, started_job_registry=None, exc_string="", execution=None):
        if self._stopped_job_id == job.id:
            self._park("canceled", job, worker=self.name, info="stopped by the presenter")
        elif job.should_retry:
            interval = job.get_retry_interval()
            self._park("retry", job, worker=self.name, info=format.last_line(exc_string),
                       at=repr(time.time() + interval) if interval else None,
                       left=job.retries_left - 1)
        else:
            self._park("failed", job, worker=self.name, info=format.last_line(exc_string))
        try:
            super().handle_job_failure(job, queue, started_job_registry=started_job_registry,
                                       exc_string=exc_string, execution=execution)
        finally:
            self._settle()

    def handle_job_retry(self, job, queue, retry, started_job_registry, execution):
        if job.number_of_retries and job.number_of_retries >= retry.max:
            self._park("failed", job, worker=self.name, info="maximum retries exceeded")
        else:
            self._park("retry", job, worker=self.name)
        try:
            super().handle_job_retry(job, queue, retry, started_job_registry, execution)
        finally:
            self._settle()


class PausableQueue(Queue):
    """RQ's queue, except that our workers skip queues the presenter paused.

    A blocking dequeue waits at most ``PAUSE_CHECK`` seconds at a time, so a
    pause or resume takes effect within that time. Plain ``rq worker``
    processes use RQ's own Queue and ignore pauses.
    """

    PAUSE_CHECK = 1

    #: (when read, the paused set): read at most once per PAUSE_CHECK, not per job.
    _paused = (float("-inf"), frozenset())

    @classmethod
    def paused(cls, connection):
        read_at, names = PausableQueue._paused
        if time.monotonic() - read_at >= cls.PAUSE_CHECK:
            names = frozenset(n.decode() for n in connection.smembers(keys.PAUSED_QUEUES))
            PausableQueue._paused = (time.monotonic(), names)
        return names

    @classmethod
    def dequeue_any(cls, queues, timeout, connection, **options):
        queues = list(queues)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            paused = cls.paused(connection)
            active = [q for q in queues if q.name not in paused]
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise DequeueTimeout(timeout, [q.key for q in queues])
            if not active:
                if deadline is None:
                    return None
                time.sleep(min(cls.PAUSE_CHECK, remaining))
                continue
            step = None if remaining is None else max(1, min(cls.PAUSE_CHECK, int(remaining)))
            try:
                return super().dequeue_any(active, step, connection, **options)
            except DequeueTimeout:
                continue


class LiveWorker(LiveMixin, Worker):
    """RQ's forking worker (a new work-horse process per job) with events."""

    queue_class = PausableQueue

    def fork_work_horse(self, job, queue):
        super().fork_work_horse(job, queue)
        # The dashboard shows which process runs the job.
        self.connection.hset(self.key, keys.WORKER_HORSE_PID_FIELD, self._horse_pid)

    def monitor_work_horse(self, job, queue, execution):
        try:
            super().monitor_work_horse(job, queue, execution)
        finally:
            self.connection.hdel(self.key, keys.WORKER_HORSE_PID_FIELD)


class LiveSimpleWorker(LiveMixin, SimpleWorker):
    """RQ's worker that runs every job in its own process (no fork) with events."""

    queue_class = PausableQueue


WORKER_CLASSES = {"fork": LiveWorker, "simple": LiveSimpleWorker}


def recover_abandoned(connection, worker_name, reason):
    """Settle the job a dead worker was running: retry it or fail it, visibly.

    ``serve`` calls this when a worker process it supervises dies. The job
    leaves the started registry now instead of after its heartbeat expires,
    and an ``abandoned`` event says what happened. Returns the job or None.
    """
    from rq.job import Job
    from rq.queue import Queue
    from rq.registry import StartedJobRegistry
    from rq.exceptions import NoSuchJobError
    from rq.job_lifecycle import record_job_failure

    worker = Worker.find_by_key(Worker.redis_worker_namespace_prefix + worker_name, connection=connection)
    job_id = worker.get_current_job_id() if worker else None
    horse_pid = connection.hget(Worker.redis_worker_namespace_prefix + worker_name, keys.WORKER_HORSE_PID_FIELD)
    if horse_pid:
        _kill_group(int(horse_pid))
    if worker is not None:
        worker.register_death()
    if not job_id:
        return None
    try:
        job = Job.fetch(job_id, connection=connection)
    except NoSuchJobError:
        return None
    if job.get_status() != JobStatus.STARTED:
        return None
    queue = Queue(job.origin, connection=connection)
    registry = StartedJobRegistry(job.origin, connection=connection)
    with connection.pipeline() as pipe:
        for entry in connection.zrange(registry.key, 0, -1):
            entry = entry.decode() if isinstance(entry, bytes) else entry
            if registry.parse_job_id(entry) == job.id:
                pipe.zrem(registry.key, entry)
        if job.should_retry:
            job.retry(queue, pipe)
            outcome = "retried"
        else:
            record_job_failure(job, f"AbandonedJobError: {reason}", pipe)
            outcome = "failed"
        events.publish(connection, "abandoned", job, pipeline=pipe, worker=worker_name,
                       info=f"{reason}; {outcome}", outcome=outcome)
        pipe.execute()
    return job


def _kill_group(pid):
    """End an orphaned work-horse (it leads its own process group)."""
    import signal

    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
