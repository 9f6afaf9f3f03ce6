"""Rendering the fixture deck tests/decks/basic: what ends up in site/index.html and deck.json."""

import json
import re
from pathlib import Path
from html.parser import HTMLParser

from deckfixtures import DECKS, basic_deck_json, basic_site, build_deck  # noqa: F401

from slidekit import build
from slidekit.code import get_lexer, render_code


class _Sections(HTMLParser):
    """Split index.html into its slide <section>s (inner HTML as text) and their attributes."""

    def __init__(self, html):
        super().__init__()
        self.html, self.sections = html, []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "section":
            self.sections.append(dict(attrs))


def _sections(site):
    html = (site / "index.html").read_text(encoding="utf-8")
    bodies = re.split(r"<section [^>]*>\n", html)[1:]
    return _Sections(html).sections, [body.split("</section>")[0] for body in bodies]


def test_every_slide_becomes_a_section_in_file_and_separator_order(basic_site, basic_deck_json):
    attrs, _ = _sections(basic_site)
    assert len(attrs) == basic_deck_json["count"] == 10
    titles = [s["title"] for s in basic_deck_json["slides"]]
    assert titles[:3] == ["Background jobs, by the book", "Why queues?", "A diagram"]
    assert titles[4] == "Stepping through code"  # 02-code.md follows 01-intro.md
    assert [s["source"] for s in basic_deck_json["slides"]][4] == "02-code.md:1"


def test_front_matter_sets_title_author_and_theme(basic_site, basic_deck_json):
    html = (basic_site / "index.html").read_text(encoding="utf-8")
    assert '<html lang="en" data-theme="dark">' in html
    assert "<title>Fixture deck</title>" in html
    assert '<meta name="author" content="Slidekit Tests">' in html
    assert (basic_deck_json["title"], basic_deck_json["theme"]) == ("Fixture deck", "dark")


def test_plus_list_items_are_fragments_and_counted(basic_site, basic_deck_json):
    attrs, bodies = _sections(basic_site)
    assert bodies[1].count('<li class="fragment">') == 3
    assert attrs[1]["data-fragments"] == "3" and basic_deck_json["slides"][1]["fragments"] == 3


def test_attribute_fragments_and_raw_html_fragments_are_counted(basic_site):
    attrs, bodies = _sections(basic_site)
    assert '<div class="fragment"><em>raw</em> fragment</div>' in bodies[3]  # raw HTML kept as written
    assert '<p class="fragment">A paragraph' in bodies[3]
    assert '<span class="fragment">span</span>' in bodies[3]
    assert attrs[3]["data-fragments"] == "3"


def test_speaker_notes_are_rendered_apart_from_the_slide(basic_site, basic_deck_json):
    _, bodies = _sections(basic_site)
    assert '<aside class="notes">\n<p>Welcome everyone. This note is <strong>markdown</strong>.</p>' in bodies[0]
    notes = [s["notes"] for s in basic_deck_json["slides"]]
    assert notes[0] == "Welcome everyone. This note is **markdown**."
    assert notes[1] == "Three points, one per click."  # the ??? form
    assert notes[2] == ""


def test_slide_classes_and_backgrounds(basic_site):
    attrs, _ = _sections(basic_site)
    assert attrs[0]["class"] == "slide title"
    assert attrs[3]["class"] == "slide center" and attrs[3]["style"] == "background:#102030"
    assert attrs[9]["style"] == "background:url(media/diagrams/queue.svg) center/cover no-repeat"


def test_images_from_markdown_and_raw_html_are_copied_to_media(basic_site):
    _, bodies = _sections(basic_site)
    # a markdown SVG is written inline, so the theme colours it (slidekit/diagrams.py); raw HTML stays an <img>
    assert ('<svg data-src="media/diagrams/queue.svg" class="diagram" aria-label="The queue" role="img" '
            'xmlns="http://www.w3.org/2000/svg"') in bodies[2]
    assert '<img src="media/diagrams/queue.svg" alt="again, as raw HTML" class="small">' in bodies[2]
    copied = basic_site / "media" / "diagrams" / "queue.svg"
    assert copied.read_bytes() == (DECKS / "basic" / "diagrams" / "queue.svg").read_bytes()


def test_step_highlights_mark_lines_per_step_with_one_fragment_per_later_step(basic_site):
    attrs, bodies = _sections(basic_site)
    code = bodies[4]
    assert '<pre class="code has-hl" data-lang="python" data-steps="3">' in code
    lines = re.findall(r'<span class="(ln[^"]*)">', code)
    assert lines == ["ln hl s0", "ln hl s0", "ln", "ln s1", "ln s2"]
    assert code.count('<i class="fragment step"></i>') == 2 and attrs[4]["data-fragments"] == "2"


