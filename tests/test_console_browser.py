"""The console in Chromium on a real serve: phones with their own sandboxes, the presenter on the big screen."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from slidekit import build

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DECK = Path(__file__).parent / "decks" / "console"
WAIT = 20_000  # ms: generous for a loaded machine; nothing here measures speed
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
PROJECTOR = {"viewport": {"width": 1280, "height": 720}}


@pytest.fixture
def server(serve, tmp_path):
    site = tmp_path / "site"
    build(str(DECK), str(site))
    return serve(workers=1, env={"SITE_DIR": str(site), "SECRET_KEY": "console-browser-secret"})


def live(page_or_frame):
    expect(page_or_frame.locator(".live-status")).to_have_attribute("data-state", "live", timeout=WAIT)
    return page_or_frame


def phone(new_page, server):
    page = new_page(**PHONE)
    page.goto(server.base + "/demo/redis")
    return live(page)


def type_line(where, line):
    where.locator("#line").fill(line)
    where.locator("#line").press("Enter")


def last_output(where, section="#terminal"):
    return where.locator(f"{section} .entry").last.locator("pre.out")


def test_two_phones_see_only_their_own_keys(new_page, server):
    alice, bob = phone(new_page, server), phone(new_page, server)
    type_line(alice, "SET name alice")
    expect(last_output(alice)).to_have_text("OK", timeout=WAIT)
    type_line(bob, "KEYS *")
    expect(last_output(bob)).to_have_text("(empty array)", timeout=WAIT)
    bob.locator("#examples .chip", has_text="SET name fido").tap()  # tap to run
    expect(last_output(bob)).to_have_text("OK", timeout=WAIT)
    type_line(alice, "GET name")
    expect(last_output(alice)).to_have_text('"alice"', timeout=WAIT)
    type_line(bob, "GET name")
    expect(last_output(bob)).to_have_text('"fido"', timeout=WAIT)
    type_line(alice, "KEYS *")
    expect(last_output(alice)).to_have_text('1) "name"', timeout=WAIT)

    # What a visitor types is only ever text.
    type_line(alice, 'SET x "<img src=x onerror=window.pwned=1>"')
    type_line(alice, "GET x")
    expect(last_output(alice)).to_have_text('"<img src=x onerror=window.pwned=1>"', timeout=WAIT)
    assert alice.locator("#screen img").count() == 0 and alice.evaluate("window.pwned") is None

    # Refusals are one line; history comes back with the ↑ button.
    type_line(alice, "FLUSHALL")
    expect(last_output(alice)).to_have_text(
        "(error) FLUSHALL is not available here; the closest command here is DEL; HELP lists what is", timeout=WAIT)
    alice.locator("#older").tap()
    expect(alice.locator("#line")).to_have_value("FLUSHALL")
    assert alice.script_errors == [] and bob.script_errors == []


def test_the_presenters_commands_appear_on_a_followers_projected_widget(new_page, server):
    presenter = new_page(**PROJECTOR)
    presenter.goto(f"{server.base}/presenter?token={server.token}&next=/deck/")
    follower = new_page(**PROJECTOR)
    follower.goto(server.base + "/deck/")
    expect(follower.locator(".live-status")).to_have_attribute("data-state", "following", timeout=WAIT)
    presenter.wait_for_function("window.OMQ && window.OMQ.deck && window.OMQ.deck.state().h === 0")
    presenter.keyboard.press("ArrowRight")
    expect(follower.locator("#slide-2")).to_have_class(re.compile(r"\bpresent\b"), timeout=WAIT)

    console = live(presenter.frame_locator("#slide-2 iframe"))
    expect(console.locator("#mirrored")).to_contain_text("shows live on the audience's screens")
    type_line(console, "SET name presenter")
    type_line(console, "GET name")
    expect(last_output(console)).to_have_text('"presenter"', timeout=WAIT)
    # Drawn once each, whether the command's answer or its push to the room came first.
    expect(console.locator("#screen .entry .typed")).to_have_text(["SET name presenter", "GET name"])

    projected = live(follower.frame_locator("#slide-2 iframe"))
    mirror = projected.locator("#mirror")
    expect(mirror).to_be_visible()  # in the deck, followers watch the presenter's console
    expect(mirror.locator(".entry .typed")).to_have_text(["SET name presenter", "GET name"], timeout=WAIT)
    expect(last_output(projected, "#mirror")).to_have_text('"presenter"')
    assert mirror.locator("input").count() == 0  # read-only for them

    # Their own tab is their own sandbox: the presenter's key is not there.
    projected.locator("#tab-mine").click()
    type_line(projected, "GET name")
    expect(last_output(projected)).to_have_text("(nil)", timeout=WAIT)
    # And what the presenter types meanwhile still arrives (flagged on the tab).
    type_line(console, "QUEUE")
    type_line(console, "LLEN rq:queue:low")
    expect(projected.locator("#tab-presenter")).to_have_class(re.compile(r"\bunread\b"), timeout=WAIT)
    projected.locator("#tab-presenter").click()
    expect(mirror.locator(".entry .ps").last).to_have_text("rq (read-only)>", timeout=WAIT)
    expect(last_output(projected, "#mirror")).to_have_text("(integer) 0")
    assert presenter.script_errors == [] and follower.script_errors == []
