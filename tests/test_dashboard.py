"""The dashboard as people see it: Chromium on a real ``serve`` with real workers."""

import re

import pytest
import requests
from playwright.sync_api import expect

from conftest import QUEUES
from demo import jobs
from demo.db import EmbeddedRedis, make_client
from demo.live.enqueue import enqueue
from test_dashboard_state import _fill_failed

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: Long enough for a forking worker on a busy 2-core machine.
WAIT = 20_000


def open_dashboard(page, server, query="", presenter=False):
    if presenter:
        page.goto(f"{server.base}/presenter?token={server.token}&next=/dashboard{query}")
    else:
        page.goto(f"{server.base}/dashboard{query}")
    expect(page.locator(".conn")).to_have_attribute("data-state", "live", timeout=WAIT)
    return page


def card(page, job, lane=None):
    lane_part = f".lane-{lane} " if lane else ""
    return page.locator(f'.queue[data-queue="{job.origin}"] {lane_part}.card[data-id="{job.id}"]')


def test_a_job_card_moves_from_queued_through_started_to_finished(new_page, serve, connection):
    server = serve(workers=1)
    page = open_dashboard(new_page(), server)
    # On "high": serve's cron ticks on "default", and this test counts cards.
    job = enqueue(connection, jobs.wait, 1.5, 3, queue="high", meta={"nick": "pytest"})

    running = card(page, job, "started")
    expect(running.locator(".bar-fill")).to_have_attribute("style", re.compile(r"width: (3|6)\d\.\d%"), timeout=WAIT)
    busy = page.locator('.worker[data-state="busy"]')
    expect(busy.locator(".worker-job")).to_contain_text(job.id[:8], timeout=WAIT)
    expect(busy.locator(".worker-job")).to_contain_text("work-horse pid", timeout=WAIT)

    done = card(page, job, "finished")
    expect(done).to_be_visible(timeout=WAIT)
    expect(done.locator(".card-func")).to_have_text("wait")
    expect(done.locator(".card-nick")).to_have_text("pytest")
    expect(done.locator(".card-info")).to_have_text("waited 1.5 s")  # what the job said, not a repr
    lanes = page.locator('.queue[data-queue="high"]')
    expect(lanes.locator(".lane-finished .lane-count")).to_have_text("1")
    expect(lanes.locator(".lane-started .lane-count")).to_have_text("0")
    expect(page.locator('.worker[data-state="idle"] .worker-done')).to_have_text(re.compile(r"^[1-9]\d* done$"),
                                                                                timeout=WAIT)

    done.locator("button").click()
    detail = page.locator("#detail")
    expect(detail).to_be_visible()
    expect(detail.locator("dd").filter(has_text="demo.jobs.wait")).to_have_count(1)
    expect(detail.locator('dt:text-is("Arguments") + dd pre')).to_have_text("1.5,\n3")
    expect(detail).to_contain_text("waited 1.5 s")
    assert page.script_errors == []


def test_job_arguments_and_names_render_as_text_never_html(new_page, serve, connection):
    server = serve(workers=1)
    page = open_dashboard(new_page(), server)
    attack = "<img src=x onerror=window.pwned=1>"
    job = enqueue(connection, jobs.add, attack, "<b>y</b>", meta={"nick": "<script>window.pwned=2</script>"})
    failing = enqueue(connection, jobs.fail, f"{attack} in a traceback")

    done = card(page, job, "finished")
    expect(done.locator(".card-info")).to_have_text(f"{attack}<b>y</b>", timeout=WAIT)
    expect(done.locator(".card-nick")).to_have_text("<script>window.pwned=2</script>")
    expect(card(page, failing, "failed").locator(".card-info")).to_have_text(
        f"RuntimeError: {attack} in a traceback", timeout=WAIT)
    done.locator("button").click()
    expect(page.locator('#detail dt:text-is("Arguments") + dd pre')).to_have_text(f"'{attack}',\n'<b>y</b>'")
    page.locator(".detail-close").click()
    card(page, failing).locator("button").click()
    expect(page.locator("#detail")).to_contain_text(f"RuntimeError: {attack} in a traceback")

    assert page.locator("#dashboard img, #dashboard b, #dashboard script").count() == 0
    assert page.evaluate("window.pwned") is None
    assert page.script_errors == []


