"""Read slide sources into ``Slide`` objects: files, front matter, separators, notes.

Only line structure is handled here (which lines belong to which slide and to
its notes); the markdown itself is parsed by markdown-it in ``render.py``.
"""

import hashlib
import os
from dataclasses import dataclass, field

from .defaults import FRONT_MATTER, THEMES
from .errors import SlideError

#: A slide separator: a line that is exactly ``---`` (trailing spaces allowed).
SEPARATOR = "---"
#: A line that starts the speaker notes of a slide: ``???`` or ``Note:``/``Notes:``.
NOTES_MARKERS = ("???",)
NOTES_PREFIXES = ("note:", "notes:")


@dataclass
class Slide:
    """One slide's markdown, where it came from, and its speaker notes."""

    file: str  #: path shown in messages, e.g. ``slides/01-intro.md``
    name: str  #: file name inside the source directory, e.g. ``01-intro.md``
    line: int  #: 1-based line of the slide's first body line in ``file``
    body: str
    notes: str = ""
    notes_line: int = 0


@dataclass
class SourceFile:
    """One markdown file of the deck and the slides it holds."""

    path: str  #: absolute path
    file: str  #: path shown in messages
    name: str  #: name inside the source directory
    text: str
    digest: str
    slides: list = field(default_factory=list)
    meta: dict = field(default_factory=dict)  #: front matter (first file only)


def list_sources(src):
    """The markdown files of a deck: ``src`` itself or its ``*.md`` files by name."""
    if os.path.isfile(src):
        return os.path.dirname(os.path.abspath(src)), [(os.path.basename(src), src)]
    if not os.path.isdir(src):
        raise SlideError(f"no such slide directory or file: {src}")
    names = sorted(entry.name for entry in os.scandir(src)
                   if entry.name.endswith(".md") and entry.is_file() and not entry.name.startswith("."))
    if not names:
        raise SlideError(f"{src}: no .md slide files found")
    return os.path.abspath(src), [(name, os.path.join(src, name)) for name in names]


def read_file(path, file, name, first):
    """Read one file and split it into slides (front matter only when ``first``)."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except UnicodeDecodeError as exc:
        raise SlideError(f"not UTF-8 text ({exc.reason})", file) from None
    except OSError as exc:
        raise SlideError(f"cannot read: {exc.strerror}", file) from None
    source = SourceFile(path=os.path.abspath(path), file=file, name=name, text=text,
                        digest=hashlib.sha1(text.encode("utf-8")).hexdigest())
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    start, meta = _front_matter(lines, file)
    if meta is not None and not first:
        raise SlideError("front matter is only read from the deck's first file", file, 1)
    source.meta = meta or {}
    source.slides = split_slides(lines, start, file, name)
    return source


def split_slides(lines, start, file, name):
    """Cut lines at ``---`` separators (outside fenced code) into slides."""
    slides = []
    chunk_start = start
    fence = None
    for index in range(start, len(lines) + 1):
        if index < len(lines):
            line = lines[index]
            fence = _fence_state(line, fence)
            if fence is not None or line.rstrip() != SEPARATOR:
                continue
        slide = _make_slide(lines[chunk_start:index], chunk_start, file, name)
        if slide is not None:
            slides.append(slide)
        chunk_start = index + 1
    return slides


def _make_slide(lines, offset, file, name):
    """A Slide from its lines (``offset`` is the 0-based index of the first), or None if blank."""
    fence = None
    body_lines, notes_lines, notes_at = lines, [], None
    for index, line in enumerate(lines):
        fence = _fence_state(line, fence)
        if fence is not None:
            continue
        stripped = line.rstrip()
        if stripped in NOTES_MARKERS:
            body_lines, notes_lines, notes_at = lines[:index], lines[index + 1:], index + 1
            break
        lowered = stripped.lower()
        prefix = next((p for p in NOTES_PREFIXES if lowered.startswith(p)), None)
        if prefix:
            rest = stripped[len(prefix):].strip()
            body_lines, notes_lines, notes_at = lines[:index], ([rest] if rest else []) + lines[index + 1:], index
            if not rest:
                notes_at += 1
            break
    first = next((i for i, line in enumerate(body_lines) if line.strip()), len(body_lines))
    body = "\n".join(body_lines[first:]).rstrip()
    notes = "\n".join(notes_lines).strip()
    if not body and not notes:
        return None
    return Slide(file=file, name=name, line=offset + first + 1, body=body + "\n", notes=notes,
                 notes_line=offset + (notes_at or 0) + 1)


def _fence_state(line, fence):
    """Track fenced code blocks: returns the open fence marker, or None outside one."""
    stripped = line.lstrip(" ")
    if len(line) - len(stripped) > 3:
        return fence
    if fence is None:
        for char in "`~":
            if stripped.startswith(char * 3):
                marker = stripped[:len(stripped) - len(stripped.lstrip(char))]
                if char == "`" and "`" in stripped[len(marker):]:
                    return None  # an inline code span, not a fence
                return marker
        return None
    if stripped.startswith(fence) and not stripped.rstrip().lstrip(fence[0]):
        return None
    return fence


def _front_matter(lines, file):
    """(index of the first body line, dict) when the file opens with a front matter block."""
    if not lines or lines[0].rstrip() != SEPARATOR:
        return 0, None
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].rstrip() == SEPARATOR)
    except StopIteration:
        return 0, None
    block = lines[1:end]
    keys = [line for line in block if _is_key_line(line)]
    if not keys or not all(line in keys or not line.strip() or line.lstrip().startswith("#") for line in block):
        return 0, None  # a leading separator followed by an ordinary slide
    meta = {}
    for number, line in enumerate(block, start=2):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, _, value = line.partition(":")
        key, value = key.strip(), _unquote(value.strip())
        meta[key] = (value, number)
    return end + 1, meta


def _is_key_line(line):
    key, colon, _ = line.partition(":")
    return bool(colon) and key == key.strip() and key.replace("-", "_").isidentifier()


def _unquote(value):
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def check_meta(meta, file):
    """Validate front matter into plain values; returns (meta, warnings)."""
    values, warnings = {}, []
    for key, (value, line) in sorted(meta.items(), key=lambda item: item[1][1]):
        if key not in FRONT_MATTER:
            warnings.append(SlideError(f"unknown front matter key '{key}' (known: {', '.join(sorted(FRONT_MATTER))})",
                                       file, line))
            continue
        if key == "theme" and value not in THEMES:
            raise SlideError(f"unknown theme '{value}' (choose one of: {', '.join(THEMES)})", file, line)
        if key in ("width", "height"):
            if not value.isdigit() or not 200 <= int(value) <= 8000:
                raise SlideError(f"{key} must be a number of pixels between 200 and 8000, not '{value}'", file, line)
            value = int(value)
        values[key] = value
    return values, warnings
