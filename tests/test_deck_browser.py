"""The built deck in Chromium: navigation, fragments, deep links, overview, presenter, widgets, offline, PDF.

Every page runs in a context that refuses any request that is not file:// or
127.0.0.1, and the test fails if one was attempted (see deckfixtures.offline).
"""

import re
import shutil

import pytest
from deckfixtures import (DECKS, basic_site, browser, build_deck, deck_state, offline, open_deck,  # noqa: F401
                          pdf_page_count, serve_dir)

pytestmark = pytest.mark.browser

HEALTHY = (200, "application/json", '{"redis": {"ok": true}}')
DASHBOARD = (200, "text/html", """<!doctype html><title>dash</title>
<button id="add" onclick="document.getElementById('n').textContent = ++window.count">add</button>
<output id="n">0</output><script>window.count = 0; parent.postMessage('dashboard-loaded', '*');</script>""")


@pytest.fixture
def server_root(basic_site, tmp_path):
    """A directory laid out like the demo server: the built deck at /deck/."""
    shutil.copytree(basic_site, tmp_path / "root" / "deck")
    return tmp_path / "root"


@pytest.fixture
def deck_url(server_root, serve_dir):
    """The deck served at http://127.0.0.1:PORT/deck/ by a server with no demo routes."""
    return serve_dir(server_root).url + "deck/"


def _file_url(site):
    return site.resolve().joinpath("index.html").as_uri()


def _visible_fragments(page):
    return page.evaluate("OMQ.deck.fragments(OMQ.deck.state().h).filter(f => f.classList.contains('visible')).length")


def _highlighted(page):
    return page.evaluate("""Array.from(document.querySelectorAll('.slide.present .code .ln.hl'))
                            .map(l => l.textContent.trim())""")


def _present_title(page):
    return page.locator(".deck .slide.present h1, .deck .slide.present h2").first.inner_text()


def test_keyboard_steps_through_fragments_then_slides(offline, deck_url):
    page = open_deck(offline().new_page(), deck_url + "#/2")
    assert _present_title(page) == "Why queues?"
    assert page.locator(".slide.present li.fragment").evaluate_all(
        "items => items.map(i => getComputedStyle(i).visibility)") == ["hidden"] * 3
    for shown in (1, 2, 3):
        page.keyboard.press("ArrowRight")
        assert _visible_fragments(page) == shown
    assert page.evaluate("location.hash") == "#/2/3"
    page.keyboard.press("ArrowRight")
    assert _present_title(page) == "A diagram"
    assert page.evaluate("location.hash") == "#/3"
    assert page.locator(".slide-number").inner_text() == "3 / 10"
    page.keyboard.press("ArrowLeft")  # back onto the previous slide, all its fragments shown
    assert deck_state(page)["h"] == 1 and _visible_fragments(page) == 3
    page.keyboard.press("End")
    assert deck_state(page)["h"] == 9
    page.keyboard.press("Home")
    assert (deck_state(page)["h"], deck_state(page)["f"]) == (0, 0)
    page.keyboard.type("7")
    page.keyboard.press("Enter")
    assert _present_title(page) == "Code from a real file"


def test_code_highlight_steps_follow_fragments(offline, basic_site):
    page = open_deck(offline().new_page(), _file_url(basic_site) + "#/5")
    assert _highlighted(page) == ["from redis import Redis", "from rq import Queue"]
    page.keyboard.press("ArrowRight")
    assert _highlighted(page) == ["queue = Queue(connection=Redis())"]
    page.keyboard.press("ArrowRight")
    assert _highlighted(page) == ['job = queue.enqueue(count_words, "https://example.com")']
    page.keyboard.press("ArrowLeft")
    assert _highlighted(page) == ["queue = Queue(connection=Redis())"]
    dimmed = page.locator(".slide.present .code .ln").first.evaluate("l => getComputedStyle(l).opacity")
    assert float(dimmed) < 1


def test_deep_links_open_a_slide_at_a_fragment_step(offline, basic_site):
    page = open_deck(offline().new_page(), _file_url(basic_site) + "#/5/2")
    assert (deck_state(page)["h"], deck_state(page)["f"]) == (4, 2)
    assert _highlighted(page) == ['job = queue.enqueue(count_words, "https://example.com")']
    page.evaluate("location.hash = '#/2/2'")
    page.wait_for_function("OMQ.deck.state().h === 1")
    assert _visible_fragments(page) == 2
    page.evaluate("location.hash = '#/99'")  # past the end: the last slide
    page.wait_for_function("OMQ.deck.state().h === 9")


