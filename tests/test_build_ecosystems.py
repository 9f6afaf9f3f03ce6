"""Decks written for reveal.js/reveal-md, Marp, remark and Slidev build as their own tool shows them.

The corpus (tests/decks/<tool>/<deck>/, each with a SOURCE file naming the
repository, path, commit and licence) holds real public decks. Each test works
out the slide count the source tool produces with a small reading of that
tool's own separator rules, written here independently of slidekit, and
checks the build against it and against the number we counted by hand.
"""

import json
import re
import shutil
from pathlib import Path

import pytest
from deckfixtures import DECKS, browser, build_deck, offline, open_deck  # noqa: F401 (fixtures)

SHOTS = Path("/tmp/shots-builder")


def _build(src, tmp_path, *args):
    out = tmp_path / "site"
    code, stdout, stderr = build_deck(src, "--out", out, *args)
    assert code == 0, stderr
    assert "Traceback" not in stderr
    return out, json.loads((out / "deck.json").read_text(encoding="utf-8")), stderr


def _visible_text(out):
    """Each slide's text as a reader sees it (no notes, code or style), from the built page."""
    html = (out / "index.html").read_text(encoding="utf-8")
    texts = []
    for section in re.findall(r'<section class="slide.*?>(.*?)\n</section>', html, re.S):
        section = re.sub(r'<aside class="notes">.*?</aside>|<pre.*?</pre>|<style.*?</style>|<script.*?</script>', "",
                         section, flags=re.S)
        texts.append(" ".join(re.sub(r"<[^>]+>", " ", section).split()))
    return texts


def _outside_fences(lines):
    fence = None
    for line in lines:
        stripped = line.strip()
        if fence is None and stripped.startswith(("```", "~~~")):
            fence = stripped[:3]
            continue
        if fence is not None:
            if stripped.startswith(fence):
                fence = None
            continue
        yield line


def _without_front_matter(text):
    if text.startswith("---\n"):
        return text[text.index("\n---\n", 4) + 5:]
    return text


# --- reveal.js / reveal-md ------------------------------------------------------------------

def reveal_count(text, separator=r"\r?\n---\r?\n", vertical=r"\r?\n----\r?\n"):
    """reveal.js's markdown plugin (slidify): split on separator|verticalSeparator; a vertical match
    stacks the piece under the previous one. Returns (slides, columns)."""
    pieces = re.split(f"(?:{separator})|(?:{vertical})", _without_front_matter(text))
    columns = 1 + len(re.findall(separator, _without_front_matter(text)))
    return len(pieces), columns


@pytest.mark.parametrize("name, separators, expected", [
    ("a.md", {}, (4, 3)),
    ("c.md", {"separator": "<!--slide-->", "vertical": "<!--vertical-->"}, (4, 3)),
    ("e.md", {}, (1, 1)),
])
def test_reveal_md_decks_have_reveals_slides_and_columns(tmp_path, name, separators, expected):
    path = DECKS / "reveal" / "reveal-md-demo" / name
    assert reveal_count(path.read_text(encoding="utf-8"), **separators) == expected
    out, deck, _ = _build(path, tmp_path)
    assert (deck["count"], deck["columns"]) == expected


def test_reveal_md_front_matter_separators_notes_and_vertical_labels(tmp_path):
    out, deck, err = _build(DECKS / "reveal" / "reveal-md-demo" / "c.md", tmp_path)
    assert [(s["label"], s["column"], s["row"]) for s in deck["slides"]] == [
        ("1", 0, 0), ("2", 1, 0), ("2.2", 1, 1), ("3", 2, 0)]
    assert deck["slides"][0]["notes"] == "test note"
    assert _visible_text(out) == ["Foo", "Bar", "Sub Bar", "The End."]
    assert deck["title"] == "Foobar" and err == ""


