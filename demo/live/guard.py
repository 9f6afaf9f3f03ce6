"""Guards in front of the Socket.IO server: the transport and the events.

``EngineIOGuard`` is WSGI middleware in front of python-engineio. Before a
request reaches it: JSONP polling is refused (a ``<script>`` on another
site could read it), a request another site made is refused
(``Sec-Fetch-Site``; the Origin check itself is engineio's, see
``demo.security.socketio_origin_check``), and a polling POST must say its
length, stay within the message limit and hold Engine.IO packets a client
may send. engineio answers those last cases itself by closing the session
with ``Server.disconnect``, which waits until the session's queue is drained
by a GET that a polling client never sends once it has been told to close:
the POST never got an answer. Here it gets a 4xx at once, and the session
is closed without waiting.

``GuardedNamespace`` is the base of both namespaces: each Socket.IO
connection gets a token bucket (``SOCKET_EVENT_RATE`` events a second, bursts
of ``SOCKET_EVENT_BURST``, ten times that for the presenter), spent as each
packet is read (``limit_events``), before a thread is started for it; events over it
are answered "slow down" without running their handler, and a connection
that keeps sending past it (``SOCKET_FLOOD_STRIKES``) is disconnected and
may not join a namespace again.
"""

import io
import logging
import threading
import time
from urllib.parse import parse_qs

from flask_socketio import Namespace
from socketio.packet import ACK

from ..security import HEADERS, OWN_FETCH_SITES, printable
from ..talk.presenter import is_presenter

log = logging.getLogger("demo.live.guard")

#: Engine.IO packet types a client may send in a polling POST: close, pong,
#: message, upgrade, and ``b`` (a base64 binary message).
CLIENT_PACKETS = frozenset("1345b")

#: How many times a presenter's connection may exceed an audience member's rate.
PRESENTER_FACTOR = 10

#: Keys this module keeps in a connection's WSGI environ (one per Engine.IO
#: connection, shared by its namespaces, gone with it: nothing to clean up).
BUCKET, FLOODED = "omq.bucket", "omq.flooded"


# --- the transport --------------------------------------------------------------


class EngineIOGuard:
    """WSGI middleware: what engineio would mishandle never reaches it."""

    def __init__(self, app, server, max_message, path="/socket.io"):
        self.app = app
        self.server = server  # python-socketio's Server; its engineio server is ``server.eio``
        self.max_message = max_message
        self.path = path.rstrip("/")

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO") or ""
        if path != self.path and not path.startswith(self.path + "/"):
            return self.app(environ, start_response)

        def with_headers(status, headers, exc_info=None):
            present = {name.lower() for name, _ in headers}
            headers = list(headers) + [(k, v) for k, v in HEADERS.items() if k.lower() not in present]
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        query = parse_qs(environ.get("QUERY_STRING", ""))
        if "j" in query:
            return _refuse(with_headers, 400, "JSONP polling is off: use the Socket.IO client the pages load")
        site = environ.get("HTTP_SEC_FETCH_SITE")
        if site is not None and site not in OWN_FETCH_SITES:
            return _refuse(with_headers, 403, "cross-site Socket.IO refused: connect from the demo's own pages")
        if environ.get("REQUEST_METHOD") == "POST":
            problem = self._check_post(environ, query)
            if problem is not None:
                status, message = problem
                self._close_session(query)
                return _refuse(with_headers, status, message, close=True)
        return self.app(environ, with_headers)

    def _check_post(self, environ, query):
        """``(status, message)`` when a polling POST is refused; else None (the body is re-readable)."""
        length = environ.get("CONTENT_LENGTH") or ""
        if not length.isdigit():
            return 411, "send the message with a Content-Length"
        if int(length) > self.max_message:
            return 413, f"message too large: at most {self.max_message} bytes"
        body = environ["wsgi.input"].read(int(length))
        environ["wsgi.input"] = io.BytesIO(body)
        try:
            packets = body.decode("utf-8").split("\x1e")
        except UnicodeDecodeError:
            return 400, "the message is not UTF-8"
        if "sid" in query and not all(p and p[0] in CLIENT_PACKETS for p in packets):
            return 400, "not an Engine.IO packet a client may send"
        return None

    def _close_session(self, query):
        """Close the POST's Engine.IO session without waiting for its queue to drain."""
        sid = query.get("sid", [None])[0]
        socket = self.server.eio.sockets.get(sid) if sid else None
        if socket is not None and not socket.closed:
            socket.close(wait=False, reason=self.server.eio.reason.TRANSPORT_ERROR)


def bound_websocket_messages(server, max_message):
    """Make the WebSocket transport refuse a message over ``max_message`` bytes as it arrives.

    engineio checks a WebSocket message's size only once simple-websocket has
    buffered all of it (a 50 MB message took 100 MB); simple-websocket can
    stop at the limit (closing with 1009, "message too big"), but engineio
    passes it no limit and has no option for one. This wraps the server's
    WebSocket factory to pass one.
    """
    eio = server.eio
    make = eio._async.get("websocket")
    if make is None or getattr(make, "omq_bounded", False):
        return

    def bounded(handler, engineio_server):
        websocket = make(handler, engineio_server)
        if isinstance(getattr(websocket, "server_args", None), dict):
            websocket.server_args["max_message_size"] = max_message
        return websocket

    bounded.omq_bounded = True
    eio._async = dict(eio._async, websocket=bounded)  # this server only; the driver module is untouched


