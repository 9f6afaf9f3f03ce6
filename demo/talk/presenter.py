"""Presenter authentication: trade the printed token for a signed session.

The token is compared in constant time and never rendered into a page; the
session cookie (signed with SECRET_KEY, HttpOnly, SameSite=Lax) is what the
presenter's browser shows afterwards. Everything the audience can reach is
read-only unless ``is_presenter()`` says otherwise, checked per call.

``serve`` keeps the token and the session key under ``instance/`` (see
``load_secrets``), so a restart changes neither: open presenter tabs stay
signed in and the printed links stay valid.
"""

import hmac
import os
import secrets
import time
from functools import wraps
from pathlib import Path

from flask import abort, current_app, jsonify, request, session

from ..runtime import secret_files

#: What ``serve`` keeps under instance/: config name -> (file name, how to make one).
SECRET_FILES = {
    "SECRET_KEY": ("secret-key", lambda: secret_files.token(32)),
    "DEMO_PRESENTER_TOKEN": ("presenter-token", lambda: secret_files.token(18)),
}


def load_secrets(instance, rotate=False, environ=None):
    """The session key and presenter token ``serve`` passes to the app.

    Each is read from ``instance/<file>`` (0600), made there on the first
    start, and replaced with ``rotate`` (``serve --new-token``). A value set
    in the environment wins and is left out, so ``create_app`` takes it.
    """
    environ = os.environ if environ is None else environ
    return {name: secret_files.load_or_create(Path(instance) / filename, make, rotate=rotate)
            for name, (filename, make) in SECRET_FILES.items() if not environ.get(name)}


def check_token(token):
    expected = current_app.config["DEMO_PRESENTER_TOKEN"]
    return isinstance(token, str) and hmac.compare_digest(token.encode(), expected.encode())


def device_of(user_agent):
    """``phone`` or ``laptop``: how a standby session names the one that drives."""
    return "phone" if "Mobi" in (user_agent or "") else "laptop"


def sign_in(device=None):
    session.clear()
    session["presenter"] = True
    # Names this sign-in (a laptop, a phone): one session drives the deck.
    session["presenter_id"] = secrets.token_urlsafe(12)
    # When, so that a sign-in after the driver left can take its seat at once.
    session["signed_in"] = int(time.time() * 1000)
    session["presenter_device"] = device or device_of(request.user_agent.string)
    session.permanent = True


def is_presenter():
    return session.get("presenter") is True


def presenter_required(view):
    """Refuse the call with 403 unless it comes from the presenter's session."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not is_presenter():
            current_app.logger.warning("refused presenter call %s from %s", request.path, request.remote_addr)
            if request.accept_mimetypes.best == "text/html":
                abort(403)
            return jsonify(error="presenter only: sign in with the presenter link printed by serve"), 403
        return view(*args, **kwargs)

    return wrapped
