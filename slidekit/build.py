"""The build pipeline: read every file into Slides, render them, write the site.

``build()`` is what ``build_slides.py`` runs. Pass the same ``BuildCache`` to
successive builds (``--watch`` and the benchmark do) and only the files that
changed, or whose images or included code changed, are rendered again.
"""

import os
import time
from dataclasses import dataclass, field

from . import site
from .defaults import FRONT_MATTER
from .errors import BuildFailed, SlideError
from .render import render_slide
from .source import Syntax, check_meta, list_sources, read_file


@dataclass
class BuildResult:
    """What a successful build did."""

    out: str
    slides: int
    warnings: list
    rendered: list  #: names of the files rendered this time (the rest came from the cache)
    seconds: float
    meta: dict = field(default_factory=dict)
    notices: list = field(default_factory=list)  #: what --verbose lists: front matter keys kept but unused


@dataclass
class _Entry:
    stat: tuple
    digest: str
    first: bool
    syntax: object  #: the deck syntax the file was read with (the first file's front matter decides it)
    meta: dict
    slides: list
    errors: list
    warnings: list
    deps: dict
    media: dict


class BuildCache:
    """Rendered slides per source file, reused while the file and its dependencies are unchanged."""

    def __init__(self):
        self.entries = {}


def build(src="slides", out="site", *, strict=False, cache=None):
    """Build the deck in ``src`` into ``out``; raises BuildFailed listing every problem."""
    started = time.perf_counter()
    cache = cache if cache is not None else BuildCache()
    src_dir, files = list_sources(src)
    single = os.path.isfile(src)
    entries, rendered, syntax = [], [], None
    for index, (name, path) in enumerate(files):
        display = src if single else path
        entry, fresh = _load(cache, os.path.abspath(path), display, name, src_dir, index == 0, syntax)
        syntax = entry.syntax if index == 0 else syntax
        entries.append(entry)
        if fresh:
            rendered.append(name)
    for stale in set(cache.entries) - {os.path.abspath(path) for _, path in files}:
        del cache.entries[stale]

    errors = [error for entry in entries for error in entry.errors]
    warnings = [warning for entry in entries for warning in entry.warnings]
    meta, notices = dict(FRONT_MATTER), []
    try:
        values, meta_warnings, notices = check_meta(entries[0].meta, files[0][1] if not single else src)
        meta.update(values)
        warnings = meta_warnings + warnings
    except SlideError as exc:
        errors.insert(0, exc)
    meta["dialect"] = syntax.dialect if syntax else "slidekit"
    slides = [slide for entry in entries for slide in entry.slides]
    if not slides and not errors:
        errors.append(SlideError("the deck has no slides", src))
    if strict:
        errors, warnings = errors + warnings, []
    if errors:
        raise BuildFailed(_ordered(errors, files))
    media = {}
    for entry in entries:
        media.update(entry.media)
    try:
        site.write_site(out, meta, slides, media)
    except OSError as exc:
        raise SlideError(f"cannot write the deck to {out}: {exc.strerror or exc}") from None
    return BuildResult(out=out, slides=len(slides), warnings=_ordered(warnings, files), rendered=rendered,
                       seconds=time.perf_counter() - started, meta=meta, notices=notices)


def _load(cache, path, display, name, src_dir, first, syntax):
    """The cache entry for one file, rendering it only if it, a dependency or the deck's syntax changed."""
    entry = cache.entries.get(path)
    try:
        stat = os.stat(path)
        signature = (stat.st_mtime_ns, stat.st_size)
    except OSError:
        signature = None

    def reusable(entry):
        return (entry and entry.first == first and _deps_unchanged(entry)
                and (first or entry.syntax.key() == syntax.key()))

    if entry and entry.stat == signature and reusable(entry):
        return entry, False
    try:
        source = read_file(path, display, name, first, syntax)
    except SlideError as exc:
        entry = _Entry(signature, "", first, syntax or Syntax(), {}, [], [exc], [], {}, {})
        cache.entries[path] = entry
        return entry, True
    if entry and entry.digest == source.digest and reusable(entry):
        entry.stat = signature
        return entry, False
    entry = _Entry(signature, source.digest, first, source.syntax, source.meta, [], list(source.errors),
                   list(source.warnings), {}, {})
    for dep in source.deps:
        entry.deps[dep] = _stat(dep)
    for slide in source.slides:
        result, ctx = render_slide(slide, src_dir)
        entry.slides.append(result)
        entry.errors.extend(ctx.errors)
        entry.warnings.extend(ctx.warnings)
        entry.deps.update(ctx.deps)
        entry.media.update(ctx.media)
    cache.entries[path] = entry
    return entry, True


def _stat(path):
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size)


def _deps_unchanged(entry):
    return all(_stat(path) == signature for path, signature in entry.deps.items())


def _ordered(problems, files):
    """Problems in deck order (file order, then line), without duplicates."""
    order = {path: index for index, (_, path) in enumerate(files)}
    seen, result = set(), []
    for problem in sorted(problems, key=lambda p: (order.get(p.file, -1), p.line or 0)):
        if str(problem) not in seen:
            seen.add(str(problem))
            result.append(problem)
    return result
