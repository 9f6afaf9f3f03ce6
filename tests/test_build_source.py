"""Reading slide files: separators, front matter, notes, and where each slide starts."""

import pytest

from slidekit.errors import SlideError
from slidekit.source import check_meta, read_file


def _read(tmp_path, text, first=True, name="deck.md"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return read_file(str(path), f"slides/{name}", name, first)


def test_separators_split_slides_and_record_their_first_line(tmp_path):
    source = _read(tmp_path, "# One\n\n---\n\n\n## Two\ntext\n---\n## Three\n")
    assert [s.body for s in source.slides] == ["# One\n", "## Two\ntext\n", "## Three\n"]
    assert [s.line for s in source.slides] == [1, 6, 9]


def test_a_dash_line_inside_fenced_code_is_not_a_separator(tmp_path):
    source = _read(tmp_path, "```yaml\n---\nkey: 1\n```\n\n---\n\n~~~~\n---\n~~~~\n")
    assert len(source.slides) == 2
    assert "---" in source.slides[0].body and "---" in source.slides[1].body


def test_blank_slides_from_trailing_separators_are_dropped(tmp_path):
    source = _read(tmp_path, "# Only\n\n---\n\n---\n")
    assert len(source.slides) == 1


def test_front_matter_is_read_and_not_a_slide(tmp_path):
    source = _read(tmp_path, "---\ntitle: Queues\ntheme: contrast\nwidth: 1920\n---\n\n# First\n")
    assert len(source.slides) == 1 and source.slides[0].line == 7
    meta, warnings, notices = check_meta(source.meta, "slides/deck.md")
    assert meta == {"title": "Queues", "theme": "contrast", "width": 1920} and warnings == notices == []


def test_a_leading_separator_before_an_ordinary_slide_is_not_front_matter(tmp_path):
    source = _read(tmp_path, "---\n# Hello world\n---\n# Two\n")
    assert source.meta == {}
    assert [s.body for s in source.slides] == ["# Hello world\n", "# Two\n"]


def test_front_matter_in_a_later_file_is_an_error(tmp_path):
    with pytest.raises(SlideError, match="only read from the deck's first file") as info:
        _read(tmp_path, "---\ntitle: Again\n---\n# x\n", first=False)
    assert str(info.value).startswith("slides/deck.md:1: ")


def test_unknown_theme_is_an_error_with_its_line(tmp_path):
    source = _read(tmp_path, "---\ntitle: x\ntheme: neon\n---\n# x\n")
    with pytest.raises(SlideError) as info:
        check_meta(source.meta, "slides/deck.md")
    assert str(info.value) == "slides/deck.md:3: unknown theme 'neon' (choose one of: light, dark, contrast)"


@pytest.mark.parametrize("marker", ["Note:", "Notes:", "???"])
def test_notes_start_at_a_marker_and_run_to_the_end_of_the_slide(tmp_path, marker):
    source = _read(tmp_path, f"# Title\n\nBody\n\n{marker}\nSay this.\n\nAnd this.\n---\n# Next\n")
    first, second = source.slides
    assert first.body == "# Title\n\nBody\n"
    assert first.notes == "Say this.\n\nAnd this."
    assert first.notes_line == 6
    assert second.notes == ""


def test_note_text_on_the_marker_line_belongs_to_the_notes(tmp_path):
    slide = _read(tmp_path, "# T\n\nNote: short and sweet\n").slides[0]
    assert slide.notes == "short and sweet" and slide.notes_line == 3


def test_note_marker_inside_code_is_code(tmp_path):
    slide = _read(tmp_path, "```\nNote: not a note\n???\n```\n").slides[0]
    assert slide.notes == "" and "Note: not a note" in slide.body


def test_windows_line_endings_are_read_like_unix_ones(tmp_path):
    path = tmp_path / "crlf.md"
    path.write_bytes(b"# One\r\n\r\n---\r\n# Two\r\n")
    source = read_file(str(path), "crlf.md", "crlf.md", True)
    assert [s.body for s in source.slides] == ["# One\n", "# Two\n"]