def test_overview_grid_chooses_a_slide_by_click_or_keys(offline, basic_site):
    page = open_deck(offline().new_page(), _file_url(basic_site) + "#/3")
    page.keyboard.press("o")
    assert page.locator(".deck.overview").count() == 1
    boxes = [page.locator(".slides > .slide").nth(i).bounding_box() for i in range(10)]
    assert all(box and 100 < box["width"] < 400 for box in boxes)  # every slide is a thumbnail
    assert len({round(box["y"]) for box in boxes}) < 10  # laid out as a grid, not a column
    page.locator(".slides > .slide").nth(6).click()
    assert page.locator(".deck.overview").count() == 0
    assert _present_title(page) == "Code from a real file"
    page.keyboard.press("Escape")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    assert page.locator(".deck.overview").count() == 0 and deck_state(page)["h"] == 7


def test_click_and_touch_swipe_navigation(offline, basic_site):
    ctx = offline(has_touch=True)
    page = open_deck(ctx.new_page(), _file_url(basic_site))
    page.locator(".controls .next").click()
    assert deck_state(page)["h"] == 1
    page.locator(".controls .prev").click()
    assert deck_state(page)["h"] == 0
    cdp = ctx.context.new_cdp_session(page)

    def swipe(x0, x1):
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x0, "y": 300}]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": (x0 + x1) / 2, "y": 300}]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x1, "y": 300}]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})

    swipe(900, 300)  # swipe left: forward
    assert (deck_state(page)["h"], deck_state(page)["f"]) == (1, 0)
    swipe(900, 300)
    assert (deck_state(page)["h"], deck_state(page)["f"]) == (1, 1)
    swipe(300, 900)  # swipe right: back
    assert (deck_state(page)["h"], deck_state(page)["f"]) == (1, 0)


def test_progress_bar_fullscreen_black_screen_and_help(offline, basic_site):
    page = open_deck(offline().new_page(), _file_url(basic_site))
    bar = page.locator(".progress span")
    assert bar.evaluate("b => b.style.width") == "0%"
    page.keyboard.press("End")
    assert bar.evaluate("b => b.style.width") == "100%"
    assert page.locator(".slide-number").inner_text() == "10 / 10"
    page.locator(".progress").click(position={"x": 10, "y": 2})  # the bar is clickable too
    assert deck_state(page)["h"] == 0
    page.keyboard.press("f")
    page.wait_for_function("document.fullscreenElement !== null")
    page.keyboard.press("f")
    page.wait_for_function("document.fullscreenElement === null")
    page.keyboard.press("b")
    assert page.evaluate("getComputedStyle(document.querySelector('.deck'), '::after').backgroundColor") == "rgb(0, 0, 0)"
    page.keyboard.press("ArrowRight")  # any navigation lifts the black screen
    assert page.evaluate("document.documentElement.classList.contains('paused')") is False
    page.keyboard.press("?")
    assert page.locator(".help").is_visible() and "presenter view" in page.locator(".help").inner_text()


@pytest.mark.parametrize("width,height", [(640, 360), (1920, 1080), (1000, 1000)])
def test_fixed_slide_size_is_scaled_to_the_window(browser, basic_site, width, height):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = open_deck(context.new_page(), _file_url(basic_site))
    box = page.locator(".slide.present").bounding_box()
    scale = min(width / 1280, height / 720)
    assert box["width"] == pytest.approx(1280 * scale, abs=1)
    assert box["height"] == pytest.approx(720 * scale, abs=1)
    assert box["x"] == pytest.approx((width - box["width"]) / 2, abs=1)
    context.close()


def test_themes_come_from_front_matter_the_url_and_the_t_key(offline, basic_site):
    ctx = offline()
    page = open_deck(ctx.new_page(), _file_url(basic_site))
    background = "getComputedStyle(document.querySelector('.slide.present')).backgroundColor"
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    dark = page.evaluate(background)
    page.keyboard.press("t")
    assert page.evaluate("document.documentElement.dataset.theme") == "contrast"
    assert page.evaluate(background) == "rgb(255, 255, 255)" != dark
    page = open_deck(ctx.new_page(), _file_url(basic_site) + "?theme=light")
    assert page.evaluate("document.documentElement.dataset.theme") == "light"


