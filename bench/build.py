"""Benchmark the deck builder on a generated 1000-slide deck.

Measures a full build (a fresh process: imports, lexers, every file, written
site; best of 3 against machine noise), an incremental rebuild after editing
one file (one BuildCache, as --watch keeps; median of 5), the runtime's size
(our own JS + CSS as a built site ships it, minified; ``source_kb`` is the
commented source in static/deck/), and as the peer baseline plain markdown-it-py rendering of
the same markdown with Pygments' stock HtmlFormatter on the code blocks (what
a naive build would do; it writes nothing).

The named peer is marp-cli (npm ``@marp-team/marp-cli``, installed by this
script into ~/.cache/ohmyqueue-bench/, never a project dependency): the same
1000 slides as one markdown file, to HTML, runs alternating with our full
build of that same file (best of 3 each, whole processes both).

Last line: ``slides=1000 full_s=... incremental_ms=... runtime_kb=...`` then
the extra keys (peer, ratio, whole-process time, ``marp_s`` and ``vs_marp``,
our full build's time over marp-cli's). Exits 1 when a target is missed (full
<= 1 s and <= a third of marp-cli's, incremental rebuild of one slide <= 50 ms,
runtime <= 60 kB).
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from slidekit import BuildCache, build  # noqa: E402
from slidekit.defaults import RUNTIME_DIR  # noqa: E402
from slidekit.site import RUNTIME_FILES, RUNTIME_SOURCE  # noqa: E402

FILES, PER_FILE = 50, 20
TARGETS = {"full_s": 1.0, "incremental_ms": 50.0, "runtime_kb": 60.0, "vs_marp": 1 / 3}
MARP_VERSION = "4.5.1"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "ohmyqueue-bench"

PYTHON = '''```python {{1-2|4|5-6}}
from redis import Redis
from rq import Queue

queue = Queue("q{n}", connection=Redis())
job = queue.enqueue(count_words, "text number {n}")
print(job.id, job.get_status())
```'''
JS = '''```js
const socket = io("/live");
socket.on("job:{n}", (event) => {{
  document.querySelector("#lane-{n}").append(render(event));
}});
```'''


def _slide(n):
    code = PYTHON if n % 2 else JS
    return (f"## Slide {n}: queues and workers\n\n"
            f"+ Requests stay fast ({n})\n+ Work waits in Redis\n+ Workers scale apart\n\n"
            f"{code.format(n=n)}\n\n"
            f"Note: Speaker notes for slide {n}: say **why** before how.\n")


def generate(src):
    """FILES markdown files of PER_FILE slides each, with code blocks and notes."""
    src.mkdir(parents=True)
    for f in range(FILES):
        slides = [_slide(f * PER_FILE + i + 1) for i in range(PER_FILE)]
        text = "\n---\n\n".join(slides)
        if f == 0:
            text = "---\ntitle: Benchmark deck\n---\n\n" + text
        (src / f"{f:03d}-part.md").write_text(text, encoding="utf-8")


def peer_seconds(src):
    """markdown-it-py with its defaults plus Pygments' HtmlFormatter per code block."""
    from markdown_it import MarkdownIt
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import get_lexer_by_name

    def fence(code, lang, _attrs):
        return highlight(code, get_lexer_by_name(lang.split()[0]), HtmlFormatter())

    started = time.perf_counter()
    md = MarkdownIt("commonmark", {"html": True, "highlight": fence})
    for path in sorted(src.glob("*.md")):
        md.render(path.read_text(encoding="utf-8"))
    return time.perf_counter() - started


COLD_BUILD = """
import sys, time
started = time.perf_counter()
sys.path.insert(0, {root!r})
from slidekit import build
build({src!r}, {out!r})
print(time.perf_counter() - started)
"""


