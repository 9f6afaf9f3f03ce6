"""The recurring job on rq's own cron scheduler (Sidetiq's job, in RQ).

Importing this module registers ``jobs.tick`` every 10 seconds on the
``default`` queue, so it is an rq cron config as it stands: ``rq cron
demo.runtime.cron --url redis://...`` from the project's root. The "Later,
and again" slide shows the ``register`` region below, so the slide and the
demo cannot disagree. ``python -m demo cron`` runs ``DeploymentCron`` (rq's
``CronScheduler``, one per deployment), stops when ``serve`` goes away
(``serve`` supervises it), and takes ``DEMO_TICK_INTERVAL`` from the
environment so that tests need not wait 10 seconds for a tick.

rq 3.0's CronScheduler takes no lock: two of them on one Redis (two ``serve``
processes, or two web hosts) would both enqueue every tick. ``DeploymentCron``
enqueues only while it holds ``keys.CRON_LOCK``; the others wait, and take
over when the holder stops (it releases the lock) or dies (the lock expires
after ``LOCK_TTL`` seconds). The new holder continues from the last tick it
finds in rq's history of the job, so a takeover neither repeats a tick nor
restarts the interval. Plain ``rq cron`` takes no lock.

rq's CronJob enqueues with plain RQ (no ``enqueued`` event): the dashboard
learns of a tick by reconciliation, then by the worker's own events.
"""

import logging
import os
import time
from datetime import datetime, timezone

import redis
from redis.exceptions import LockError
from rq.exceptions import StopRequested

from demo.runtime import child

# region register
from rq import cron

from demo import jobs, keys

cron.register(jobs.tick, queue_name="default", interval=10, name=keys.CRON_TICK_NAME,
              job_timeout=30, result_ttl=600,
              meta={keys.RECURRING_META: keys.CRON_TICK_NAME})  # the dashboard folds its runs
# endregion

#: Seconds the cron lock lives without renewal: how long a dead holder's
#: ticks may be missing before another cron process takes over.
LOCK_TTL = 10

#: Seconds between two looks at the lock by a cron process that does not hold it.
STANDBY_POLL = 2

class DeploymentCron(cron.CronScheduler):
    """rq's CronScheduler that enqueues only while it holds the deployment's lock."""

    def start(self):
        self._install_signal_handlers()
        self.register_birth()
        lock = self.connection.lock(keys.CRON_LOCK, timeout=LOCK_TTL, thread_local=False)
        holding = False
        try:
            while True:
                try:
                    holding = self._hold(lock, holding)
                    if holding:
                        self._continue_from_history()
                        if self.enqueue_jobs():
                            self.save()
                    self.heartbeat()
                except (redis.ConnectionError, redis.TimeoutError) as exc:  # serve restarts Redis: wait
                    self.log.warning("CronScheduler %s: Redis is unavailable (%s); retrying", self.name, exc)
                    time.sleep(1)
                    continue
                pause = min(self.calculate_sleep_interval(), LOCK_TTL / 3) if holding else STANDBY_POLL
                time.sleep(max(pause, 0.05))
        except (KeyboardInterrupt, StopRequested):
            self.log.info("CronScheduler %s: stop requested", self.name)
        finally:
            try:
                if holding:
                    lock.release()  # the next holder takes over at once
                self.register_death()
            except (LockError, redis.RedisError):
                pass  # the lock expires by itself

    def _hold(self, lock, holding):
        """Renew the lock we hold or try to take it; whether we hold it now.

        A cron process started by ``serve`` holds the lock under its serve's
        token (``child.CRON_TOKEN_ENV``): killed and restarted by that serve, the
        new process renews its predecessor's lock at once instead of waiting
        ``LOCK_TTL`` for it to expire.
        """
        token = os.environ.get(child.CRON_TOKEN_ENV) or None
        if holding or token:
            if not holding:
                lock.local.token = token.encode()
            try:
                lock.reacquire()
                if not holding:
                    self.log.info("CronScheduler %s: took over its serve's cron lock; enqueuing", self.name)
                return True
            except LockError:
                if holding:
                    self.log.warning("CronScheduler %s: another cron process holds the lock now", self.name)
        if lock.acquire(blocking=False, token=token):
            self.log.info("CronScheduler %s: holds the deployment's cron lock; enqueuing", self.name)
            return True
        return False

    def _continue_from_history(self):
        """Take the last enqueue time of each job from rq's history of it in Redis."""
        for job in self.get_jobs():
            newest = self.connection.zrange(job.job_history_key, -1, -1, withscores=True)
            if not newest:
                continue
            at = datetime.fromtimestamp(newest[0][1], timezone.utc)
            if job.latest_enqueue_time is None or at > job.latest_enqueue_time:
                job.set_enqueue_time(at)


def run_cron(args):
    """Entry point of ``python -m demo cron``; returns the exit code."""
    from ..db import make_client

    url = child.redis_url("cron", args.redis_url, wait=args.wait_redis)
    if url is None:
        return 1
    child.watch_parent(args.parent_pid)
    scheduler = DeploymentCron(connection=make_client(url, socket_timeout=5), logging_level=logging.INFO)
    scheduler.load_config_from_file(__name__)
    interval = int(os.environ.get("DEMO_TICK_INTERVAL", "10"))
    for job in scheduler.get_jobs():
        job.interval = interval  # serve's environment says (10 unless a test shortens it)
    scheduler.start()
    return 0
