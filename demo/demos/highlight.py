"""Code highlighting: the Sidekiq RailsCast's example, as an RQ job.

A visitor submits a snippet and a language; ``jobs.highlight`` colours it
with Pygments in a worker and returns tokens (CSS class, text) that the
page shows with ``textContent``: what anyone typed stays text.
"""

import difflib
from functools import lru_cache

from flask import Response, jsonify
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_all_lexers

from .. import jobs
from ..db import get_redis
from . import audience, bp
from .common import Refused, json_body, page, setting, text

#: Languages the page offers first (any Pygments alias is accepted).
POPULAR = ("python", "ruby", "javascript", "typescript", "go", "rust", "java", "c", "cpp", "csharp",
           "php", "sql", "bash", "html", "css", "json", "yaml", "haskell", "elixir", "kotlin")

#: Pygments style of the highlighted snippets.
STYLE = "monokai"


@lru_cache(maxsize=1)
def aliases():
    """Every alias Pygments knows, lower case, mapped to its lexer's name."""
    known = {}
    for name, names, _files, _mimes in get_all_lexers():
        for alias in names:
            known.setdefault(alias.lower(), name)
    return known


def language_of(data):
    """The request's language as a Pygments alias; 400 with close matches if unknown."""
    language = text(data, "language", 40).lower()
    if language in aliases():
        return language
    matches = difflib.get_close_matches(language, aliases(), n=5, cutoff=0.6)
    hint = f"; did you mean {', '.join(matches)}?" if matches else "; try python, ruby or javascript"
    raise Refused(400, f"unknown language {language!r}{hint}", suggestions=matches)


def snippet_of(data):
    """The request's code (newlines made ``\\n``); 400 if missing, 413 if too big."""
    code = data.get("code")
    if not isinstance(code, str) or not code.strip():
        raise Refused(400, "code is missing: paste a snippet to highlight")
    size, limit = len(code.encode("utf-8")), setting("DEMO_SNIPPET_MAX")
    if size > limit:
        raise Refused(413, f"snippet too long: {size:,} bytes; the limit is {limit:,} bytes", limit=limit)
    return code.replace("\r\n", "\n").replace("\r", "\n")


def enqueue_highlight(connection, data):
    """Validate a snippet request and enqueue its job; return (visitor, job)."""
    code, language = snippet_of(data), language_of(data)
    return audience.submit(connection, jobs.highlight, code, language, demo="highlight",
                           timeout=30, result_ttl=3600)


@bp.get("/highlight")
def highlight():
    """The highlighting page: a snippet, a language, the coloured result."""
    return page("demos/highlight.html", popular=POPULAR, limit=setting("DEMO_SNIPPET_MAX"))


@bp.post("/highlight")
def highlight_submit():
    """Enqueue a highlighting job (202); 400 for an unknown language, 413 if too big."""
    who, job = enqueue_highlight(get_redis(), json_body())
    return jsonify(job=job.id, nick=who.nick), 202


@bp.get("/highlight/languages")
def highlight_languages():
    """Every language alias the highlighter accepts."""
    return jsonify(popular=POPULAR, aliases=sorted(aliases()))


@bp.get("/highlight/style.css")
def highlight_style():
    """Pygments' colours for the token classes, scoped to ``.hl``."""
    css = HtmlFormatter(style=STYLE).get_style_defs(".hl")
    return Response(css, mimetype="text/css", headers={"Cache-Control": "public, max-age=3600"})