def test_the_audience_sees_no_controls_and_the_presenter_acts_for_everyone(new_page, serve, connection):
    server = serve(workers=0)
    job = enqueue(connection, jobs.noop)
    audience = open_dashboard(new_page(), server)
    expect(card(audience, job, "queued")).to_be_visible()
    card(audience, job).locator("button").click()
    expect(audience.locator("#detail")).to_contain_text("demo.jobs.noop")
    assert audience.locator("[data-action]").count() == 0
    expect(audience.locator(".workers-controls")).to_be_hidden()
    expect(audience.locator(".role-badge")).to_have_count(0)

    presenter = open_dashboard(new_page(), server, presenter=True)
    expect(presenter.locator(".role-badge")).to_have_text("Presenter")
    # "Run [2] [forking] workers [Set]" reads as one line in the sidebar
    middles = [box["y"] + box["height"] / 2 for box in (presenter.locator(f".workers-controls {part}").bounding_box()
                                                        for part in (".scale-count", ".scale-kind", ".action-scale"))]
    assert max(middles) - min(middles) < 12, f"the worker count, its kind and Set are not on one line: {middles}"
    expect(presenter.locator('.queue-controls [data-action="pause"]')).to_have_count(len(QUEUES))
    card(presenter, job).locator("button").click()
    presenter.locator('#detail [data-action="cancel"]').click()
    presenter.keyboard.press("Escape")  # closes the panel

    for page in (presenter, audience):
        expect(card(page, job, "canceled")).to_be_visible(timeout=WAIT)
    assert job.get_status() == "canceled"
    presenter.locator('.queue[data-queue="high"] [data-action="pause"]').click()
    expect(audience.locator('.queue[data-queue="high"] .queue-paused')).to_be_visible(timeout=WAIT)
    presenter.locator('.queue[data-queue="default"] [data-action="pause"]').click()
    expect(audience.locator('.queue[data-queue="default"] .queue-paused')).to_be_visible(timeout=WAIT)
    presenter.locator('.queue[data-queue="default"] [data-action="resume"]').click()
    expect(audience.locator('.queue[data-queue="default"] .queue-paused')).to_be_hidden(timeout=WAIT)
    assert audience.script_errors == [] and presenter.script_errors == []


def test_a_forged_presenter_page_gets_the_servers_refusal(new_page, serve, connection):
    server = serve(workers=0)
    job = enqueue(connection, jobs.noop)
    page = new_page()

    def forge(route):
        response = route.fetch()
        body = response.text().replace('data-presenter="false"', 'data-presenter="true"')
        route.fulfill(response=response, body=body)

    page.route("**/dashboard", forge)
    open_dashboard(page, server)
    card(page, job).locator("button").click()
    page.locator('#detail [data-action="cancel"]').click()
    expect(page.locator("#detail .detail-error")).to_have_text("presenter only: the audience view is read-only")
    page.locator(".detail-close").click()
    page.locator('.queue[data-queue="default"] [data-action="pause"]').click()
    expect(page.locator("#notice")).to_have_text("presenter only: the audience view is read-only")
    assert job.get_status() == "queued"
    assert connection.smembers("omq:paused") == set()


def test_100k_failed_jobs_show_an_exact_count_and_only_the_newest_cards(new_page, serve, connection, run_worker):
    template = enqueue(connection, jobs.fail, "template")
    run_worker("simple")
    _fill_failed(connection, template.id, 100_000)
    server = serve(workers=0)
    page = open_dashboard(new_page(), server)
    failed = page.locator('.queue[data-queue="default"] .lane-failed')
    expect(failed.locator(".lane-count")).to_have_text("100,001")
    expect(failed.locator(".card")).to_have_count(8)  # a lane shows its newest; the store keeps 25
    expect(failed.locator(".card").first).to_have_attribute("data-id", "bulk-099999")
    expect(failed.locator(".lane-more")).to_have_text("+ 99,993 more")


def test_embedded_big_view_has_no_top_bar_and_large_type(new_page, serve):
    server = serve(workers=0)
    page = open_dashboard(new_page(viewport={"width": 1920, "height": 1080}), server, query="?embed=1&big=1")
    expect(page.locator(".topbar")).to_have_count(0)
    expect(page.locator("body")).to_have_class(re.compile(r"\bbig\b"))
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 20
    phone = open_dashboard(new_page(viewport={"width": 390, "height": 844}), server)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390


