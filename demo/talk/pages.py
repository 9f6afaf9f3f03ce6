"""Pages for following the talk: the deck page with its live plugin, /join and its QR code.

The presenter token never reaches any of them: the presenter is recognised
by the signed HttpOnly session cookie alone, and the plugin learns its role
from the server when its socket connects.
"""

import io
import json
from functools import lru_cache
from pathlib import Path

import segno
from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for

from slidekit import inject

bp = Blueprint("follow", __name__)


def audience_url():
    """The deck's URL as the audience types it: PUBLIC_URL (the LAN address) or this request's host."""
    base = current_app.config.get("PUBLIC_URL") or request.host_url
    return base.rstrip("/") + url_for("pages.deck", path="")


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


@lru_cache(maxsize=16)
def _qr_svg(url):
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=8, border=3, dark="#000", light="#fff",
                                    omitsize=True, xmldecl=False, title=f"QR code: {url}")
    return buffer.getvalue()


@bp.get("/join")
def join():
    """Where the audience gets the deck's address: as text and as a QR code."""
    return render_template("join.html", url=audience_url(), embed=request.args.get("embed") == "1")


@bp.get("/join.json")
def join_json():
    """The audience URL for the deck's ``::qr`` slides."""
    return jsonify(url=audience_url())


@bp.get("/join/qr.svg")
def join_qr():
    """The audience URL as a QR code (SVG, black on white for any projector)."""
    response = Response(_qr_svg(audience_url()), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "no-cache"
    return response
