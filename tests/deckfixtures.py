"""Fixtures for the deck builder and runtime tests (imported by those modules, not a conftest).

* ``DECKS``: the fixture decks under tests/decks/.
* ``build_deck(src, out)``: run the CLI as a user would; returns (exit code, stdout, stderr).
* ``basic_site``: tests/decks/basic built once per session into a temp dir.
* ``serve_dir(path, routes)``: a local HTTP server on 127.0.0.1 in a thread.
* ``browser`` / ``offline_page``: Chromium from slidekit.browser.launch, and pages on
  which every request that is not file:// or 127.0.0.1 is refused and recorded;
  the test fails if any was attempted.
"""

import functools
import json
import shutil
import subprocess
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
DECKS = Path(__file__).resolve().parent / "decks"
#: The seed deck the talk ports: shared/seeds/ beside the clone (or beside the clone's parent, for a worktree).
SEED = next((p / "shared" / "seeds" / "004_8b087c2993cf3edf.txt" for p in ROOT.parents
             if (p / "shared" / "seeds" / "004_8b087c2993cf3edf.txt").is_file()),
            ROOT.parent / "shared" / "seeds" / "004_8b087c2993cf3edf.txt")


def build_deck(*args, cwd=None):
    """Run build_slides.py with ``args``; returns (returncode, stdout, stderr)."""
    done = subprocess.run([sys.executable, str(ROOT / "build_slides.py"), *map(str, args)],
                          capture_output=True, text=True, cwd=cwd or ROOT, timeout=120)
    return done.returncode, done.stdout, done.stderr


def _built(tmp_path_factory, name, src):
    out = tmp_path_factory.mktemp(name) / "site"
    code, _, err = build_deck(src, "--out", out)
    assert code == 0, err
    return out


@pytest.fixture(scope="session")
def basic_site(tmp_path_factory):
    """tests/decks/basic built into a fresh directory (shared; do not modify it)."""
    return _built(tmp_path_factory, "basic", DECKS / "basic")


@pytest.fixture(scope="session")
def talk_site(tmp_path_factory):
    """The talk itself (slides/) built into a fresh directory (shared; do not modify it)."""
    return _built(tmp_path_factory, "talk", ROOT / "slides")


@pytest.fixture(scope="session")
def basic_deck_json(basic_site):
    return json.loads((basic_site / "deck.json").read_text(encoding="utf-8"))


class _Handler(SimpleHTTPRequestHandler):
    routes = {}

    def do_GET(self):
        route = self.routes.get(urlsplit(self.path).path)
        if route is None:
            return super().do_GET()
        status, content_type, body = route
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        pass


class LocalServer:
    """A ThreadingHTTPServer on 127.0.0.1 serving a directory plus fixed routes."""

    def __init__(self, directory, routes=None):
        handler = type("Handler", (_Handler,), {"routes": dict(routes or {})})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(directory)))
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.fixture
def serve_dir():
    """serve_dir(path, routes={"/healthz": (200, "application/json", "{}")}) -> LocalServer."""
    servers = []

    def start(directory, routes=None):
        server = LocalServer(directory, routes)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture(scope="module")  # per module: Playwright's sync API allows one running instance at a time
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    from slidekit.browser import launch

    with sync_api.sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


def _is_local(url):
    if url.startswith(("file:", "data:", "blob:", "about:")):
        return True
    return urlsplit(url).hostname in ("127.0.0.1", "localhost")


class OfflineContext:
    """A browser context where every non-local request is refused and remembered."""

    def __init__(self, browser, **options):
        self.context = browser.new_context(**options)
        self.refused, self.failed, self.errors = [], [], []
        self.context.route("**/*", self._route)

    def _route(self, route):
        url = route.request.url
        if _is_local(url):
            route.continue_()
        else:
            self.refused.append(url)
            route.abort()

    def new_page(self):
        page = self.context.new_page()
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("requestfailed", lambda request: self.failed.append(request.url))
        return page

    def close(self):
        self.context.close()


@pytest.fixture
def offline(browser):
    """offline(**context_options) -> OfflineContext; fails the test if a remote request was tried."""
    contexts = []

    def make(**options):
        options.setdefault("viewport", {"width": 1280, "height": 720})
        ctx = OfflineContext(browser, **options)
        contexts.append(ctx)
        return ctx

    yield make
    refused = [url for ctx in contexts for url in ctx.refused]
    errors = [error for ctx in contexts for error in ctx.errors]
    for ctx in contexts:
        ctx.close()
    assert not refused, f"the deck tried to load remote resources: {refused}"
    assert not errors, f"script errors in the deck: {errors}"


def open_deck(page, url):
    """Go to a deck URL and wait until the runtime has started."""
    page.goto(url)
    page.wait_for_selector("html[data-deck=ready]", state="attached")
    return page


def deck_state(page):
    return page.evaluate("OMQ.deck.state()")


def copy_deck(name, target):
    """Copy a fixture deck to ``target`` (a path that does not exist yet)."""
    shutil.copytree(DECKS / name, target)
    return target


def pdf_page_count(path):
    """Pages in a PDF written by Chromium (its page objects are plain dictionaries)."""
    data = Path(path).read_bytes()
    assert data.startswith(b"%PDF"), "not a PDF"
    count, start = 0, 0
    while True:
        at = data.find(b"/Type /Page", start)
        if at < 0:
            return count
        if data[at + len(b"/Type /Page"):at + len(b"/Type /Page") + 1] != b"s":
            count += 1
        start = at + 1


__all__ = ["DECKS", "ROOT", "SEED", "LocalServer", "basic_deck_json", "basic_site", "browser", "build_deck",
           "copy_deck", "deck_state", "offline", "open_deck", "pdf_page_count", "serve_dir", "talk_site"]
