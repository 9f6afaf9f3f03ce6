"""The phone remote: one step from the laptop to a phone that drives the deck.

Two ways in, both ending on the speaker view (``/deck/?presenter``) in a
presenter session of the phone's own:

- ``/remote?token=…``: the ``Remote:`` link ``serve`` prints (the presenter
  token, like the ``Presenter:`` link, traded at once for a session).
- ``/remote?code=…``: the QR code the speaker view shows. The code is made
  for a signed-in presenter session (``POST /remote/code``), works once and
  for ``DEMO_REMOTE_CODE_TTL`` seconds, and is stored only as its hash, so
  neither the token nor a lasting secret is ever drawn on a screen.
"""

import base64
import hashlib
import secrets

from flask import Blueprint, abort, current_app, jsonify, redirect, request, session, url_for

from .. import keys
from ..db import get_redis
from ..extensions import socketio
from .pages import loopback_warning, public_base, qr_svg
from .presenter import check_token, is_presenter, presenter_required, sign_in

bp = Blueprint("remote", __name__)


def _code_key(code):
    return keys.REMOTE_CODE.format(hashlib.sha256(code.encode()).hexdigest())


def make_code(connection, presenter_id, ttl):
    """A new one-time code that signs a phone in; remembers who made it."""
    code = secrets.token_urlsafe(12)
    connection.set(_code_key(code), presenter_id, ex=int(ttl))
    return code


def use_code(connection, code):
    """The presenter id that made ``code``, deleting it (a code works once); None if unknown."""
    if not isinstance(code, str) or not 8 <= len(code) <= 64:
        return None
    with connection.pipeline() as pipe:  # MULTI: only one phone gets a code
        pipe.get(_code_key(code))
        pipe.delete(_code_key(code))
        maker, _ = pipe.execute()
    return maker.decode() if maker else None


def _speaker_view():
    return redirect(url_for("pages.deck", path="") + "?presenter")


@bp.get("/remote")
def remote():
    """Sign a phone in (printed link or QR code) and open the speaker view, the remote."""
    token, code = request.args.get("token"), request.args.get("code")
    if token is not None:
        if not check_token(token):
            abort(403, "wrong presenter token: use the Remote link that serve printed")
        sign_in(device="phone")
        return _speaker_view()
    if code is not None:
        maker = use_code(get_redis(), code)
        if maker is None:
            abort(403, "this remote code has expired or was used already: "
                       "show a new one with “Phone remote” in the speaker view")
        sign_in(device="phone")
        socketio.emit(keys.DECK_REMOTE_EVENT, {"paired": True},
                      to=keys.DECK_PRESENTER_ROOM.format(keys.DECK_ID, maker), namespace=keys.DECK_NAMESPACE)
        return _speaker_view()
    if is_presenter():
        return _speaker_view()
    abort(403, "presenter only: open the Remote link that serve printed, "
               "or scan the code under “Phone remote” in the speaker view")


@bp.post("/remote/code")
@presenter_required
def remote_code():
    """A fresh one-time remote link for this presenter session, with its QR code as an image."""
    presenter_id = session.get("presenter_id")
    if not isinstance(presenter_id, str):
        abort(403, "this presenter session is from before presenter ids: sign in again")
    ttl = current_app.config["DEMO_REMOTE_CODE_TTL"]
    code = make_code(get_redis(), presenter_id, ttl)
    url = f"{public_base()}{url_for('remote.remote')}?code={code}"
    image = "data:image/svg+xml;base64," + base64.b64encode(qr_svg(url)).decode()
    response = jsonify(url=url, qr=image, expires_in=ttl, warning=loopback_warning(url))
    response.headers["Cache-Control"] = "no-store"
    return response
