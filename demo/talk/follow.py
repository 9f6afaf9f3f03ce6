"""The presenter drives, the audience follows: server-owned deck state.

The state of the deck (slide ``h``, fragment step ``f``, active demo
``panel``) lives in one Redis hash, so every server process agrees. The
driver's browser sends ``move`` with a sequence number; a Lua script accepts
it only from the driving presenter session and only when its number is above
the stored one (an atomic compare-and-set), and the new state goes to the
deck's room. A socket gets the current state the moment it (re)connects.

Presenter sessions are named at sign-in (``session["presenter_id"]``). The
first one to connect drives; any other is a standby until it sends
``takeover``, and the sockets of the session it replaces are told.
"""

import hashlib
import hmac
import json
import os
import re
import time
from pathlib import Path

import redis
from flask import current_app, request, session
from flask_socketio import emit, join_room

from .. import keys
from ..db import get_redis
from ..extensions import socketio
from .presenter import is_presenter
from ..live.guard import GuardedNamespace
from ..live.sockets import no_delay

#: Caps on a move when the site has no deck.json to check it against.
MAX_SLIDES = 10_000
MAX_FRAGMENTS = 1_000
#: Largest sequence number (exact in JavaScript and in Lua's doubles).
MAX_SEQ = 2**53 - 1
#: A panel is a widget name from the deck (``::widget NAME``) or none.
PANEL = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")

# Accept a move only from the driver and only when it is newer than the state.
# KEYS: state hash, driver hash. ARGV: presenter id, seq, h, f, panel, at (ms).
_MOVE = """
local current = tonumber(redis.call('HGET', KEYS[1], 'seq') or '0')
if redis.call('HGET', KEYS[2], 'id') ~= ARGV[1] then return {'not_driver', current} end
if tonumber(ARGV[2]) <= current then return {'stale', current} end
redis.call('HSET', KEYS[1], 'seq', ARGV[2], 'h', ARGV[3], 'f', ARGV[4], 'panel', ARGV[5], 'at', ARGV[6])
return {'ok', tonumber(ARGV[2])}
"""

# Take the driver's seat when it is free, already ours, or held by a session
# signed with another secret key (it can never come back); or always (force).
# KEYS: driver hash. ARGV: presenter id, key fingerprint, now (ms), force.
# Returns the role and the previous driver to tell ('' when there is none).
_CLAIM = """
local id = redis.call('HGET', KEYS[1], 'id')
local key = redis.call('HGET', KEYS[1], 'key')
if id == ARGV[1] and key == ARGV[2] then return {'driver', ''} end
local alive = id and key == ARGV[2]
if ARGV[4] == '1' or not alive then
  redis.call('HSET', KEYS[1], 'id', ARGV[1], 'key', ARGV[2], 'since', ARGV[3])
  if alive then return {'driver', id} end
  return {'driver', ''}
end
return {'standby', ''}
"""


class MoveError(ValueError):
    """A move the server refuses; the message says why."""


# --- the deck's shape, from the built site's deck.json -----------------------

_shapes = {}


