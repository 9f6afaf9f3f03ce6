"""Screenshots of everything the projector shows, in every theme: ``make screenshots``.

    python tools/screenshots.py [--out site/screenshots] [--server URL]
                                [--themes light,dark,contrast] [--size 1920x1080]

Writes, for each theme, the deck's overview (every slide at once), each slide
with a live widget, ``/dashboard`` and ``/dashboard?big=1``, plus an
``index.html`` that shows them all on one page. Without ``--server`` it
starts ``python -m demo serve`` on a free loopback port with a throw-away
instance folder, sends a few jobs so the pages are not empty, and stops it
(by pid) at the end. The deck is the one in ``site/`` (``make slides``).
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from html import escape
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from demo.db import free_port  # noqa: E402
from slidekit.browser import launch  # noqa: E402

THEMES = ("light", "dark", "contrast")


def _size(text):
    width, _, height = text.partition("x")
    return {"width": int(width), "height": int(height)}


def _parser():
    parser = argparse.ArgumentParser(prog="tools/screenshots.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(ROOT / "site" / "screenshots"), help="folder for the PNGs")
    parser.add_argument("--server", default=None, help="a running demo server (default: start one)")
    parser.add_argument("--themes", default=",".join(THEMES), help="comma-separated themes")
    parser.add_argument("--size", type=_size, default=_size("1920x1080"), help="viewport, WIDTHxHEIGHT")
    return parser


class Server:
    """``python -m demo serve`` on a free port, stopped by pid."""

    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="omq-shots-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = open(self.folder / "serve.log", "wb")
        env = {**os.environ, "DEMO_PRESENTER_TOKEN": "screenshots"}
        env.pop("REDIS_URL", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "demo", "serve", "--port", str(self.port), "--workers", "2",
             "--instance", str(self.folder / "instance")],
            cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"screenshots: the demo server exited; see {self.folder / 'serve.log'}")
            try:
                if requests.get(self.url + "healthz", timeout=1).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(.2)
        self.stop()
        raise SystemExit("screenshots: the demo server did not answer /healthz in 40 s")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def _some_jobs(base):
    """A few audience jobs, one of them failing, so the pages show something."""
    session = requests.Session()
    session.get(base + "demo/submit", timeout=5)
    for seconds in (2, 3, 4):
        session.post(base + "demo/submit", json={"kind": "wait", "seconds": seconds}, timeout=5)
    session.post(base + "demo/submit", json={"kind": "highlight", "language": "python", "code": "print('hi')"},
                 timeout=5)
    session.post(base + "demo/retries", json={"fail_times": 4}, timeout=5)  # more than its retries: it fails


def _wait_ready(page, timeout=15000):
    """Until the page (or every widget frame in it) says its first data is on screen."""
    try:
        page.wait_for_function("""() => {
            const ready = doc => doc && doc.documentElement.dataset.ready === 'true';
            const frames = Array.from(document.querySelectorAll('.slide.present .widget iframe'));
            if (!frames.length) return !document.getElementById('demo') && !document.getElementById('dashboard')
                || ready(document);
            return frames.every(f => { try { return ready(f.contentDocument); } catch (e) { return true; } });
        }""", timeout=timeout)
    except Exception:
        pass  # a page that never says so is still worth a picture
    page.wait_for_timeout(600)  # charts and card animations settle


def take(browser, base, out, themes, size):
    """Every picture, as the audience sees it; returns [(file name, caption)]."""
    deck = json.loads((ROOT / "site" / "deck.json").read_text(encoding="utf-8"))
    context = browser.new_context(viewport=size)
    page = context.new_page()
    shots = []

    def shot(name, title):
        path = out / f"{name}.png"
        page.screenshot(path=str(path), full_page=name.startswith("overview"))
        shots.append((path.name, title))

    # The deck from its file, widgets from the server: a deck served by the demo
    # server follows the presenter's slide, and the tool must not drive it.
    deck_url = (ROOT / "site" / "index.html").as_uri() + f"?server={base}"
    for theme in themes:
        page.goto(f"{deck_url}&theme={theme}#/1")
        page.wait_for_selector("html[data-deck=ready]", state="attached")
        page.keyboard.press("o")
        page.wait_for_timeout(800)
        shot(f"overview-{theme}", f"Every slide ({theme})")
        page.keyboard.press("Escape")
        for slide in deck["slides"]:
            if not slide["widgets"]:
                continue
            page.goto(f"{deck_url}&theme={theme}#/{slide['number']}")
            page.wait_for_selector("html[data-deck=ready]", state="attached")
            _wait_ready(page)
            shot(f"slide-{slide['number']:02d}-{slide['widgets'][0]}-{theme}",
                 f"Slide {slide['number']}: {slide['title']} ({theme})")
        for query, label in (("", "dashboard"), ("big=1&", "dashboard-big")):
            page.goto(f"{base}dashboard?{query}theme={theme}")
            _wait_ready(page)
            shot(f"{label}-{theme}", f"/dashboard?{query}theme={theme}")
    context.close()
    return shots


def _gallery(out, shots):
    items = "\n".join(f'<figure><a href="{escape(n)}"><img src="{escape(n)}" alt="{escape(t)}" loading="lazy"></a>'
                      f"<figcaption>{escape(t)}</figcaption></figure>" for n, t in shots)
    (out / "index.html").write_text(
        "<!doctype html><meta charset=utf-8><title>Oh My Queue: screenshots</title>"
        "<style>body{font:16px system-ui;margin:1em;background:#eee}main{display:grid;gap:1em;"
        "grid-template-columns:repeat(auto-fill,minmax(420px,1fr))}img{width:100%;border:1px solid #999}"
        "figure{margin:0}</style><h1>Oh My Queue: screenshots</h1><main>\n" + items + "\n</main>\n",
        encoding="utf-8")


def main(argv=None):
    args = _parser().parse_args(argv)
    if not (ROOT / "site" / "deck.json").is_file():
        raise SystemExit("screenshots: no built deck in site/; run make slides first")
    themes = [t for t in args.themes.split(",") if t]
    unknown = sorted(set(themes) - set(THEMES))
    if unknown:
        raise SystemExit(f"screenshots: unknown theme {unknown[0]!r} (choose from {', '.join(THEMES)})")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    server = None if args.server else Server()
    base = (args.server or server.url).rstrip("/") + "/"
    try:
        _some_jobs(base)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = launch(playwright)
            try:
                shots = take(browser, base, out, themes, args.size)
            finally:
                browser.close()
    finally:
        if server is not None:
            server.stop()
    _gallery(out, shots)
    print(f"screenshots: {len(shots)} pictures in {out} (open {out / 'index.html'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
