"""``build_slides.py --watch``: rebuild on change and reload the open decks.

A small HTTP server on 127.0.0.1 serves the output directory. When it serves
index.html it fills the page's inject marker with a small script that
listens on ``/__omq/events`` (Server-Sent Events): it reloads the page after
each successful rebuild, and after a failed one shows its problems
(``file:line: message``) over the deck until the next good build; the site
on disk stays byte-identical to a normal build. With ``demo_url`` the page
also gets ``window.OMQ_SERVER``, so its live widgets come from that demo
server. watchdog reports file changes; one ``BuildCache`` makes every
rebuild incremental. Failed rebuilds print their problems (the terminal
output is unchanged) and keep the last good site.
"""

import functools
import json
import os
import sys
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

from watchdog.events import FileSystemEventHandler
from watchdog.observers import Observer

from .build import BuildCache, build
from .errors import BuildError, SlideError
from .site import RUNTIME_SOURCE, inject

EVENTS_PATH = "/__omq/events"
RELOAD_SNIPPET = ("<script>/* slidekit --watch: reload after each good rebuild, show a failed one's problems */\n"
                  "(function () {\n"
                  f"  var source = new EventSource('{EVENTS_PATH}'), box = null;\n"
                  "  source.onmessage = function () { location.reload(); };\n"
                  "  source.addEventListener('errors', function (event) {\n"
                  "    if (!box) { box = document.createElement('div'); box.className = 'omq-build-errors';\n"
                  "      box.setAttribute('role', 'alert'); document.body.appendChild(box); }\n"
                  "    box.textContent = '';\n"
                  "    var head = document.createElement('strong');\n"
                  "    head.textContent = 'The build failed (this is the last good deck):';\n"
                  "    box.appendChild(head);\n"
                  "    JSON.parse(event.data).forEach(function (line) {\n"
                  "      var pre = document.createElement('pre'); pre.textContent = line; box.appendChild(pre); });\n"
                  "  });\n"
                  "})();\n</script>\n"
                  "<style>.omq-build-errors { position: fixed; left: 0; right: 0; bottom: 0; z-index: 100; max-height: 60vh;"
                  " overflow: auto; padding: 14px 24px; background: var(--fail, #b00020); color: var(--bg, #fff);"
                  " font: 18px/1.4 var(--font, sans-serif); }\n"
                  ".omq-build-errors pre { margin: 6px 0 0; white-space: pre-wrap; font: 600 18px/1.4 var(--font-mono, monospace); }"
                  "</style>")


def snippet(demo_url=None):
    """What --watch injects into the served deck: the reload script, and the demo server when given."""
    if not demo_url:
        return RELOAD_SNIPPET
    server = json.dumps(demo_url).replace("</", "<\\/")
    return f"<script>window.OMQ_SERVER = {server};</script>\n{RELOAD_SNIPPET}"


class _Reloads:
    """A build counter that SSE connections wait on, with the last build's problems."""

    def __init__(self):
        self.generation = 0
        self.errors = []  #: lines of the last build when it failed, else empty
        self.closed = False
        self._cond = threading.Condition()

    def bump(self, errors=()):
        with self._cond:
            self.generation += 1
            self.errors = list(errors)
            self._cond.notify_all()

    def close(self):
        with self._cond:
            self.closed = True
            self._cond.notify_all()

    def wait(self, seen, timeout):
        with self._cond:
            self._cond.wait_for(lambda: self.closed or self.generation != seen, timeout)
            return self.generation


class _Handler(SimpleHTTPRequestHandler):
    reloads = None
    demo_url = None

    def do_GET(self):
        path = self.path.split("?")[0]
        if path == EVENTS_PATH:
            return self._events()
        if path in ("/", "/index.html"):
            return self._index()
        return super().do_GET()

    def _index(self):
        try:
            with open(os.path.join(self.directory, "index.html"), encoding="utf-8") as handle:
                body = inject(handle.read(), snippet(self.demo_url)).encode("utf-8")
        except (OSError, ValueError):
            return self.send_error(404, "no deck built yet")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _events(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        seen = self.reloads.generation
        try:
            if self.reloads.errors:  # a deck opened after a failed build sees its problems too
                self.wfile.write(self._errors())
                self.wfile.flush()
            while not self.reloads.closed:
                now = self.reloads.wait(seen, timeout=15)
                if now == seen:
                    self.wfile.write(b": ping\n\n")
                else:
                    self.wfile.write(self._errors() if self.reloads.errors else b"data: reload\n\n")
                self.wfile.flush()
                seen = now
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _errors(self):
        return b"event: errors\ndata: " + json.dumps(self.reloads.errors).encode("utf-8") + b"\n\n"

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format, *args):
        pass


