"""The console's page: ``/demo/redis`` (``?embed=1`` in the deck, ``?mode=queue``)."""

from flask import current_app, render_template, request

from ..demos.audience import visitor
from . import bp
from .service import Console


@bp.get("/redis")
def page():
    """A terminal on your own sandbox; the presenter's console, mirrored, for the deck."""
    who = visitor()  # a new visitor gets their id (and so their sandbox) now
    mode = "queue" if request.args.get("mode") == "queue" else "sandbox"
    return render_template("console/redis.html", embed=request.args.get("embed") == "1",
                           presenter=who.presenter, start=Console.welcome(mode),
                           sandbox=bool(current_app.config.get("CONSOLE_SANDBOX_URL")))
