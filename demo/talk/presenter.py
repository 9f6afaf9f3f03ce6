"""Presenter authentication: trade the printed token for a signed session.

The token is compared in constant time and never rendered into a page; the
session cookie (signed with SECRET_KEY, HttpOnly, SameSite=Lax) is what the
presenter's browser shows afterwards. Everything the audience can reach is
read-only unless ``is_presenter()`` says otherwise, checked per call.
"""

import hmac
import secrets
from functools import wraps

from flask import abort, current_app, jsonify, request, session


def check_token(token):
    expected = current_app.config["DEMO_PRESENTER_TOKEN"]
    return isinstance(token, str) and hmac.compare_digest(token.encode(), expected.encode())


def sign_in():
    session.clear()
    session["presenter"] = True
    # Names this sign-in (a laptop, a phone): one session drives the deck.
    session["presenter_id"] = secrets.token_urlsafe(12)
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
