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

How a job is taken: not with RQ's pop but into the worker's holding list
(``dequeue.py``), from which it leaves in the transaction that settles it, so
a worker killed between taking a job and starting it loses nothing:
``recover_abandoned`` puts the job back at the front of its queue.
"""

import logging
import os
import signal
import threading
import time

import redis
from rq import Queue
from rq.exceptions import DequeueTimeout
from rq.job import JobStatus
from rq.scheduler import RQScheduler
from rq.timeouts import TimerDeathPenalty
from rq.worker import SimpleWorker, Worker

from .. import keys
from . import dequeue, events, format

log = logging.getLogger(__name__)

#: What a Redis that is down or restarting raises.
_REDIS_DOWN = (redis.ConnectionError, redis.TimeoutError)


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
        try:
            super().heartbeat(timeout, pipeline=pipeline)
        except _REDIS_DOWN as exc:  # only without a pipeline: a pipeline sends nothing here
            self._redis_down(exc)
            return
        self._flush_into(pipeline)

    def increment_successful_job_count(self, pipeline=None):
        super().increment_successful_job_count(pipeline=pipeline)
        self._flush_into(pipeline)

    def increment_failed_job_count(self, pipeline=None):
        super().increment_failed_job_count(pipeline=pipeline)
        self._flush_into(pipeline)

    # -- taking jobs: a holding list instead of a plain pop (see dequeue.py) ---

    _holding = None

    def dequeue_job_and_maintain_ttl(self, timeout, max_idle_time=None):
        if self._holding is None:
            self._holding = dequeue.Holding(self.connection, self.name, self.queue_keys())
        token = dequeue.CURRENT.set(self._holding)
        try:
            return super().dequeue_job_and_maintain_ttl(timeout, max_idle_time)
        finally:
            dequeue.CURRENT.reset(token)

    def cleanup_execution(self, job, pipeline, execution=None):
        # Every way RQ settles a job passes here with the settling transaction.
        super().cleanup_execution(job, pipeline, execution)
        dequeue.release(self.name, job.id, pipeline)

    def run_maintenance_tasks(self):
        try:
            super().run_maintenance_tasks()
        except _REDIS_DOWN as exc:  # runs again at the next interval
            self._redis_down(exc)
            return
        try:
            dequeue.sweep_orphans(self.connection)
        except redis.RedisError as exc:
            log.warning("could not sweep the holding lists of dead workers: %s", exc)

    def teardown(self):
        if not self.is_horse and self._holding is not None:
            try:
                self._holding.give_back()
            except redis.RedisError as exc:  # left for recovery (serve, or the next sweep)
                log.warning("could not give back the jobs this worker held: %s", exc)
            self._holding.close()
        super().teardown()

    # -- transitions ------------------------------------------------------------

    def prepare_job_execution(self, job, remove_from_intermediate_queue=False):
        self._park("started", job, worker=self.name, pid=os.getpid())
        try:
            self._until_redis_takes_it(
                lambda: super(LiveMixin, self).prepare_job_execution(job, remove_from_intermediate_queue),
                applied=lambda: _status(job) == JobStatus.STARTED.value)
        finally:
            self._settle()

    def handle_job_success(self, job, queue, started_job_registry, execution):
        result = job._result
        self._park("finished", job, worker=self.name, info=format.summary(result))
        try:
            self._until_redis_takes_it(
                lambda: super(LiveMixin, self).handle_job_success(job, queue, started_job_registry, execution),
                applied=lambda: _left_started(job))
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
            self._until_redis_takes_it(
                lambda: super(LiveMixin, self).handle_job_failure(
                    job, queue, started_job_registry=started_job_registry, exc_string=exc_string,
                    execution=execution),
                applied=lambda: _left_started(job))
        finally:
            self._settle()

    def handle_job_retry(self, job, queue, retry, started_job_registry, execution):
        if job.number_of_retries and job.number_of_retries >= retry.max:
            self._park("failed", job, worker=self.name, info="maximum retries exceeded")
        else:
            self._park("retry", job, worker=self.name)
        try:
            self._until_redis_takes_it(
                lambda: super(LiveMixin, self).handle_job_retry(job, queue, retry, started_job_registry, execution),
                applied=lambda: _left_started(job))
        finally:
            self._settle()

    def handle_execution_ended(self, job, queue, heartbeat_ttl):
        # The first write after a job's code returns: a heartbeat, safe to repeat.
        self._until_redis_takes_it(lambda: super(LiveMixin, self).handle_execution_ended(job, queue, heartbeat_ttl))

    # -- riding out a Redis restart ---------------------------------------------
    #
    # serve restarts a dead embedded Redis within about a second. A worker
    # waits for it instead of exiting (and being restarted with backoff), and
    # a job's settlement, the write that says how it ended, is repeated until
    # Redis takes it: a job that ran while Redis was away still ends finished
    # or failed, never stuck as started.

    #: Longest pause between two tries to reach Redis while idle (RQ's is 60 s).
    max_connection_wait_time = 1.0

    _redis_down_told = 0.0

    def _redis_down(self, exc):
        if time.monotonic() - self._redis_down_told > 10:
            log.warning("worker %s: Redis is unavailable (%s); waiting for it", self.name, exc)
            self._redis_down_told = time.monotonic()

    def _until_redis_takes_it(self, attempt, applied=None):
        """``attempt()`` until Redis takes it.

        A try whose reply was lost may have gone through: once Redis answers
        again, ``applied()`` says so, and then it is not repeated (its event
        went with it).
        """
        delay = 0.1
        while True:
            if self._pending is not None:
                self._pending.written = False
            try:
                return attempt()
            except _REDIS_DOWN as exc:
                self._redis_down(exc)
            written = self._pending is not None and self._pending.written
            while True:
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
                try:
                    went_through = applied is not None and applied()
                    break
                except _REDIS_DOWN:
                    continue
            if went_through:
                if self._pending is not None:
                    self._pending.written = written
                return None

    def maintain_heartbeats(self, job, execution):
        try:
            super().maintain_heartbeats(job, execution)
        except _REDIS_DOWN as exc:  # the work-horse goes on; the next beat tries again
            self._redis_down(exc)

    def check_for_suspension(self, burst):
        try:
            super().check_for_suspension(burst)
        except _REDIS_DOWN as exc:  # the dequeue that follows waits for Redis
            self._redis_down(exc)

    # -- RQ's scheduler process, stopped with its worker ---------------------------

    def _start_scheduler(self, burst=False, logging_level="INFO", date_format=None, log_format=None):
        """RQ 3.0's ``_start_scheduler`` with ``BoundScheduler`` (RQ has no hook for the class)."""
        from rq.defaults import DEFAULT_LOGGING_DATE_FORMAT, DEFAULT_LOGGING_FORMAT

        self.scheduler = BoundScheduler(
            self.queues, connection=self.connection,
            logging_level=logging_level if logging_level is not None else self.log.level,
            date_format=date_format or DEFAULT_LOGGING_DATE_FORMAT, log_format=log_format or DEFAULT_LOGGING_FORMAT,
            serializer=self.serializer,
        )
        self.scheduler.acquire_locks()
        if self.scheduler.acquired_locks:
            if burst:
                try:
                    self.scheduler.register_birth()
                    self.scheduler.enqueue_scheduled_jobs()
                finally:
                    self.scheduler.release_locks()
                    self.scheduler.register_death()
            else:
                self.scheduler.start()


