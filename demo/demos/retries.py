"""Failures and retries: a job that fails a set number of times, then succeeds.

``jobs.flaky(k)`` fails its first ``k`` attempts. It is enqueued with rq's
``Retry(max=3, interval=DEMO_RETRY_INTERVALS)``: each failure schedules the
next attempt (the worker's ``retry`` event carries ``at``, which the page
counts down to). With ``k`` above 3 the retries run out and the job lands in
Failed with its traceback; the presenter requeues it, and attempt ``k + 1``
succeeds.
"""

from flask import current_app, jsonify
from rq import Retry

from .. import jobs
from ..db import get_redis
from . import audience, bp
from .common import json_body, page, retry_intervals, whole

#: Retries each flaky job gets.
MAX_RETRIES = 3

#: Most failures a flaky job may be asked for.
MAX_FAILURES = 6


@bp.get("/retries")
def retries():
    """The retries page: start a flaky job, watch its attempts and countdowns."""
    return page("demos/retries.html", intervals=retry_intervals(current_app.config),
                max_retries=MAX_RETRIES, max_failures=MAX_FAILURES)


@bp.post("/retries")
def retries_submit():
    """Enqueue a job that fails ``fail_times`` times, with rq's Retry (202)."""
    fail_times = whole(json_body(), "fail_times", 0, MAX_FAILURES)
    intervals = retry_intervals(current_app.config)
    who, job = audience.submit(get_redis(), jobs.flaky, fail_times, demo="retries",
                               retry=Retry(max=MAX_RETRIES, interval=intervals), timeout=30,
                               result_ttl=3600, failure_ttl=3600)
    return jsonify(job=job.id, nick=who.nick, fail_times=fail_times, retries=MAX_RETRIES,
                   intervals=intervals), 202