def test_reveal_theme_maps_to_ours_with_a_warning(tmp_path):
    out, deck, err = _build(DECKS / "reveal" / "reveal-md-demo" / "e.md", tmp_path)
    assert deck["theme"] == "dark"
    assert "e.md:3: theme 'night' is not one of ours; using 'dark' (ours: light, dark, contrast) (warning)" in err


# --- Marp --------------------------------------------------------------------------------------

def marp_count(text):
    """Marp splits at every thematic break (---, ***, ___) outside code, after the front matter."""
    body = _without_front_matter(text).split("\n")
    return 1 + sum(1 for line in _outside_fences(body) if re.fullmatch(r" {0,3}([-*_])( *\1){2,} *", line))


def test_marp_deck_builds_with_its_directives_and_backgrounds(tmp_path):
    path = DECKS / "marp" / "marp-cli-example" / "PITCHME.md"
    assert marp_count(path.read_text(encoding="utf-8")) == 5
    out, deck, err = _build(path, tmp_path)
    assert deck["count"] == 5
    html = (out / "index.html").read_text(encoding="utf-8")
    assert 'style="background-color:#123;color:#fff"' in html  # <!-- _backgroundColor: #123 --> on slide 3 only
    assert html.count("background-color:#123") == 1
    assert html.count('class="bg-layer"') == 2  # ![bg ...] images became backgrounds, not <img>
    texts = _visible_text(out)
    assert texts[0] == "@marp-team/marp-cli example Hosting Marp slide deck on the web"
    assert not any(marker in text for text in texts for marker in ("_backgroundColor", "<!--", "bg 60%", "---"))


# --- remark ------------------------------------------------------------------------------------

def remark_count(text):
    """remark: slides are split at lines '---' (a '--' line adds a step slide, none here); a slide
    whose properties say layout: true is a template, not shown; exclude: true is left out."""
    slides = re.split(r"(?m)^---[ \t]*$", text)
    assert not re.search(r"(?m)^--[ \t]*$", text)
    return sum(1 for s in slides if not re.search(r"(?m)^(layout|exclude):\s*true\s*$", s.split("\n\n")[0]))


def test_remark_intro_deck_has_remarks_slides_with_classes_and_content_classes(tmp_path):
    path = DECKS / "remark" / "remark-intro" / "index.md"
    assert remark_count(path.read_text(encoding="utf-8")) == 22
    out, deck, err = _build(path, tmp_path)
    assert deck["count"] == 22 and err == ""
    html = (out / "index.html").read_text(encoding="utf-8")
    # the layout slide's classes reach the slides it lays out and the template: inverse ones
    assert html.count('<section class="slide center middle inverse"') == 6  # 2 under the layout, 4 templated
    assert '<div class="left-column">' in html and '<div class="active">' in html
    assert '<span class="red">*</span>' in html
    texts = _visible_text(out)
    assert texts[1] == "What is it and why should I be using it?"
    assert not any(m in text for text in texts for m in (".left-column[", ".right-column[", "layout: true", "name:"))


# --- Slidev ------------------------------------------------------------------------------------

def slidev_count(path):
    """Slidev's parser: a line starting '---' cuts; when the next line is not blank (and the line is
    not '----'), the lines up to the next '---' are the slide's frontmatter; fenced code is skipped;
    hide: true slides are left out and src: slides are replaced by the slides of that file."""
    lines = path.read_text(encoding="utf-8").split("\n")
    slides, front, i, start = [], None, 0, 0
    while i < len(lines):
        line = lines[i].rstrip()
        if line.startswith("---"):
            slides.append((front, lines[start:i]))
            front, start = None, i + 1
            if line[3:4] != "-" and i + 1 < len(lines) and lines[i + 1].strip():
                end = next(j for j in range(i + 1, len(lines)) if lines[j].rstrip() == "---")
                front, start, i = "\n".join(lines[i + 1:end]), end + 1, end
        elif line.lstrip().startswith("```"):
            level = re.match(r"\s*`+", line)[0].strip()
            i = next((j for j in range(i + 1, len(lines)) if lines[j].startswith(level)), i)
        i += 1
    slides.append((front, lines[start:]))
    count = 0
    for index, (front, body) in enumerate(slides):
        if index == 0 and not any(x.strip() for x in body):
            continue  # the headmatter block before the first slide
        src = re.search(r"(?m)^src:\s*(\S+)", front or "")
        if re.search(r"(?m)^hide:\s*true", front or ""):
            continue
        count += slidev_count(path.parent / src[1]) if src else 1
    return count