class BoundScheduler(RQScheduler):
    """RQ's scheduler process, which ends when its worker does.

    RQ forks it from the worker and only stops it on the worker's orderly
    exit: a worker killed by SIGKILL leaves it running, holding the queues'
    scheduler locks (and renewing them) forever. This one asks the kernel for
    SIGTERM when its parent dies (Linux) and, everywhere, checks its parent at
    every heartbeat (each ``interval``, 1 s); either way it stops as RQ's own
    SIGTERM handling does: locks released, death registered.
    """

    _parent_pid = None

    def start(self):
        self._parent_pid = os.getpid()
        return super().start()

    def work(self):
        from ..runtime.child import set_death_signal

        self._install_signal_handlers()
        set_death_signal(signal.SIGTERM)
        if os.getppid() != self._parent_pid:  # the worker died before the kernel was asked
            self.request_stop()
        super().work()

    def heartbeat(self):
        if self._parent_pid is not None and os.getppid() != self._parent_pid:
            self.request_stop()
        super().heartbeat()


def _status(job):
    """The job's status as Redis has it now (None: the job is gone)."""
    status = job.connection.hget(job.key, "status")
    return status.decode() if status is not None else None


def _left_started(job):
    """Whether a settlement already went through: the job is no longer started."""
    return _status(job) != JobStatus.STARTED.value


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
    def forget_paused(cls):
        PausableQueue._paused = (float("-inf"), frozenset())

    @classmethod
    def dequeue_any(cls, queues, timeout, connection, **options):
        """RQ's contract (``timeout`` None: do not wait), skipping paused queues.

        Our workers (``dequeue.CURRENT`` set) claim into their holding list
        and wait on its doorbell; anything else falls back to RQ's pop.
        """
        holding = dequeue.CURRENT.get()
        queues = list(queues)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            paused = cls.paused(connection)
            active = [q for q in queues if q.name not in paused]
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise DequeueTimeout(timeout, [q.key for q in queues])
            if holding is not None and holding.usable:
                found = holding.take(cls, active, options)
                if found is not None or deadline is None:
                    return found
                changed = holding.wait(min(cls.PAUSE_CHECK, remaining))
                if keys.PAUSED_QUEUES in changed or "*" in changed:
                    cls.forget_paused()
                continue
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

    def main_work_horse(self, job, queue):
        # In the work-horse: it dies with its worker, so a job is never run
        # by an orphan while recovery puts it back on its queue.
        _die_with_parent(self.pid)
        super().main_work_horse(job, queue)

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