def test_code_is_highlighted_at_build_time_with_theme_classes(basic_site):
    _, bodies = _sections(basic_site)
    assert '<span class="k">from</span> redis <span class="k">import</span> Redis' in bodies[4]
    assert '<span class="s">"https://example.com"</span>' in bodies[4]
    assert "<script" not in "".join(bodies)  # no highlighter shipped to the browser


def test_a_single_highlight_has_no_steps(basic_site):
    attrs, bodies = _sections(basic_site)
    assert re.findall(r'<span class="(ln[^"]*)">', bodies[5]) == ["ln", "ln hl"]
    assert "data-steps" not in bodies[5] and attrs[5]["data-fragments"] == "0"


def test_include_shows_a_named_region_of_a_real_file_with_its_line_numbers(basic_site):
    _, bodies = _sections(basic_site)
    code = bodies[6]
    assert 'class="code has-hl linenos"' in code and 'style="counter-reset:ln 5"' in code
    assert '<span class="k">def</span> <span class="f">enqueue</span>(queue, n):' in code
    assert "region" not in code and "unrelated" not in code
    assert re.findall(r'<span class="(ln[^"]*)">', code) == ["ln", "ln hl", "ln"]


def test_include_shows_a_line_range_with_the_language_from_the_file_name(basic_site):
    _, bodies = _sections(basic_site)
    assert '<span class="c">"""A worker module the slides include."""</span>' in bodies[7]
    assert '<span class="k">import</span> time' in bodies[7]
    assert len(re.findall(r'<span class="ln', bodies[7])) == 3


def test_widget_directive_renders_an_offline_placeholder_the_runtime_can_replace(basic_site, basic_deck_json):
    _, bodies = _sections(basic_site)
    assert '<div class="widget" data-widget="dashboard" data-path="dashboard?embed=1" style="height:400px">' in bodies[8]
    assert "Live demo: the queue dashboard" in bodies[8] and "On the main screen." in bodies[8]
    assert ":5000" not in bodies[8] and "127.0.0.1" not in bodies[8]  # no server baked in: it runs anywhere
    assert "<iframe" not in bodies[8]  # the frame is made by the runtime, only when a server answers
    assert basic_deck_json["slides"][8]["widgets"] == ["dashboard"]


def test_runtime_is_copied_and_referenced_relatively(basic_site):
    html = (basic_site / "index.html").read_text(encoding="utf-8")
    assert '<link rel="stylesheet" href="deck/deck.css">' in html and '<script src="deck/deck.js"></script>' in html
    assert (basic_site / "deck" / "deck.js").is_file() and (basic_site / "deck" / "deck.css").is_file()
    assert html.rstrip().endswith("<!-- omq:inject -->\n</body>\n</html>")


def test_built_site_references_nothing_outside_itself(basic_site):
    html = (basic_site / "index.html").read_text(encoding="utf-8")
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert "://" not in url and not url.startswith("/"), url
        if not url.startswith("data:"):
            assert (basic_site / url).is_file(), url


def test_seed_style_raw_html_deck_renders_headings_and_quotes(tmp_path):
    src = tmp_path / "talk.md"
    src.write_text("<h1><span class='a'>Rails</span>, <span class='b'>Redis</span>!</h1>\n\n## (Oh, my!)\n\n"
                   "<br>\n\n---\n\n> quote\n> <cite>Someone</cite>\n", encoding="utf-8")
    code, _, err = build_deck(src, "--out", tmp_path / "site")
    assert code == 0, err
    html = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert "<h1><span class='a'>Rails</span>, <span class='b'>Redis</span>!</h1>" in html
    assert "<blockquote>\n<p>quote\n<cite>Someone</cite></p>\n</blockquote>" in html
    assert '"title": "Rails, Redis!"' in (tmp_path / "site" / "deck.json").read_text(encoding="utf-8")


def test_unknown_language_is_shown_plain_and_lines_stay_exact():
    html, steps = render_code("a < b\n\nc\n", "nosuchlang", "3", lexer=get_lexer("nosuchlang"))
    assert steps == 0
    assert re.findall(r'<span class="(ln[^"]*)">([^<]*)', html) == [("ln", "a &lt; b\n"), ("ln", "\n"),
                                                                     ("ln hl", "c\n")]


def test_empty_steps_dim_nothing_and_still_count_as_fragments():
    html, steps = render_code("a\nb\nc\n", "python", "|2||3", lexer=get_lexer("python"))
    assert steps == 3
    assert html.startswith('<pre class="code" data-lang="python" data-steps="4">')  # step 0: nothing dimmed
    assert re.findall(r'<span class="(ln[^"]*)">', html) == ["ln", "ln s1", "ln s3"]


