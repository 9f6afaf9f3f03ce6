"""Code blocks: Pygments at build time, line highlights, steps, and includes.

A fence's info string is ``LANG {HIGHLIGHT} include=PATH linenos`` in any order:

* ``{2,4-6}`` highlights lines; ``{1-3|5|7}`` steps through highlights, one
  step per fragment (the first step shows with the slide);
* ``include=code/worker.py#enqueue`` shows the region between
  ``# region enqueue`` and ``# endregion`` of a real file, and
  ``include=code/worker.py:10-24`` a line range (paths are relative to the
  slide file), so slide code cannot drift from working code;
* ``linenos`` numbers the lines (from the included file's own numbering).

Tokens are mapped to a dozen short classes that deck.css colours through
theme variables, so no highlighter and no Pygments stylesheet reach the browser.
"""

import os
import re
import textwrap

from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
from pygments.token import (Comment, Error, Generic, Keyword, Literal, Name, Number, Operator,
                            String)
from pygments.util import ClassNotFound

from .errors import SlideError as CodeError  # raised without a place; the renderer adds file:line

#: Token type -> class in the HTML (deck.css colours ``.code .k`` and friends).
_TOKEN_CLASSES = {
    Keyword: "k", Operator.Word: "k", Name.Tag: "k",
    Name.Builtin: "b", Name.Builtin.Pseudo: "b", Name.Exception: "b",
    Name.Function: "f", Name.Class: "f", Name.Decorator: "d", Name.Attribute: "a",
    Name.Variable: "v", Name.Constant: "v", Name.Label: "v",
    String: "s", Literal.String.Doc: "c", String.Escape: "e", String.Interpol: "e",
    Number: "m", Literal: "m", Comment: "c", Operator: "o",
    Generic.Deleted: "gd", Generic.Inserted: "gi", Generic.Heading: "gh", Generic.Subheading: "gh",
    Generic.Prompt: "gp", Generic.Emph: "ge", Generic.Strong: "gs", Error: "err",
}
_class_cache = {}
_lexer_cache = {}
_REGION = re.compile(r"^\s*(?:#|//|--|;|/\*|<!--|\{#-?|%)\s*#?(end)?region\b[ \t]*([\w.-]*)")
_RANGE = re.compile(r"^(?P<path>.+?):(?P<start>\d+)(?:-(?P<end>\d*))?$")


def _token_class(ttype):
    cls = _class_cache.get(ttype)
    if cls is None:
        node = ttype
        while node not in _TOKEN_CLASSES and node.parent is not None:
            node = node.parent
        cls = _class_cache[ttype] = _TOKEN_CLASSES.get(node, "")
    return cls


def get_lexer(lang=None, filename=None):
    """A cached lexer for a language name or a file name; None for plain text."""
    key = (lang or "", "" if lang else os.path.splitext(filename or "")[1])
    if key in _lexer_cache:
        return _lexer_cache[key]
    options = {"stripnl": False, "ensurenl": True}
    lexer = None
    try:
        if lang:
            lexer = get_lexer_by_name(lang, **options)
        elif filename:
            lexer = get_lexer_for_filename(filename, **options)
    except ClassNotFound:
        lexer = False  # unknown: the caller warns and shows plain text
    _lexer_cache[key] = lexer
    return lexer


def _escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def highlight_lines(code, lexer):
    """HTML lines with token spans (no span crosses a line); ``code`` ends with a newline."""
    if not lexer:
        return [_escape(line) for line in code[:-1].split("\n")]
    lines, parts, pending, text = [], [], None, []

    def flush():
        if text:
            escaped = _escape("".join(text))
            parts.append(f'<span class="{pending}">{escaped}</span>' if pending else escaped)
            text.clear()

    for ttype, value in lexer.get_tokens(code):
        cls = _token_class(ttype)
        for index, piece in enumerate(value.split("\n")):
            if index:
                flush()
                lines.append("".join(parts))
                parts.clear()
            if piece:
                if cls != pending:
                    flush()
                    pending = cls
                text.append(piece)
    flush()
    if parts:
        lines.append("".join(parts))
    return lines or [""]


def parse_info(info, lenient=False):
    """Split a fence info string into (lang, highlight spec or None, options dict).

    Brace groups are highlight specs (``{2,4-6}``, ``{1-3|5}``, Slidev's
    ``{all|2|*}``) or, in Slidev's style, options (``{lines:true,
    startLine:5}``, ``{monaco}``): known options are used, the rest left out.
    ``lenient`` (decks of other tools) ignores words we do not know instead of
    failing on them.
    """
    lang, spec, options = None, None, {}
    rest = info.strip()
    while "{" in rest:
        start = rest.index("{")
        end = rest.find("}", start)
        if end < 0:
            raise CodeError(f"malformed highlight spec '{rest[start:]}': missing '}}'")
        group = rest[start + 1:end]
        rest = rest[:start] + " " + rest[end + 1:]
        if ":" in group or group.strip().startswith("monaco") or lenient and not _SPEC.fullmatch(group):
            _brace_options(group, options)
        elif spec is None:
            spec = group
    for word in rest.split():
        if "=" in word:
            key, _, value = word.partition("=")
            options[key] = value.strip("\"'")
        elif word in ("linenos",):
            options[word] = True
        elif lang is None:
            lang = word
        elif not lenient:
            raise CodeError(f"unexpected '{word}' in code block options (after language '{lang}')")
    unknown = sorted(set(options) - {"include", "linenos", "start"})
    if unknown and not lenient:
        raise CodeError(f"unknown code block option '{unknown[0]}' (known: include, linenos)")
    for key in unknown:
        del options[key]
    return lang, spec, options


