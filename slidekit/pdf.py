"""Print a built deck to PDF through Playwright and Chromium: one page per slide.

The page is opened as ``index.html?print`` from the file system: the runtime
lays every slide out as a page with all its fragments shown, the last code
step highlighted and live widgets as their placeholders. Every request that
is not a local file is refused.
"""

import os
from pathlib import Path

from .errors import BuildError


class PdfError(BuildError):
    """Printing failed (no Playwright, no Chromium, or the page never got ready)."""


def export_pdf(site_dir, pdf_path, width, height, timeout_ms=30000):
    """Print ``site_dir/index.html`` to ``pdf_path``; returns the number of slides printed."""
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise PdfError("--pdf needs Playwright: pip install playwright (make test installs it)") from None
    from .browser import launch

    index = Path(site_dir).resolve() / "index.html"
    url = index.as_uri() + "?print"
    refused = []
    try:
        with sync_playwright() as playwright:
            try:
                browser = launch(playwright)
            except RuntimeError as exc:
                raise PdfError(f"--pdf: {exc}") from None
            try:
                page = browser.new_page(viewport={"width": width, "height": height})
                page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
                           else (refused.append(route.request.url), route.abort()))
                page.goto(url)
                page.wait_for_selector("html[data-print=ready]", state="attached", timeout=timeout_ms)
                slides = page.evaluate("document.querySelectorAll('.slides > .slide').length")
                os.makedirs(os.path.dirname(os.path.abspath(pdf_path)), exist_ok=True)
                page.pdf(path=str(pdf_path), width=f"{width}px", height=f"{height}px", print_background=True,
                         margin={"top": "0", "right": "0", "bottom": "0", "left": "0"},
                         prefer_css_page_size=True)
            finally:
                browser.close()
    except PlaywrightError as exc:
        raise PdfError(f"--pdf: printing {index} failed: {exc.message.splitlines()[0]}") from None
    if refused:
        raise PdfError(f"--pdf: the deck tried to load {refused[0]} (only local files are allowed)")
    return slides
