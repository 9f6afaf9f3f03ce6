"""A frozen Redis (SIGSTOP) never hangs the web tier, and everyone recovers by themselves.

The Redis here is the test's own real redis-server (never the session's),
frozen with SIGSTOP for 10 s while a dashboard watches and a job runs, then
thawed with SIGCONT; it is always thawed and stopped at the end.
"""

import os
import signal
import time

import pytest
import requests
import socketio
from playwright.sync_api import expect

from conftest import wait_for
from demo import jobs
from demo.db import EmbeddedRedis, make_client
from demo.live.enqueue import enqueue
from test_dashboard import WAIT, card, open_dashboard

pytestmark = [pytest.mark.slow]

FREEZE = 10.0


def _timed(call):
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def _hello(base):
    """A fresh audience socket says hello; returns (ack, seconds it took)."""
    client = socketio.Client(reconnection=False)
    client.connect(base, namespaces=["/live"], transports=["websocket"], wait_timeout=10)
    try:
        return _timed(lambda: client.call("hello", {}, namespace="/live", timeout=15))
    finally:
        client.disconnect()


@pytest.fixture
def own_redis(tmp_path):
    server = EmbeddedRedis(tmp_path / "frozen-redis", persist=False).start()
    yield server
    os.kill(server.process.pid, signal.SIGCONT)  # never leave it stopped
    server.stop()


@pytest.mark.browser
def test_a_frozen_redis_is_reported_fast_and_everyone_recovers_with_nothing_missed(new_page, serve, own_redis):
    server = serve(workers=1, redis_url=own_redis.url)
    page = open_dashboard(new_page(), server)
    client = make_client(own_redis.url)
    # On "high": serve's cron ticks on "default".
    before = enqueue(client, jobs.noop, queue="high")
    across = enqueue(client, jobs.wait, 4, queue="high")  # runs across the freeze
    expect(card(page, before, "finished")).to_be_visible(timeout=WAIT)
    expect(card(page, across, "started")).to_be_visible(timeout=WAIT)

    page.evaluate("""() => { window.states = []; const c = document.querySelector('.conn');
      new MutationObserver(() => states.push([c.dataset.state, Date.now()])).observe(c, {attributes: true}); }""")
    os.kill(own_redis.process.pid, signal.SIGSTOP)
    frozen_at = time.monotonic()

    try:
        health, first_health = _timed(lambda: requests.get(server.base + "/healthz", timeout=10))
        assert health.status_code == 503 and first_health < 2.0, first_health
        expect(page.locator(".conn")).to_have_attribute("data-state", "redis", timeout=6_000)
        expect(page.locator(".conn")).to_have_text("Redis unavailable")
        seen_within = time.monotonic() - frozen_at
        snapshot, took = _timed(lambda: requests.get(server.base + "/api/snapshot", timeout=10))
        assert snapshot.status_code == 503 and "Redis is unavailable" in snapshot.json()["error"] and took < 4.0
        snapshot_took = took
        ack, took = _hello(server.base)
        assert ack == {"ok": False, "error": "Redis is unavailable"} and took < 4.0
        hello_took = took
        health, took = _timed(lambda: requests.get(server.base + "/healthz", timeout=10))
        assert health.status_code == 503 and took < 2.0, took
        time.sleep(max(0.0, FREEZE - (time.monotonic() - frozen_at)))
        # Read while still frozen: once Redis is back the page may say "live"
        # at any moment, before a read made after the thaw could tell the two apart.
        while_frozen = [state for state, _at in page.evaluate("states")]
    finally:
        os.kill(own_redis.process.pid, signal.SIGCONT)
    thawed_at = time.monotonic()
    # Told once, and never "live" while frozen.
    assert while_frozen == ["redis"]

    expect(page.locator(".conn")).to_have_attribute("data-state", "live", timeout=WAIT)
    back_within = time.monotonic() - thawed_at
    after = enqueue(client, jobs.noop, queue="high")
    expect(card(page, across, "finished")).to_be_visible(timeout=WAIT)
    expect(card(page, after, "finished")).to_be_visible(timeout=WAIT)
    wait_for(lambda: requests.get(server.base + "/healthz", timeout=5).status_code == 200, 10,
             message="/healthz to answer 200 again")
    # The page's lanes hold what a fresh snapshot holds: nothing was missed.
    # (As sets: RQ scores registries in whole seconds, so a snapshot orders
    # jobs finished within one second by id, the page by event.)
    snapshot = requests.get(server.base + "/api/snapshot", timeout=5).json()
    shown = page.evaluate("() => OhMyQueue.dashboard.store.lanes.high")
    assert {lane: sorted(ids) for lane, ids in shown.items() if ids} == {
        lane: sorted(ids) for lane, ids in snapshot["lanes"]["high"].items() if ids}
    client.close()
    print(f"frozen: /healthz 503 in {first_health:.2f} s, /api/snapshot 503 in {snapshot_took:.2f} s, "
          f"hello refused in {hello_took:.2f} s; viewers told in {seen_within:.1f} s; "
          f"live again {back_within:.1f} s after SIGCONT")