#: What a highlight spec may hold: line numbers, ranges, ``,`` and ``|``, and Slidev's ``all`` / ``*``.
_SPEC = re.compile(r"[\d\s,|*-]*(?:all[\d\s,|*-]*)*")


def _brace_options(group, options):
    """Slidev's ``{lines:true, startLine:5}`` options onto ours."""
    for item in group.split(","):
        key, _, value = item.partition(":")
        key, value = key.strip(), value.strip().strip("\"'")
        if key == "lines" and value == "true":
            options["linenos"] = True
        elif key == "startLine" and value.isdigit():
            options["start"] = int(value)


def parse_steps(spec, count):
    """``'1-3|5'`` -> ``[{1, 2, 3}, {5}]`` for a block of ``count`` lines."""
    steps = []
    for step in spec.split("|"):
        if step.strip() in ("all", "*"):  # Slidev: every line, i.e. nothing dimmed
            steps.append(set())
            continue
        lines = set()
        for part in step.split(","):
            part = part.strip()
            if not part:
                if step.strip():
                    raise CodeError(f"malformed highlight spec '{{{spec}}}': empty item in '{step}'")
                continue
            first, dash, last = part.partition("-")
            if not first.strip().isdigit() or (dash and not last.strip().isdigit()):
                raise CodeError(f"malformed highlight spec '{{{spec}}}': '{part}' is not a line or a range "
                                "like 3 or 1-4")
            first, last = int(first), int(last) if dash else int(first)
            if first < 1 or last < first:
                raise CodeError(f"malformed highlight spec '{{{spec}}}': '{part}' is not an increasing range of "
                                "lines counted from 1")
            if last > count:
                raise CodeError(f"highlight spec '{{{spec}}}' names line {last} but the block has {count} lines")
            lines.update(range(first, last + 1))
        steps.append(lines)
    if not any(steps):
        raise CodeError(f"malformed highlight spec '{{{spec}}}': no lines")
    return steps


def load_include(target, base_dir):
    """(code, first line number, absolute path) for ``PATH``, ``PATH#region`` or ``PATH:10-20``."""
    region, start, end = None, None, None
    path = target
    if "#" in target:
        path, _, region = target.partition("#")
    else:
        match = _RANGE.match(target)
        if match:
            path, start = match["path"], int(match["start"])
            end = int(match["end"]) if match["end"] else None
    full = os.path.normpath(os.path.join(base_dir, path))
    try:
        with open(full, encoding="utf-8") as handle:
            lines = handle.read().split("\n")
    except OSError:
        raise CodeError(f"broken include: no file {path} (looked for {full})") from None
    except UnicodeDecodeError:
        raise CodeError(f"broken include: {path} is not UTF-8 text") from None
    if lines and lines[-1] == "":
        lines.pop()
    if region:
        chosen, first = _region(lines, region, path)
    elif start is not None:
        end = len(lines) if end is None else end
        if start < 1 or end < start or end > len(lines):
            raise CodeError(f"broken include: lines {start}-{end} are outside {path} (it has {len(lines)} lines)")
        chosen, first = lines[start - 1:end], start
    else:
        chosen, first = [line for line in lines if not _REGION.match(line)], 1
    if not chosen:
        raise CodeError(f"broken include: {target} is empty")
    return textwrap.dedent("\n".join(chosen)) + "\n", first, full


def _region(lines, name, path):
    begin, depth, found = None, 0, []
    for index, line in enumerate(lines):
        match = _REGION.match(line)
        if not match:
            if begin is not None:
                found.append(line)
            continue
        ending, label = bool(match[1]), match[2]
        if begin is None:
            if not ending and label == name:
                begin = index
            continue
        if ending:
            if depth == 0:
                return found, begin + 2
            depth -= 1
        else:
            depth += 1
    if begin is not None:
        raise CodeError(f"broken include: region '{name}' in {path} has no '# endregion'")
    names = sorted({m[2] for m in map(_REGION.match, lines) if m and not m[1] and m[2]})
    known = f" (regions: {', '.join(names)})" if names else " (the file has no '# region NAME' markers)"
    raise CodeError(f"broken include: no region '{name}' in {path}{known}")


def render_code(code, lang, spec, linenos=False, first_line=1, lexer=None):
    """The HTML of a code block; returns (html, number of step fragments)."""
    lines = highlight_lines(code if code.endswith("\n") else code + "\n", lexer)
    steps = parse_steps(spec, len(lines)) if spec is not None else []
    classes = ["code"]
    if steps and steps[0]:
        classes.append("has-hl")
    if linenos:
        classes.append("linenos")
    attrs = f' class="{" ".join(classes)}"'
    if lang:
        attrs += f' data-lang="{_escape(lang)}"'
    if len(steps) > 1:
        attrs += f' data-steps="{len(steps)}"'
    if linenos and first_line != 1:
        attrs += f' style="counter-reset:ln {first_line - 1}"'
    out = [f"<pre{attrs}><code>"]
    for number, line in enumerate(lines, start=1):
        marks = ["ln"]
        if steps and number in steps[0]:
            marks.append("hl")
        if len(steps) > 1:
            marks.extend(f"s{index}" for index, step in enumerate(steps) if number in step)
        out.append(f'<span class="{" ".join(marks)}">{line}\n</span>')
    out.append("</code>")
    out.extend('<i class="fragment step"></i>' for _ in steps[1:])
    out.append("</pre>\n")
    return "".join(out), max(len(steps) - 1, 0)
