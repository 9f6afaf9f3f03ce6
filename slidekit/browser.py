"""Find a Chromium for Playwright: Playwright's own if installed, else Debian's.

``python -m slidekit.browser --check`` prints the path and exits 0, or prints
one line saying how to get one and exits 1 (``make test`` uses it).
"""

import os
import shutil
import sys

#: Flags for Chromium on a machine with no network beyond loopback.
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

HOW_TO_GET_ONE = (
    "no Chromium found: run 'python -m playwright install chromium' where downloads work, "
    "or 'apt-get install chromium' (as root), or set OMQ_CHROMIUM=/path/to/chromium"
)


def find_chromium():
    """Path of a Chromium executable, or None."""
    configured = os.environ.get("OMQ_CHROMIUM")
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            own = p.chromium.executable_path
        if own and os.access(own, os.X_OK):
            return own
    except Exception:  # Playwright missing or without its own browser
        pass
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def launch(playwright, **options):
    """Launch Chromium headless with the flags this machine needs."""
    path = find_chromium()
    if path is None:
        raise RuntimeError(HOW_TO_GET_ONE)
    args = LAUNCH_ARGS + list(options.pop("args", []))
    return playwright.chromium.launch(executable_path=path, headless=True, args=args, **options)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    path = find_chromium()
    if path is None:
        print(HOW_TO_GET_ONE, file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
