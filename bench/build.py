"""Benchmark the deck builder on a generated 1000-slide deck.

Measures a full build (a fresh process: imports, lexers, every file, written
site; best of 3 against machine noise), an incremental rebuild after editing
one file (one BuildCache, as --watch keeps; median of 5), the runtime's size
(our own JS + CSS), and as the peer baseline plain markdown-it-py rendering of
the same markdown with Pygments' stock HtmlFormatter on the code blocks (what
a naive build would do; it writes nothing).

Last line: ``slides=1000 full_s=... incremental_ms=... runtime_kb=...`` then
the extra keys (peer, ratio, whole-process time). Exits 1 when a target is
missed (full <= 1 s, incremental <= 100 ms, runtime <= 60 kB).
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from slidekit import BuildCache, build  # noqa: E402
from slidekit.site import RUNTIME_FILES, RUNTIME_SOURCE  # noqa: E402

FILES, PER_FILE = 50, 20
TARGETS = {"full_s": 1.0, "incremental_ms": 100.0, "runtime_kb": 60.0}

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


def main():
    with tempfile.TemporaryDirectory(prefix="omq-bench-") as tmp:
        src, out = Path(tmp) / "slides", Path(tmp) / "site"
        generate(src)

        # Full: a cold build (imports, lexers, every file) in a fresh process; best of 3 against noise.
        cold = [cold_build(src, out) for _ in range(3)]
        full_s, cli_s = min(c[0] for c in cold), min(c[1] for c in cold)
        html = (out / "index.html").read_text(encoding="utf-8")
        assert html.count('<section class="slide"') == FILES * PER_FILE

        # Incremental: what --watch does, one BuildCache; edit one file at a time; median of 5.
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

        runtime_kb = sum(os.path.getsize(os.path.join(RUNTIME_SOURCE, n)) for n in RUNTIME_FILES) / 1024
        peer_s = min(peer_seconds(src) for _ in range(3))

    print(f"full build of {FILES * PER_FILE} slides in {FILES} files, fresh process each: "
          + ", ".join(f"{c[0]:.3f} s (process {c[1]:.3f} s)" for c in cold))
    print("incremental rebuilds after editing one file: " + ", ".join(f"{ms:.1f} ms" for ms in samples))
    print(f"peer (markdown-it-py + Pygments HtmlFormatter on the same text, render only, no output, "
          f"warm, best of 3): {peer_s:.3f} s; full build / peer = {full_s / peer_s:.2f}")
    measured = {"full_s": full_s, "incremental_ms": incremental_ms, "runtime_kb": runtime_kb}
    missed = [f"{key} {measured[key]:.2f} > {limit}" for key, limit in TARGETS.items() if measured[key] > limit]
    if missed:
        print("target missed: " + "; ".join(missed))
    print(f"slides={FILES * PER_FILE} full_s={full_s:.3f} incremental_ms={incremental_ms:.1f} "
          f"runtime_kb={runtime_kb:.1f} peer=markdown-it-py+pygments peer_s={peer_s:.3f} "
          f"full_vs_peer={full_s / peer_s:.2f} cli_s={cli_s:.3f}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