def deck_shape(site_dir):
    """``[fragments per slide, ...]`` of the built deck, or None without deck.json."""
    path = Path(site_dir) / "deck.json"
    try:
        stamp = os.stat(path).st_mtime_ns
    except OSError:
        return None
    cached = _shapes.get(str(path))
    if cached and cached[0] == stamp:
        return cached[1]
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        shape = [(int(s.get("fragments", 0)), tuple(s.get("widgets") or ())) for s in data["slides"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        current_app.logger.warning("cannot read %s; deck moves are checked against caps only", path)
        return None
    _shapes[str(path)] = (stamp, shape)
    return shape


def validate_move(data, shape):
    """``(seq, h, f, panel)`` from a client's move, or raise MoveError."""
    if not isinstance(data, dict):
        raise MoveError("move: give {seq, h, f, panel}")
    seq, h, f, panel = (data.get(k) for k in ("seq", "h", "f", "panel"))
    for name, value in (("seq", seq), ("h", h), ("f", f)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise MoveError(f"move: {name} must be a whole number >= 0")
    if not 1 <= seq <= MAX_SEQ:
        raise MoveError("move: seq must be between 1 and 2**53 - 1")
    if panel is not None and (not isinstance(panel, str) or not PANEL.match(panel)):
        raise MoveError("move: panel must be a widget name or null")
    if shape is None:
        if h >= MAX_SLIDES or f > MAX_FRAGMENTS:
            raise MoveError(f"move: slide {h} step {f} is beyond {MAX_SLIDES} slides or {MAX_FRAGMENTS} steps")
        return seq, h, f, panel
    if h >= len(shape):
        raise MoveError(f"move: the deck has {len(shape)} slides; there is no slide index {h}")
    fragments, widgets = shape[h]
    if f > fragments:
        raise MoveError(f"move: slide index {h} has {fragments} steps, not {f}")
    if panel is not None and panel not in widgets:
        raise MoveError(f"move: slide index {h} shows no widget {panel!r}")
    return seq, h, f, panel


# --- state and driver in Redis -----------------------------------------------


def read_state(connection, deck=keys.DECK_ID):
    """The deck's current state; seq 0 means no move yet."""
    raw = connection.hgetall(keys.DECK_STATE.format(deck))
    value = {k.decode(): v.decode() for k, v in raw.items()}
    return {
        "seq": int(value.get("seq", 0)), "h": int(value.get("h", 0)), "f": int(value.get("f", 0)),
        "panel": value.get("panel") or None, "at": int(value["at"]) if "at" in value else None,
    }


def apply_move(connection, presenter_id, seq, h, f, panel, deck=keys.DECK_ID):
    """Store a move atomically. Returns ``(outcome, seq)``: ok, stale or not_driver."""
    script = connection.register_script(_MOVE)
    outcome, current = script(
        keys=[keys.DECK_STATE.format(deck), keys.DECK_DRIVER.format(deck)],
        args=[presenter_id, seq, h, f, panel or "", int(time.time() * 1000)])
    return outcome.decode(), int(current)


def claim(connection, presenter_id, fingerprint, force=False, deck=keys.DECK_ID):
    """Take the driver's seat if free (or always, with ``force``).

    Returns ``(role, previous)``: role is driver or standby; previous is the
    presenter id that was driving and must be told, or None.
    """
    script = connection.register_script(_CLAIM)
    role, previous = script(
        keys=[keys.DECK_DRIVER.format(deck)],
        args=[presenter_id, fingerprint, int(time.time() * 1000), "1" if force else "0"])
    return role.decode(), previous.decode() or None


def key_fingerprint(secret_key):
    """Names the secret key that signed a driver's session, without revealing it."""
    secret = secret_key.encode() if isinstance(secret_key, str) else secret_key
    return hmac.new(secret, b"omq deck driver", hashlib.sha256).hexdigest()[:16]


# --- the /deck namespace ------------------------------------------------------


def _presenter_id():
    """This socket's presenter session id, or None for the audience."""
    if not is_presenter():
        return None
    value = session.get("presenter_id")
    return value if isinstance(value, str) and value else None


def _refuse(message, **extra):
    return {"ok": False, "error": message, **extra}


class DeckNamespace(GuardedNamespace):
    """``/deck``: everyone follows; the driving presenter session moves (rate-limited per connection)."""

    deck = keys.DECK_ID

    def _room(self):
        return keys.DECK_ROOM.format(self.deck)

    def _fingerprint(self):
        return key_fingerprint(current_app.config["SECRET_KEY"])

    def on_connect(self, auth=None):
        """Join the deck's room; get who you are and the live state at once."""
        # Three small writes follow (role, state, Socket.IO's connect); without
        # TCP_NODELAY the last waits for the client's delayed ACK, and the
        # client shows the state only when that one arrives.
        no_delay(request.environ)
        join_room(self._room())
        presenter_id = _presenter_id()
        try:
            connection = get_redis()
            if presenter_id:
                join_room(keys.DECK_PRESENTER_ROOM.format(self.deck, presenter_id))
                role, _ = claim(connection, presenter_id, self._fingerprint(), deck=self.deck)
                reason = "you drive the deck" if role == "driver" else "another presenter session drives"
            elif is_presenter():
                role, reason = "standby", "this session is from before presenter ids: sign in again"
            else:
                role, reason = "audience", "following the presenter"
            emit(keys.DECK_DRIVER_EVENT, {"role": role, "reason": reason})
            emit(keys.DECK_STATE_EVENT, read_state(connection, self.deck))
        except redis.RedisError as exc:
            current_app.logger.warning("deck connect without Redis: %s", exc)
            emit(keys.ERROR_EVENT, {"error": "Redis is unavailable: following resumes when it is back"})

    def on_state(self, data=None):
        """The live state, on request (the server also pushes it on connect)."""
        try:
            return {"ok": True, "state": read_state(get_redis(), self.deck)}
        except redis.RedisError:
            return _refuse("Redis is unavailable")

    def on_move(self, data=None):
        """A move from the driving presenter session; everyone else is refused."""
        presenter_id = _presenter_id()
        if presenter_id is None:
            current_app.logger.warning("refused deck move from %s socket %s (%s)",
                                       "presenter" if is_presenter() else "audience",
                                       request.sid, request.remote_addr)
            return _refuse("presenter only: the audience follows the presenter and cannot move the deck")
        try:
            seq, h, f, panel = validate_move(data, deck_shape(current_app.config["SITE_DIR"]))
        except MoveError as exc:
            return _refuse(str(exc))
        try:
            connection = get_redis()
            outcome, current = apply_move(connection, presenter_id, seq, h, f, panel, self.deck)
            if outcome == "not_driver":
                return _refuse("another presenter session drives: take over to drive", role="standby",
                               state=read_state(connection, self.deck))
            if outcome == "stale":
                return _refuse(f"stale move: seq {seq} <= {current}", stale=True,
                               state=read_state(connection, self.deck))
        except redis.RedisError:
            return _refuse("Redis is unavailable")
        state = {"seq": seq, "h": h, "f": f, "panel": panel, "at": int(time.time() * 1000)}
        socketio.emit(keys.DECK_STATE_EVENT, state, to=self._room(), namespace=self.namespace)
        return {"ok": True, "seq": seq}

    def on_takeover(self, data=None):
        """Take the driver's seat explicitly; the session that had it is told."""
        presenter_id = _presenter_id()
        if presenter_id is None:
            current_app.logger.warning("refused deck takeover from socket %s (%s)", request.sid, request.remote_addr)
            return _refuse("presenter only: sign in with the presenter link that serve printed")
        try:
            connection = get_redis()
            _, previous = claim(connection, presenter_id, self._fingerprint(), force=True, deck=self.deck)
            state = read_state(connection, self.deck)
        except redis.RedisError:
            return _refuse("Redis is unavailable")
        if previous and previous != presenter_id:
            current_app.logger.info("presenter session %s… took the deck over from %s…", presenter_id[:4], previous[:4])
            socketio.emit(keys.DECK_DRIVER_EVENT, {"role": "standby", "reason": "taken over by another presenter session"},
                          to=keys.DECK_PRESENTER_ROOM.format(self.deck, previous), namespace=self.namespace)
        socketio.emit(keys.DECK_DRIVER_EVENT, {"role": "driver", "reason": "you took over: you drive the deck"},
                      to=keys.DECK_PRESENTER_ROOM.format(self.deck, presenter_id), namespace=self.namespace)
        return {"ok": True, "role": "driver", "state": state}