class _Changes(FileSystemEventHandler):
    """Sets ``flag`` on changes under ``root``, except in the output, dot files/dirs and backups."""

    def __init__(self, flag, ignored, root):
        self.flag = flag
        self.ignored = ignored
        self.root = root

    def on_any_event(self, event):
        if event.event_type in ("opened", "closed_no_write"):
            return
        paths = [event.src_path, getattr(event, "dest_path", "") or ""]
        if all(not p or self._ignored(os.path.abspath(p)) for p in paths):
            return
        self.flag.set()

    def _ignored(self, path):
        parts = os.path.relpath(path, self.root).split(os.sep)
        if any(part.startswith(".") and part != ".." for part in parts) or path.endswith("~"):
            return True  # editor swap files, and the build's own .site.tmp-* / .site.old-* dirs
        return any(path == root or path.startswith(root + os.sep) for root in self.ignored)


def serve(out, port, reloads, host="127.0.0.1", demo_url=None):
    """Start the dev server in a thread; returns it (call .shutdown())."""
    handler = functools.partial(type("Handler", (_Handler,), {"reloads": reloads, "demo_url": demo_url}),
                                directory=os.path.abspath(out))
    try:
        server = ThreadingHTTPServer((host, port), handler)
    except OSError as exc:
        raise SlideError(f"--watch: cannot listen on {host}:{port} ({exc.strerror}); pick another --port") from None
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="slidekit-serve", daemon=True).start()
    return server


def watch(src, out, *, strict=False, port=8000, log=None, stop=None, ready=None, demo_url=None):
    """Build, serve, and rebuild on every change until Ctrl+C (or until ``stop``, an Event, is set).

    ``ready(server)`` is called once the server listens (tests use it to find the port);
    ``demo_url`` is the demo server the served deck's widgets use.
    """
    log = log or (lambda text: print(text, file=sys.stderr, flush=True))
    stop = stop or threading.Event()
    cache, reloads, flag = BuildCache(), _Reloads(), threading.Event()
    reloads.errors = _rebuild(src, out, strict, cache, log)
    server = serve(out, port, reloads, demo_url=demo_url)
    ignored = {os.path.abspath(out)}
    observer = Observer()
    watched = set()
    for root in (os.path.abspath(src if os.path.isdir(src) else os.path.dirname(src) or "."), RUNTIME_SOURCE):
        observer.schedule(_Changes(flag, ignored, root), root, recursive=True)
        watched.add(root)
    observer.start()
    log(f"serving {out}/ at http://127.0.0.1:{server.server_port}/ ; open decks reload after each rebuild "
        "(Ctrl+C stops)")
    if ready:
        ready(server)
    try:
        while not stop.is_set():
            if not flag.wait(0.2):
                continue
            time.sleep(0.05)  # let an editor finish writing
            flag.clear()
            reloads.bump(_rebuild(src, out, strict, cache, log))
            _watch_dependencies(observer, cache, watched, flag, ignored)
    except KeyboardInterrupt:
        log("stopped")
    finally:
        reloads.close()
        observer.stop()
        observer.join()
        server.shutdown()
        server.server_close()
    return 0


def _rebuild(src, out, strict, cache, log):
    """Build once; returns the problems of a failed build (empty when it worked)."""
    try:
        result = build(src, out, strict=strict, cache=cache)
    except BuildError as exc:
        for line in exc.lines():
            log(line)
        log("build failed; the last good deck stays in place")
        return exc.lines()
    for warning in result.warnings:
        log(f"{warning} (warning)")
    log(f"built {result.slides} slides in {result.seconds * 1000:.0f} ms "
        f"(rendered: {', '.join(result.rendered) or 'nothing new'})")
    return []


def _watch_dependencies(observer, cache, watched, flag, ignored):
    """Also watch the folders of included files and images outside the source directory."""
    for entry in cache.entries.values():
        for path in entry.deps:
            folder = os.path.dirname(path)
            if os.path.isdir(folder) and not any(folder == w or folder.startswith(w + os.sep) for w in watched):
                observer.schedule(_Changes(flag, ignored, folder), folder, recursive=False)
                watched.add(folder)