def test_slidev_starter_deck_has_slidevs_slides_notes_and_steps(tmp_path):
    path = DECKS / "slidev" / "starter" / "slides.md"
    assert slidev_count(path) == 16
    out, deck, err = _build(path, tmp_path)
    assert deck["count"] == 16
    slides = deck["slides"]
    assert slides[0]["notes"].startswith("The last comment block of each slide will be treated as slide notes.")
    assert slides[4]["title"] == "Code" and slides[4]["fragments"] == 6  # {all|5|7|7-8|10|all} + a v-click
    assert slides[13]["title"] == "Multiple Entries"  # src: ./pages/multiple-entries.md
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "emptyArray" in html  # <<< @/snippets/external.ts#snippet
    assert '<div class="slot slot-right">' in html and '<section class="slide two-cols"' in html
    assert "<style>@scope {" in html  # a slide's <style> stays on that slide, as in Slidev
    texts = _visible_text(out)
    assert not any(m in text for text in texts for m in ("::right::", "layout:", "transition:", "<<<", "<!--"))
    assert "theme 'seriph' is not one of ours; using 'light'" in err


# --- one screenshot per ecosystem: the slide shows its content, not its markup ------------------

@pytest.mark.browser
@pytest.mark.parametrize("src, slide, heading, raw", [
    ("reveal/reveal-md-demo/c.md", "#/2/2", None, ["<!--vertical-->", "Note:"]),
    ("marp/marp-cli-example/PITCHME.md", "#/3", "@marp-team/marp-cli + Netlify", ["_backgroundColor", "<!--fit-->"]),
    ("remark/remark-intro/index.md", "#/3", "What is it?", [".left-column[", ".active[", "]"]),
    ("slidev/starter/slides.md", "#/4", "Table of contents", ["::right::", "layout: two-cols", "---"]),
])
def test_each_ecosystem_renders_content_not_markup(tmp_path, browser, src, slide, heading, raw):  # noqa: F811
    out, deck, _ = _build(DECKS / src, tmp_path)
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    # these decks name remote images of their own (the build warned): refused here, as at an offline venue
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
    errors = []
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    open_deck(page, (out / "index.html").as_uri() + slide)
    present = page.locator(".slide.present")
    text = present.inner_text()
    if heading:
        assert present.locator("h1, h2, h3, h5").first.inner_text().strip() == heading
        assert present.locator("h1, h2, h3, h5").first.bounding_box()["height"] > 20
    else:
        assert text.strip() == "Sub Bar"
    for marker in raw:
        assert marker not in text.split("\n"), text
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{src.split('/')[0]}.png"))
    context.close()
    assert errors == []


# --- idioms, each on its own ----------------------------------------------------------------------

def _deck(tmp_path, text, name="deck.md"):
    (tmp_path / "slides").mkdir(exist_ok=True)
    (tmp_path / "slides" / name).write_text(text, encoding="utf-8")
    code, out, err = build_deck("slides", "--out", "site", cwd=tmp_path)
    deck = json.loads((tmp_path / "site" / "deck.json").read_text(encoding="utf-8")) if code == 0 else None
    html = (tmp_path / "site" / "index.html").read_text(encoding="utf-8") if code == 0 else ""
    return code, err, deck, html


