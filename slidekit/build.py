"""The build pipeline: read every file into Slides, render them, write the site.

``build()`` is what ``build_slides.py`` runs. Pass the same ``BuildCache`` to
successive builds (``--watch`` and the benchmark do) and only the files that
changed, or whose images or included code changed, are rendered again.

Reading is one pass in this process; rendering, where the time goes (markdown-it
and Pygments), is spread over the machine's cores when there are enough slides
to pay for it: forked workers, as ``sphinx-build -j auto`` does, with the same
output byte for byte. ``jobs=1`` renders in this process.
"""

import os
import threading
import time
from dataclasses import dataclass, field
from functools import partial

from . import site
from .defaults import FRONT_MATTER, PARALLEL_MIN
from .errors import BuildFailed, SlideError
from .render import render_slide, warm
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
    processes: int = 1  #: how many processes rendered the slides


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


def build(src="slides", out="site", *, strict=False, cache=None, jobs=None):
    """Build the deck in ``src`` into ``out``; raises BuildFailed listing every problem.

    ``jobs``: processes that render (None: one per core when the slides to render pay for it).
    """
    started = time.perf_counter()
    cache = cache if cache is not None else BuildCache()
    src_dir, files = list_sources(src)
    single = os.path.isfile(src)
    entries, rendered, pending, syntax = [], [], [], None
    for index, (name, path) in enumerate(files):
        display = src if single else path
        entry, fresh, slides = _load(cache, os.path.abspath(path), display, name, src_dir, index == 0, syntax)
        syntax = entry.syntax if index == 0 else syntax
        entries.append(entry)
        if fresh:
            rendered.append(name)
        if slides:
            pending.append((os.path.abspath(path), entry, slides))
    processes = _render(cache, pending, src_dir, jobs)
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
                       seconds=time.perf_counter() - started, meta=meta, notices=notices, processes=processes)


def _load(cache, path, display, name, src_dir, first, syntax):
    """(entry, fresh, slides to render) for one file: read again only if it, a dependency or the syntax changed."""
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
        return entry, False, None
    try:
        source = read_file(path, display, name, first, syntax)
    except SlideError as exc:
        entry = _Entry(signature, "", first, syntax or Syntax(), {}, [], [exc], [], {}, {})
        cache.entries[path] = entry
        return entry, True, None
    if entry and entry.digest == source.digest and reusable(entry):
        entry.stat = signature
        return entry, False, None
    entry = _Entry(signature, source.digest, first, source.syntax, source.meta, [], list(source.errors),
                   list(source.warnings), {}, {})
    for dep in source.deps:
        entry.deps[dep] = _stat(dep)
    if not source.slides:
        cache.entries[path] = entry
    return entry, True, source.slides


def _render(cache, pending, src_dir, jobs):
    """Render the slides of every file read this time into its entry, cache the entries; how many processes did."""
    slides = [slide for _, _, file_slides in pending for slide in file_slides]
    processes, results = _render_all(slides, src_dir, jobs)
    results = iter(results)
    for path, entry, file_slides in pending:
        for _ in file_slides:
            result, errors, warnings, deps, media = next(results)
            entry.slides.append(result)
            entry.errors.extend(errors)
            entry.warnings.extend(warnings)
            entry.deps.update(deps)
            entry.media.update(media)
        cache.entries[path] = entry
    return processes


def _render_all(slides, src_dir, jobs):
    """(processes, what rendering each slide gives, in order): over forked workers when that pays."""
    one = partial(_render_one, src_dir=src_dir)
    workers = _workers(jobs, len(slides))
    if workers > 1:
        import multiprocessing  # 20 ms to import: only for a build that forks

        warm(slides)
        try:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                return workers, pool.map(one, slides, chunksize=max(1, len(slides) // (workers * 4)))
        except OSError:  # no fork here (process limits): this process renders them
            pass
    return 1, [one(slide) for slide in slides]


def _render_one(slide, src_dir):
    result, ctx = render_slide(slide, src_dir)
    return result, ctx.errors, ctx.warnings, ctx.deps, ctx.media


def _workers(jobs, count):
    """How many processes render ``count`` slides: 1 unless forking pays and is safe."""
    if jobs == 1 or count < 2 or not jobs and count < PARALLEL_MIN:
        return 1
    import multiprocessing

    if threading.active_count() > 1 or "fork" not in multiprocessing.get_all_start_methods():
        return 1  # forking a process with threads (--watch's server) can deadlock the child
    if jobs:
        return min(jobs, count)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cores, count // (PARALLEL_MIN // 2)))


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
