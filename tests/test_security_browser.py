"""In Chromium, as the attacker: a page on another port of 127.0.0.1, in the presenter's browser.

The presenter's session cookie is SameSite=Lax and another port is the same
*site*, so the browser sends it along; only the origin checks stand between
that page and the deck. It must not connect to Socket.IO (either transport),
move the deck, pause a queue, or frame the server's pages; the server's own
pages (and the deck's own iframes) keep working in the same browser.
"""

import re
from pathlib import Path

import pytest

from conftest import wait_for
from deckfixtures import LocalServer
from demo import keys
from demo.talk.follow import read_state
from slidekit import build

playwright_api = pytest.importorskip("playwright.sync_api")
from playwright.sync_api import expect  # noqa: E402

pytestmark = pytest.mark.browser

WAIT = 15_000  # ms: generous for a loaded machine; nothing here measures speed
DECK = Path(__file__).parent / "decks" / "follow"

ATTACK = """<!doctype html><meta charset="utf-8"><title>A page on another port</title>
<script src="{base}/vendor/socket.io.min.js"></script>
<script>
window.results = {{}};
function attempt(name, namespace, transports, act) {{
  var socket = io("{base}" + namespace, {{transports: transports, forceNew: true, reconnection: false,
                                          withCredentials: true, timeout: 8000}});
  socket.on("connect", function () {{ window.results[name] = "connected"; act(socket); }});
  socket.on("connect_error", function (err) {{ window.results[name] = "refused"; }});
}}
function pause(socket) {{ socket.emit("action", {{op: "pause", queue: "default"}}); }}
function move(socket) {{ socket.emit("move", {{seq: 99, h: 3, f: 0, panel: null}}); socket.emit("takeover", {{}}); }}
attempt("live over websocket", "/live", ["websocket"], pause);
attempt("live over polling", "/live", ["polling"], pause);
attempt("deck over websocket", "/deck", ["websocket"], move);
attempt("deck over polling", "/deck", ["polling"], move);
fetch("{base}/api/queues/low/pause", {{method: "POST", credentials: "include", mode: "no-cors"}})
  .then(function () {{ window.results["pause over HTTP"] = "sent"; }},
        function () {{ window.results["pause over HTTP"] = "failed"; }});
</script>
<iframe name="framed" src="{base}/dashboard" width="600" height="300"></iframe>
"""


@pytest.fixture
def site(tmp_path):
    out = tmp_path / "site"
    build(str(DECK), str(out))
    return out


def test_a_page_on_another_port_cannot_drive_the_deck_or_the_queues_with_the_presenters_cookie(
        browser, serve, connection, site, tmp_path):
    server = serve(workers=0, env={"SITE_DIR": str(site)})
    context = browser.new_context()
    own = context.new_page()
    own.goto(f"{server.base}/presenter?token={server.token}&next=/dashboard")
    expect(own.locator(".conn")).to_have_attribute("data-state", "live", timeout=WAIT)  # the cookie works here

    attacker = LocalServer(tmp_path, {"/attack.html": (200, "text/html; charset=utf-8",
                                                       ATTACK.format(base=server.base))})
    try:
        evil = context.new_page()
        evil.goto(attacker.url + "attack.html")
        evil.wait_for_function("Object.keys(window.results).length === 5", timeout=WAIT)
        results = evil.evaluate("window.results")
        framed = wait_for(lambda: _navigated(evil.frame("framed")), WAIT / 1000, 0.1, "the iframe to load")
        framed_content = framed.url.startswith(server.base) and framed.evaluate("document.querySelector('.conn') !== null")
    finally:
        attacker.close()

    assert {name: result for name, result in results.items() if name != "pause over HTTP"} == {
        "live over websocket": "refused", "live over polling": "refused",
        "deck over websocket": "refused", "deck over polling": "refused"}
    assert framed_content is False, "another origin framed the dashboard"
    assert connection.smembers(keys.PAUSED_QUEUES) == set()  # neither Socket.IO nor the HTTP API paused a queue
    assert read_state(connection)["seq"] == 0  # the deck never moved

    # The presenter's own pages are unharmed: the dashboard is live, and it still acts.
    own.reload()
    expect(own.locator(".conn")).to_have_attribute("data-state", "live", timeout=WAIT)


def _navigated(frame):
    """The frame once it left about:blank (to the page, or to the browser's error page when refused)."""
    return frame if frame is not None and frame.url not in ("", "about:blank") else None


def test_the_deck_still_frames_its_own_pages(browser, serve, site):
    server = serve(workers=0, env={"SITE_DIR": str(site)})
    page = browser.new_context().new_page()
    page.goto(server.base + "/deck/#/3")
    frame = page.frame_locator(".widget iframe")
    expect(frame.locator(".conn")).to_have_attribute("data-state", re.compile("live"), timeout=WAIT)
    response = page.request.get(server.base + "/dashboard?embed=1")
    assert response.headers["content-security-policy"] == "frame-ancestors 'self'"
    assert response.headers["x-frame-options"] == "SAMEORIGIN"