def test_nested_and_block_scalar_front_matter_is_read_not_shown(tmp_path):
    code, err, deck, html = _deck(tmp_path, "---\ntitle: Q\nrevealOptions:\n  transition: fade\n  width: 1024\n"
                                  "  height: 768\nstyle: |\n  section { color: red; }\n---\n\n# One\n")
    assert code == 0, err
    assert (deck["count"], deck["width"], deck["height"]) == (1, 1024, 768)
    assert "transition" not in html and "section { color" not in html


def test_malformed_front_matter_points_at_its_line(tmp_path):
    code, err, _, _ = _deck(tmp_path, "---\ntitle: Q\nrevealOptions:\n  transition: [fade\n---\n\n# One\n")
    assert code == 1
    assert re.fullmatch(r"slides/deck\.md:5: front matter is not valid YAML: .*\n", err)


@pytest.mark.parametrize("value, message", [
    ("'('", "separator is not a valid regular expression"),
    ("'^$'", "matches an empty string"),
    ("'(a+)+b'", "nests repeats"),
    ("'" + "x" * 201 + "'", "longer than 200 characters"),
    ("[1, 2]", "must be a regular expression in a string"),
])
def test_separator_patterns_are_bounded_and_validated(tmp_path, value, message):
    code, err, _, _ = _deck(tmp_path, f"---\nseparator: {value}\n---\n\n# One\n")
    assert code == 1
    assert err.startswith("slides/deck.md:2: separator ") and message in err


def test_notes_that_swallow_a_heading_warn(tmp_path):
    code, err, deck, _ = _deck(tmp_path, "# One\n\nNote: say this\n\n## Two\n\nmore\n")
    assert code == 0 and deck["count"] == 1
    assert "slides/deck.md:5: the speaker notes above hold a heading ('## Two'); is a slide separator missing?" in err


def test_remark_steps_properties_and_notes(tmp_path):
    code, err, deck, html = _deck(tmp_path, "class: center, middle\n\n# Agenda\n\n--\n\n1. Intro\n\n--\n\n2. More\n\n"
                                  "???\nSay hello\n---\nexclude: true\n\n# Hidden\n---\n.big[Last]\n")
    assert code == 0, err
    assert deck["count"] == 2 and deck["slides"][0]["fragments"] == 2
    assert deck["slides"][0]["notes"] == "Say hello"
    assert '<section class="slide center middle"' in html and html.count('class="fragment step-block"') == 2
    assert '<span class="big">Last</span>' in html and "Hidden" not in html


def test_reveal_comments_set_the_slide_and_the_element(tmp_path):
    (tmp_path / "slides").mkdir()
    (tmp_path / "slides" / "bg.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    code, err, deck, html = _deck(tmp_path, '<!-- .slide: data-background="bg.png" class="dark" -->\n\n# T\n\n'
                                  '- one <!-- .element: class="fragment" -->\n- two\n')
    assert code == 0, err
    assert 'style="background:url(&quot;media/bg.png&quot;) center/cover no-repeat"' in html
    assert '<section class="slide dark"' in html and '<li class="fragment">' in html
    assert deck["slides"][0]["fragments"] == 1


def test_marp_themes_directives_and_image_keywords(tmp_path):
    code, err, deck, html = _deck(tmp_path, "---\nmarp: true\ntheme: gaia\nheader: Talk\n---\n\n"
                                  "<!-- _class: lead -->\n\n# Title\n\n<!-- say hi -->\n\n---\n\n"
                                  "![bg right:40%](https://example.com/x.png)\n\n![w:200](https://example.com/y.png)"
                                  "\n\n## Two\n")
    assert code == 0, err
    assert "slides/deck.md:3: theme 'gaia' is not one of ours; using 'light'" in err
    assert deck["theme"] == "light" and deck["slides"][0]["notes"] == "say hi"
    assert '<section class="slide lead center"' in html and html.count('<header class="slide-header">Talk') == 2
    assert 'class="bg-layer bg-right" style="--split:40%"' in html and 'split-right' in html
    assert 'style="width:200px"' in html and "w:200" not in html.replace('alt="', "")


