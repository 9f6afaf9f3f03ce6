"""Read slide sources into ``Slide`` objects: files, front matter, separators, notes.

Only line structure is handled here (which lines belong to which slide, to its
notes and to its steps, and the per-slide settings other tools write in the
text); the markdown itself is parsed by markdown-it in ``render.py``. Lines
that carry settings (remark properties, Marp directive comments) are blanked,
not removed, so every later message keeps the line it points at.
"""

import bisect
import difflib
import hashlib
import os
import re
import sys
from dataclasses import dataclass, field

from . import dialects, frontmatter
from .defaults import FRONT_MATTER, PATTERN_MAX, THEMES
from .errors import SlideError

if sys.version_info >= (3, 11):
    import re._constants as _sre
    import re._parser as _sre_parse
else:  # pragma: no cover
    import sre_constants as _sre
    import sre_parse as _sre_parse

#: The separators of our dialect: a line that is exactly ``---`` (a new column) or ``----`` (a vertical slide).
SEPARATOR = "---"
VERTICAL = "----"
#: A line that starts the speaker notes: ``???`` (remark) or ``Note:``/``Notes:`` (reveal.js), any case.
NOTES = re.compile(r"^(?:\?\?\?[ \t]*$|notes?:)", re.I | re.M)
#: remark's incremental step: a line ``--``; what follows is a fragment of the same slide.
STEP = "--"
#: remark's slide properties we understand, at the top of a slide (``class: center, middle``).
REMARK_PROPERTY = re.compile(r"^(name|class|layout|template|background-image|count|exclude|seq)[ \t]*:[ \t]*(.*?)\s*$")
_THEMATIC_BREAK = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]|$)")
_COMMENT = re.compile(r"^[ \t]*<!--(.*?)-->[ \t]*$", re.S)
_MARP_IMAGE = re.compile(r"!\[[^\]]*\]\(")


@dataclass
class Slide:
    """One slide's markdown, where it came from, its speaker notes and its settings."""

    file: str  #: path shown in messages, e.g. ``slides/01-intro.md``
    name: str  #: file name inside the source directory, e.g. ``01-intro.md``
    line: int  #: 1-based line of the slide's first body line in ``file``
    body: str
    notes: str = ""
    notes_line: int = 0
    vertical: bool = False  #: continues the column of the slide before it (a vertical separator)
    steps: list = field(default_factory=list)  #: [(markdown, line)]: remark ``--`` steps after the body
    classes: list = field(default_factory=list)  #: from remark properties, Marp directives, Slidev frontmatter
    style: str = ""  #: inline CSS (Marp ``backgroundColor``/``color``)
    background: tuple = None  #: (image reference, line) for the slide's background image
    extra: dict = field(default_factory=dict)  #: header/footer (Marp), side image (Slidev layouts)
    dir: str = ""  #: directory that relative paths in the slide start from (an imported file's)

    def signature(self):
        """Everything that decides how the slide renders, apart from where it sits in its file."""
        return (self.name, self.body, self.notes, self.notes_line - self.line, tuple(self.steps and
                [(text, line - self.line) for text, line in self.steps]), tuple(self.classes), self.style,
                self.background and (self.background[0], self.background[1] - self.line),
                tuple(sorted(self.extra.items())), self.dir)


@dataclass
class Syntax:
    """How the deck separates slides, notes and steps (from the first file's front matter)."""

    dialect: str = "slidekit"
    separator: object = None  #: compiled custom horizontal separator (reveal-md ``separator``), or None
    vertical: object = None  #: compiled custom vertical separator, or None
    notes: object = NOTES
    heading_divider: frozenset = frozenset()  #: Marp's headingDivider levels
    marp: dict = field(default_factory=dict)  #: Marp local directives set in front matter

    def key(self):
        return (self.dialect, getattr(self.separator, "pattern", None), getattr(self.vertical, "pattern", None),
                self.notes.pattern, self.heading_divider, tuple(sorted((k, str(v)) for k, v in self.marp.items())))


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
    syntax: Syntax = field(default_factory=Syntax)
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    deps: list = field(default_factory=list)  #: files it imports (Slidev ``src:``)


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


