"""What the projector shows: every live widget of the real deck, measured in Chromium.

The talk's deck (slides/) is built and opened with a real demo server
(``serve``: Redis, workers, the web server); each slide with a ``::widget``
is shown at 1920x1080 and at 1280x720, and inside each widget frame every
visible text is measured at the size it is drawn on the screen (its CSS size
times the deck's scale): body text at least 24 px at 1920x1080, nothing under
16 px at 1280x720, chart ticks at least 18 px and 16 px. No text or control
may stick out of the frame or be cut by its box, and the frame must fit its
slide.
"""

import json

import pytest
from deckfixtures import talk_site  # noqa: F401  (a fixture)

pytestmark = pytest.mark.browser

#: Smallest text, in screen pixels, per viewport: (body text, chart ticks).
MINIMUM = {(1920, 1080): (24, 18), (1280, 720): (16, 16)}

#: Run inside a widget frame with the frame's scale: what is too small, cut or outside.
MEASURE = r"""
([scale, minText, minTick]) => {
  const problems = [], vw = innerWidth, vh = innerHeight, slack = 1;
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : '');
  const scrollerY = el => { for (let a = el; a && a !== document.body; a = a.parentElement) {
    if (/(auto|scroll)/.test(getComputedStyle(a).overflowY) && a.scrollHeight > a.clientHeight) return a; } return null; };
  // Is a box cut by its own box or an ancestor's (an ellipsis too), or by the frame?
  // (A list that scrolls may hide its rows below.)
  const cut = (el, r, self) => {
    for (let a = self ? el : el.parentElement; a && a !== document.documentElement; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (s.overflowX === 'visible' && s.overflowY === 'visible') continue;
      const b = a.getBoundingClientRect();
      if (s.overflowX !== 'visible' && (r.left < b.left - slack || r.right > b.right + slack)) return `cut at the side by ${name(a)}`;
      if (/(hidden|clip)/.test(s.overflowY) && (r.top < b.top - slack || r.bottom > b.bottom + slack)) return `cut by ${name(a)}`;
    }
    if (r.left < -slack || r.right > vw + slack) return 'outside the frame (sideways)';
    if (!scrollerY(el) && (r.top < -slack || r.bottom > vh + slack)) return 'outside the frame (below)';
    return null;
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let texts = 0;
  while (walker.nextNode()) {
    const node = walker.currentNode, text = node.textContent.trim();
    const el = node.parentElement;
    if (!text || el.closest('script, style, noscript, template, option, datalist')) continue;
    const css = getComputedStyle(el);
    if (css.visibility !== 'visible' || el.closest('[hidden]')) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const rects = Array.from(range.getClientRects()).filter(r => r.width > 0 && r.height > 0);
    if (!rects.length) continue;
    texts++;
    const px = parseFloat(css.fontSize) * scale;
    if (px < minText - 0.05) problems.push(`${px.toFixed(1)} px text "${text.slice(0, 40)}" (${name(el)})`);
    const why = cut(el, rects.reduce((a, r) => ({left: Math.min(a.left, r.left), right: Math.max(a.right, r.right),
      top: Math.min(a.top, r.top), bottom: Math.max(a.bottom, r.bottom)})), true);
    if (why) problems.push(`text "${text.slice(0, 40)}" (${name(el)}) ${why}`);
  }
  for (const el of document.querySelectorAll('button, input, select, textarea, canvas, img, svg')) {
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height || getComputedStyle(el).visibility !== 'visible') continue;
    const why = cut(el, r);
    if (why) problems.push(`${name(el)} ${why}`);
  }
  for (const el of document.querySelectorAll('[data-tick-px]')) {
    const px = parseFloat(el.dataset.tickPx) * scale;
    if (px < minTick - 0.05) problems.push(`${px.toFixed(1)} px chart ticks (${name(el)})`);
  }
  if (!texts) problems.push('no text at all');
  return problems;
}
"""


def _measure(page, url, slide, size, minimum, presenter=False):
    """Open one widget slide; returns what is wrong with it."""
    page.goto(url)
    frame_el = page.locator(".slide.present .widget iframe")
    frame_el.wait_for()
    frame = frame_el.element_handle().content_frame()
    frame.wait_for_selector("html[data-ready=true]", state="attached", timeout=15000)
    page.wait_for_timeout(300)  # a chart sizes itself on the next frame
    scale = frame_el.evaluate("f => f.getBoundingClientRect().width / f.clientWidth")
    role = frame.evaluate("(document.querySelector('[data-presenter]') || {dataset: {}}).dataset.presenter")
    assert role == ("true" if presenter else "false"), f"slide {slide['number']}: presenter={role}"
    problems = [] if page.evaluate("""() => {
        const slide = document.querySelector('.slide.present').getBoundingClientRect();
        const frame = document.querySelector('.slide.present .widget').getBoundingClientRect();
        return frame.top >= slide.top - 1 && frame.bottom <= slide.bottom + 1; }""") else ["the widget does not fit its slide"]
    problems += frame.evaluate(MEASURE, [scale, *minimum])
    return [f"{size[0]}x{size[1]} slide {slide['number']} ({slide['widgets'][0]}): {p}" for p in problems]


def test_every_widget_of_the_talk_is_legible_on_a_projector(talk_site, serve, new_page):
    """The audience's view (the deck from its file) at both sizes, and the
    presenter's (the deck the server serves, with every control) at 1280x720."""
    server = serve(env={"SITE_DIR": str(talk_site)})
    deck = json.loads((talk_site / "deck.json").read_text(encoding="utf-8"))
    slides = [s for s in deck["slides"] if s["widgets"]]
    assert len(slides) >= 8
    problems, pages = [], []
    for size, minimum in MINIMUM.items():
        page = new_page(viewport={"width": size[0], "height": size[1]})
        pages.append(page)
        for slide in slides:
            url = (talk_site / "index.html").as_uri() + f"?server={server.base}/#/{slide['number']}"
            problems += _measure(page, url, slide, size, minimum)
    size = (1280, 720)
    presenter = new_page(viewport={"width": size[0], "height": size[1]})
    pages.append(presenter)
    presenter.goto(f"{server.base}/presenter?token={server.token}&next=/")
    for slide in slides:
        problems += [f"presenter, {p}" for p in
                     _measure(presenter, f"{server.base}/deck/#/{slide['number']}", slide, size, MINIMUM[size], True)]
    assert [e for page in pages for e in page.script_errors] == []
    assert not problems, "\n".join(problems)