def test_deltas_chain_by_id_and_a_gap_is_noticed(new_page, serve):
    """The page's store: ids compare as integer pairs; overlaps apply once; gaps are refused."""
    page = open_dashboard(new_page(), serve(workers=0))
    outcome = page.evaluate("""() => {
      const s = new OhMyQueue.Store(["default"]);
      s.loadSnapshot({last: "9-5", queues: ["default"], counts: {default: {queued: 0}},
                      lanes: {default: {}}, cards: {}, limit: 2});
      const ev = (id, job) => ({id, job, type: "enqueued", queue: "default", func: "f", ts: 1});
      return [
        s.applyDelta({prev: "9-0", last: "9-5", events: []}),                       // old
        s.applyDelta({prev: "10-0", last: "10-1", events: [ev("10-1", "x")]}),      // gap
        s.applyDelta({prev: "9-0", last: "10-0", events: [ev("9-5", "a"), ev("10-0", "b")]}),
        s.applyDelta({prev: "10-0", last: "11-0", events: [ev("10-9", "c"), ev("11-0", "d")]}),
        s.last, s.lanes.default.queued.join(","), s.cards.has("a"), s.cards.has("b"),
      ];
    }""")
    assert outcome == ["old", "gap", "applied", "applied", "11-0", "d,c", False, False]


def test_redis_going_away_is_shown_and_the_dashboard_recovers_by_itself(new_page, serve, tmp_path):
    own = EmbeddedRedis(tmp_path / "own-redis", persist=False).start()  # not the session's Redis
    started = [own]
    try:
        server = serve(workers=0, redis_url=own.url)
        page = open_dashboard(new_page(), server)
        own.stop()
        expect(page.locator(".conn")).to_have_attribute("data-state", "redis", timeout=WAIT)
        expect(page.locator(".conn")).to_have_text("Redis unavailable")
        assert requests.get(server.base + "/dashboard", timeout=5).status_code == 200
        late = new_page()
        late.goto(server.base + "/dashboard")
        expect(late.locator(".conn")).to_have_attribute("data-state", "redis", timeout=WAIT)

        started.append(EmbeddedRedis(own.data_dir, port=own.port, persist=False).start())
        for viewer in (page, late):
            expect(viewer.locator(".conn")).to_have_attribute("data-state", "live", timeout=WAIT)
        client = make_client(own.url)
        job = enqueue(client, jobs.noop)
        client.close()
        for viewer in (page, late):
            expect(card(viewer, job, "queued")).to_be_visible(timeout=WAIT)
    finally:
        for redis_server in started:
            redis_server.stop()


def test_the_state_is_on_screen_before_socketio_and_the_chart_arrive_then_goes_live(new_page, serve, connection):
    """The first paint needs neither Socket.IO nor uPlot: they load beside it, and nothing is missed meanwhile."""
    first = enqueue(connection, jobs.noop, queue="high")
    server = serve(workers=0)
    page, held, released = new_page(), [], []
    page.route(re.compile(r".*/(vendor/|static/charts\.js).*"),
               lambda route: route.continue_() if released else held.append(route))
    page.goto(f"{server.base}/dashboard", wait_until="domcontentloaded")  # "load" waits for the held scripts
    high = page.locator('.queue[data-queue="high"]')
    expect(high.locator(f'.lane-queued .card[data-id="{first.id}"]')).to_be_visible()
    expect(high.locator(".lane-queued .lane-count")).to_have_text("1")
    page.wait_for_function("performance.getEntriesByName('omq-first-render').length > 0")
    assert page.locator(".conn").get_attribute("data-state") == "connecting"
    assert page.evaluate("!window.io && !window.uPlot") and page.locator("html[data-ready]").count() == 0
    assert {route.request.url.rsplit("/", 1)[-1] for route in held} >= {"socket.io.min.js", "uPlot.iife.min.js"}
    second = enqueue(connection, jobs.noop, queue="high")  # while the page has no socket yet
    high.locator(f'.card[data-id="{first.id}"] button').click()  # a card can be opened before the socket is there
    released.append(True)
    for route in held:
        route.continue_()
    expect(page.locator(".conn")).to_have_attribute("data-state", "live", timeout=WAIT)
    expect(high.locator(f'.lane-queued .card[data-id="{second.id}"]')).to_be_visible(timeout=WAIT)
    expect(high.locator(".lane-queued .lane-count")).to_have_text("2")
    expect(page.locator("#detail")).to_contain_text("demo.jobs.noop", timeout=WAIT)  # it waited for the socket
    expect(page.locator("#detail .detail-error")).to_be_hidden()
    expect(page.locator("html")).to_have_attribute("data-ready", "true", timeout=WAIT)
    expect(page.locator("#chart canvas")).to_have_count(1)


def test_a_missing_socketio_client_says_how_to_fix_it(new_page, serve):
    server = serve(workers=0)
    page = new_page()
    page.route("**/vendor/socket.io.min.js", lambda route: route.fulfill(status=404, body="missing"))
    page.goto(f"{server.base}/dashboard")
    expect(page.locator(".conn")).to_have_text("Socket.IO client missing: run npm ci", timeout=WAIT)
    expect(page.locator('.queue[data-queue="low"]')).to_be_visible()  # the carried state is still shown
