"""Print a built deck to PDF through Playwright and Chromium: one page per slide.

The page is opened as ``index.html?print`` from the file system: the runtime
lays every slide out as a page with all its fragments shown and the last
code step highlighted. Every request that is not a local file is refused,
so live widgets print as their placeholders. With ``demo_url`` (a running
demo server, ``build_slides.py --pdf --demo-url URL``) the page is opened
as ``?print&server=URL``, requests to that server are allowed, and each
widget prints as a still of the live demo: the page waits for every widget
frame to say its first state is on screen (``html[data-ready]``).
"""

import os
from pathlib import Path
from urllib.parse import quote, urlsplit

from .errors import BuildError

#: Milliseconds a widget frame may take to load and show its first state.
STILL_TIMEOUT_MS = 20000


class PdfError(BuildError):
    """Printing failed (no Playwright, no Chromium, or the page never got ready)."""


def export_pdf(site_dir, pdf_path, width, height, timeout_ms=30000, demo_url=None):
    """Print ``site_dir/index.html`` to ``pdf_path``; returns (slides printed, live demo stills)."""
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise PdfError("--pdf needs Playwright: pip install playwright (make test installs it)") from None
    from .browser import launch

    index = Path(site_dir).resolve() / "index.html"
    url = index.as_uri() + "?print"
    allowed = ("file:",)
    if demo_url:
        base = demo_url.rstrip("/") + "/"
        url += "&server=" + quote(base, safe="")
        parts = urlsplit(base)
        allowed += (f"{parts.scheme}://{parts.netloc}/",)
    refused = []
    try:
        with sync_playwright() as playwright:
            try:
                browser = launch(playwright)
            except RuntimeError as exc:
                raise PdfError(f"--pdf: {exc}") from None
            try:
                page = browser.new_page(viewport={"width": width, "height": height})
                page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(allowed)
                           else (refused.append(route.request.url), route.abort()))
                page.goto(url)
                page.wait_for_selector("html[data-print=ready]", state="attached", timeout=timeout_ms)
                slides = page.evaluate("document.querySelectorAll('.slides > .slide').length")
                stills = _wait_for_stills(page, demo_url) if demo_url else 0
                os.makedirs(os.path.dirname(os.path.abspath(pdf_path)), exist_ok=True)
                page.pdf(path=str(pdf_path), width=f"{width}px", height=f"{height}px", print_background=True,
                         margin={"top": "0", "right": "0", "bottom": "0", "left": "0"},
                         prefer_css_page_size=True)
            finally:
                browser.close()
    except PlaywrightError as exc:
        raise PdfError(f"--pdf: printing {index} failed: {exc.message.splitlines()[0]}") from None
    if refused:
        raise PdfError(f"--pdf: the deck tried to load {refused[0]} (only local files"
                       f"{' and ' + demo_url if demo_url else ''} are allowed)")
    return slides, stills


def _wait_for_stills(page, demo_url):
    """Wait until every widget is a live frame with its first state on screen; returns how many."""
    widgets = page.locator(".widget")
    if not widgets.count():
        return 0
    try:  # the runtime first asks the server's /healthz, then makes a frame per widget
        page.wait_for_function("() => Array.from(document.querySelectorAll('.widget'))"
                               ".every(w => w.dataset.state)", timeout=STILL_TIMEOUT_MS)
    except Exception:
        pass
    frames = page.locator(".widget.live iframe")
    if frames.count() < widgets.count():
        raise PdfError(f"--pdf: the demo server at {demo_url} did not answer for every live widget "
                       f"({frames.count()} of {widgets.count()}); start it (make demo) or leave out --demo-url")
    for handle in frames.element_handles():
        frame = handle.content_frame()
        try:
            frame.wait_for_selector("html[data-ready=true]", state="attached", timeout=STILL_TIMEOUT_MS)
        except Exception:
            raise PdfError(f"--pdf: the live demo at {frame.url} did not show its state within "
                           f"{STILL_TIMEOUT_MS // 1000} s") from None
    page.wait_for_timeout(500)  # charts draw on the next frames
    return frames.count()
