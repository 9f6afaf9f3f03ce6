"""The recurring job on rq's own cron scheduler (Sidetiq's job, in RQ).

Importing this module registers ``jobs.tick`` every 10 seconds on the
``default`` queue, so it is an rq cron config as it stands: ``rq cron
demo.runtime.cron --url redis://...`` from the project's root. The "Later,
and again" slide shows the ``register`` region below, so the slide and the
demo cannot disagree. ``python -m demo cron`` runs the same
``rq.cron.CronScheduler``, stops when ``serve`` goes away (``serve``
supervises it), and takes ``DEMO_TICK_INTERVAL`` from the environment so
that tests need not wait 10 seconds for a tick.

rq's CronJob enqueues with plain RQ (no ``enqueued`` event): the dashboard
learns of a tick by reconciliation, then by the worker's own events.
"""

import logging
import os

# region register
from rq import cron

from demo import jobs, keys

cron.register(jobs.tick, queue_name="default", interval=10, name=keys.CRON_TICK_NAME,
              job_timeout=30, result_ttl=600,
              meta={keys.RECURRING_META: keys.CRON_TICK_NAME})  # the dashboard folds its runs
# endregion


def run_cron(args):
    """Entry point of ``python -m demo cron``; returns the exit code."""
    from . import child
    from ..db import make_client

    url = child.redis_url("cron", args.redis_url)
    if url is None:
        return 1
    child.watch_parent(args.parent_pid)
    scheduler = cron.CronScheduler(connection=make_client(url), logging_level=logging.INFO)
    scheduler.load_config_from_file(__name__)
    interval = int(os.environ.get("DEMO_TICK_INTERVAL", "10"))
    for job in scheduler.get_jobs():
        job.interval = interval  # serve passes DEMO_TICK_INTERVAL (10 unless a test shortens it)
    scheduler.start()
    return 0