def _read_text(path, file):
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except UnicodeDecodeError as exc:
        raise SlideError(f"not UTF-8 text ({exc.reason})", file) from None
    except OSError as exc:
        raise SlideError(f"cannot read: {exc.strerror}", file) from None


def read_file(path, file, name, first, syntax=None):
    """Read one file and split it into slides (front matter only when ``first``).

    The first file's front matter decides the deck's ``Syntax``; later files are
    read with the ``syntax`` passed in.
    """
    text = _read_text(path, file)
    source = SourceFile(path=os.path.abspath(path), file=file, name=name, text=text,
                        digest=hashlib.sha1(text.encode("utf-8")).hexdigest())
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    start, meta = _front_matter(lines, file)
    if meta is not None and not first:
        raise SlideError("front matter is only read from the deck's first file", file, 1)
    source.meta = meta or {}
    source.syntax = syntax_of(source.meta, file, source.errors) if first else (syntax or Syntax())
    source.slides = split_slides(lines, start, file, name, source.syntax, source)
    if first and source.syntax.dialect == "slidev" and source.slides and start:
        _slidev_settings(source.slides[0], source.meta, file, source, headmatter=True)
    return source


def _front_matter(lines, file):
    """(index of the first body line, {key: (value, line)}) when the file opens with YAML front matter."""
    if not lines or lines[0].rstrip() != SEPARATOR:
        return 0, None
    end = frontmatter.block_end(lines, 0)
    if end is None:
        return 0, None
    meta = frontmatter.parse(lines[1:end], file, 2)
    if meta is None:
        return 0, None  # a leading separator followed by an ordinary slide
    return end + 1, meta


# --- the deck's syntax --------------------------------------------------------------------------

def syntax_of(meta, file, errors):
    """The deck's Syntax from its front matter; problems go to ``errors``."""
    syntax = Syntax(dialect=dialects.detect(meta))
    for key, attr in (("separator", "separator"), ("verticalSeparator", "vertical"), ("notesSeparator", "notes")):
        if key in meta:
            value, line = meta[key]
            try:
                setattr(syntax, attr, compile_separator(value, key))
            except SlideError as exc:
                errors.append(SlideError(exc.message, file, line))
    if syntax.dialect == "marp":
        if "headingDivider" in meta:
            value, line = meta["headingDivider"]
            levels = value if isinstance(value, list) else [value]
            if all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 6 for v in levels):
                syntax.heading_divider = frozenset(
                    range(1, levels[0] + 1) if not isinstance(value, list) else levels)
            else:
                errors.append(SlideError(f"headingDivider must be a heading level 1-6 or a list of them, not {value!r}",
                                         file, line))
        syntax.marp = {key: value for key, (value, _) in meta.items() if key in dialects.MARP_LOCAL}
    return syntax


def compile_separator(value, key):
    """A separator from front matter as a compiled pattern, bounded and validated.

    The pattern is matched against each line ending as ``\\n`` in multiline
    mode, as reveal.js does. Refused: anything but a string, patterns longer
    than ``PATTERN_MAX``, invalid ones, ones that match an empty string (they
    would cut everywhere), and nested repeats such as ``(a+)+`` whose matching
    time can explode.
    """
    if not isinstance(value, str) or not value:
        raise SlideError(f"{key} must be a regular expression in a string, not {value!r}")
    if len(value) > PATTERN_MAX:
        raise SlideError(f"{key} is longer than {PATTERN_MAX} characters")
    flags = re.M | (re.I if key == "notesSeparator" else 0)
    try:
        pattern = re.compile(value.replace("\\r?", "").replace("\r", ""), flags)
        tree = _sre_parse.parse(pattern.pattern, flags)
    except (re.error, RecursionError, OverflowError) as exc:
        raise SlideError(f"{key} is not a valid regular expression: {exc}") from None
    if pattern.search("") or pattern.search("\n") and pattern.search("\n").group(0) == "":
        raise SlideError(f"{key} {value!r} matches an empty string, so it would cut everywhere")
    if _repeat_depth(tree) > 1:
        raise SlideError(f"{key} {value!r} nests repeats (like (a+)+), which can take forever to match; simplify it")
    return pattern


