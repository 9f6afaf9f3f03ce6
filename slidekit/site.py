"""Write a built deck: index.html, deck.json, the runtime and media, swapped in atomically.

Everything goes to a temporary directory next to the output first; only a
complete build replaces the old one, so a failed build never leaves a broken
site. Output is a pure function of the input: no timestamps, sorted keys.
"""

import functools
import json
import os
import shutil
import tempfile
from html import escape

import rcssmin
import rjsmin

from .defaults import INJECT_MARKER, RUNTIME_DIR
from .errors import SlideError

RUNTIME_SOURCE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "static", "deck")
#: The deck's controllers (static/deck/controllers/), in the order deck.js creates them.
CONTROLLERS = ("scale", "theme", "fragments", "fit", "navigation", "progress", "overview", "widgets",
               "presenter", "link", "print", "help")
#: The runtime's scripts in load order: the core, one file per controller, the boot.
RUNTIME_SCRIPTS = ("deck.js",) + tuple(f"controllers/{name}.js" for name in CONTROLLERS) + ("boot.js",)
#: The runtime files copied into every site, from static/deck/ (theme.css, the
#: design system's variables, is also what the demo server's pages load).
RUNTIME_FILES = ("theme.css", "deck.css") + RUNTIME_SCRIPTS
#: Minifiers for the shipped runtime (the sources in static/deck/ stay readable, with their comments).
_MINIFY = {".js": rjsmin.jsmin, ".css": rcssmin.cssmin}
#: The file every output directory has; an existing directory without it is never replaced.
MARKER_FILE = "deck.json"

_HEAD = """<!doctype html>
<html lang="{lang}" data-theme="{theme}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="slidekit">
{author}<title>{title}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{runtime}/theme.css">
<link rel="stylesheet" href="{runtime}/deck.css">
</head>
<body>
<div class="deck" data-width="{width}" data-height="{height}"{server}>
<div class="slides">
"""
_TAIL = """</div>
</div>
{scripts}
{marker}
</body>
</html>
"""


def index_html(meta, slides):
    """The deck page: every slide a <section>, the runtime, and the injection marker."""
    parts = [_HEAD.format(
        lang=escape(meta["lang"]), theme=escape(meta["theme"]), title=escape(meta["title"]),
        author=f'<meta name="author" content="{escape(meta["author"])}">\n' if meta["author"] else "",
        runtime=RUNTIME_DIR, width=meta["width"], height=meta["height"],
        server=f' data-server="{escape(meta["server"])}"' if meta["server"] else "")]
    for number, (slide, (_, row)) in enumerate(zip(slides, positions(slides)), start=1):
        classes = " ".join(["slide"] + slide.classes)
        style = f' style="{escape(slide.style)}"' if slide.style else ""
        vertical = f' data-row="{row}"' if row else ""  # below the slide before it, in the same column
        title = escape(slide.title or f"Slide {number}")  # the overview and the presenter view show it
        parts.append(f'<section class="{classes}" id="slide-{number}" data-fragments="{slide.fragments}"'
                     f' data-title="{title}"{vertical}{style}>\n')
        parts.append(slide.html)
        if slide.notes_html:
            parts.append(f'<aside class="notes">\n{slide.notes_html}</aside>\n')
        parts.append("</section>\n")
    scripts = "\n".join(f'<script src="{RUNTIME_DIR}/{name}"></script>' for name in RUNTIME_SCRIPTS)
    parts.append(_TAIL.format(scripts=scripts, marker=INJECT_MARKER))
    return "".join(parts)


def positions(slides):
    """(column, row) of every slide, from 0: a vertical slide goes below the one before it."""
    result, column, row = [], -1, 0
    for slide in slides:
        if slide.vertical and column >= 0:
            row += 1
        else:
            column, row = column + 1, 0
        result.append((column, row))
    return result


def label(column, row):
    """A slide's number as the deck shows it: ``3`` for a column's top slide, ``3.2`` below it."""
    return f"{column + 1}.{row + 1}" if row else str(column + 1)


def deck_json(meta, slides):
    """What a server needs to know about the deck without parsing HTML.

    ``index`` (from 0) is the slide's place in reading order, which the deck's
    state and following use; ``column`` and ``row`` (from 0) place it in the
    two dimensions of a deck with vertical slides.
    """
    places = positions(slides)
    return json.dumps({
        "title": meta["title"], "author": meta["author"], "theme": meta["theme"],
        "width": meta["width"], "height": meta["height"], "count": len(slides),
        "columns": places[-1][0] + 1 if places else 0,
        "slides": [{
            "index": index, "number": index + 1, "title": slide.title or f"Slide {index + 1}", "fragments": slide.fragments,
            "notes": slide.notes, "notes_html": slide.notes_html, "widgets": slide.widgets,
            "source": f"{slide.name}:{slide.line}", "column": column, "row": row, "label": label(column, row),
        } for index, (slide, (column, row)) in enumerate(zip(slides, places))],
    }, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def write_site(out, meta, slides, media):
    """Write the whole site to a temp dir, then swap it in place of ``out``."""
    out = os.path.abspath(out)
    _check_replaceable(out)
    parent = os.path.dirname(out)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f".{os.path.basename(out)}.tmp-", dir=parent)
    try:
        _write(os.path.join(tmp, "index.html"), index_html(meta, slides))
        _write(os.path.join(tmp, MARKER_FILE), deck_json(meta, slides))
        for name in RUNTIME_FILES:
            target = os.path.join(tmp, RUNTIME_DIR, *name.split("/"))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            _write(target, shipped_runtime(name))
        for target in sorted(media):
            path = os.path.join(tmp, *target.split("/"))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            shutil.copyfile(media[target], path)
        os.chmod(tmp, 0o755)
        _swap(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def shipped_runtime(name):
    """The text of runtime file ``name`` as a site ships it: minified, like reveal.js' dist."""
    source = os.path.join(RUNTIME_SOURCE, *name.split("/"))
    stat = os.stat(source)
    return _minified(source, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=64)
def _minified(source, _mtime_ns, _size):
    # Keyed on mtime and size, so --watch picks up an edited runtime file and a
    # rebuild of the slides alone costs no minifying.
    with open(source, encoding="utf-8") as handle:
        text = handle.read()
    return _MINIFY[os.path.splitext(source)[1]](text).strip() + "\n"


def _write(path, text):
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)


def _check_replaceable(out):
    if os.path.isdir(out) and os.listdir(out) and not os.path.isfile(os.path.join(out, MARKER_FILE)):
        raise SlideError(f"refusing to replace {out}: it is not empty and holds no {MARKER_FILE} "
                         "(not a deck built by slidekit)")


def _swap(tmp, out):
    if not os.path.exists(out):
        os.rename(tmp, out)
        return
    old = tempfile.mkdtemp(prefix=f".{os.path.basename(out)}.old-", dir=os.path.dirname(out))
    os.rmdir(old)
    os.rename(out, old)
    os.rename(tmp, out)
    shutil.rmtree(old, ignore_errors=True)


def inject(html, snippet):
    """Put ``snippet`` (script tags) into a built index.html in place of its marker.

    The demo server serves ``site/index.html`` through this to add its live
    plugin; the file on disk stays untouched, so file:// keeps working.
    """
    if INJECT_MARKER not in html:
        raise ValueError(f"no {INJECT_MARKER} marker in this page: was it built by slidekit?")
    return html.replace(INJECT_MARKER, snippet, 1)