def test_image_only_slides_take_their_title_from_the_alt_text_then_their_number(tmp_path):
    code, _, err = build_deck(DECKS / "fit", "--out", tmp_path / "site")
    assert code == 0, err
    data = json.loads((tmp_path / "site" / "deck.json").read_text(encoding="utf-8"))
    titles = [s["title"] for s in data["slides"]]
    assert titles[0] == "Short code"  # a heading still wins
    assert titles[6] == "A queue drawn with only a viewBox"  # a lone markdown image: its alt text
    assert titles[7] == "Just a sentence, with neither a heading nor an image."  # its first words
    assert len(titles[8]) <= 60 and titles[8].endswith("…")  # a long alt is shortened at a word
    assert titles[8].startswith("A long description of a diagram: the web app enqueues")
    assert titles[9] == "Raw HTML image, alt as the title"  # <img alt> in raw HTML counts too


def test_a_slide_with_only_a_widget_or_nothing_to_read_is_still_named(tmp_path):
    src = tmp_path / "talk.md"
    src.write_text("::widget dashboard\n\n---\n\n::slide class=center\n\n```\ncode only\n```\n", encoding="utf-8")
    build(str(src), str(tmp_path / "site"))
    data = json.loads((tmp_path / "site" / "deck.json").read_text(encoding="utf-8"))
    assert [s["title"] for s in data["slides"]] == ["Live demo: the queue dashboard", "Slide 2"]
    html = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert 'data-title="Live demo: the queue dashboard"' in html and 'data-title="Slide 2"' in html


def test_a_heading_in_the_notes_is_not_the_slides_title(tmp_path):
    src = tmp_path / "talk.md"
    src.write_text("![The diagram](d.svg)\n\nNote:\n\n## Say this first\n\nthen that\n\n---\n\n"
                   "Plain words\n\n???\n# Notes heading\n", encoding="utf-8")
    (tmp_path / "d.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 2 1'/>", encoding="utf-8")
    build(str(src), str(tmp_path / "site"))
    data = json.loads((tmp_path / "site" / "deck.json").read_text(encoding="utf-8"))
    assert [s["title"] for s in data["slides"]] == ["The diagram", "Plain words"]  # never "Notes heading"


def test_an_image_alone_in_its_paragraph_is_marked_for_the_runtime(basic_site):
    _, bodies = _sections(basic_site)
    assert '<p class="img-only"><svg data-src="media/diagrams/queue.svg" class="diagram" aria-label="The queue"' in bodies[2]
    assert 'class="img-only"' not in bodies[4]  # no image, no mark


def test_every_runtime_controller_file_is_shipped_in_load_order(basic_site):
    from slidekit.site import CONTROLLERS, RUNTIME_SOURCE
    on_disk = sorted(p.stem for p in (Path(RUNTIME_SOURCE) / "controllers").glob("*.js"))
    assert sorted(CONTROLLERS) == on_disk, "a controller file is missing from slidekit.site.CONTROLLERS"
    html = (basic_site / "index.html").read_text(encoding="utf-8")
    positions = [html.index(f'<script src="deck/controllers/{name}.js"></script>') for name in CONTROLLERS]
    assert html.index('src="deck/deck.js"') < positions[0] and positions == sorted(positions)
    assert positions[-1] < html.index('src="deck/boot.js"')
    assert all((basic_site / "deck" / "controllers" / f"{name}.js").is_file() for name in CONTROLLERS)


# --- issue 11: diagrams follow the theme (slidekit/diagrams.py) --------------

def test_a_markdown_svg_is_inlined_in_theme_colours_with_its_own_ids(tmp_path):
    (tmp_path / "d.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" aria-labelledby="t">'
        '<title id="t">Queue</title><defs><marker id="arrow"><path d="M0 0" fill="#1b2233"/></marker></defs>'
        '<rect width="10" height="10" fill="#F7F8FB" stroke="#2f6fdb" style="stop-color: #e09b2d"/>'
        '<path d="M0 0 H5" stroke="currentColor" marker-end="url(#arrow)"/></svg>', encoding="utf-8")
    (tmp_path / "bad.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"><script>x()</script></svg>',
                                      encoding="utf-8")
    (tmp_path / "talk.md").write_text("![A queue](d.svg)\n\n---\n\n![Again](d.svg)\n\n---\n\n![Unsafe](bad.svg)\n",
                                      encoding="utf-8")
    build(str(tmp_path / "talk.md"), str(tmp_path / "site"))
    _, bodies = _sections(tmp_path / "site")
    first, second = bodies[0], bodies[1]
    assert '<svg data-src="media/d.svg" class="diagram" role="img"' in first and "<img" not in first  # its own <title>
    assert 'fill="var(--d-bg)" stroke="var(--d-blue)" style="stop-color:var(--d-amber)"' in first
    assert 'fill="var(--d-ink)"' in first and 'stroke="currentColor"' in first
    prefix = re.search(r'id="(d[0-9a-f]{6}-)arrow"', first).group(1)
    assert f'marker-end="url(#{prefix}arrow)"' in first and f'aria-labelledby="{prefix}t"' in first
    assert prefix not in second  # another use, other ids: no marker is shared across slides
    assert '<img src="media/bad.svg" alt="Unsafe" />' in bodies[2]  # a script: it stays an image
