"""The presenter drives, the audience follows: server-owned deck state.

The state of the deck (slide ``h``, fragment step ``f``, active demo
``panel``) lives in one Redis hash, so every server process agrees. The
driver's browser sends ``move`` with a sequence number; a Lua script accepts
it only from the driving presenter session and only when its number is above
the stored one (an atomic compare-and-set), and the new state goes to the
deck's room. A socket gets the current state the moment it (re)connects.

Presenter sessions are named at sign-in (``session["presenter_id"]``). The
first one to connect drives; any other is a standby until it sends
``takeover``, and the sockets of the session it replaces are told. The seat
follows the person: each server process records which presenter sessions
have a socket (``Presence``), so a new sign-in takes the seat of a driver
with no socket left (a closed tab, a dead laptop) without asking, and any
presenter session takes the seat of a driver gone for ``DECK_SEAT_GRACE``.
"""

import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import threading
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

# Take the driver's seat when it is free, already ours, held by a session
# signed with another secret key (it can never come back), or held by a
# session with no socket left (KEYS[2], members "<id> <process>" scored by
# expiry) when this is a newer sign-in or the holder has been gone for the
# grace period; or always (force).
# KEYS: driver hash, presence zset. ARGV: presenter id, key fingerprint,
# now (ms), force, signed in at (ms), grace (ms), device.
# Returns the role, the previous driver to tell ('' for none) and, for a
# standby, the device that drives.
_CLAIM = """
local id = redis.call('HGET', KEYS[1], 'id')
local key = redis.call('HGET', KEYS[1], 'key')
local now = tonumber(ARGV[3])
if id == ARGV[1] and key == ARGV[2] then
  redis.call('HSET', KEYS[1], 'device', ARGV[7])
  redis.call('HDEL', KEYS[1], 'gone')
  return {'driver', '', ''}
end
local held = id and key == ARGV[2]
local free = not held
if held and ARGV[4] ~= '1' then
  local prefix = id .. ' '
  local here = false
  for _, member in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], now, '+inf')) do
    if string.sub(member, 1, #prefix) == prefix then here = true break end
  end
  if not here then
    local gone = tonumber(redis.call('HGET', KEYS[1], 'gone') or '0')
    local since = tonumber(redis.call('HGET', KEYS[1], 'since') or '0')
    free = tonumber(ARGV[5]) > since or now - gone >= tonumber(ARGV[6])
  end
end
if ARGV[4] == '1' or free then
  redis.call('HSET', KEYS[1], 'id', ARGV[1], 'key', ARGV[2], 'since', ARGV[3], 'device', ARGV[7])
  redis.call('HDEL', KEYS[1], 'gone')
  if held then return {'driver', id, ''} end
  return {'driver', '', ''}
end
return {'standby', '', redis.call('HGET', KEYS[1], 'device') or ''}
"""

# A presenter session's last socket on this process left: drop its presence
# entry, and when it drives and has no socket anywhere, note when it left.
# KEYS: presence zset, driver hash. ARGV: member, presenter id, now (ms).
_LEAVE = """
redis.call('ZREM', KEYS[1], ARGV[1])
if redis.call('HGET', KEYS[2], 'id') ~= ARGV[2] then return 0 end
local prefix = ARGV[2] .. ' '
for _, member in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[3], '+inf')) do
  if string.sub(member, 1, #prefix) == prefix then return 0 end
end
redis.call('HSET', KEYS[2], 'gone', ARGV[3])
return 1
"""

log = logging.getLogger(__name__)


class MoveError(ValueError):
    """A move the server refuses; the message says why."""


# --- the deck's shape, from the built site's deck.json -----------------------

_decks = {}