def _refuse(start_response, status, message, close=False):
    reasons = {400: "BAD REQUEST", 403: "FORBIDDEN", 411: "LENGTH REQUIRED", 413: "CONTENT TOO LARGE"}
    body = message.encode()
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
    if close:  # the body may be unread: this connection cannot carry another request
        headers.append(("Connection", "close"))
    start_response(f"{status} {reasons[status]}", headers)
    return [body]


# --- the events -------------------------------------------------------------------


class TokenBucket:
    """``rate`` tokens a second up to ``burst``; ``take()`` spends one if there is one."""

    def __init__(self, rate, burst):
        self.rate, self.burst = float(rate), float(burst)
        self.tokens, self.stamp = float(burst), time.monotonic()
        self.lock = threading.Lock()

    def take(self):
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.tokens >= 1:
                self.tokens -= 1
                return True
            return False

    def wait(self):
        """Seconds until the next token."""
        return max(0.0, (1 - self.tokens) / self.rate)


class ConnectionLimit:
    """A connection's budget: events, and strikes for events refused (one forgiven a second)."""

    def __init__(self, rate, burst, strikes):
        self.events = TokenBucket(rate, burst)
        self.strikes = TokenBucket(1, strikes)
        self.refused = 0


class GuardedNamespace(Namespace):
    """A namespace whose events are rate-limited per connection (see the module's doc).

    The token is taken by ``admit``, which ``limit_events`` calls in the
    connection's reader, before python-socketio starts a thread for the
    event: a flood costs a counter per packet, not a thread.
    """

    def trigger_event(self, event, *args):
        if event == "connect":
            environ = args[1]
            if environ.get(FLOODED):
                return False  # refused: this connection flooded; a new one starts afresh
            self._limit(environ)
        return super().trigger_event(event, *args)

    def admit(self, sid, environ):
        """None when the event may run; else the ack to answer it with (``DROP``: no answer)."""
        if environ.get(FLOODED):
            return DROP  # cut off: what it still sends is dropped unread
        limit = self._limit(environ)
        if limit.events.take():
            return None
        limit.refused += 1
        if not limit.strikes.take():
            return FLOOD_ACK
        wait = limit.events.wait()
        return {"ok": False, "error": f"too many messages: slow down (try again in {wait:.1f} s)",
                "retry_after": round(wait, 1)}

    def _limit(self, environ):
        limit = environ.get(BUCKET)
        if limit is None:
            app = environ["flask.app"]
            with app.request_context(environ):
                factor = PRESENTER_FACTOR if is_presenter() else 1
            config = app.config
            limit = environ.setdefault(BUCKET, ConnectionLimit(config["SOCKET_EVENT_RATE"] * factor,
                                                               config["SOCKET_EVENT_BURST"] * factor,
                                                               config["SOCKET_FLOOD_STRIKES"]))
        return limit

    def flooded(self, sid, environ):
        """Disconnect a connection that keeps flooding: its namespace, then its transport."""
        if environ.get(FLOODED):
            return
        environ[FLOODED] = True
        server = self.socketio.server
        log.warning("disconnected socket %s from %s: %d events over its limit",
                    sid, printable(environ.get("REMOTE_ADDR", "?")), environ[BUCKET].refused)
        eio_sid = server.manager.eio_sid_from_sid(sid, self.namespace)
        server.disconnect(sid, namespace=self.namespace)
        socket = server.eio.sockets.get(eio_sid) if eio_sid else None
        if socket is not None and not socket.closed:
            socket.close(wait=False, reason=server.eio.reason.SERVER_DISCONNECT)


#: ``admit``'s answers that are not a "slow down": drop unanswered; answer, then disconnect.
DROP = object()
FLOOD_ACK = {"ok": False, "error": "too many messages: this connection is closed"}


def limit_events(server):
    """Run ``GuardedNamespace.admit`` on each event as it is read, before a thread is started for it.

    python-socketio reads a connection's packets in one loop and starts a
    thread per event (``async_handlers``); a limit checked in that thread
    comes after the thread: 2000 packets were 2000 threads before the first
    was refused. This wraps the server's ``_handle_event`` (the step between
    the two) so a refused event is answered, or dropped, in the loop itself.
    """
    handle = server._handle_event
    if getattr(handle, "omq_limited", False):
        return

    def limited(eio_sid, namespace, id, data):
        handler = server.namespace_handlers.get(namespace or "/")
        environ = server.environ.get(eio_sid)
        sid = server.manager.sid_from_eio_sid(eio_sid, namespace or "/")
        if not isinstance(handler, GuardedNamespace) or environ is None or sid is None:
            return handle(eio_sid, namespace, id, data)
        answer = handler.admit(sid, environ)
        if answer is None:
            return handle(eio_sid, namespace, id, data)
        if answer is not DROP and id is not None:
            server._send_packet(eio_sid, server.packet_class(ACK, namespace=namespace, id=id, data=[answer]))
        if answer is FLOOD_ACK:
            handler.flooded(sid, environ)
        return None

    limited.omq_limited = True
    server._handle_event = limited  # this server only
