"""Wires the live side into the app: Socket.IO, its namespaces, the watcher."""

from .. import keys, security
from ..db import make_client
from ..extensions import socketio
from ..talk.follow import DeckNamespace
from . import frames
from .guard import EngineIOGuard, bound_websocket_messages, limit_events
from .sockets import LiveNamespace
from .watcher import WATCHER_BLOCK, Watcher

#: Largest message a client may send over Socket.IO (bytes).
MAX_CLIENT_MESSAGE = 16 * 1024


def init_app(app):
    frames.install()  # a broadcast is compressed and framed once, not once per viewer
    socketio.init_app(
        app,
        message_queue=app.config.get("SOCKETIO_MESSAGE_QUEUE"),
        max_http_buffer_size=MAX_CLIENT_MESSAGE,
        # Same origin (or PUBLIC_URL) only, on the polling and the WebSocket
        # handshake: engineio's ``[]`` would turn the check off altogether.
        cors_allowed_origins=security.socketio_origin_check(app),
        json=security.BoundedJSON,
        async_mode=app.config.get("SOCKETIO_ASYNC_MODE"),
        ping_interval=10,
        ping_timeout=10,
    )
    app.wsgi_app = EngineIOGuard(app.wsgi_app, socketio.server, MAX_CLIENT_MESSAGE)
    bound_websocket_messages(socketio.server, MAX_CLIENT_MESSAGE)
    limit_events(socketio.server)
    socketio.on_namespace(LiveNamespace(keys.LIVE_NAMESPACE))
    socketio.on_namespace(DeckNamespace(keys.DECK_NAMESPACE))
    app.extensions["omq.watcher"] = None
    if app.config["START_WATCHER"]:
        if app.config.get("SOCKETIO_MESSAGE_QUEUE"):
            _listen_to_message_queue(socketio.server)
        start_watcher(app)


def _listen_to_message_queue(server):
    """Subscribe to the message queue now rather than at the first connection.

    python-socketio subscribes when its first client connects; what other
    processes publish before then would never reach this process's clients.
    """
    if not server.manager_initialized:
        server.manager_initialized = True
        server.manager.initialize()


def start_watcher(app):
    """Start this process's watcher (joined to others by a message queue, it
    only works while it holds the lock)."""
    if app.extensions.get("omq.watcher") is None:
        watcher = Watcher(
            socketio,
            # Its own client: the blocking XREAD must not hold a request's
            # connection. A frozen Redis times its reads out, which the
            # watcher tells every viewer ("Redis unavailable").
            make_client(app.config["REDIS_URL"],
                        socket_timeout=WATCHER_BLOCK + app.config["REDIS_SOCKET_TIMEOUT"],
                        socket_connect_timeout=app.config["REDIS_SOCKET_TIMEOUT"]),
            app.config["QUEUE_NAMES"],
            lane_limit=app.config["DASHBOARD_LANE_LIMIT"],
            delta_interval=app.config["DELTA_INTERVAL"],
            reconcile_interval=app.config["RECONCILE_INTERVAL"],
            shared=bool(app.config.get("SOCKETIO_MESSAGE_QUEUE")),
        )
        app.extensions["omq.watcher"] = watcher.start()
    return app.extensions["omq.watcher"]