def _repeat_depth(items):
    """How deeply unbounded repeats nest in a parsed pattern (re's own parser)."""
    depth = 0
    for op, av in items:
        if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, getattr(_sre, "POSSESSIVE_REPEAT", None)):
            low, high, sub = av
            inner = _repeat_depth(sub)
            depth = max(depth, inner + 1 if high == _sre.MAXREPEAT or high > 16 else inner)
        elif op == _sre.SUBPATTERN:
            depth = max(depth, _repeat_depth(av[-1]))
        elif op == _sre.BRANCH:
            depth = max([depth] + [_repeat_depth(branch) for branch in av[1]])
        elif op in (_sre.ASSERT, _sre.ASSERT_NOT):
            depth = max(depth, _repeat_depth(av[1]))
    return depth


# --- cutting a file into slides -----------------------------------------------------------------

def split_slides(lines, start, file, name, syntax=None, source=None):
    """Cut lines into slides at the deck's separators (never inside fenced code)."""
    syntax = syntax or Syntax()
    source = source or SourceFile("", file, name, "", "")
    fenced = _fenced(lines)
    if syntax.separator is not None or syntax.vertical is not None:
        chunks = _cut_by_pattern(lines, start, fenced, syntax)
    elif syntax.dialect == "slidev":
        chunks = _cut_slidev(lines, start, fenced, file, source)
    else:
        chunks = _cut_by_line(lines, start, fenced, syntax)
    slides, state = [], {"names": {}, "layout": None, "marp": dict(syntax.marp)}
    for first, chunk, vertical, settings in chunks:
        slide = _make_slide(chunk, first, file, name, syntax, source, state, settings)
        if slide is not None:
            slide.vertical = vertical and bool(slides)
            if syntax.dialect != "slidekit":
                slide.extra["dialect"] = syntax.dialect
            slides.extend(_expand(slide, source, syntax))
    return slides


def _fenced(lines):
    """For each line: is it inside (or a fence of) a fenced code block?"""
    marks, fence = [], None
    for line in lines:
        before = fence
        fence = _fence_state(line, fence)
        marks.append(before is not None or fence is not None)
    return marks


def _cut_by_line(lines, start, fenced, syntax):
    """Chunks ``(first line index, lines, vertical, settings)`` at ``---``/``----`` lines (Marp: at breaks)."""
    chunks, chunk_start, vertical = [], start, False
    marp = syntax.dialect == "marp"
    for index in range(start, len(lines) + 1):
        if index < len(lines):
            if fenced[index]:
                continue
            line = lines[index]
            stripped = line.rstrip()
            if marp:
                if _ATX.match(line) and len(_ATX.match(line)[1]) in syntax.heading_divider and \
                        any(text.strip() for text in lines[chunk_start:index]):
                    chunks.append((chunk_start, lines[chunk_start:index], vertical, None))
                    chunk_start, vertical = index, False
                    continue
                if not _THEMATIC_BREAK.match(line) or _setext(lines, index, chunk_start):
                    continue
                kind = False
            elif stripped == SEPARATOR:
                kind = False
            elif stripped == VERTICAL:
                kind = True
            else:
                continue
        else:
            kind = False
        chunks.append((chunk_start, lines[chunk_start:index], vertical, None))
        chunk_start, vertical = index + 1, kind
    return chunks


def _setext(lines, index, chunk_start):
    """Is the dash line at ``index`` a setext underline (Marp reads ``text`` + ``---`` as a heading)?"""
    if index <= chunk_start or not lines[index].strip().startswith("-"):
        return False
    above = lines[index - 1]
    stripped = above.strip()
    return bool(stripped) and not (_ATX.match(above) or stripped.endswith("-->") or stripped.startswith(("<", "```", "~~~"))
                                   or re.match(r"^([-*+]|\d+[.)])[ \t]", stripped) or _THEMATIC_BREAK.match(above))


