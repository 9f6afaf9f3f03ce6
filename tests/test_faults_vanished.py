"""Jobs that vanish behind the dashboard's back leave no card behind.

``rq empty``, a delete through RQ's API (what rq-dashboard does) and the
expiry of a finished job's result all drop jobs without an event; the
watcher's reconciliation notices and writes a ``vanished`` event per card,
once, for every viewer at once, never cleaning RQ's registries.
"""

import subprocess
import sys
import time

import pytest
from playwright.sync_api import expect
from rq.job import Job

from conftest import QUEUES, wait_for
from demo import jobs, keys
from demo.live import events
from demo.live.enqueue import enqueue
from demo.live.watcher import Watcher
from test_dashboard import WAIT, card, open_dashboard
from test_dashboard_state import Recorder

LIMIT = 25


def _rq_empty(redis_url, queue):
    subprocess.run([sys.executable, "-m", "rq.cli", "empty", "--url", redis_url, queue],
                   check=True, capture_output=True, timeout=60)


def _exists_calls(connection):
    return int(connection.info("commandstats").get("cmdstat_exists", {}).get("calls", 0))


def _vanished(connection):
    return [e["job"] for e in events.since(connection, "0-0") if e["type"] == "vanished"]


@pytest.fixture
def watcher(connection):
    watcher = Watcher(Recorder(), connection, QUEUES, lane_limit=LIMIT)
    watcher.running = True
    watcher._prime()
    return watcher


def test_emptied_deleted_and_expired_jobs_are_reported_once(connection, redis_url, run_worker, watcher):
    waiting = [enqueue(connection, jobs.noop, queue="low") for _ in range(3)]
    deleted = enqueue(connection, jobs.add, 1, 2, queue="high")
    expiring = enqueue(connection, jobs.add, 2, 3, queue="high", result_ttl=1)
    kept = enqueue(connection, jobs.add, 3, 4, queue="high")
    run_worker("simple", queues=["high"])
    watcher._drain()
    assert watcher.shown.lanes[("high", "finished")] == [kept.id, expiring.id, deleted.id]

    _rq_empty(redis_url, "low")
    Job.fetch(deleted.id, connection=connection).delete()  # what rq-dashboard's delete does
    wait_for(lambda: not connection.exists(expiring.key), 5, message="the short result TTL to expire")
    watcher.reconcile()
    watcher._drain()

    assert sorted(_vanished(connection)) == sorted([j.id for j in waiting] + [deleted.id, expiring.id])
    assert watcher.shown.lanes[("high", "finished")] == [kept.id]
    assert watcher.shown.lanes[("low", "queued")] == []
    counts = watcher.socketio.of(keys.DELTA_EVENT)[-1]["counts"]
    assert counts["low"]["queued"] == 0 and counts["high"]["finished"] == 1
    watcher.reconcile()
    assert len(_vanished(connection)) == 5  # once


def test_reconciliation_checks_at_most_the_cards_shown_whatever_vanished(connection, redis_url, watcher):
    for _ in range(500):
        enqueue(connection, jobs.noop, queue="low")
    watcher._drain()
    _rq_empty(redis_url, "low")
    before = _exists_calls(connection)
    watcher.reconcile()
    assert _exists_calls(connection) - before <= LIMIT
    assert len(_vanished(connection)) == LIMIT  # the cards shown; counts say the rest


def test_a_job_run_by_a_plain_worker_is_seen_not_vanished(connection, redis_url, watcher):
    job = enqueue(connection, jobs.add, 1, 1, queue="default")
    watcher._drain()
    subprocess.run([sys.executable, "-m", "rq.cli", "worker", "--burst", "--url", redis_url, "default"],
                   check=True, capture_output=True, timeout=60)
    watcher.reconcile()
    assert _vanished(connection) == []
    assert watcher.shown.where[job.id] in (("default", "finished"), ("default", "queued"))


@pytest.mark.browser
@pytest.mark.slow
def test_dashboards_drop_vanished_cards_without_a_reload(new_page, serve, connection, redis_url):
    connection.sadd(keys.PAUSED_QUEUES, "low")  # our workers leave these queued
    server = serve(workers=1)
    pages = [open_dashboard(new_page(), server), open_dashboard(new_page(viewport={"width": 390, "height": 844}), server)]
    waiting = [enqueue(connection, jobs.noop, queue="low") for _ in range(3)]
    done = enqueue(connection, jobs.add, 1, 2, queue="high")
    expiring = enqueue(connection, jobs.add, 2, 3, queue="high", result_ttl=2)
    for page in pages:
        for job in waiting:
            expect(card(page, job, "queued")).to_be_visible(timeout=WAIT)
        for job in (done, expiring):
            expect(card(page, job, "finished")).to_be_attached(timeout=WAIT)

    _rq_empty(redis_url, "low")
    Job.fetch(done.id, connection=connection).delete()
    started = time.monotonic()
    for page in pages:
        for job in (*waiting, done, expiring):
            expect(card(page, job)).to_have_count(0, timeout=WAIT)
        expect(page.locator('.queue[data-queue="low"] .lane-queued .lane-count')).to_have_text("0")
    took = time.monotonic() - started
    assert took < 15
    print(f"vanished cards gone from both pages {took:.1f} s after rq empty and the delete")
