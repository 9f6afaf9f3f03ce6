"""In real browsers against a real serve: the presenter presses →, the audience sees the next slide."""

import re
from pathlib import Path

import pytest

from conftest import ServeProcess
from slidekit import build

playwright_api = pytest.importorskip("playwright.sync_api")
from playwright.sync_api import expect  # noqa: E402


pytestmark = pytest.mark.browser

DECK = Path(__file__).parent / "decks" / "follow"
PRESENT = re.compile(r"\bpresent\b")
VISIBLE = re.compile(r"\bvisible\b")
WAIT = 15_000  # ms: generous for a loaded machine; nothing here measures speed


@pytest.fixture
def site(tmp_path):
    out = tmp_path / "site"
    build(str(DECK), str(out))
    return out


def _env(site):
    # A fixed secret key: the presenter's session outlives a restart of serve.
    return {"SITE_DIR": str(site), "SECRET_KEY": "browser-test-secret"}


def open_presenter(browser, server, view="/deck/", **context):
    page = browser.new_context(**context).new_page()
    page.goto(f"{server.base}/presenter?token={server.token}&next={view}")
    return page


def open_audience(browser, server, **context):
    page = browser.new_context(**context).new_page()
    page.goto(server.base + "/deck/")
    return page


def status(page):
    return page.locator(".live-status")


def test_the_audience_follows_pauses_and_goes_back_to_live(serve, site, browser):
    server = serve(workers=0, env=_env(site))
    presenter = open_presenter(browser, server)
    audience = open_audience(browser, server)
    expect(status(presenter)).to_have_attribute("data-state", "live", timeout=WAIT)
    expect(status(presenter)).to_contain_text("you drive")
    expect(status(audience)).to_have_attribute("data-state", "following", timeout=WAIT)

    presenter.keyboard.press("ArrowRight")
    expect(audience.locator("#slide-2")).to_have_class(PRESENT, timeout=WAIT)
    presenter.keyboard.press("ArrowRight")
    expect(audience.locator("#slide-2 .fragment").first).to_have_class(VISIBLE, timeout=WAIT)

    # Browsing away pauses following, visibly; the presenter goes on.
    audience.keyboard.press("ArrowLeft")
    audience.keyboard.press("ArrowLeft")
    expect(status(audience)).to_have_attribute("data-state", "paused")
    back = audience.get_by_role("button", name="Back to live")
    expect(back).to_be_visible()
    presenter.keyboard.press("ArrowRight")  # step 2 of slide 2
    presenter.keyboard.press("ArrowRight")  # slide 3
    expect(status(audience)).to_contain_text("live is on slide 3", timeout=WAIT)
    expect(audience.locator("#slide-1")).to_have_class(PRESENT)

    back.click()
    expect(audience.locator("#slide-3")).to_have_class(PRESENT)
    expect(status(audience)).to_have_attribute("data-state", "following")
    expect(back).to_be_hidden()

    # Someone arriving now lands on the live slide at once, whatever the URL says.
    late = browser.new_context().new_page()
    late.goto(server.base + "/deck/#/1")
    expect(late.locator("#slide-3")).to_have_class(PRESENT, timeout=WAIT)


def test_a_phone_takes_over_with_a_button_and_drives_from_its_remote(serve, site, browser):
    server = serve(workers=0, env=_env(site))
    laptop = open_presenter(browser, server)
    expect(status(laptop)).to_have_attribute("data-state", "live", timeout=WAIT)
    audience = open_audience(browser, server)
    phone = open_presenter(browser, server, "/deck/?presenter", viewport={"width": 390, "height": 844},
                           is_mobile=True, has_touch=True, device_scale_factor=2)
    expect(status(phone)).to_have_attribute("data-state", "standby", timeout=WAIT)
    expect(phone.locator(".p-notes")).to_contain_text("Say hello")  # notes and timer of the presenter view
    expect(phone.locator(".p-elapsed")).to_have_text(re.compile(r"\d\d:\d\d:\d\d"))

    phone.get_by_role("button", name="Take over").tap()
    expect(status(phone)).to_have_attribute("data-state", "live", timeout=WAIT)
    expect(status(laptop)).to_have_attribute("data-state", "standby", timeout=WAIT)
    expect(status(laptop)).to_contain_text("Taken over by another presenter session")

    next_button = phone.get_by_role("button", name="Next ›")
    box = next_button.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 120  # big enough for a thumb
    next_button.tap()
    expect(audience.locator("#slide-2")).to_have_class(PRESENT, timeout=WAIT)
    expect(laptop.locator("#slide-2")).to_have_class(PRESENT, timeout=WAIT)

    laptop.keyboard.press("ArrowRight")  # the laptop no longer drives: it asks, and the room stays put
    expect(laptop.get_by_role("alertdialog")).to_contain_text("Take over from the phone?")
    expect(laptop.locator("#slide-2")).to_have_class(PRESENT)
    expect(status(laptop)).to_have_attribute("data-state", "standby")
    phone.get_by_role("button", name="‹ Previous").tap()
    expect(audience.locator("#slide-1")).to_have_class(PRESENT, timeout=WAIT)


def test_without_the_server_the_deck_goes_on_and_rejoins_when_it_returns(serve, site, browser, redis_url, tmp_path):
    first = serve(workers=0, env=_env(site))
    presenter = open_presenter(browser, first)
    audience = open_audience(browser, first)
    expect(status(presenter)).to_have_attribute("data-state", "live", timeout=WAIT)
    expect(status(audience)).to_have_attribute("data-state", "following", timeout=WAIT)

    first.stop()
    expect(status(audience)).to_have_attribute("data-state", re.compile("reconnecting|offline"), timeout=WAIT)
    expect(status(presenter)).to_have_attribute("data-state", re.compile("reconnecting|offline"), timeout=WAIT)
    for _ in range(4):  # the talk goes on locally: slide 2, its two steps, slide 3
        presenter.keyboard.press("ArrowRight")
    expect(presenter.locator("#slide-3")).to_have_class(PRESENT)
    expect(audience.locator("#slide-1")).to_have_class(PRESENT)

    # Same port, same Redis: the server comes back; both rejoin by themselves.
    again = ServeProcess(tmp_path / "again", redis_url, workers=0, extra=("--port", str(first.port)), env=_env(site))
    again.port, again.base = first.port, first.base
    try:
        again.wait_healthy()
        expect(status(presenter)).to_have_attribute("data-state", "live", timeout=30_000)
        expect(audience.locator("#slide-3")).to_have_class(PRESENT, timeout=WAIT)
        expect(status(audience)).to_have_attribute("data-state", "following")
    finally:
        again.stop()