def _cut_by_pattern(lines, start, fenced, syntax):
    """Chunks at reveal-md separators given as regular expressions, matched over the text."""
    text = "\n".join(lines)
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    begin = starts[start] if start < len(starts) else len(text)
    parts = [p.pattern for p in (syntax.separator, syntax.vertical) if p is not None]
    if syntax.separator is None:
        parts.insert(0, r"^---[ \t]*$")
    combined = re.compile("|".join(f"(?:{p})" for p in parts), re.M)
    horizontal = syntax.separator or re.compile(r"^---[ \t]*$", re.M)
    chunks, cursor, vertical = [], begin, False
    for match in combined.finditer(text, begin):
        if match.end() == match.start():
            continue
        line = bisect.bisect_right(starts, match.start()) - 1
        if fenced[line] and fenced[min(bisect.bisect_right(starts, match.end() - 1) - 1, len(lines) - 1)]:
            continue
        chunks.append(_chunk(text, starts, cursor, match.start(), vertical))
        vertical = syntax.vertical is not None and not horizontal.search(match.group(0))
        cursor = match.end()
    chunks.append(_chunk(text, starts, cursor, len(text), vertical))
    return chunks


def _chunk(text, starts, begin, end, vertical):
    first = bisect.bisect_right(starts, begin) - 1
    piece = text[starts[first]:end]
    prefix = begin - starts[first]
    lines = piece.split("\n")
    lines[0] = lines[0][prefix:]
    return first, lines, vertical, None


def _cut_slidev(lines, start, fenced, file, source):
    """Slidev's rules: a line starting ``---`` cuts; if the next line is not blank, the lines
    up to the next ``---`` are that slide's frontmatter."""
    chunks, chunk_start, settings, index = [], start, None, start
    while index < len(lines):
        line = lines[index].rstrip()
        if not fenced[index] and line.startswith(SEPARATOR):
            chunks.append((chunk_start, lines[chunk_start:index], False, settings))
            settings, chunk_start = None, index + 1
            following = lines[index + 1] if index + 1 < len(lines) else ""
            if line[3:4] != "-" and following.strip():
                end = frontmatter.block_end(lines, index)
                if end is not None:
                    try:
                        settings = frontmatter.parse(lines[index + 1:end], file, index + 2) or {}
                    except SlideError as exc:
                        source.errors.append(exc)
                        settings = {}
                    chunk_start, index = end + 1, end
        index += 1
    chunks.append((chunk_start, lines[chunk_start:], False, settings))
    return chunks


# --- one slide -------------------------------------------------------------------------------

def _make_slide(lines, offset, file, name, syntax, source, state, settings):
    """A Slide from its lines (``offset`` is the 0-based index of the first), or None if it shows nothing."""
    lines = list(lines)
    fenced = _fenced(lines)
    slide = Slide(file=file, name=name, line=offset + 1, body="")
    if syntax.dialect == "slidekit":
        if not _remark_properties(lines, offset, slide, state, source):
            return None
    notes_lines, notes_at = [], None
    if syntax.dialect == "marp":
        notes_lines = _marp_comments(lines, fenced, offset, slide, state, source)
    elif syntax.dialect == "slidev":
        if settings is not None and not _slidev_settings(slide, settings, file, source):
            return None
        notes_lines, notes_at = _trailing_comment(lines, fenced)
    body_lines = lines
    match = _find_outside(syntax.notes, lines, fenced)
    if match is not None:
        index, column, length = match
        rest = lines[index][column + length:].strip()
        body_lines = lines[:index] + ([lines[index][:column]] if lines[index][:column].strip() else [])
        notes_lines = ([rest] if rest else []) + lines[index + 1:] + notes_lines
        notes_at = index if rest else index + 1
    body_lines, steps = _steps(body_lines, fenced, offset) if syntax.dialect == "slidekit" else (body_lines, [])
    first = next((i for i, line in enumerate(body_lines) if line.strip()), len(body_lines))
    body = "\n".join(body_lines[first:]).rstrip()
    notes = "\n".join(notes_lines).strip()
    if state.get("template"):
        body = (state.pop("template") + "\n\n" + body).strip()
    if not body and not notes and not steps and not slide.extra.get("src"):
        return None
    slide.line = offset + first + 1
    slide.body = body + "\n"
    slide.notes = notes
    slide.notes_line = offset + (notes_at or 0) + 1
    slide.steps = steps
    if notes:
        _check_notes(notes_lines, offset + (notes_at or 0), file, source, syntax)
    return slide