@pytest.mark.parametrize("served", [True, False], ids=["served", "file"])
def test_presenter_view_follows_the_main_tab(offline, basic_site, deck_url, served):
    ctx = offline()
    url = deck_url if served else _file_url(basic_site)
    main = open_deck(ctx.new_page(), url)
    with ctx.context.expect_page() as opened:
        main.keyboard.press("s")  # opens the presenter view in a new tab
    presenter = opened.value
    presenter.wait_for_selector("html[data-deck=ready]", state="attached")
    assert "presenter" in presenter.url
    assert presenter.locator(".p-notes").inner_text() == "Welcome everyone. This note is markdown."
    assert re.fullmatch(r"\d\d:\d\d:\d\d", presenter.locator(".p-elapsed").inner_text())
    assert presenter.locator(".p-clock").inner_text()
    main.keyboard.press("ArrowRight")
    presenter.wait_for_function("OMQ.deck.state().h === 1")
    assert presenter.locator(".p-notes").inner_text() == "Three points, one per click."
    # The next pane previews the next step: this slide with its first point shown (steps count from 1).
    assert presenter.locator(".p-next .slide.present h2").inner_text() == "Why queues?"
    assert presenter.locator(".p-label").inner_text().lower() == "next: step 2 of 4"
    main.keyboard.press("ArrowRight")
    presenter.wait_for_function("OMQ.deck.state().f === 1")
    assert presenter.locator(".p-count").inner_text() == "Slide 2 / 10 · step 2 of 4"
    assert presenter.locator(".p-bar .p-name").inner_text() == "Why queues?"  # the slide, named
    presenter.keyboard.press("ArrowRight")  # and the main tab follows the presenter
    main.wait_for_function("OMQ.deck.state().f === 2")
    assert _visible_fragments(main) == 2


def test_a_presenter_opened_later_joins_at_the_main_tabs_slide(offline, deck_url):
    ctx = offline()
    main = open_deck(ctx.new_page(), deck_url + "#/6")
    presenter = open_deck(ctx.new_page(), deck_url + "?presenter")
    presenter.wait_for_function("OMQ.deck.state().h === 5")
    assert presenter.locator(".p-notes").inner_text() == "No notes for this slide."
    assert main.evaluate("OMQ.deck.state().h") == 5


@pytest.mark.parametrize("served", [True, False], ids=["served", "file"])
def test_the_deck_loads_nothing_from_outside(offline, basic_site, deck_url, served):
    ctx = offline()
    page = open_deck(ctx.new_page(), deck_url if served else _file_url(basic_site))
    for _ in range(40):  # every slide and step, so lazy widgets and images load too
        page.keyboard.press("ArrowRight")
    assert deck_state(page)["h"] == 9
    page.keyboard.press("o")
    page.wait_for_timeout(300)
    images = page.evaluate("Array.from(document.images).map(i => [i.currentSrc, i.naturalWidth])")
    assert images and all(width > 0 for _, width in images), images  # every image loaded, locally
    assert ctx.refused == [] and ctx.failed == []


def test_widget_shows_a_placeholder_when_the_demo_server_is_down(offline, deck_url, basic_site):
    ctx = offline()
    page = open_deck(ctx.new_page(), deck_url + "#/9")  # served, but /healthz is a 404
    placeholder = page.locator(".slide.present .widget-offline")
    page.wait_for_function("document.querySelector('.slide.present .widget-why').textContent.includes('not reachable')")
    assert placeholder.is_visible() and "make demo" in placeholder.inner_text()
    assert page.locator("iframe").count() == 0
    page = open_deck(ctx.new_page(), _file_url(basic_site) + "#/9")  # from a file: no server at all
    assert "opened without its demo server" in page.locator(".slide.present .widget-why").inner_text()
    assert page.locator("iframe").count() == 0


def test_widget_is_made_once_and_keeps_its_state_between_slides(offline, server_root, serve_dir):
    url = serve_dir(server_root, {"/healthz": HEALTHY, "/dashboard": DASHBOARD}).url + "deck/"
    page = open_deck(offline().new_page(), url + "#/8")
    page.evaluate("window.loads = 0; addEventListener('message', e => { if (e.data === 'dashboard-loaded') loads++; })")
    assert page.locator("iframe").count() == 0  # lazily: not before its slide is shown
    page.keyboard.press("ArrowRight")
    frame_el = page.locator(".slide.present .widget iframe")
    frame_el.wait_for()
    assert frame_el.get_attribute("src").endswith("/dashboard?embed=1&theme=dark")  # the deck's theme
    frame = page.frame_locator(".slide.present .widget iframe")
    frame.locator("#add").click()
    frame.locator("#add").click()
    assert frame.locator("#n").inner_text() == "2"
    assert page.locator(".slide.present .widget-offline").is_hidden()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowRight")
    assert deck_state(page)["h"] == 8
    assert page.locator("iframe").count() == 1
    assert page.frame_locator(".slide.present .widget iframe").locator("#n").inner_text() == "2"
    assert page.evaluate("loads") == 1


