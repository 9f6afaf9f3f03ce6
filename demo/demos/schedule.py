"""Scheduled and recurring jobs (the lesson's Sidetiq, with RQ's own tools).

``enqueue_in`` / ``enqueue_at``: a reminder job is put in rq's scheduled
registry for later (the app's enqueue path writes a ``scheduled`` event with
``at``, which the page counts down to); the scheduler inside our workers
moves it to its queue when due. Recurring: ``serve`` runs rq's cron
scheduler (``python -m demo cron``, see demo/cron.py), which enqueues
``jobs.tick`` every DEMO_TICK_INTERVAL seconds; this page shows its next
run and its recent ticks.
"""

import math
import time
from datetime import datetime, timedelta, timezone

from flask import jsonify
from rq.cron import CronScheduler, get_cron_job_ids
from rq.job import Job

from .. import jobs, keys
from ..db import get_redis
from ..talk.presenter import is_presenter
from . import audience, bp
from .common import Refused, json_body, number, page, setting, status_of, text

#: Recent ticks the page lists.
TICKS_SHOWN = 8


def max_ahead():
    """How far ahead this visitor may schedule (seconds): the audience less than the presenter.

    An audience job holds a place under the cap until it runs, so a reminder
    an hour ahead would hold it for an hour.
    """
    limit = setting("DEMO_SCHEDULE_MAX")
    return limit if is_presenter() else min(limit, setting("DEMO_AUDIENCE_SCHEDULE_MAX"))


def when(data):
    """The job's time: ``delay`` seconds from now, or ``at``; 400 when not ahead or too far."""
    limit = max_ahead()
    now = datetime.now(timezone.utc)
    if "at" not in data:
        return now + timedelta(seconds=number(data, "delay", 1, limit))
    at = _instant(data["at"])
    if not 0 < (at - now).total_seconds() <= limit:
        raise Refused(400, f"at must be in the future, at most {limit:g} s from now")
    return at


def _instant(value):
    """Unix seconds or an ISO 8601 time with a zone, as an aware datetime."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        try:
            return datetime.fromtimestamp(value, timezone.utc)
        except (OverflowError, OSError, ValueError):
            pass
    elif isinstance(value, str) and len(value) <= 40:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return parsed
    raise Refused(400, "at must be Unix seconds or an ISO 8601 time with a zone, like 2030-01-01T12:00:00Z")


def cron_state(connection, reveal=False):
    """The tick's scheduler (the one heard from last), next run and recent ticks.

    ``found`` says a scheduler runs the tick; its name and pid only with
    ``reveal`` (the presenter asks): the audience needs the schedule, not them.
    """
    best = None
    for scheduler in CronScheduler.all(connection, cleanup=False):
        tick = next((j for j in scheduler.get_jobs() if j.name == keys.CRON_TICK_NAME), None)
        beat = scheduler.last_heartbeat
        if tick is not None and beat is not None and (best is None or beat > best[1]):
            best = (scheduler, beat, tick)
    ids = get_cron_job_ids(keys.CRON_TICK_NAME, connection, 0, TICKS_SHOWN - 1)
    ticks = [{"id": job.id, "status": status_of(job),
              "enqueued_at": job.enqueued_at.timestamp() if job.enqueued_at else None,
              "ended_at": job.ended_at.timestamp() if job.ended_at else None}
             for job in Job.fetch_many(ids, connection=connection) if job is not None]
    state = {"found": False, "running": False, "interval": setting("DEMO_TICK_INTERVAL"), "ticks": ticks,
             "now": time.time()}
    if best is not None:
        scheduler, beat, tick = best
        state.update(
            found=True, running=time.time() - beat.timestamp() < 2 * tick.interval + 30 if tick.interval else True,
            interval=tick.interval, cron=tick.cron,
            next_at=_stamp(tick.next_enqueue_time), latest_at=_stamp(tick.latest_enqueue_time))
        if reveal:
            state.update(scheduler=scheduler.name, pid=scheduler.pid)
    return state


def _stamp(value):
    return value.timestamp() if value is not None and value.year < 9999 else None


@bp.get("/schedule")
def schedule():
    """The scheduling page: reminders for later and the recurring tick."""
    return page("demos/schedule.html", max_ahead=max_ahead())


@bp.post("/schedule")
def schedule_submit():
    """Schedule a reminder ``delay`` seconds ahead or ``at`` a time (202)."""
    data = json_body()
    at = when(data)
    note = text(data, "note", 80, required=False) or "hello from the past"
    who, job = audience.submit(get_redis(), jobs.reminder, note, demo="schedule", at=at, result_ttl=3600)
    return jsonify(job=job.id, nick=who.nick, at=at.timestamp(), now=time.time()), 202


@bp.get("/schedule/cron")
def schedule_cron():
    """rq's cron scheduler as seen in Redis: next tick and recent ticks."""
    return jsonify(cron_state(get_redis(), reveal=is_presenter()))