def _find_outside(pattern, lines, fenced):
    """(line index, column, length) of the first match of ``pattern`` that starts outside fenced code."""
    for index, line in enumerate(lines):
        if fenced[index]:
            continue
        match = pattern.search(line)
        if match and (match.end() > match.start() or match.start() == 0):
            return index, match.start(), match.end() - match.start()
    return None


def _steps(lines, fenced, offset):
    """remark's ``--``: the body up to the first ``--`` line, then one (markdown, line) per step."""
    cuts = [i for i, line in enumerate(lines) if not fenced[i] and line.rstrip() == STEP]
    if not cuts:
        return lines, []
    steps = []
    for here, there in zip(cuts, cuts[1:] + [len(lines)]):
        chunk = lines[here + 1:there]
        first = next((i for i, line in enumerate(chunk) if line.strip()), None)
        if first is not None:
            steps.append(("\n".join(chunk[first:]).rstrip() + "\n", offset + here + 1 + first + 1))
    return lines[:cuts[0]], steps


def _check_notes(notes_lines, offset, file, source, syntax):
    """Warn when the notes hold a heading: a separator is probably missing and slides vanished into them."""
    fence = None
    for index, line in enumerate(notes_lines):
        fence = _fence_state(line, fence)
        if fence is None and _ATX.match(line) and not line.lstrip().startswith("#" * 7):
            hint = ("the deck's separator is its own regular expression" if syntax.separator is not None
                    else "slides are separated by a line '---'")
            source.warnings.append(SlideError(
                f"the speaker notes above hold a heading ({line.strip()[:40]!r}); is a slide separator missing? "
                f"({hint})", file, offset + index + 1))
            return


def _remark_properties(lines, offset, slide, state, source):
    """remark's leading ``key: value`` lines: classes, names, templates, layout slides.

    Returns False when the chunk is a layout slide or excluded (it is not shown).
    """
    props, index = {}, 0
    while index < len(lines) and not lines[index].strip():
        index += 1
    while index < len(lines):
        match = REMARK_PROPERTY.match(lines[index])
        if not match:
            break
        props[match[1]] = match[2]
        lines[index] = ""
        index += 1
    layout = state.get("layout")
    if not props and not layout:
        return True
    classes = [c for c in re.split(r"[\s,]+", props.get("class", "")) if c]
    body = "\n".join(lines[index:]).strip()
    if props.get("layout", "").lower() == "true":
        state["layout"] = (classes, body)
        if props.get("name"):
            state["names"][props["name"]] = (classes, body)
        return False
    if props.get("layout", "").lower() == "false":
        state["layout"] = layout = None
    template = props.get("template")
    base = state["names"].get(template) if template else layout
    if template and base is None:
        source.warnings.append(SlideError(f"no slide named '{template}' for template: (it must come earlier)",
                                          slide.file, offset + 1))
    if base:
        classes = base[0] + [c for c in classes if c not in base[0]]
        if base[1]:
            state["template"] = base[1]
    if props.get("name"):
        state["names"][props["name"]] = (classes, body)
    if props.get("background-image"):
        match = re.match(r"url\((['\"]?)(.*?)\1\)", props["background-image"])
        slide.background = (match[2] if match else props["background-image"], offset + 1)
    slide.classes = classes
    return props.get("exclude", "").lower() != "true"


