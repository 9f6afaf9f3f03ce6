"""One design system in Chromium: the deck's theme is remembered and named,
its widgets and diagrams follow it, and the server's pages share it."""

import json
import re

import pytest
from deckfixtures import DECKS, build_deck, talk_site  # noqa: F401  (talk_site: a fixture)
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def _luminance(css_colour):
    r, g, b = (int(x) for x in re.findall(r"\d+", css_colour)[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


def test_t_names_the_theme_and_the_deck_remembers_it(new_page, tmp_path):
    out = tmp_path / "site"
    assert build_deck(DECKS / "basic", "--out", out)[0] == 0
    page = new_page()
    page.goto(out.joinpath("index.html").as_uri())
    page.wait_for_selector("html[data-deck=ready]", state="attached")
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"  # the front matter's
    page.keyboard.press("t")
    expect(page.locator(".omq-toast")).to_have_text("Theme: contrast (t for the next)")
    expect(page.locator(".omq-toast")).to_be_visible()
    page.reload()
    page.wait_for_selector("html[data-deck=ready]", state="attached")
    assert page.evaluate("document.documentElement.dataset.theme") == "contrast"  # remembered
    page.goto(out.joinpath("index.html").as_uri() + "?theme=light")
    page.wait_for_selector("html[data-deck=ready]", state="attached")
    assert page.evaluate("document.documentElement.dataset.theme") == "light"  # the URL wins


def _slide_with(talk_site, widget):
    deck = json.loads((talk_site / "deck.json").read_text(encoding="utf-8"))
    return next(s["number"] for s in deck["slides"] if widget in s["widgets"])


def test_a_widget_gets_the_decks_theme_and_follows_its_changes(new_page, talk_site, serve):
    server = serve()
    page = new_page(viewport={"width": 1280, "height": 720})
    number = _slide_with(talk_site, "blocking")
    page.goto(talk_site.joinpath("index.html").as_uri() + f"?server={server.base}/&theme=dark#/{number}")
    frame_el = page.locator(".slide.present .widget iframe")
    frame_el.wait_for()
    assert "theme=dark" in frame_el.get_attribute("src")
    frame = frame_el.element_handle().content_frame()
    frame.wait_for_selector("html[data-ready=true]", state="attached")
    assert frame.evaluate("document.documentElement.dataset.theme") == "dark"
    slide_bg = page.locator(".slide.present").evaluate("s => getComputedStyle(s).backgroundColor")
    assert frame.evaluate("getComputedStyle(document.body).backgroundColor") == slide_bg  # no seam
    frame.evaluate("window.kept = 'state'")
    page.keyboard.press("t")
    frame.wait_for_function("document.documentElement.dataset.theme === 'contrast'")
    assert frame.evaluate("window.kept") == "state"  # the frame was told, not reloaded
    assert frame.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"
    assert page.script_errors == []


def test_diagrams_take_the_themes_colours(new_page, talk_site):
    page = new_page(viewport={"width": 1280, "height": 720})
    fills = {}
    for theme in ("light", "dark"):
        page.goto(talk_site.joinpath("index.html").as_uri() + f"?theme={theme}")
        page.wait_for_selector("html[data-deck=ready]", state="attached")
        page.evaluate("OMQ.deck.goTo(OMQ.deck.slides.findIndex(s => s.querySelector('svg.diagram')), 0)")
        diagram = page.locator(".slide.present svg.diagram")
        fills[theme] = diagram.locator("rect").first.evaluate("r => getComputedStyle(r).fill")
        text = diagram.locator("text").first.evaluate("t => getComputedStyle(t).fill")
        slide = page.locator(".slide.present").evaluate("s => getComputedStyle(s).backgroundColor")
        if theme == "dark":
            assert _luminance(fills[theme]) < 0.2 and _luminance(text) > 0.7  # no light panel on a dark slide
            assert fills[theme] == slide
    assert _luminance(fills["light"]) > 0.9


def test_the_servers_pages_share_the_theme_and_remember_a_choice(new_page, serve):
    server = serve(workers=0)
    page = new_page()
    page.goto(f"{server.base}/dashboard?theme=dark")
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    assert _luminance(page.evaluate("getComputedStyle(document.body).backgroundColor")) < 0.2
    toggle = page.locator("[data-theme-toggle]")
    expect(toggle).to_have_text("Theme: dark")
    toggle.click()
    expect(toggle).to_have_text("Theme: contrast")
    page.goto(f"{server.base}/demo/")
    assert page.evaluate("document.documentElement.dataset.theme") == "contrast"  # remembered, every page
    page.goto(f"{server.base}/dashboard?theme=sepia")  # not a theme: the default, no error
    assert page.evaluate("document.documentElement.dataset.theme") == "contrast"
