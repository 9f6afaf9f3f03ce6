"""The presenter token never appears in a byte the server sends, to the audience or to the presenter.

It is typed once (the link ``serve`` prints) and traded for a signed session;
everything after that, pages, assets, redirects, cookies and socket messages,
is searched for it here.
"""

import base64
import re
from pathlib import Path
from urllib.parse import quote, urljoin, urlsplit

import pytest

from demo import ROOT, keys
from demo.extensions import socketio
from demo.pages import VENDOR_FILES
from slidekit import build
from slidekit.defaults import WIDGETS

TOKEN = "test-presenter-token"  # the conftest app's token
DECK = Path(__file__).parent / "decks" / "follow"
#: Where links hide in what the server sends: HTML attributes and CSS url().
LINKS = re.compile(rb"""(?:href|src|data-path|data-qr|data-qr-url)\s*=\s*["']([^"']+)["']|url\(\s*["']?([^"')]+)""")
START = ["/", "/deck/", "/deck/?presenter", "/join", "/join?embed=1", "/join.json", "/join/qr.svg",
         "/dashboard", "/dashboard?embed=1", "/healthz", "/api/snapshot",
         "/remote", "/remote?code=no-such-code"]


@pytest.fixture
def app(app, tmp_path):
    site = tmp_path / "site"
    build(str(DECK), str(site))
    app.config["SITE_DIR"] = str(site)
    # A page that fails is still an answer to search: a 500 page, not a traceback in the test.
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


def _everything(site):
    """Every URL a visitor can reach: the start pages, the built site, static/ and vendor files."""
    urls = list(START)
    urls += ["/deck/" + p.relative_to(site).as_posix() for p in sorted(site.rglob("*")) if p.is_file()]
    urls += ["/static/" + p.relative_to(ROOT / "static").as_posix()
             for p in sorted((ROOT / "static").rglob("*")) if p.is_file()]
    urls += ["/vendor/" + name for name in VENDOR_FILES]
    urls += ["/deck/" + path for path, _ in WIDGETS.values()] + ["/" + path for path, _ in WIDGETS.values()]
    return urls


def crawl(client, urls, limit=1000):
    """Fetch every URL and every same-origin link found in them; ``{url: response}``."""
    seen, todo = {}, list(urls)
    while todo and len(seen) < limit:
        url = todo.pop(0).split("#")[0]
        if not url or url in seen:
            continue
        response = client.get(url)
        seen[url] = response
        found = [response.headers.get("Location", "")]
        if response.mimetype in ("text/html", "text/css", "image/svg+xml"):
            found += [a or b for a, b in LINKS.findall(response.get_data())]
        for link in found:
            link = link.decode() if isinstance(link, bytes) else link
            target = urljoin("http://localhost" + url, link.strip())
            parts = urlsplit(target)
            if link and parts.netloc == "localhost" and parts.scheme == "http":
                todo.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return seen


def assert_no_token(responses):
    needles = {TOKEN.encode(), quote(TOKEN).encode()}
    for url, response in responses.items():
        sent = response.get_data() + "\n".join(f"{k}: {v}" for k, v in response.headers.items()).encode()
        assert not any(n in sent for n in needles), f"the presenter token is in {url}"


def test_no_audience_page_or_asset_holds_the_presenter_token(app, client):
    responses = crawl(client, _everything(Path(app.config["SITE_DIR"])))
    served = {url for url, r in responses.items() if r.status_code == 200}
    # The crawl reached what the audience actually loads, so a leak there would be seen.
    for must in ("/deck/", "/static/live/deck-live.js", "/static/live/deck-live.css", "/vendor/socket.io.min.js",
                 "/deck/deck/deck.js", "/deck/deck/controllers/presenter.js", "/deck/deck/boot.js",
                 "/deck/deck/deck.css", "/deck/deck.json", "/join/qr.svg", "/dashboard",
                 "/demo/redis", "/static/console/console.js"):
        assert must in served, must
    assert_no_token(responses)


def test_the_presenter_signs_in_once_and_never_sees_the_token_again(app, client):
    login = client.get(f"/presenter?token={TOKEN}&next=/deck/?presenter")
    assert login.status_code == 302 and login.headers["Location"] == "/deck/?presenter"
    assert TOKEN not in login.headers.get("Set-Cookie", "")
    responses = crawl(client, _everything(Path(app.config["SITE_DIR"])))
    assert "presenter" in responses["/"].get_data(as_text=True)  # signed in: the pages say so
    # The speaker view's phone remote: a one-time code and its QR code, never the token.
    remote = client.post("/remote/code", json={}, headers={"Accept": "application/json"})
    assert remote.status_code == 200 and "/remote?code=" in remote.get_json()["url"]
    assert responses["/remote"].headers["Location"] == "/deck/?presenter"
    assert TOKEN.encode() not in base64.b64decode(remote.get_json()["qr"].split(",", 1)[1])  # the image, decoded
    assert_no_token({"/presenter redirect": login, "/remote/code": remote, **responses})


def test_no_socket_message_holds_the_presenter_token(app, client):
    audience = socketio.test_client(app, namespace=keys.DECK_NAMESPACE, flask_test_client=client)
    presenter_http = app.test_client()
    presenter_http.get(f"/presenter?token={TOKEN}")
    presenter = socketio.test_client(app, namespace=keys.DECK_NAMESPACE, flask_test_client=presenter_http)
    presenter.emit("move", {"seq": 1, "h": 1, "f": 1, "panel": None}, namespace=keys.DECK_NAMESPACE, callback=True)
    presenter.emit("takeover", {}, namespace=keys.DECK_NAMESPACE, callback=True)
    messages = audience.get_received(keys.DECK_NAMESPACE) + presenter.get_received(keys.DECK_NAMESPACE)
    assert any(m["name"] == "state" and m["args"][0]["h"] == 1 for m in messages)
    assert TOKEN not in repr(messages)
    audience.disconnect(keys.DECK_NAMESPACE)
    presenter.disconnect(keys.DECK_NAMESPACE)
