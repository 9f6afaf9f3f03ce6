"""Pages for following the talk: the deck page with its live plugin, /join and its QR code.

The presenter token never reaches any of them: the presenter is recognised
by the signed HttpOnly session cookie alone, and the plugin learns its role
from the server when its socket connects.
"""

import io
import ipaddress
import json
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import segno
from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for

from slidekit import inject

from .presenter import is_presenter

bp = Blueprint("follow", __name__)

#: What the presenter is told when the join address is this machine only.
LOOPBACK_WARNING = ("Phones can't reach this address: it is this computer only. "
                    'Restart with make demo ARGS="--host 0.0.0.0" to let phones on the network join.')


def is_loopback_host(host):
    """Whether ``host`` (an address or a name) is reachable from this machine only."""
    host = (host or "").strip("[]").lower()
    if host in ("localhost", "localhost.localdomain") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def public_base():
    """The server's address as phones reach it: PUBLIC_URL (the LAN address) or this request's host."""
    return (current_app.config.get("PUBLIC_URL") or request.host_url).rstrip("/")


def audience_url():
    """The deck's URL as the audience types it."""
    return public_base() + url_for("pages.deck", path="")


def live_deck_page(site):
    """``site/index.html`` with the live plugin in place of its inject marker."""
    html = (Path(site) / "index.html").read_text(encoding="utf-8")
    snippet = "\n".join([
        f"<script>window.OMQ_SERVER = {json.dumps(url_for('pages.index'))};</script>",
        f'<link rel="stylesheet" href="{url_for("static", filename="live/deck-live.css")}">',
        f'<script src="{url_for("pages.vendor", name="socket.io.min.js")}"></script>',
        f'<script src="{url_for("static", filename="live/deck-live.js")}"></script>',
    ])
    try:
        html = inject(html, snippet)
    except ValueError:
        current_app.logger.warning("%s/index.html has no inject marker: the deck is served without live follow", site)
    response = Response(html, mimetype="text/html")
    response.headers["Cache-Control"] = "no-cache"
    return response


def qr_svg(url):
    """``url`` as a QR code (SVG bytes, black on white for any projector; its title is the URL)."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=8, border=3, dark="#000", light="#fff",
                                    omitsize=True, xmldecl=False, title=f"QR code: {url}")
    return buffer.getvalue()


_qr_svg = lru_cache(maxsize=16)(qr_svg)  # the audience URL: the same for every visitor


def loopback_warning(url):
    """The presenter's warning when ``url`` is unreachable from phones, else None (and always for the audience)."""
    if is_presenter() and is_loopback_host(urlsplit(url).hostname):
        return LOOPBACK_WARNING
    return None


@bp.get("/join")
def join():
    """Where the audience gets the deck's address: as text and as a QR code."""
    url = audience_url()
    return render_template("join.html", url=url, embed=request.args.get("embed") == "1",
                           warning=loopback_warning(url))


@bp.get("/join.json")
def join_json():
    """The audience URL for the deck's ``::qr`` slides (and the presenter's loopback warning)."""
    url = audience_url()
    warning = loopback_warning(url)
    return jsonify(url=url, **({"warning": warning} if warning else {}))


@bp.get("/join/qr.svg")
def join_qr():
    """The audience URL as a QR code (SVG, black on white for any projector)."""
    response = Response(_qr_svg(audience_url()), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "no-cache"
    return response
