"""Pages: landing, dashboard, the built deck, presenter sign-in, vendor files."""

from pathlib import Path

from flask import (Blueprint, abort, current_app, redirect, render_template, request,
                   send_from_directory, url_for)

from slidekit.defaults import THEMES

from .demos.audience import AUDIENCE_QUEUE
from .live.api import page_snapshot
from .security import local_path
from .talk.follow import deck_outline
from .talk.pages import live_deck_page
from .talk.presenter import check_token, is_presenter, sign_in

bp = Blueprint("pages", __name__)

#: Files from node_modules the pages may load, by the name they are served as.
VENDOR_FILES = {
    "socket.io.min.js": "socket.io-client/dist/socket.io.min.js",
    "uPlot.iife.min.js": "uplot/dist/uPlot.iife.min.js",
    "uPlot.min.css": "uplot/dist/uPlot.min.css",
}


@bp.app_context_processor
def page_theme():
    """``?theme=light|dark|contrast`` (the deck passes its own to its frames) for base.html."""
    theme = request.args.get("theme")
    return {"theme": theme if theme in THEMES else None}


@bp.get("/")
def index():
    """Landing page: one way in (follow the talk), where the talk is now (pushed), the rest."""
    outline = deck_outline(current_app.config["SITE_DIR"]) or []
    return render_template("index.html", presenter=is_presenter(), titles=[title for *_, title in outline])


@bp.get("/favicon.ico")
def favicon():
    """No icon: answer at once instead of a 404 in every browser console."""
    return "", 204


@bp.get("/dashboard")
def dashboard():
    """The live queue dashboard (read-only unless you are the presenter)."""
    queues = current_app.config["QUEUE_NAMES"]
    # ?queues=low,default: only those, in that order (unknown names are left out)
    wanted = [q for q in dict.fromkeys(request.args.get("queues", "").split(",")) if q in queues]
    return render_template("dashboard.html", presenter=is_presenter(), embed=request.args.get("embed") == "1",
                           big=request.args.get("big") == "1", queues=queues, shown=wanted,
                           audience_queue=AUDIENCE_QUEUE if AUDIENCE_QUEUE in queues else "",
                           snapshot=page_snapshot(), modules=dashboard_modules())


def dashboard_modules():
    """The dashboard's ES modules but its entry: the page preloads them all at once, no import waterfall."""
    folder = Path(current_app.static_folder) / "dashboard"
    return sorted(path.stem for path in folder.glob("*.js") if path.stem != "dashboard")


@bp.get("/presenter")
def presenter_login():
    """Trade the printed token for a signed session, then drop it from the URL.

    ``next`` (where to go afterwards) must be a path on this server: anything
    else is refused before anyone is signed in, so the link cannot send the
    presenter to another site.
    """
    if not check_token(request.args.get("token")):
        abort(403, "wrong or missing presenter token: use the presenter link that serve printed")
    target = request.args.get("next") or None
    if target is not None and local_path(target) is None:
        abort(400, "next must be a path on this server, like /deck/?presenter")
    sign_in()
    return redirect(target or url_for("pages.deck", path=""))


@bp.get("/deck/", defaults={"path": ""})
@bp.get("/deck/<path:path>")
def deck(path):
    """The built deck from site/ (``make demo`` builds it); its page gets the live plugin."""
    site = Path(current_app.config["SITE_DIR"])
    if not (site / "index.html").is_file():
        abort(404, "the deck is not built yet: run 'make demo' or 'python build_slides.py'")
    if path in ("", "index.html"):
        return live_deck_page(site)
    return send_from_directory(site, path)


@bp.get("/vendor/<name>")
def vendor(name):
    """Browser libraries installed by ``npm ci``, served locally (never a CDN)."""
    relative = VENDOR_FILES.get(name)
    if relative is None:
        abort(404)
    node_modules = Path(current_app.config["NODE_MODULES"])
    if not (node_modules / relative).is_file():
        abort(404, f"{name} is missing: run 'npm ci' (make demo does it)")
    response = send_from_directory(node_modules, relative, max_age=3600)
    return response