def test_a_deck_opened_from_a_file_can_use_a_configured_demo_server(offline, basic_site, server_root, serve_dir):
    server = serve_dir(server_root, {"/healthz": HEALTHY, "/dashboard": DASHBOARD}).url
    page = open_deck(offline().new_page(), _file_url(basic_site) + f"?server={server}#/9")
    frame = page.locator(".slide.present .widget iframe")
    frame.wait_for()
    assert frame.get_attribute("src") == server + "dashboard?embed=1&theme=dark"
    assert page.frame_locator(".slide.present .widget iframe").locator("#n").inner_text() == "0"


def test_plugins_get_the_deck_its_events_and_can_drive_it(offline, basic_site):
    ctx = offline()
    page = ctx.new_page()
    page.add_init_script("""
        window.seen = [];
        window.OMQ_PLUGINS = [{id: 'spy', init(deck) {
            window.spyDeck = deck;
            deck.on('slidechanged', e => seen.push(['slide', e.h, e.f, e.source]));
            deck.on('fragmentshown', e => seen.push(['shown', e.h, e.f, e.source]));
        }}, {id: 'broken', init() { throw new Error('plugin bug'); }}];
    """)
    open_deck(page, _file_url(basic_site))
    assert page.evaluate("window.spyDeck === OMQ.deck")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.evaluate("OMQ.deck.goTo(4, 1, {source: 'live'})")
    assert page.evaluate("seen") == [["slide", 1, 0, "key"], ["shown", 1, 1, "key"], ["slide", 4, 1, "live"]]
    assert page.evaluate("OMQ.deck.state()")["h"] == 4  # the broken plugin did not stop the deck


def test_print_mode_shows_every_slide_with_its_fragments_and_placeholders(offline, basic_site):
    page = offline().new_page()
    page.goto(_file_url(basic_site) + "?print")
    page.wait_for_selector("html[data-print=ready]", state="attached")
    assert page.evaluate("Array.from(document.querySelectorAll('.slides > .slide'))"
                         ".filter(s => s.getBoundingClientRect().height > 700).length") == 10
    assert page.evaluate("document.querySelectorAll('.fragment:not(.visible)').length") == 0
    code = page.locator(".slides > .slide").nth(4).locator(".ln.hl")
    assert code.all_inner_texts() == ['job = queue.enqueue(count_words, "https://example.com")\n']
    assert "Shown live during the talk." in page.locator(".widget-why").inner_text()


@pytest.mark.slow
def test_pdf_has_one_page_per_slide(tmp_path):
    code, out, err = build_deck(DECKS / "basic", "--out", tmp_path / "site", "--pdf", tmp_path / "deck.pdf")
    assert code == 0, err
    assert "printed 10 pages" in out
    assert pdf_page_count(tmp_path / "deck.pdf") == 10


# --------------------------------------------------------------------------- fitting code and images

#: What is wrong with a slide's layout: code that scrolls, anything outside the slide box.
LAYOUT = """(slide) => {
  const box = slide.getBoundingClientRect(), k = box.width / slide.offsetWidth, problems = [];
  for (const pre of slide.querySelectorAll('pre.code')) {
    if (pre.scrollWidth > pre.clientWidth + 1) problems.push(`code hides ${pre.scrollWidth - pre.clientWidth} px`);
    if (pre.scrollHeight > pre.clientHeight + 1) problems.push(`code hides ${pre.scrollHeight - pre.clientHeight} px below`);
  }
  for (const el of slide.querySelectorAll('h1, h2, p, pre, img')) {
    const r = el.getBoundingClientRect();
    if (el.closest('.notes') || (!r.width && !r.height)) continue;
    if (r.left < box.left - 1 || r.top < box.top - 1 || r.right > box.right + 1 || r.bottom > box.bottom + 1)
      problems.push(`${el.tagName} sticks out by ${Math.round(Math.max(box.left - r.left, box.top - r.top,
        r.right - box.right, r.bottom - box.bottom) / k)} px`);
  }
  return problems;
}"""
#: Font size of the first code block of every slide (0 when it has none), in logical px.
CODE_SIZES = """(slides) => slides.map(s => { const pre = s.querySelector('pre.code');
  return pre ? parseFloat(getComputedStyle(pre).fontSize) : 0; })"""


@pytest.fixture(scope="module")
def fit_site(tmp_path_factory):
    """tests/decks/fit: code too wide, too tall, a dense slide, a viewBox-only SVG on a centred slide."""
    out = tmp_path_factory.mktemp("fit") / "site"
    code, _, err = build_deck(DECKS / "fit", "--out", out)
    assert code == 0, err
    return out