def deck_outline(site_dir):
    """``[(fragments, widgets, title), ...]`` per slide of the built deck, or None without deck.json.

    Read once per change of the file (its mtime), whoever asks.
    """
    path = Path(site_dir) / "deck.json"
    try:
        stamp = os.stat(path).st_mtime_ns
    except OSError:
        return None
    cached = _decks.get(str(path))
    if cached and cached[0] == stamp:
        return cached[1]
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        outline = [(int(s.get("fragments", 0)), tuple(s.get("widgets") or ()), str(s.get("title") or ""))
                   for s in data["slides"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        current_app.logger.warning("cannot read %s; deck moves are checked against caps only", path)
        return None
    _decks[str(path)] = (stamp, outline)
    return outline


def deck_shape(site_dir):
    """``[(fragments, widgets), ...]`` per slide of the built deck, or None without deck.json."""
    outline = deck_outline(site_dir)
    return None if outline is None else [(fragments, widgets) for fragments, widgets, _ in outline]


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


def claim(connection, presenter_id, fingerprint, force=False, deck=keys.DECK_ID, signed_in=0, grace=30.0,
          device="laptop"):
    """Take the driver's seat if free (or always, with ``force``).

    The seat is free when nobody holds it, when its holder was signed with
    another key, or when its holder has no socket and either this session
    signed in after the holder took the seat or the holder has been gone for
    ``grace`` seconds. Returns ``(role, previous, holder)``: role is driver
    or standby; previous is the presenter id that was driving and must be
    told, or None; holder is the driving device a standby waits for.
    """
    script = connection.register_script(_CLAIM)
    role, previous, holder = script(
        keys=[keys.DECK_DRIVER.format(deck), keys.DECK_PRESENCE.format(deck)],
        args=[presenter_id, fingerprint, int(time.time() * 1000), "1" if force else "0", int(signed_in),
              int(grace * 1000), device])
    return role.decode(), previous.decode() or None, holder.decode() or None


class Presence:
    """Which presenter sessions have a socket on this server process.

    Each session with a socket here has one entry in ``DECK_PRESENCE``,
    scored by when it expires; a background task renews them every third of
    ``ttl`` while there are any, so a crashed process's entries lapse. The
    audience is never recorded: this is a handful of entries per deployment.
    """

    def __init__(self, deck):
        self.key = keys.DECK_PRESENCE.format(deck)
        self.driver_key = keys.DECK_DRIVER.format(deck)
        self.process = secrets.token_hex(6)
        self.sockets = {}  # sid -> presenter id
        self.lock = threading.Lock()
        self.renewing = False

    def member(self, presenter_id):
        return f"{presenter_id} {self.process}"

    def arrive(self, connection, presenter_id, sid, ttl):
        """Record a presenter socket; starts the renewal while any are here."""
        with self.lock:
            self.sockets[sid] = presenter_id
            start = not self.renewing
            self.renewing = True
        connection.zadd(self.key, {self.member(presenter_id): _now_ms() + ttl * 1000})
        if start:
            socketio.start_background_task(self._renew, connection, ttl)

    def leave(self, connection, sid):
        """Forget a socket; the session's entry goes with its last socket here."""
        with self.lock:
            presenter_id = self.sockets.pop(sid, None)
            if presenter_id is None or presenter_id in self.sockets.values():
                return
        script = connection.register_script(_LEAVE)
        script(keys=[self.key, self.driver_key], args=[self.member(presenter_id), presenter_id, _now_ms()])

    def _renew(self, connection, ttl):
        while True:
            socketio.sleep(ttl / 3)
            with self.lock:
                here = set(self.sockets.values())
                if not here:
                    self.renewing = False
                    return
            try:
                expires = _now_ms() + ttl * 1000
                with connection.pipeline() as pipe:
                    pipe.zadd(self.key, {self.member(p): expires for p in here})
                    pipe.zremrangebyscore(self.key, "-inf", _now_ms())
                    pipe.execute()
            except redis.RedisError as exc:
                log.warning("cannot renew the presenter's presence: %s", exc)


def _now_ms():
    return int(time.time() * 1000)


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

    def __init__(self, namespace=None):
        super().__init__(namespace)
        self.presence = Presence(self.deck)

    def _room(self):
        return keys.DECK_ROOM.format(self.deck)

    def _fingerprint(self):
        return key_fingerprint(current_app.config["SECRET_KEY"])

    def _claim(self, connection, presenter_id, force=False):
        signed_in = session.get("signed_in")
        device = session.get("presenter_device")
        return claim(connection, presenter_id, self._fingerprint(), force=force, deck=self.deck,
                     signed_in=signed_in if isinstance(signed_in, int) else 0,
                     grace=current_app.config["DECK_SEAT_GRACE"],
                     device=device if device in ("phone", "laptop") else "laptop")

    def _tell(self, presenter_id, role, reason, holder=None):
        """Every socket of one presenter session learns its role."""
        socketio.emit(keys.DECK_DRIVER_EVENT, {"role": role, "reason": reason, "holder": holder},
                      to=keys.DECK_PRESENTER_ROOM.format(self.deck, presenter_id), namespace=self.namespace)

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
            holder = None
            if presenter_id:
                # The page knows best what it runs on (a touch screen the size of a phone).
                device = auth.get("device") if isinstance(auth, dict) else None
                if device in ("phone", "laptop"):
                    session["presenter_device"] = device  # this socket's copy of the session
                join_room(keys.DECK_PRESENTER_ROOM.format(self.deck, presenter_id))
                self.presence.arrive(connection, presenter_id, request.sid,
                                     current_app.config["DECK_PRESENCE_TTL"])
                role, previous, holder = self._claim(connection, presenter_id)
                reason = "you drive the deck" if role == "driver" else f"the {holder or 'other'} session drives"
                if previous and previous != presenter_id:
                    self._tell(previous, "standby", "another presenter session signed in and drives")
            elif is_presenter():
                role, reason = "standby", "this session is from before presenter ids: sign in again"
            else:
                role, reason = "audience", "following the presenter"
            emit(keys.DECK_DRIVER_EVENT, {"role": role, "reason": reason, "holder": holder})
            emit(keys.DECK_STATE_EVENT, read_state(connection, self.deck))
        except redis.RedisError as exc:
            current_app.logger.warning("deck connect without Redis: %s", exc)
            emit(keys.ERROR_EVENT, {"error": "Redis is unavailable: following resumes when it is back"})

    def on_disconnect(self, reason=None):
        """A presenter socket left: the seat may free up (see ``claim``)."""
        try:
            self.presence.leave(get_redis(), request.sid)
        except redis.RedisError as exc:
            current_app.logger.warning("deck disconnect without Redis: %s", exc)

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
        """Take the driver's seat; the session that had it is told.

        ``{"if_free": true}`` takes it only when it is free (see ``claim``):
        a standby's key press asks the person before taking a seat in use.
        """
        presenter_id = _presenter_id()
        if presenter_id is None:
            current_app.logger.warning("refused deck takeover from socket %s (%s)", request.sid, request.remote_addr)
            return _refuse("presenter only: sign in with the presenter link that serve printed")
        force = not (isinstance(data, dict) and data.get("if_free") is True)
        try:
            connection = get_redis()
            role, previous, holder = self._claim(connection, presenter_id, force=force)
            state = read_state(connection, self.deck)
        except redis.RedisError:
            return _refuse("Redis is unavailable")
        if role != "driver":
            return _refuse(f"the {holder or 'other'} session drives: take over to drive", role="standby",
                           holder=holder, state=state)
        if previous and previous != presenter_id:
            current_app.logger.info("presenter session %s… took the deck over from %s…", presenter_id[:4], previous[:4])
            self._tell(previous, "standby", "taken over by another presenter session")
        self._tell(presenter_id, "driver", "you took over: you drive the deck")
        return {"ok": True, "role": "driver", "state": state}
