"""Build problems: each one is `file:LINE: message`, every one is reported, exit 1, nothing written."""

import re
import shutil
import struct
import zlib

import pytest
from deckfixtures import DECKS, SEED, build_deck


def _png():
    """A valid 1x1 PNG."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def _broken(tmp_path, name):
    """Copy one file of tests/decks/broken (and the basic deck it includes from) under tmp_path."""
    shutil.copytree(DECKS / "basic", tmp_path / "basic")
    (tmp_path / "slides").mkdir()
    shutil.copy(DECKS / "broken" / name, tmp_path / "slides" / name)
    return build_deck("slides", "--out", "site", cwd=tmp_path)


def _problems(stderr):
    assert "Traceback" not in stderr
    return stderr.strip().splitlines()


@pytest.fixture
def seed_copy(tmp_path):
    if not SEED.is_file():
        pytest.skip(f"the seed deck is not here ({SEED})")
    (tmp_path / "slides").mkdir()
    text = SEED.read_text(encoding="utf-8")
    (tmp_path / "slides" / "talk.md").write_text(text, encoding="utf-8")
    images = [(number, src) for number, line in enumerate(text.splitlines(), start=1)
              for src in re.findall(r"<img [^>]*src='([^']+)'", line)]
    assert len(images) >= 10
    return tmp_path, images


def test_seed_deck_builds_as_is_when_its_images_are_there(seed_copy):
    root, images = seed_copy
    for _, src in images:
        (root / "slides" / src).write_bytes(_png())
    code, out, err = build_deck("slides", "--out", "site", cwd=root)
    assert code == 0, err
    assert "built 25 slides" in out
    html = (root / "site" / "index.html").read_text(encoding="utf-8")
    assert "<h1><span class='rails-title'>Rails</span>" in html  # raw HTML untouched
    assert '<img src="media/image1.png">' in html and (root / "site" / "media" / "image1.png").is_file()
    assert '<img class="redis-img" src="media/redis.png">' in html
    assert html.count('<section class="slide"') == 25


def test_seed_deck_without_its_images_builds_with_one_warning_per_missing_image(seed_copy):
    root, images = seed_copy
    code, out, err = build_deck("slides", "--out", "site", cwd=root)
    assert code == 0, err
    assert "built 25 slides" in out
    assert _problems(err) == [f"slides/talk.md:{line}: missing image {src} (warning)" for line, src in images]
    html = (root / "site" / "index.html").read_text(encoding="utf-8")
    assert html.count('<span class="missing-image" role="img" aria-label="missing image ./image1.png">') == 1
    assert html.count('class="missing-image"') == len(images)  # each image's place is marked


def test_seed_deck_without_its_images_fails_with_strict(seed_copy):
    root, images = seed_copy
    code, _, err = build_deck("slides", "--out", "site", "--strict", cwd=root)
    assert code == 1
    assert _problems(err) == [f"slides/talk.md:{line}: missing image {src}" for line, src in images]
    assert not (root / "site").exists()


def test_missing_images_in_markdown_and_inline_html_are_warnings_at_their_lines(tmp_path):
    code, _, err = _broken(tmp_path, "missing-image.md")
    assert code == 0
    assert _problems(err) == [
        "slides/missing-image.md:3: missing image diagrams/nope.svg (warning)",
        "slides/missing-image.md:7: missing image also-missing.png (warning)",
        "slides/missing-image.md:8: missing image gone.png (warning)",
    ]
    html = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert ('<span class="missing-image" role="img" aria-label="missing image also-missing.png">'
            "<span>inline</span><code>also-missing.png</code></span>") in html
    assert "<span>a diagram</span><code>diagrams/nope.svg</code>" in html and "<img" not in html


def test_unknown_widget_is_an_error(tmp_path):
    code, _, err = _broken(tmp_path, "unknown-widget.md")
    assert code == 1
    [problem] = _problems(err)
    assert problem.startswith("slides/unknown-widget.md:5: unknown widget 'dashbord' (known: blocking, dashboard,")


def test_malformed_and_out_of_range_highlight_specs_are_errors(tmp_path):
    code, _, err = _broken(tmp_path, "bad-highlight.md")
    assert code == 1
    assert _problems(err) == [
        "slides/bad-highlight.md:3: malformed highlight spec '{1-x}': '1-x' is not a line or a range like 3 or 1-4",
        "slides/bad-highlight.md:11: highlight spec '{1|3}' names line 3 but the block has 2 lines",
    ]


def test_broken_includes_are_errors(tmp_path):
    code, _, err = _broken(tmp_path, "broken-include.md")
    assert code == 1
    problems = _problems(err)
    assert len(problems) == 3
    assert problems[0].startswith("slides/broken-include.md:3: broken include: no file code/nothing.py")
    assert problems[1] == ("slides/broken-include.md:10: broken include: no region 'nope' in "
                           "../basic/code/worker.py (regions: enqueue)")
    assert problems[2] == ("slides/broken-include.md:17: broken include: lines 10-99 are outside "
                           "../basic/code/worker.py (it has 13 lines)")


def test_warnings_are_printed_and_build_succeeds(tmp_path):
    code, _, err = _broken(tmp_path, "warnings.md")
    assert code == 0
    assert _problems(err) == [
        "slides/warnings.md:4: unknown front matter key 'autor'; did you mean 'author'? (warning)",
        "slides/warnings.md:9: remote image https://example.com/logo.png will not load offline; "
        "copy it next to the slides (warning)",
    ]


def test_verbose_lists_the_front_matter_keys_kept_but_unused(tmp_path):
    shutil.copytree(DECKS / "basic", tmp_path / "basic")
    (tmp_path / "slides").mkdir()
    shutil.copy(DECKS / "broken" / "warnings.md", tmp_path / "slides" / "warnings.md")
    code, _, err = build_deck("slides", "--out", "site", "--verbose", cwd=tmp_path)
    assert code == 0
    assert ("slides/warnings.md:3: front matter key 'colour' kept, unused (not a setting of this builder) (info)"
            in _problems(err))
    assert "colour" not in (tmp_path / "site" / "index.html").read_text(encoding="utf-8")


def test_strict_turns_warnings_into_errors(tmp_path):
    shutil.copytree(DECKS / "broken", tmp_path / "slides", ignore=lambda d, names: [
        n for n in names if n != "warnings.md"])
    code, _, err = build_deck("slides", "--out", "site", "--strict", cwd=tmp_path)
    assert code == 1
    problems = _problems(err)
    assert [p.split(": ")[0] for p in problems] == ["slides/warnings.md:4", "slides/warnings.md:9"]
    assert not any(p.endswith("(warning)") for p in problems)
    assert not (tmp_path / "site").exists()


def test_unknown_directive_and_bad_widget_options_are_errors(tmp_path):
    (tmp_path / "slides").mkdir()
    (tmp_path / "slides" / "a.md").write_text(
        "# x\n\n::frobnicate now\n\n---\n\n::widget mail height=huge\n\n---\n\n::widget mail color=red\n",
        encoding="utf-8")
    code, _, err = build_deck("slides", "--out", "site", cwd=tmp_path)
    assert code == 1
    problems = _problems(err)
    assert re.fullmatch(r"slides/a\.md:3: unknown directive '::frobnicate' \(known: .*slide, widget.*\)", problems[0])
    assert problems[1:] == [
        "slides/a.md:7: ::widget height must be a number of pixels between 60 and 4000, not 'huge'",
        "slides/a.md:11: ::widget has no option 'color' (options: height)",
    ]


def test_a_failed_build_leaves_the_previous_site_in_place(tmp_path):
    (tmp_path / "slides").mkdir()
    deck = tmp_path / "slides" / "a.md"
    deck.write_text("# Good\n", encoding="utf-8")
    assert build_deck("slides", cwd=tmp_path)[0] == 0
    before = (tmp_path / "site" / "index.html").read_bytes()
    deck.write_text("# Bad\n\n::widget nope\n", encoding="utf-8")
    code, _, err = build_deck("slides", cwd=tmp_path)
    assert code == 1 and _problems(err)[0].startswith("slides/a.md:3: unknown widget 'nope'")
    assert (tmp_path / "site" / "index.html").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site", "slides"]  # no temp dirs left behind


def test_refuses_to_replace_a_directory_it_did_not_build(tmp_path):
    (tmp_path / "slides").mkdir()
    (tmp_path / "slides" / "a.md").write_text("# x\n", encoding="utf-8")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "keep.txt").write_text("precious", encoding="utf-8")
    code, _, err = build_deck("slides", "--out", "docs", cwd=tmp_path)
    assert code == 1 and "refusing to replace" in err and "Traceback" not in err
    assert (tmp_path / "docs" / "keep.txt").read_text(encoding="utf-8") == "precious"


def test_missing_source_directory_is_a_clear_error(tmp_path):
    code, _, err = build_deck("nowhere", cwd=tmp_path)
    assert code == 1 and _problems(err) == ["no such slide directory or file: nowhere"]