def _sizes_when_shown(page):
    sizes, problems = [], []
    for h in range(page.evaluate("OMQ.deck.slides.length")):
        page.evaluate("h => OMQ.deck.goTo(h, 'last')", h)
        slide = page.locator(".slides > .slide").nth(h)
        sizes.append(slide.evaluate("s => { const pre = s.querySelector('pre.code');"
                                    " return pre ? parseFloat(getComputedStyle(pre).fontSize) : 0; }"))
        problems += [f"slide {h + 1}: {p}" for p in slide.evaluate(LAYOUT)]
    return sizes, problems


def test_code_that_overflows_its_slide_is_shrunk_to_fit_down_to_a_floor(offline, fit_site):
    page = open_deck(offline().new_page(), _file_url(fit_site))
    sizes, problems = _sizes_when_shown(page)
    assert 24 < sizes[0] <= 40  # short: it grows to fill its slide (up to codeMax)
    for h in (1, 2, 3):  # 97 columns, 18 lines, 97 columns on a centred slide
        assert 16 <= sizes[h] < 24, (h, sizes)
    assert sizes[4] == 18  # ::slide class=dense
    assert sizes[5] == 16  # 241 columns: the floor, and the block scrolls rather than shrink to nothing
    assert [p for p in problems if not p.startswith("slide 6:")] == []
    assert sizes[1] > 18  # the largest size that fits, not just any smaller one
    page.evaluate("OMQ.deck.goTo(1, 0)")
    grown = page.locator(".slides > .slide").nth(1).locator("pre").evaluate(
        "pre => { pre.style.fontSize = (parseFloat(getComputedStyle(pre).fontSize) + 1) + 'px';"
        " const over = pre.scrollWidth > pre.clientWidth; pre.style.fontSize = ''; return over; }")
    assert grown  # one px more would not fit


def test_code_is_measured_once_per_slide_and_again_after_a_resize(offline, fit_site):
    page = open_deck(offline().new_page(), _file_url(fit_site) + "#/2")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowRight")
    first = page.evaluate("OMQ.deck.controller('fit').measured()")
    assert first == 2  # slides 1 and 2, one measure each
    size = page.locator(".slide.present pre").evaluate("pre => pre.style.fontSize")
    for key in ("ArrowLeft", "ArrowRight", "ArrowLeft", "ArrowRight"):
        page.keyboard.press(key)
    assert page.evaluate("OMQ.deck.controller('fit').measured()") == first  # cached, not measured per show
    page.set_viewport_size({"width": 900, "height": 600})
    page.wait_for_function(f"OMQ.deck.controller('fit').measured() > {first}")
    assert page.locator(".slide.present pre").evaluate("pre => pre.style.fontSize") == size  # logical px


def test_print_overview_and_presenter_show_code_fitted_too(offline, fit_site):
    ctx = offline()
    shown, _ = _sizes_when_shown(open_deck(ctx.new_page(), _file_url(fit_site)))
    page = ctx.new_page()
    page.goto(_file_url(fit_site) + "?print")
    page.wait_for_selector("html[data-print=ready]", state="attached")
    slides = page.locator(".slides > .slide")
    assert slides.evaluate_all(CODE_SIZES) == shown
    for h in range(slides.count()):
        if h != 5:
            assert slides.nth(h).evaluate(LAYOUT) == [], h
    page = open_deck(ctx.new_page(), _file_url(fit_site))
    page.keyboard.press("o")  # thumbnails of slides never shown
    assert page.locator(".slides > .slide").evaluate_all(CODE_SIZES) == shown
    presenter = open_deck(offline().new_page(), _file_url(fit_site) + "?presenter#/1")  # alone: no tab to follow
    upcoming = presenter.locator(".p-next .slide.present pre")
    assert upcoming.evaluate("pre => parseFloat(getComputedStyle(pre).fontSize)") == shown[1]


def test_a_lone_viewbox_svg_fills_a_centred_slide(offline, fit_site):
    page = open_deck(offline().new_page(), _file_url(fit_site) + "#/7")
    image = page.locator(".slide.present svg.diagram")  # inlined by the build, in the theme's colours
    box, slide = image.bounding_box(), page.locator(".slide.present").bounding_box()
    k = slide["width"] / 1280
    assert box["width"] / k >= 1100 and box["height"] / k >= 550, box  # the free area, not 0x0
    assert image.get_attribute("preserveAspectRatio") in (None, "xMidYMid meet")  # aspect ratio kept
    assert page.locator(".slide.present").evaluate(LAYOUT) == []
