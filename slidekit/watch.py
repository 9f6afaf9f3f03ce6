"""``build_slides.py --watch``: rebuild on change and reload the open decks.

A small HTTP server on 127.0.0.1 serves the output directory. When it serves
index.html it fills the page's inject marker with a four-line script that
listens on ``/__omq/events`` (Server-Sent Events) and reloads the page after
each successful rebuild; the site on disk stays byte-identical to a normal
build. watchdog reports file changes; one ``BuildCache`` makes every rebuild
incremental. Failed rebuilds print their problems and keep the last good site.
"""

import functools
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
RELOAD_SNIPPET = ("<script>/* slidekit --watch: reload after each rebuild */\n"
                  f"new EventSource('{EVENTS_PATH}').onmessage = function () {{ location.reload(); }};\n"
                  "</script>")


class _Reloads:
    """A build counter that SSE connections wait on."""

    def __init__(self):
        self.generation = 0
        self.closed = False
        self._cond = threading.Condition()

    def bump(self):
        with self._cond:
            self.generation += 1
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
                body = inject(handle.read(), RELOAD_SNIPPET).encode("utf-8")
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
            while not self.reloads.closed:
                now = self.reloads.wait(seen, timeout=15)
                self.wfile.write(b"data: reload\n\n" if now != seen else b": ping\n\n")
                self.wfile.flush()
                seen = now
        except (BrokenPipeError, ConnectionResetError):
            pass

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


def serve(out, port, reloads, host="127.0.0.1"):
    """Start the dev server in a thread; returns it (call .shutdown())."""
    handler = functools.partial(type("Handler", (_Handler,), {"reloads": reloads}), directory=os.path.abspath(out))
    try:
        server = ThreadingHTTPServer((host, port), handler)
    except OSError as exc:
        raise SlideError(f"--watch: cannot listen on {host}:{port} ({exc.strerror}); pick another --port") from None
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="slidekit-serve", daemon=True).start()
    return server


def watch(src, out, *, strict=False, port=8000, log=None, stop=None, ready=None):
    """Build, serve, and rebuild on every change until Ctrl+C (or until ``stop``, an Event, is set).

    ``ready(server)`` is called once the server listens (tests use it to find the port).
    """
    log = log or (lambda text: print(text, file=sys.stderr, flush=True))
    stop = stop or threading.Event()
    cache, reloads, flag = BuildCache(), _Reloads(), threading.Event()
    _rebuild(src, out, strict, cache, log)
    server = serve(out, port, reloads)
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
            if _rebuild(src, out, strict, cache, log):
                reloads.bump()
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
    try:
        result = build(src, out, strict=strict, cache=cache)
    except BuildError as exc:
        for line in exc.lines():
            log(line)
        log("build failed; the last good deck stays in place")
        return False
    for warning in result.warnings:
        log(f"{warning} (warning)")
    log(f"built {result.slides} slides in {result.seconds * 1000:.0f} ms "
        f"(rendered: {', '.join(result.rendered) or 'nothing new'})")
    return True


def _watch_dependencies(observer, cache, watched, flag, ignored):
    """Also watch the folders of included files and images outside the source directory."""
    for entry in cache.entries.values():
        for path in entry.deps:
            folder = os.path.dirname(path)
            if os.path.isdir(folder) and not any(folder == w or folder.startswith(w + os.sep) for w in watched):
                observer.schedule(_Changes(flag, ignored, folder), folder, recursive=False)
                watched.add(folder)