def test_slidev_steps_clicks_and_hidden_slides(tmp_path):
    code, err, deck, html = _deck(tmp_path, "---\ntheme: default\nlayout: center\n---\n\n# One\n\n"
                                  "```py {all|1|2}\na = 1\nb = 2\n```\n\n<v-click>\n\nLater\n\n</v-click>\n\n"
                                  "---\nhide: true\n---\n\n# Hidden\n\n---\n\n# Three\n\n<!--\nthe notes\n-->\n")
    assert code == 0, err
    assert deck["count"] == 2 and deck["slides"][0]["fragments"] == 3
    assert deck["slides"][1]["notes"] == "the notes" and "Hidden" not in html
    assert '<v-click class="fragment">' in html and 'data-steps="3"' in html


def test_a_foreign_deck_copied_with_images_missing_still_builds(tmp_path):
    shutil.copytree(DECKS / "remark", tmp_path / "remark")
    text = (tmp_path / "remark" / "remark-intro" / "index.md").read_text(encoding="utf-8")
    (tmp_path / "remark" / "remark-intro" / "index.md").write_text(text + "\n---\n![](img/me.jpg)\n",
                                                                      encoding="utf-8")
    code, out, err = build_deck(tmp_path / "remark" / "remark-intro" / "index.md", "--out", tmp_path / "site")
    assert code == 0 and err.strip().endswith(":4") is False
    assert "missing image img/me.jpg (warning)" in err


@pytest.mark.browser
def test_vertical_slides_move_by_column_and_row_and_link_as_column_row(tmp_path, offline):  # noqa: F811
    out, deck, _ = _build(DECKS / "reveal" / "reveal-md-demo" / "a.md", tmp_path)
    page = open_deck(offline().new_page(), (out / "index.html").as_uri())

    def where():
        return page.evaluate("[location.hash, OMQ.deck.state().h, document.querySelector('.slide.present').innerText,"
                             " document.querySelector('.slide-number').textContent]")

    page.keyboard.press("ArrowRight")
    assert where() == ["#/2", 1, "Bar", "2 / 3"]
    page.keyboard.press("ArrowDown")
    assert where() == ["#/2/2", 2, "Sub Bar", "2.2 / 3"]
    page.keyboard.press("ArrowDown")  # the bottom of the column: stays
    assert where()[0] == "#/2/2"
    page.keyboard.press("ArrowRight")  # the next column's top
    assert where() == ["#/3", 3, "The End.", "3 / 3"]
    page.keyboard.press("ArrowLeft")  # the previous column's top, not the slide read before
    assert where()[:2] == ["#/2", 1]
    page.keyboard.press("ArrowUp")  # the top of a column: stays
    assert where()[:2] == ["#/2", 1]
    page.keyboard.press(" ")  # space reads on: down the column first
    assert where()[:2] == ["#/2/2", 2]
    page.evaluate("location.hash = '#/1'")
    page.wait_for_function("OMQ.deck.state().h === 0")
    page.evaluate("location.hash = '#/2/2'")  # a deep link: column 2, row 2
    page.wait_for_function("OMQ.deck.state().h === 2")
    page.keyboard.press("o")  # the overview lays the columns out side by side, arrows move by column and row
    boxes = [page.locator(f"#slide-{n}").bounding_box() for n in (2, 3, 4)]
    assert boxes[0]["x"] == boxes[1]["x"] and boxes[1]["y"] > boxes[0]["y"] and boxes[2]["x"] > boxes[0]["x"]
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    assert where()[:2] == ["#/3", 3]
    SHOTS.mkdir(exist_ok=True)
    page.keyboard.press("o")
    page.screenshot(path=str(SHOTS / "vertical-overview.png"))