def cold_build(src, out):
    """One full build in a fresh interpreter: (seconds from import to written site, process wall time)."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", COLD_BUILD.format(root=str(ROOT), src=str(src), out=str(out))],
                          check=True, capture_output=True, text=True)
    return float(done.stdout.strip()), time.perf_counter() - started


def marp_cli():
    """The marp-cli entry point, installed with npm into the bench cache once; (path, None) or (None, why)."""
    entry = CACHE / "node_modules" / "@marp-team" / "marp-cli" / "marp-cli.js"
    if entry.is_file():
        return entry, None
    if not shutil.which("npm") or not shutil.which("node"):
        return None, "npm/node not found"
    CACHE.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["npm", "install", "--prefix", str(CACHE), "--no-audit", "--no-fund", "--loglevel=error",
                           f"@marp-team/marp-cli@{MARP_VERSION}"], capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PUPPETEER_SKIP_DOWNLOAD": "1"})
    if done.returncode != 0 or not entry.is_file():
        return None, "npm install failed: " + (done.stderr.strip().splitlines() or ["?"])[-1][:120]
    return entry, None


def marp_seconds(entry, deck, out):
    """One marp-cli run, markdown to HTML, as a whole process."""
    started = time.perf_counter()
    subprocess.run(["node", str(entry), "--no-stdin", "--html", str(deck), "-o", str(out)], check=True,
                   capture_output=True, text=True, timeout=300)
    return time.perf_counter() - started


def one_file(src, path):
    """The generated deck as one file (marp-cli reads one markdown file per deck)."""
    path.write_text("\n\n---\n\n".join(p.read_text(encoding="utf-8").strip() for p in sorted(src.glob("*.md")))
                    + "\n", encoding="utf-8")
    return path


def main():
    with tempfile.TemporaryDirectory(prefix="omq-bench-") as tmp:
        src, out = Path(tmp) / "slides", Path(tmp) / "site"
        generate(src)

        # The peer: marp-cli on the same 1000 slides in one file, alternating with our build of it.
        single = one_file(src, Path(tmp) / "deck.md")
        entry, why = marp_cli()
        ours_single, marp = [], []
        if entry:
            try:
                for _ in range(3):
                    ours_single.append(cold_build(single, Path(tmp) / "site-single")[1])
                    marp.append(marp_seconds(entry, single, Path(tmp) / "marp.html"))
            except (subprocess.SubprocessError, OSError) as exc:
                entry, why = None, f"marp-cli failed: {exc}"[:160]

        # Full: a cold build (imports, lexers, every file) in a fresh process; best of 3 against noise.
        cold = [cold_build(src, out) for _ in range(3)]
        full_s, cli_s = min(c[0] for c in cold), min(c[1] for c in cold)
        html = (out / "index.html").read_text(encoding="utf-8")
        assert html.count('<section class="slide"') == FILES * PER_FILE

        # Incremental: what --watch does, one BuildCache; edit one slide (in one file) at a time; median of 5.
        cache = BuildCache()
        build(str(src), str(out), cache=cache)
        samples = []
        for edit in range(5):
            edited = src / f"{(FILES // 2 + edit) % FILES:03d}-part.md"
            edited.write_text(edited.read_text(encoding="utf-8").replace("Work waits", "Work queues", 1),
                              encoding="utf-8")
            started = time.perf_counter()
            result = build(str(src), str(out), cache=cache)
            samples.append((time.perf_counter() - started) * 1000)
            assert result.rendered == [edited.name], result.rendered
        assert "Work queues" in (out / "index.html").read_text(encoding="utf-8")
        incremental_ms = sorted(samples)[len(samples) // 2]

        # What a site ships (minified); the commented sources are source_kb.
        runtime_kb = sum(os.path.getsize(out / RUNTIME_DIR / n) for n in RUNTIME_FILES) / 1024
        source_kb = sum(os.path.getsize(os.path.join(RUNTIME_SOURCE, n)) for n in RUNTIME_FILES) / 1024
        peer_s = min(peer_seconds(src) for _ in range(3))

    print(f"full build of {FILES * PER_FILE} slides in {FILES} files, fresh process each: "
          + ", ".join(f"{c[0]:.3f} s (process {c[1]:.3f} s)" for c in cold))
    print("incremental rebuilds after editing one file: " + ", ".join(f"{ms:.1f} ms" for ms in samples))
    print(f"peer (markdown-it-py + Pygments HtmlFormatter on the same text, render only, no output, "
          f"warm, best of 3): {peer_s:.3f} s; full build / peer = {full_s / peer_s:.2f}")
    measured = {"full_s": full_s, "incremental_ms": incremental_ms, "runtime_kb": runtime_kb}
    if not entry:
        marp_keys = "marp_s=unavailable vs_marp=unavailable marp_note=" + str(why).replace(" ", "_")
        print(f"marp-cli not measured: {why}")
    else:
        marp_s, ours_s = min(marp), min(ours_single)
        measured["vs_marp"] = ours_s / marp_s
        print("same deck as one file, whole processes, alternating: ours "
              + ", ".join(f"{t:.3f} s" for t in ours_single) + "; marp-cli " + ", ".join(f"{t:.3f} s" for t in marp))
        marp_keys = (f"marp=marp-cli@{MARP_VERSION} marp_s={marp_s:.3f} ours_one_file_s={ours_s:.3f} "
                     f"vs_marp={ours_s / marp_s:.2f}")
    missed = [f"{key} {measured[key]:.2f} > {limit:.2f}" for key, limit in TARGETS.items()
              if key in measured and measured[key] > limit]
    if missed:
        print("target missed: " + "; ".join(missed))
    print(f"slides={FILES * PER_FILE} full_s={full_s:.3f} incremental_ms={incremental_ms:.1f} "
          f"runtime_kb={runtime_kb:.1f} source_kb={source_kb:.1f} peer=markdown-it-py+pygments peer_s={peer_s:.3f} "
          f"full_vs_peer={full_s / peer_s:.2f} cli_s={cli_s:.3f} {marp_keys}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