class LiveThreadWorker(LiveSimpleWorker):
    """A simple worker meant to share its process with others, each on its own thread.

    N of them in one process is Sidekiq's model: one process, N threads,
    each taking the next job. RQ has no thread pool of its own, so each
    thread runs one of RQ's SimpleWorkers with two changes: the timeout is a
    timer (SIGALRM reaches only the main thread) and signals are left to the
    main thread (``run_threads``), which stops every worker warm.
    """

    death_penalty_class = TimerDeathPenalty

    #: Seconds a waiting thread blocks on Redis before it looks for a stop request.
    STOP_CHECK = 1

    def _install_signal_handlers(self):
        """Signals belong to the main thread; ``run_threads`` stops us."""

    def dequeue_job_and_maintain_ttl(self, timeout, max_idle_time=None):
        if timeout is None:  # burst: never blocks
            return super().dequeue_job_and_maintain_ttl(timeout, max_idle_time)
        while not self._stop_requested:
            result = super().dequeue_job_and_maintain_ttl(self.STOP_CHECK, max_idle_time=self.STOP_CHECK)
            if result is not None:
                return result
        return None


def run_threads(count, queues, make_connection, name, burst=False):
    """Run ``count`` LiveThreadWorkers (``name.1`` ... ``name.N``) in this process until SIGTERM/SIGINT."""
    workers = [LiveThreadWorker(queues, connection=make_connection(), name=f"{name}.{n}") for n in range(1, count + 1)]
    threads = [threading.Thread(target=w.work, kwargs={"burst": burst, "logging_level": "INFO"}, name=w.name)
               for w in workers]

    def stop(signum, frame):
        for worker in workers:
            worker._stop_requested = True  # warm: each finishes its job, then leaves

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, stop)
    for thread in threads:
        thread.start()
    for thread in threads:
        while thread.is_alive():
            thread.join(0.5)
    return workers


WORKER_CLASSES = {"fork": LiveWorker, "simple": LiveSimpleWorker}


def recover_abandoned(connection, worker_name, reason):
    """Settle the jobs of a dead worker: put back, retry or fail each, visibly.

    ``serve`` calls this when a worker process it supervises dies. A job the
    worker had taken but not started goes back to the front of its queue; a
    job it was running leaves the started registry now instead of after its
    heartbeat expires, retried or failed. Each gets an ``abandoned`` event
    saying what happened. Returns the first job settled, or None.
    """
    worker_key = Worker.redis_worker_namespace_prefix + worker_name
    worker = Worker.find_by_key(worker_key, connection=connection)
    current = worker.get_current_job_id() if worker else None
    horse_pid = connection.hget(worker_key, keys.WORKER_HORSE_PID_FIELD)
    if horse_pid:
        _kill_group(int(horse_pid))
    if worker is not None:
        worker.register_death()
    settled = [job for job, outcome in dequeue.settle_held(connection, worker_name, reason)
               if outcome in ("requeued", "retried", "failed")]
    if current and current not in {job.id for job in settled}:
        job = dequeue.abandon_current(connection, worker_name, current, reason)  # taken with RQ's pop
        if job is not None:
            settled.append(job)
    return settled[0] if settled else None


def _kill_group(pid):
    """End an orphaned work-horse (it leads its own process group)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _die_with_parent(parent_pid):
    """Have the kernel SIGKILL this process when its parent dies (Linux; elsewhere a no-op)."""
    from ..runtime.child import set_death_signal

    set_death_signal(signal.SIGKILL)
    if parent_pid and os.getppid() != parent_pid:  # it died before the line above
        os._exit(1)
