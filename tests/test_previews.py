"""Widgets outside the server and build errors in the browser (build_slides.py
--watch, --pdf, --demo-url): the neutral card where a widget cannot run, the
live demo in previews and a still of it in the PDF when a demo server is
given, and a failed rebuild's problems over every open deck."""

import json
import re
import threading
import time
from contextlib import contextmanager

import pytest
from deckfixtures import DECKS, build_deck, copy_deck, pdf_page_count
from playwright.sync_api import expect

from slidekit.watch import watch

pytestmark = pytest.mark.browser


@contextmanager
def _watching(src, out, **options):
    """``build_slides --watch`` in a thread; yields (base url, log), then stops it."""
    stop, servers, log = threading.Event(), [], []
    thread = threading.Thread(target=watch, args=(str(src), str(out)), daemon=True,
                              kwargs={"port": 0, "stop": stop, "ready": servers.append, "log": log.append, **options})
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not servers and time.monotonic() < deadline:
            time.sleep(0.05)
        yield f"http://127.0.0.1:{servers[0].server_port}/", log
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()


def test_the_presenter_view_and_the_overview_show_a_neutral_card(new_page, tmp_path):
    out = tmp_path / "site"
    assert build_deck(DECKS / "basic", "--out", out)[0] == 0
    deck = json.loads((out / "deck.json").read_text(encoding="utf-8"))
    widget = next(s["number"] for s in deck["slides"] if s["widgets"])
    presenter = new_page()
    presenter.goto(out.joinpath("index.html").as_uri() + f"?presenter#/{widget - 1}")
    card = presenter.locator(".p-next .slide.present .widget-offline")
    expect(card).to_contain_text("Live demo: the queue dashboard")
    expect(card).to_contain_text("On the main screen.")
    expect(presenter.locator(".p-next .p-name")).to_have_text(deck["slides"][widget - 1]["title"])
    page = new_page()
    page.goto(out.joinpath("index.html").as_uri() + "#/1")
    page.keyboard.press("o")
    thumbnail = page.locator(".slide .widget-offline").first
    expect(thumbnail).to_contain_text("On the main screen.")
    for text in (card.inner_text(), thumbnail.inner_text()):
        assert "5000" not in text and "not reachable" not in text


def test_watch_with_a_demo_url_shows_the_live_widget_and_a_failed_build_over_the_deck(new_page, tmp_path, serve):
    server = serve(workers=0)
    src = copy_deck("basic", tmp_path / "slides")
    with _watching(src, tmp_path / "site", demo_url=server.base + "/") as (base, log):
        deck = json.loads((tmp_path / "site" / "deck.json").read_text(encoding="utf-8"))
        widget = next(s["number"] for s in deck["slides"] if s["widgets"])
        page, other = new_page(), new_page()
        page.goto(f"{base}#/{widget}")
        frame = page.locator(".slide.present .widget iframe")
        expect(frame).to_have_attribute("src", f"{server.base}/dashboard?embed=1&theme=dark")
        other.goto(f"{base}#/1")
        other.wait_for_selector("html[data-deck=ready]", state="attached")

        intro = src / "01-intro.md"
        good = intro.read_text(encoding="utf-8")
        intro.write_text(good + "\n---\n\n::widget nope\n\n```python {9}\nx = 1\n```\n", encoding="utf-8")
        for open_deck in (page, other):  # every open deck says what is wrong, where
            overlay = open_deck.locator(".omq-build-errors")
            expect(overlay).to_be_visible(timeout=10_000)
            expect(overlay).to_contain_text("The build failed")
            expect(overlay.locator("pre")).to_have_text([re.compile(r"01-intro\.md:\d+: unknown widget 'nope'"),
                                                         re.compile(r"01-intro\.md:\d+: .*highlight")])
        late = new_page()  # a deck opened after the failure sees it too
        late.goto(base)
        expect(late.locator(".omq-build-errors")).to_be_visible(timeout=10_000)
        assert any("unknown widget 'nope'" in line for line in log)  # the terminal says it as before

        intro.write_text(good.replace("Work can wait", "Fixed"), encoding="utf-8")
        for open_deck in (page, other, late):  # the next good build reloads every deck: the overlay is gone
            expect(open_deck.locator(".omq-build-errors")).to_have_count(0, timeout=10_000)
            open_deck.wait_for_selector("html[data-deck=ready]", state="attached")
        assert page.script_errors == [] and other.script_errors == []


def test_pdf_prints_a_still_of_each_live_demo_from_the_demo_server(tmp_path, serve):
    server = serve(workers=0)
    code, out, err = build_deck(DECKS / "basic", "--out", tmp_path / "site", "--pdf", tmp_path / "deck.pdf",
                                "--demo-url", server.base)
    assert code == 0, err
    assert "printed 10 pages" in out and f"with 1 live demo stills from {server.base}" in out
    assert pdf_page_count(tmp_path / "deck.pdf") == 10


def test_demo_url_mistakes_get_one_line_with_the_fix(tmp_path):
    code, _, err = build_deck(DECKS / "basic", "--out", tmp_path / "site", "--demo-url", "http://127.0.0.1:5000/")
    assert code == 2 and "--demo-url is for --watch previews and --pdf stills" in err and err.count("\n") == 1
    code, _, err = build_deck(DECKS / "basic", "--out", tmp_path / "site", "--pdf", tmp_path / "d.pdf",
                              "--demo-url", "localhost:5000")
    assert code == 2 and "like http://127.0.0.1:5000/" in err
    dead = "http://127.0.0.1:9/"  # nothing listens there
    code, _, err = build_deck(DECKS / "basic", "--out", tmp_path / "site", "--pdf", tmp_path / "d.pdf",
                              "--demo-url", dead)
    assert code == 1 and f"the demo server at {dead} did not answer" in err and "Traceback" not in err