def _marp_comments(lines, fenced, offset, slide, state, source):
    """Marp's HTML comments: directives (``<!-- _class: lead -->``) set this slide (and, without ``_``,
    the ones after); any other comment on lines of its own is a speaker note."""
    notes, spot, index = [], {}, 0
    while index < len(lines):
        if fenced[index] or not lines[index].lstrip().startswith("<!--"):
            index += 1
            continue
        end = next((j for j in range(index, len(lines)) if "-->" in lines[j]), None)
        if end is None:
            break
        text = "\n".join(lines[index:end + 1])
        match = _COMMENT.match(text)
        if match is None:
            index = end + 1
            continue
        inner = match[1].strip()
        parsed = _loose_directives(inner)
        if parsed and all(k.lstrip("_") in dialects.MARP_LOCAL or k in dialects.MARP_GLOBAL for k in parsed):
            for key, (value, _) in parsed.items():
                if key.startswith("_"):
                    spot[key[1:]] = value
                elif key in dialects.MARP_LOCAL:
                    state["marp"][key] = value
        elif inner and inner != "fit":
            notes.append(inner)
        for j in range(index, end + 1):
            lines[j] = ""
        index = end + 1
    settings = {**state["marp"], **spot}
    classes = settings.get("class") or []
    slide.classes = [str(c) for c in (classes if isinstance(classes, list) else str(classes).split())]
    if "lead" in slide.classes:
        slide.classes.append("center")
    style = []
    for key, prop in (("backgroundColor", "background-color"), ("color", "color")):
        value = settings.get(key)
        if value is not None and not re.search(r"[;{}<>\\]", str(value)):
            style.append(f"{prop}:{value}")
    slide.style = ";".join(style)
    for key in ("header", "footer"):
        if settings.get(key):
            slide.extra[key] = str(settings[key])
    return notes


def _loose_directives(text):
    """Marp reads directive comments as loose YAML: ``_backgroundColor: #123`` is a colour, not a comment."""
    result = {}
    for line in text.split("\n"):
        if not line.strip():
            continue
        match = re.match(r"^\s*([_A-Za-z][\w-]*)\s*:\s*(.*?)\s*$", line)
        if not match:
            return None
        value = match[2]
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        result[match[1]] = ({"true": True, "false": False}.get(value, value), 0)
    return result or None


def _trailing_comment(lines, fenced):
    """Slidev: the last HTML comment that ends the slide is its notes; (note lines, None)."""
    end = len(lines) - 1
    while end >= 0 and not lines[end].strip():
        end -= 1
    if end < 0 or fenced[end] or not lines[end].rstrip().endswith("-->"):
        return [], None
    begin = end
    while begin >= 0 and "<!--" not in lines[begin]:
        begin -= 1
    if begin < 0 or not lines[begin].lstrip().startswith("<!--"):
        return [], None
    text = "\n".join(lines[begin:end + 1]).strip()
    if "-->" in text[:-3]:
        return [], None
    for j in range(begin, end + 1):
        lines[j] = ""
    return [text[4:-3].strip()], begin


#: Slidev layouts that centre their content.
_CENTERED = {"center", "cover", "intro", "section", "statement", "fact", "quote", "end"}


def _slidev_settings(slide, settings, file, source, headmatter=False):
    """Apply a Slidev frontmatter block (or the headmatter, to the first slide); False hides the slide."""
    def value(key, default=None):
        return settings[key][0] if key in settings else default

    if value("hide") is True or value("disabled") is True:
        return False
    layout = value("layout", "cover" if headmatter else None)
    classes = [str(c) for c in str(value("class") or "").split()]
    if layout in _CENTERED:
        classes.append("center")
    elif layout in ("two-cols", "two-cols-header"):
        classes.append("two-cols")
    elif layout in ("image-right", "image-left", "image") and value("image"):
        classes.append(f"layout-{layout}")
        slide.extra["image"] = (str(value("image")), settings["image"][1])
    slide.classes = [c for c in slide.classes if c not in classes] + classes
    if value("background") and isinstance(value("background"), str):
        slide.background = (value("background"), settings["background"][1])
    if value("src"):
        slide.extra["src"] = (str(value("src")), settings["src"][1])
    return True


