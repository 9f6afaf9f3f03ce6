"""A talk that survives a real room (issue 10), in real browsers against a real serve.

The presenter: a restart keeps them driving where they were; a new sign-in
takes the seat of a driver who is gone; a laptop key while the phone drives
asks instead of forking the room; the phone remote's link and QR code are
the presenter's only; the speaker view's next step, step numbers, timer and
pace; the status pill. The audience: the real deck on a phone held upright,
the landing page, and a job sent from a phone.
"""

import json
import re
from pathlib import Path

import pytest
import requests

from conftest import ROOT, ServeProcess
from slidekit import build
from test_follow_browser import PRESENT, VISIBLE, WAIT

playwright_api = pytest.importorskip("playwright.sync_api")
from playwright.sync_api import expect  # noqa: E402

pytestmark = pytest.mark.browser

DECK = Path(__file__).parent / "decks" / "room"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The fixture deck: 5 slides; slide 2 has 2 steps, slide 3 the submit widget, slide 4 the join QR code."""
    out = tmp_path_factory.mktemp("room") / "site"
    build(str(DECK), str(out))
    return out


@pytest.fixture(scope="module")
def real_site(tmp_path_factory):
    """The talk itself (slides/), built."""
    out = tmp_path_factory.mktemp("talk") / "site"
    build(str(ROOT / "slides"), str(out))
    return out


def _env(site, **extra):
    return {"SITE_DIR": str(site), "SECRET_KEY": "room-browser-secret", **extra}


def signed_in(browser, server, view="/deck/", hints=False, **context):
    """A presenter page; the first-visit tips are taken as read unless ``hints``."""
    page = browser.new_context(**context).new_page()
    if not hints:
        page.add_init_script("for (const k of ['deck', 'speaker', 'remote']) localStorage.setItem('omq-live-hint-seen:' + k, '1')")
    page.goto(f"{server.base}/presenter?token={server.token}&next={view}")
    return page


def audience(browser, server, path="/deck/", **context):
    page = browser.new_context(**context).new_page()
    page.goto(server.base + path)
    return page


def pill(page):
    return page.locator(".live-status")


def slide(page, n):
    return page.locator(f"#slide-{n}")


def link(server, label):
    return re.search(rf"^{label}:\s+(\S+)", server.output(), re.M).group(1)


# --- the presenter ----------------------------------------------------------------


def test_a_restart_keeps_the_presenter_driving_from_where_they_were(site, browser, redis_url, connection, tmp_path):
    # Nothing from the environment: the token and the session key are kept under instance/.
    env = {"SITE_DIR": str(site), "SECRET_KEY": "", "DEMO_PRESENTER_TOKEN": ""}
    first = ServeProcess(tmp_path / "serve", redis_url, workers=0, env=env).wait_healthy()
    again = None
    try:
        printed = link(first, "Presenter")
        laptop = browser.new_context().new_page()
        laptop.add_init_script("localStorage.setItem('omq-live-hint-seen:deck', '1')")
        laptop.goto(printed + "&next=/deck/")
        room = audience(browser, first)
        expect(pill(laptop)).to_have_attribute("data-state", "live", timeout=WAIT)
        laptop.keyboard.press("ArrowRight")
        laptop.keyboard.press("ArrowRight")  # slide 2, step 2 of 3
        expect(room.locator("#slide-2 .fragment").first).to_have_class(VISIBLE, timeout=WAIT)

        first.stop()
        expect(pill(laptop)).to_have_attribute("data-state", re.compile("reconnecting|offline"), timeout=WAIT)
        again = ServeProcess(tmp_path / "serve", redis_url, workers=0, env=env, extra=("--port", str(first.port)))
        again.port, again.base = first.port, first.base
        again.wait_healthy()
        assert link(again, "Presenter") == printed  # the printed link still works

        # The same tab, signed in before the restart, drives again from slide 2 step 2.
        expect(pill(laptop)).to_have_attribute("data-state", "live", timeout=30_000)
        expect(pill(laptop)).to_contain_text("you drive")
        expect(slide(laptop, 2)).to_have_class(PRESENT)
        laptop.keyboard.press("ArrowRight")  # step 3 of 3
        expect(room.locator("#slide-2 .fragment").nth(1)).to_have_class(VISIBLE, timeout=WAIT)
        expect(slide(room, 2)).to_have_class(PRESENT)
    finally:
        if again is not None:
            again.stop()
        first.stop()


def test_a_new_sign_in_takes_the_seat_of_a_presenter_who_is_gone(serve, site, browser):
    server = serve(workers=0, env=_env(site))
    laptop = signed_in(browser, server)
    expect(pill(laptop)).to_have_attribute("data-state", "live", timeout=WAIT)
    room = audience(browser, server)
    laptop.keyboard.press("ArrowRight")
    expect(slide(room, 2)).to_have_class(PRESENT, timeout=WAIT)
    laptop.context.close()  # the laptop dies

    phone = signed_in(browser, server, "/deck/?presenter", **PHONE)
    expect(pill(phone)).to_have_attribute("data-state", "live", timeout=WAIT)  # no "Take over" to tap
    expect(phone.get_by_role("button", name="Take over")).to_be_hidden()
    phone.get_by_role("button", name="Next ›").tap()
    expect(room.locator("#slide-2 .fragment").first).to_have_class(VISIBLE, timeout=WAIT)


def test_a_laptop_key_while_the_phone_drives_asks_and_never_forks_the_room(serve, site, browser):
    server = serve(workers=0, env=_env(site))
    laptop = signed_in(browser, server)
    expect(pill(laptop)).to_have_attribute("data-state", "live", timeout=WAIT)
    room = audience(browser, server)
    phone = signed_in(browser, server, "/deck/?presenter", **PHONE)
    expect(pill(phone)).to_have_attribute("data-state", "standby", timeout=WAIT)
    phone.get_by_role("button", name="Take over").tap()
    expect(pill(laptop)).to_have_attribute("data-state", "standby", timeout=WAIT)

    ask = laptop.get_by_role("alertdialog")
    laptop.keyboard.press("PageDown")  # a clicker
    expect(ask).to_contain_text("Take over from the phone?")
    expect(slide(laptop, 1)).to_have_class(PRESENT)
    expect(pill(laptop)).to_have_attribute("data-state", "standby")  # not "paused": it shows the room's slide

    phone.get_by_role("button", name="Next ›").tap()  # the phone drives on; the laptop follows
    expect(slide(room, 2)).to_have_class(PRESENT, timeout=WAIT)
    expect(slide(laptop, 2)).to_have_class(PRESENT, timeout=WAIT)
    laptop.keyboard.press("Escape")  # keep following
    expect(ask).to_be_hidden()
    expect(laptop.locator(".deck")).not_to_have_class(re.compile(r"\boverview\b"))

    laptop.keyboard.press("ArrowRight")  # asks again ...
    expect(ask).to_be_visible()
    laptop.keyboard.press("ArrowRight")  # ... the same key again says yes, and steps
    expect(pill(laptop)).to_have_attribute("data-state", "live", timeout=WAIT)
    expect(room.locator("#slide-2 .fragment").first).to_have_class(VISIBLE, timeout=WAIT)
    expect(pill(phone)).to_have_attribute("data-state", "standby", timeout=WAIT)
    expect(phone.locator("#slide-2 .fragment").first).to_have_class(VISIBLE, timeout=WAIT)


def test_the_phone_remote_link_and_qr_code_are_the_presenters_only(serve, site, browser):
    server = serve(workers=0, env=_env(site))
    speaker = signed_in(browser, server, "/deck/?presenter", hints=True, viewport={"width": 1280, "height": 720})
    tips = speaker.get_by_role("dialog", name="Presenter tips")
    expect(tips).to_contain_text("Phone remote")
    tips.get_by_role("button", name="Show the phone remote").click()
    qr = speaker.get_by_role("dialog", name="Phone remote")
    expect(qr.locator(".live-qr-img")).to_be_visible(timeout=WAIT)
    assert speaker.locator(".live-qr-img").evaluate("img => img.complete && img.naturalWidth > 0")
    url = qr.locator(".live-qr-url").get_attribute("href")
    assert re.fullmatch(rf"{re.escape(server.base)}/remote\?code=[\w-]+", url)
    assert server.token not in speaker.content()

    # The audience's speaker view has no remote, and the server makes it no code.
    room = audience(browser, server, "/deck/?presenter")
    expect(pill(room)).to_have_attribute("data-role", "audience", timeout=WAIT)
    expect(room.locator(".live-remote-open, .live-qr, .live-hint")).to_have_count(0)
    status = room.evaluate("""() => fetch('/remote/code', {method: 'POST', headers: {'Content-Type': 'application/json'},
                                                           body: '{}'}).then(r => r.status)""")
    assert status == 403

    # The phone that scans the code lands on the remote, signed in; the laptop is told.
    phone = browser.new_context(**PHONE).new_page()
    phone.goto(url)
    assert phone.url.startswith(f"{server.base}/deck/?presenter")
    expect(pill(phone)).to_have_attribute("data-state", "standby", timeout=WAIT)
    expect(phone.get_by_role("button", name="Next ›")).to_be_visible()
    expect(qr).to_contain_text("Phone paired", timeout=WAIT)
    again = browser.new_context(**PHONE).new_page()
    again.goto(url)  # a code works once
    expect(again.locator("body")).to_contain_text("expired or was used already")


def test_the_speaker_view_previews_the_next_step_counts_from_one_and_keeps_time(serve, site, browser):
    server = serve(workers=0, env=_env(site))
    speaker = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
    # A timer paused at 3:20 (kept across reloads): on slide 1, planned 0:00 to 1:00, that is 2:20 behind.
    speaker.add_init_script("""localStorage.setItem('omq-live-hint-seen:speaker', '1');
        if (!sessionStorage.getItem('set')) { sessionStorage.setItem('set', '1');
          localStorage.setItem('omq-timer:/deck/', JSON.stringify({run: false, base: 200, since: 0})); }""")
    speaker.goto(f"{server.base}/presenter?token={server.token}&next=/deck/?presenter")
    expect(pill(speaker)).to_have_attribute("data-state", "live", timeout=WAIT)
    bar = speaker.locator(".p-bar")
    expect(bar.locator(".p-elapsed")).to_have_text("00:03:20")
    expect(bar.locator(".p-pace")).to_have_text("2:20 behind · plan 0:00–1:00 of 3:30")
    expect(bar.get_by_role("button", name="Resume")).to_be_visible()
    expect(speaker.locator(".p-label")).to_have_text("Next: slide 2")

    speaker.keyboard.press("ArrowRight")  # slide 2: its next step is on the same slide
    expect(bar.locator(".p-count")).to_have_text("Slide 2 / 5 · step 1 of 3")
    expect(speaker.locator(".p-label")).to_have_text("Next: step 2 of 3")
    preview = speaker.locator(".p-stage .slide.present")
    expect(preview).to_contain_text("Two steps")
    expect(preview.locator(".fragment").first).to_have_class(VISIBLE)
    expect(preview.locator(".fragment").nth(1)).not_to_have_class(VISIBLE)
    expect(bar.locator(".p-pace")).to_have_text("1:20 behind · plan 1:00–2:00 of 3:30")
    speaker.keyboard.press("ArrowRight")
    speaker.keyboard.press("ArrowRight")  # step 3 of 3: next is slide 3
    expect(bar.locator(".p-count")).to_have_text("Slide 2 / 5 · step 3 of 3")
    expect(speaker.locator(".p-label")).to_have_text("Next: slide 3")
    expect(preview).to_contain_text("Three: your turn")

    bar.get_by_role("button", name="Reset").click()
    expect(bar.locator(".p-elapsed")).to_have_text("00:00:00")
    expect(bar.locator(".p-pace")).to_be_hidden()
    bar.get_by_role("button", name="Start").click()
    expect(bar.locator(".p-elapsed")).not_to_have_text("00:00:00", timeout=WAIT)
    bar.get_by_role("button", name="Pause").click()
    shown = bar.locator(".p-elapsed").text_content()
    speaker.reload()  # a paused timer keeps its time across a reload
    expect(bar.locator(".p-elapsed")).to_have_text(shown)
    expect(bar.get_by_role("button", name="Resume")).to_be_visible()
    assert bar.get_by_role("button", name="Reset").evaluate("b => getComputedStyle(b).borderRadius") != "0px"


def test_the_status_pill_fades_when_all_is_well_and_never_says_paused_on_the_live_slide(serve, site, browser):
    server = serve(workers=0, env=_env(site))
    laptop = signed_in(browser, server)
    room = audience(browser, server)
    expect(pill(room)).to_have_attribute("data-state", "following", timeout=WAIT)
    expect(pill(room)).to_have_css("opacity", "0", timeout=WAIT)  # faded: nothing over the slide

    laptop.keyboard.press("ArrowRight")
    # The room follows the laptop to the next slide first (a push, which a busy machine may delay).
    room.wait_for_function("window.OMQ.deck.state().h === 1 && window.OMQ.deck.state().f === 0", timeout=WAIT)
    room.keyboard.press("ArrowLeft")  # browsing back: paused, in full view
    expect(pill(room)).to_have_attribute("data-state", "paused")
    expect(pill(room)).to_have_css("opacity", "1")  # any change brings it back
    room.keyboard.press("ArrowRight")  # back on the live slide by hand: following again
    expect(pill(room)).to_have_attribute("data-state", "following")
    expect(room.get_by_role("button", name="Back to live")).to_be_hidden()


def test_the_join_slide_warns_the_presenter_only_that_phones_cannot_reach_a_loopback_address(serve, site, browser):
    server = serve(workers=0, env=_env(site))
    laptop = signed_in(browser, server, "/deck/#/4")
    expect(pill(laptop)).to_have_attribute("data-state", "live", timeout=WAIT)
    laptop.keyboard.press("End")
    laptop.keyboard.press("ArrowLeft")  # slide 4: the join QR code
    expect(laptop.locator("#slide-4 .qr-warning")).to_contain_text("Phones can't reach this address", timeout=WAIT)
    room = audience(browser, server)
    expect(slide(room, 4)).to_have_class(PRESENT, timeout=WAIT)
    expect(room.locator("#slide-4 .qr-url")).to_have_text(f"{server.base}/deck/", timeout=WAIT)
    expect(room.locator(".qr-warning")).to_have_count(0)


# --- the audience ----------------------------------------------------------------------

TEXT_SIZES = """(h) => {
  const deck = OMQ.deck;
  deck.goTo(h, 'last');
  const slide = deck.slides[h], small = [];
  const walker = document.createTreeWalker(slide, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!node.textContent.trim() || el.closest('.notes, [hidden]') || getComputedStyle(el).display === 'none') continue;
    const size = parseFloat(getComputedStyle(el).fontSize), least = el.closest('pre') ? 14 : 16;
    if (size < least) small.push(`${el.tagName} ${size}px "${node.textContent.trim().slice(0, 30)}"`);
  }
  const codes = [...slide.querySelectorAll('pre.code')].map(pre => getComputedStyle(pre).overflowX);
  // A projector's diagram is too small to read at phone width: the page says how to read it.
  const diagrams = [...slide.querySelectorAll('svg.diagram')].map(svg => getComputedStyle(svg.parentElement, '::after'))
    .map(hint => hint.content.includes('Pinch to zoom') && parseFloat(hint.fontSize) >= 16);
  return {small, codes, diagrams, transform: getComputedStyle(slide.parentElement).transform,
          wide: document.documentElement.scrollWidth > innerWidth || slide.scrollWidth > slide.clientWidth + 1};
}"""


SWIPE = """([x0, y0, x1, y1]) => {
  const el = document.querySelector('.deck'), touch = (x, y) => new Touch({identifier: 1, target: el, clientX: x, clientY: y});
  el.dispatchEvent(new TouchEvent('touchstart', {touches: [touch(x0, y0)], changedTouches: [touch(x0, y0)], bubbles: true}));
  el.dispatchEvent(new TouchEvent('touchend', {touches: [], changedTouches: [touch(x1, y1)], bubbles: true}));
}"""


def test_a_phone_held_upright_reads_every_slide_of_the_talk_and_opens_every_demo(serve, real_site, browser):
    server = serve(workers=0, env=_env(real_site))
    phone = audience(browser, server, **PHONE)
    expect(pill(phone)).to_have_attribute("data-state", "following", timeout=WAIT)
    outline = json.loads((real_site / "deck.json").read_text())["slides"]
    opened = 0
    for h, info in enumerate(outline):
        seen = phone.evaluate(TEXT_SIZES, h)
        where = f"slide {h + 1} ({info['title']})"
        assert seen["small"] == [], f"{where}: text under 16 px (code under 14): {seen['small']}"
        assert seen["transform"] == "none", f"{where} is a scaled picture, not reflowed"
        assert not seen["wide"], f"{where} is wider than the phone"
        assert all(o in ("auto", "scroll") for o in seen["codes"]), f"{where}: code does not scroll sideways"
        assert all(seen["diagrams"]), f"{where}: a diagram without the hint to zoom or turn the phone"
        for name in info["widgets"]:
            button = phone.locator(f"#slide-{h + 1} .widget[data-widget='{name}'] .widget-open")
            expect(button).to_be_visible()
            box = button.bounding_box()
            assert box["height"] >= 44 and box["width"] >= 200, f"{where}: 'Open this demo' is too small to tap"
            heading = phone.locator(f"#slide-{h + 1} > :is(h1, h2, h3)").first.bounding_box()
            assert box["y"] - (heading["y"] + heading["height"]) < 48, f"{where}: a gap between heading and demo"
            assert "embed" not in button.get_attribute("href"), where
            with phone.context.expect_page() as popup:
                button.tap()
            demo = popup.value
            demo.wait_for_load_state()
            assert requests.get(demo.url, timeout=10).status_code == 200, where
            expect(demo.locator("h1").first).to_be_visible()
            assert demo.evaluate("document.documentElement.scrollWidth <= innerWidth + 1"), f"{where}: the demo page overflows"
            demo.close()
            opened += 1
    assert opened == sum(len(info["widgets"]) for info in outline) >= 8
    # Up and down scrolls a long slide; sideways moves (the audience's own step pauses following).
    phone.evaluate("OMQ.deck.goTo(0, 0)")
    phone.evaluate(SWIPE, [200, 600, 200, 250])
    expect(slide(phone, 1)).to_have_class(PRESENT)
    phone.evaluate(SWIPE, [320, 400, 60, 400])
    expect(slide(phone, 2)).to_have_class(PRESENT)
    expect(phone.get_by_role("link", name="Send a job")).to_have_attribute("href", f"{server.base}/demo/submit")
    expect(phone.get_by_role("link", name="Dashboard")).to_have_attribute("href", f"{server.base}/dashboard")

    turned = audience(browser, server, **{**PHONE, "viewport": {"width": 844, "height": 390}})
    expect(pill(turned)).to_have_attribute("data-state", "following", timeout=WAIT)
    assert turned.evaluate("getComputedStyle(document.querySelector('.slides')).transform") != "none"  # the slide, scaled
    expect(turned.get_by_role("link", name="Send a job")).to_be_hidden()


def test_the_landing_page_has_one_way_in_and_says_where_the_talk_is(serve, site, browser):
    server = serve(workers=0, env=_env(site))
    laptop = signed_in(browser, server)
    expect(pill(laptop)).to_have_attribute("data-state", "live", timeout=WAIT)
    landing = audience(browser, server, "/", **PHONE)
    now = landing.locator("#now")
    expect(now).to_have_text("The talk starts on slide 1: One", timeout=WAIT)
    laptop.keyboard.press("ArrowRight")
    expect(now).to_have_text("Now on slide 2: Two steps", timeout=WAIT)  # pushed, not polled
    follow = landing.get_by_role("link", name="Follow the talk")
    expect(follow).to_have_attribute("href", "/deck/")
    assert landing.locator(".landing-cta").count() == 1
    for target in landing.locator("a").all():
        box = target.bounding_box()
        assert box["height"] >= 44, f"{target.text_content()!r} is {box['height']} px tall"
    follow.tap()
    expect(slide(landing, 2)).to_have_class(PRESENT, timeout=WAIT)


def test_a_phone_sees_its_job_in_line_then_running_then_done(serve, site, browser):
    server = serve(workers=1, env=_env(site))
    phone = audience(browser, server, "/demo/submit", **PHONE)
    expect(phone.locator(".live-status")).to_have_attribute("data-state", "live", timeout=WAIT)
    phone.fill("#seconds", "3")
    phone.get_by_role("button", name="Send the job").first.tap()
    card = phone.locator(".job").first
    # Within 2 s of sending: where it stands (its place in line) or its progress.
    expect(card.locator(".place, .bar")).to_be_visible(timeout=2_000)
    expect(card.locator(".cue")).to_contain_text("Watch the big screen")
    expect(card.locator(".bar")).to_be_visible(timeout=WAIT)
    expect(card).to_have_attribute("data-status", "finished", timeout=WAIT)
    expect(card).to_contain_text("waited 3 s")
    expect(card.locator(".cue")).to_contain_text("Done")


def test_a_phone_offline_is_told_plainly_and_its_job_is_sent_once_when_the_server_is_back(
        serve, site, browser, redis_url, tmp_path, connection):
    first = serve(workers=0, env=_env(site))
    phone = audience(browser, first, "/demo/submit", **PHONE)
    status = phone.locator(".live-status")
    expect(status).to_have_attribute("data-state", "live", timeout=WAIT)
    first.stop()
    expect(status).to_have_text("can't reach the talk's server; we'll retry", timeout=WAIT)
    phone.fill("#seconds", "2")
    phone.get_by_role("button", name="Send the job").first.tap()
    message = phone.locator("#message")
    expect(message).to_have_text("Can't reach the talk's server; we'll send your job as soon as it's back.")

    again = ServeProcess(tmp_path / "again", redis_url, workers=1, extra=("--port", str(first.port)), env=_env(site))
    again.port, again.base = first.port, first.base
    try:
        again.wait_healthy()
        expect(status).to_have_text("live", timeout=30_000)
        expect(message).to_be_hidden(timeout=WAIT)  # the offline message clears itself
        card = phone.locator(".job")
        expect(card).to_have_count(1, timeout=WAIT)
        expect(card).to_have_attribute("data-status", "finished", timeout=WAIT)
        assert len(phone.evaluate("fetch('/demo/mine').then(r => r.json())")["jobs"]) == 1  # sent once
    finally:
        again.stop()
