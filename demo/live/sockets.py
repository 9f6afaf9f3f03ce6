"""Socket.IO namespaces. Handlers dispatch by name (``on_<event>``).

``/live`` is the dashboard: everyone may read; only the presenter's session
may act. A client says ``hello`` with the last event id it has (or none) and
gets either the events it missed (at most HELLO_REPLAY_MAX) or a fresh
snapshot, then the ack. One hello per connection is answered at a time:
those that arrive meanwhile wait, only the newest of them is answered next,
and each is acked after that answer.
Events are rate-limited per connection (``guard.GuardedNamespace``).
"""

import socket
import threading
import time

import redis
from flask import current_app, request
from flask_socketio import emit, join_room

from .. import keys
from . import actions, events, state
from .guard import GuardedNamespace
from ..db import get_redis
from ..talk.presenter import is_presenter

#: Largest payload a client may send (Socket.IO's own limit is set in create_app).
MAX_PAYLOAD_KEYS = 8


def _error(message, **extra):
    emit(keys.ERROR_EVENT, {"error": message, **extra})
    return {"ok": False, "error": message}


def no_delay(environ):
    """Send each message at once (TCP_NODELAY) on this client's connection.

    A push is several small writes in a row (a snapshot, a status, the ack);
    with Nagle's algorithm on, the second waits for the client to ACK the
    first, and a client delays its ACKs by up to 40 ms. Best effort: servers
    that hide the socket are left as they are.
    """
    stream = environ.get("wsgi.input")
    stream = getattr(stream, "rfile", stream)
    sock = getattr(getattr(stream, "raw", None), "_sock", None) or environ.get("werkzeug.socket")
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except (AttributeError, OSError):
        pass


def _queue_names():
    return current_app.config["QUEUE_NAMES"]


class _Hellos:
    """A connection's hellos: whether one is being answered, and the next answer's waiters."""

    KEY = "omq.hellos"  # in the connection's environ: gone with the connection

    def __init__(self):
        self.lock = threading.Lock()
        self.busy = False
        self.waiting = None  # the newest hello that came while one was being answered
        self.next = None  # the _Round its waiters wait on


class _Round:
    """One answer to come, for every hello merged into it; set once it is sent."""

    def __init__(self):
        self.done = threading.Event()
        self.ack = {"ok": False, "error": "the catch-up could not be sent; say hello again"}


#: Longest a merged hello waits for the answer that covers it (seconds).
MERGED_WAIT = 30


class LiveNamespace(GuardedNamespace):
    def on_connect(self, auth=None):
        no_delay(request.environ)
        join_room(keys.DASHBOARD_ROOM)

    def on_hello(self, data=None):
        """Send what the client misses: a replay after its id, or a snapshot.

        One hello per connection is answered at a time. One that comes
        meanwhile is merged: the newest of them is answered once the current
        answer is out, and each merged hello is acked after that answer (so
        a client's ack still comes after its catch-up). A flood of hellos
        costs one answer at a time per connection, never one each.
        """
        hellos = request.environ.setdefault(_Hellos.KEY, _Hellos())
        with hellos.lock:
            if hellos.busy:
                hellos.waiting = data if isinstance(data, dict) else {}
                hellos.next = hellos.next or _Round()
                merged = hellos.next
            else:
                hellos.busy, merged = True, None
        if merged is not None:
            merged.done.wait(MERGED_WAIT)
            return dict(merged.ack, merged=True)
        current = None
        try:
            ack = self._answer_hello(data)
            while True:
                with hellos.lock:
                    data, hellos.waiting = hellos.waiting, None
                    current, hellos.next = hellos.next, None
                    if current is None:
                        hellos.busy = False
                        return ack
                current.ack = self._answer_hello(data)
                current.done.set()
        except BaseException:
            with hellos.lock:  # the answer failed: free this connection's hellos, wake whoever waits
                pending, hellos.busy, hellos.waiting, hellos.next = hellos.next, False, None, None
            for round_ in (current, pending):
                if round_ is not None:
                    round_.done.set()
            raise

    def _answer_hello(self, data):
        data = data if isinstance(data, dict) else {}
        since = data.get("since")
        connection = get_redis()
        try:
            if since is not None and events.valid_id(since):
                missed = events.since(connection, since, limit=current_app.config["HELLO_REPLAY_MAX"])
                if missed is not None:
                    last = missed[-1]["id"] if missed else since
                    emit(keys.DELTA_EVENT, {
                        "prev": since, "last": last, "events": missed, "replay": True,
                        "counts": state.read_counts(connection, _queue_names()),
                        "workers": state.read_workers(connection), "sent": time.time(),
                    })
                    emit(keys.STATUS_EVENT, {"redis": True, "presenter": is_presenter()})
                    return {"ok": True, "mode": "replay", "count": len(missed)}
            limit = current_app.config["DASHBOARD_LANE_LIMIT"]
            emit(keys.SNAPSHOT_EVENT, state.snapshot(connection, _queue_names(), limit))
            emit(keys.STATUS_EVENT, {"redis": True, "presenter": is_presenter()})
            return {"ok": True, "mode": "snapshot"}
        except redis.RedisError as exc:
            emit(keys.STATUS_EVENT, {"redis": False, "reason": exc.__class__.__name__})
            return {"ok": False, "error": "Redis is unavailable"}

    def on_job(self, data=None):
        """Detail of one job for the side panel."""
        job_id = data.get("id") if isinstance(data, dict) else None
        if not isinstance(job_id, str) or not job_id:
            return _error("job: give {id: <job id>}")
        job_id = job_id[:101]  # longer than any job id: find_job says "no such job"
        try:
            detail = state.job_detail(get_redis(), job_id, reveal=is_presenter())
        except redis.RedisError:
            return _error("Redis is unavailable")
        except Exception:  # a job whose data cannot be read: still a clear answer
            current_app.logger.exception("job detail for %r failed", job_id)
            return _error(f"job {job_id!r} could not be read", id=job_id)
        if detail is None:
            return _error(f"no job with id {job_id!r}", id=job_id)
        return {"ok": True, "job": detail}

    def on_action(self, data=None):
        """A presenter action: requeue, cancel, delete, empty, pause, resume, scale, burst."""
        if not is_presenter():
            current_app.logger.warning("refused live action from audience socket %s", request.sid)
            return _error("presenter only: the audience view is read-only")
        if not isinstance(data, dict) or len(data) > MAX_PAYLOAD_KEYS:
            return _error("action: give {op, job | queue | count}")
        try:
            return actions.perform(get_redis(), data, _queue_names())
        except actions.ActionError as exc:
            return _error(str(exc))
        except redis.RedisError:
            return _error("Redis is unavailable")
        except Exception:
            current_app.logger.exception("live action %r failed", data.get("op"))
            return _error(f"action {str(data.get('op'))[:40]!r} failed; see the server log")