def _expand(slide, source, syntax):
    """Slidev's ``src:``: the slides of another file, in place of this one."""
    src = slide.extra.get("src")
    if not src:
        return [slide]
    ref, line = src
    base = os.path.dirname(source.path) if source.path else ""
    path = os.path.normpath(os.path.join(base, ref.lstrip("/").removeprefix("@/")))
    source.deps.append(path)
    try:
        text = _read_text(path, ref)
    except SlideError:
        source.warnings.append(SlideError(f"missing slides file {ref} (src:); the slide is left out",
                                          slide.file, line))
        return []
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    start, meta = _front_matter(lines, slide.file)
    display = os.path.join(os.path.dirname(slide.file), ref) if slide.file else ref
    imported = split_slides(lines, start, os.path.normpath(display), slide.name, syntax, source)
    for item in imported:
        item.dir = os.path.dirname(path)
    if imported and meta:
        _slidev_settings(imported[0], meta, display, source)
    return imported


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


#: Front matter keys of other tools that the reader itself uses (separators, sizes).
USED_ELSEWHERE = frozenset(("separator", "verticalSeparator", "notesSeparator", "marp"))


# --- the deck's settings ----------------------------------------------------------------------

def check_meta(meta, file):
    """Validate front matter into plain values; returns (meta, warnings, notices).

    Our keys are checked; other tools' settings that map onto ours (Marp's
    ``size``, reveal-md's ``revealOptions`` width/height, their theme names)
    are used with a warning where the result differs; every other key is kept
    and listed in ``notices`` (``--verbose``), never shown on a slide.
    """
    values, warnings, notices = {}, [], []
    dialect = dialects.detect(meta)
    used = USED_ELSEWHERE | (dialects.MARP_LOCAL | {"headingDivider", "size"} if dialect == "marp" else
                             {"class", "background", "layout"} if dialect == "slidev" else frozenset())
    for key, (value, line) in sorted(meta.items(), key=lambda item: item[1][1]):
        if key in used and key not in FRONT_MATTER:
            continue
        if key not in FRONT_MATTER:
            close = difflib.get_close_matches(key, FRONT_MATTER, n=1, cutoff=0.8)
            if close and not dialects.known_elsewhere(key):
                warnings.append(SlideError(f"unknown front matter key '{key}'; did you mean '{close[0]}'?", file, line))
                continue
            tool = dialects.known_elsewhere(key, dialect)
            note = f"a {tool} setting" if tool else "not a setting of this builder"
            notices.append(SlideError(f"front matter key '{key}' kept, unused ({note})", file, line))
            continue
        if key == "theme":
            value = str(value) if value is not None else ""
            if value not in THEMES:
                mapped = dialects.foreign_theme(value)
                if mapped is None and dialect == "slidekit":
                    raise SlideError(f"unknown theme '{value}' (choose one of: {', '.join(THEMES)})", file, line)
                mapped = mapped or FRONT_MATTER["theme"]
                warnings.append(SlideError(f"theme '{value}' is not one of ours; using '{mapped}' "
                                           f"(ours: {', '.join(THEMES)})", file, line))
                value = mapped
        elif key in ("width", "height"):
            if isinstance(value, bool) or not str(value).isdigit() or not 200 <= int(value) <= 8000:
                raise SlideError(f"{key} must be a number of pixels between 200 and 8000, not '{value}'", file, line)
            value = int(value)
        elif key == "dialect":
            if value not in dialects.DIALECTS:
                raise SlideError(f"unknown dialect '{value}' (choose one of: {', '.join(dialects.DIALECTS)})",
                                 file, line)
        else:
            value = "" if value is None else str(value)
        values[key] = value
    size = dialects.sizes(meta)
    if size and "width" not in values and "height" not in values:
        width, height, line = size
        if 200 <= width <= 8000 and 200 <= height <= 8000:
            values["width"], values["height"] = width, height
    return values, warnings, notices
