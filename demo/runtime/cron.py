"""The recurring job on rq's own cron scheduler (the lesson's Sidetiq).

Importing this module registers ``jobs.tick`` every ``DEMO_TICK_INTERVAL``
seconds on the ``default`` queue, so it is an rq cron config as it stands:
``rq cron demo.runtime.cron --url redis://...``. ``python -m demo cron`` runs the
same ``rq.cron.CronScheduler`` and also stops when ``serve`` goes away;
``serve`` supervises it.

rq's CronJob enqueues with plain RQ (no ``enqueued`` event): the dashboard
learns of a tick by reconciliation, then by the worker's own events.
"""

import logging
import os

from rq import cron

from .. import jobs, keys

#: Seconds between two ticks.
INTERVAL = int(os.environ.get("DEMO_TICK_INTERVAL", "10"))

cron.register(jobs.tick, "default", interval=INTERVAL, name=keys.CRON_TICK_NAME,
              result_ttl=600, failure_ttl=3600, job_timeout=30,
              meta={keys.RECURRING_META: keys.CRON_TICK_NAME})  # dashboards fold its runs into one line


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
    scheduler.start()
    return 0
