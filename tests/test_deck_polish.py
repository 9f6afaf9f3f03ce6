"""The deck's own polish, in Chromium on the real talk: slide titles at one
place, short code grown to fill its slide, dimmed code readable, a backdrop
behind the help, and a name on every slide in the overview."""

import json

import pytest
from deckfixtures import talk_site  # noqa: F401  (a fixture)

pytestmark = pytest.mark.browser


def _open(page, site, query=""):
    page.goto(site.joinpath("index.html").as_uri() + query)
    page.wait_for_selector("html[data-deck=ready]", state="attached")
    return page


def test_every_slide_title_sits_at_one_place(new_page, talk_site):
    page = _open(new_page(viewport={"width": 1280, "height": 720}), talk_site)
    tops = page.evaluate("""() => OMQ.deck.slides.map((slide, h) => {
        OMQ.deck.goTo(h, 0);
        const first = slide.firstElementChild;
        if (slide.matches('.center, .title') || !first || !/^H[1-3]$/.test(first.tagName)) return null;
        return Math.round(first.getBoundingClientRect().top - slide.getBoundingClientRect().top);
    }).filter(top => top !== null)""")
    assert len(tops) > 20 and len(set(tops)) == 1, tops  # one baseline, whatever follows the title


def test_short_code_grows_and_dimmed_lines_stay_readable(new_page, talk_site):
    page = _open(new_page(viewport={"width": 1280, "height": 720}), talk_site)
    sizes = page.evaluate("""() => OMQ.deck.slides.map((slide, h) => {
        OMQ.deck.goTo(h, 0);
        const pre = slide.querySelector(':scope > pre.code');
        return pre ? [h, parseFloat(getComputedStyle(pre).fontSize), slide.scrollHeight <= slide.clientHeight + 1] : null;
    }).filter(Boolean)""")
    assert sizes and all(fits for _, _, fits in sizes), sizes
    assert max(size for _, size, _ in sizes) > 24  # a short block grew past the 24 px default
    assert all(size <= 40 for _, size, _ in sizes)
    for theme in ("light", "dark", "contrast"):
        _open(page, talk_site, f"?theme={theme}")
        dim = page.evaluate("parseFloat(getComputedStyle(document.documentElement).getPropertyValue('--code-dim'))")
        assert dim >= 0.6, theme


def test_help_dims_the_slide_and_the_overview_names_every_slide(new_page, talk_site):
    deck = json.loads((talk_site / "deck.json").read_text(encoding="utf-8"))
    page = _open(new_page(viewport={"width": 1280, "height": 720}), talk_site)
    page.keyboard.press("?")
    shadow = page.locator(".help").evaluate("h => getComputedStyle(h).boxShadow")
    assert "rgba" in shadow and "0px 0px 0px" in shadow, shadow  # a spread shadow over the whole screen
    page.keyboard.press("?")
    page.keyboard.press("o")
    names = page.evaluate("""() => OMQ.deck.slides.map(s =>
        [getComputedStyle(s, '::before').content, getComputedStyle(s, '::after').content])""")
    for slide, (name, number) in zip(deck["slides"], names):
        assert name == f'"{slide["title"]}"' and number == "counter(slide)", (slide["number"], name, number)
    assert not [s for s in deck["slides"] if s["title"] == f"Slide {s['number']}"]  # every one has a real name
