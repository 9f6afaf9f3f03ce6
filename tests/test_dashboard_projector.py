"""The dashboard on a projector, in Chromium on a real ``serve``: the
audience's jobs stay on the first screen while the cron ticks pile up, a
reload words every result as the live page did, and a failed job's detail
leads with its error."""

import re

import pytest
import requests
from playwright.sync_api import expect

from demo import jobs
from demo.live.enqueue import enqueue

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WAIT = 20_000
SCREEN = {"width": 1920, "height": 1080}

#: What a Python repr looks like on a card: quotes around text, a dict's braces.
REPR = re.compile(r"^'.*'$|\{'|': ")


def _audience_jobs(server, count):
    """Jobs sent as a phone does (the audience's queue, a nickname)."""
    phone = requests.Session()
    phone.get(f"{server.base}/demo/submit", timeout=10)
    ids = []
    for n in range(count):
        reply = phone.post(f"{server.base}/demo/submit", json={"kind": "wait", "seconds": 1 + n}, timeout=10)
        assert reply.status_code == 202, reply.text
        ids.append(reply.json()["job"])
    return ids


def _on_first_screen(page, job_id):
    card = page.locator(f'.card[data-id="{job_id}"]')
    expect(card).to_be_visible(timeout=WAIT)
    box = card.bounding_box()
    return box["y"] >= 0 and box["y"] + box["height"] <= page.viewport_size["height"]


def test_audience_jobs_stay_on_the_first_screen_while_cron_ticks_run(new_page, serve, connection):
    server = serve(workers=1, env={"DEMO_TICK_INTERVAL": "1"})
    ticks = lambda: [e for e in connection.xrange("omq:events") if e[1].get(b"recurring")]  # noqa: E731
    deadline_page = new_page(viewport=SCREEN)
    deadline_page.goto(f"{server.base}/dashboard")
    expect(deadline_page.locator(".card-fold").first).to_be_visible(timeout=WAIT)  # the ticks, folded
    mine = _audience_jobs(server, 3)
    assert len(ticks()) > 0
    for query in ("", "?big=1"):
        page = new_page(viewport=SCREEN)
        page.goto(f"{server.base}/dashboard{query}")
        for job_id in mine:
            expect(page.locator(f'.queue[data-queue="low"] .lane-finished .card[data-id="{job_id}"]')).to_be_visible(
                timeout=WAIT)
        folds = page.locator('.queue[data-queue="default"] .card-fold .card-func')  # one per lane at most
        expect(folds.first).to_have_text(re.compile(r"^tick ×\d+$"))
        assert page.locator('.queue[data-queue="default"] .card[data-status="finished"]:not(.card-fold)').count() <= 1
        assert max(int(t.split("×")[1]) for t in folds.all_inner_texts()) >= 2
        assert all(_on_first_screen(page, job_id) for job_id in mine), query
        assert page.locator(".queue").first.get_attribute("data-queue") == "low"  # the audience's queue leads
        live = {i: page.locator(f'.card[data-id="{i}"] .card-info').inner_text() for i in mine}
        page.reload()
        for job_id in mine:
            expect(page.locator(f'.card[data-id="{job_id}"] .card-info')).to_have_text(live[job_id], timeout=WAIT)
        infos = page.locator(".card-info").all_inner_texts()
        assert infos and not [text for text in infos if REPR.search(text)], infos
        assert not REPR.search(page.locator("#summary").inner_text())
        assert page.script_errors == []


def test_a_failed_jobs_detail_leads_with_the_exception_message(new_page, serve, connection):
    server = serve(workers=1)
    job = enqueue(connection, jobs.fail, "the card was declined")
    page = new_page(viewport=SCREEN)
    page.goto(f"{server.base}/dashboard")
    page.locator(f'.lane-failed .card[data-id="{job.id}"] button').click(timeout=WAIT)
    detail = page.locator("#detail")
    message = detail.locator(".failure-message")
    expect(message).to_have_text("the card was declined", timeout=WAIT)
    expect(detail.locator(".failure-type")).to_have_text("RuntimeError")
    frames = detail.locator(".frame")
    expect(frames.first).to_be_attached()
    order = page.evaluate("""() => {
        const d = document.getElementById('detail');
        const message = d.querySelector('.failure-message');
        const below = message.getBoundingClientRect().bottom;
        return Array.from(d.querySelectorAll('.frame, pre')).map(f => {
          const shown = f.getClientRects().length > 0;  // the library's frames are folded away
          return [f.className || f.tagName, (message.compareDocumentPosition(f) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0,
                  !shown || f.getBoundingClientRect().top >= below - 1];
        });
    }""")
    assert order and all(after and lower for _, after, lower in order), order  # the message first, above them all
    size = lambda sel: float(detail.locator(sel).first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))  # noqa: E731
    assert size(".failure-message") > size(".frame-where")  # in large type
    own = detail.locator(".frames").first.locator(".frame-where")
    expect(own.first).to_contain_text("demo/jobs.py")  # the job's own code first
    library = detail.locator("details.frames-library")
    expect(library).not_to_have_attribute("open", "")  # rq's machinery, folded
    expect(library.locator("summary")).to_contain_text("in libraries")
    expect(detail.locator(".attempt")).to_have_count(1)
    assert page.script_errors == []


def test_the_projector_view_fits_720p_and_its_detail_does_not_squeeze_the_lanes(new_page, serve, connection):
    server = serve(workers=1)
    mine = _audience_jobs(server, 2)
    enqueue(connection, jobs.fail, "on the projector")
    page = new_page(viewport={"width": 1280, "height": 720})
    page.goto(f"{server.base}/dashboard?big=1&queues=default,low")
    expect(page.locator(f'.card[data-id="{mine[0]}"]')).to_be_visible(timeout=WAIT)
    assert page.locator(".queue").evaluate_all("qs => qs.map(q => q.dataset.queue)") == ["default", "low"]
    fits = "() => document.documentElement.scrollHeight <= innerHeight && document.documentElement.scrollWidth <= innerWidth"
    assert page.evaluate(fits)
    assert page.evaluate("""() => Array.from(document.querySelectorAll('.card:not([hidden])')).every(c => {
        const r = c.getBoundingClientRect(), list = c.parentNode.getBoundingClientRect();
        return r.bottom <= list.bottom + 1; })""")  # no card is cut: the rest is "+N"
    lanes = page.locator(".queues").bounding_box()
    page.locator(".lane-failed .card button").first.click(timeout=WAIT)
    expect(page.locator("#detail .failure-message")).to_have_text("on the projector", timeout=WAIT)
    assert page.locator(".queues").bounding_box() == lanes  # an overlay: the lanes keep their room
    assert page.evaluate(fits)
    ticks = page.evaluate("() => OhMyQueue.dashboard.chart.plot.axes.slice(1, 3).flatMap(a => a._values || [])")
    assert ticks and all(re.fullmatch(r"\d+", str(t)) for t in ticks), ticks  # whole numbers on the count axes
    assert page.script_errors == []
