"""The Redis console: a sandboxed redis-cli in the browser, and a window on the real queue.

``/demo/redis`` (embeddable as ``::widget redis``) is a terminal. Modules:
``parse`` (a line split as redis-cli splits it, and checked), ``commands``
(what may run, per mode, with HELP), ``replies`` (redis-cli's formatting),
``wire`` (raw round trips), ``sandbox`` (the visitors' redis-server: an ACL
user and key space per visitor, quotas, idle sweep), ``queue`` (QUEUE mode:
a read-only ACL user on the queue's Redis), ``tutorial`` (the lesson's
exercise, step by step), ``service`` (one line in, the answer out),
``mirror`` (the presenter's console pushed to every screen), ``sockets``
(the ``/console`` namespace), ``server`` (the sandbox ``serve`` supervises).
"""

from flask import Blueprint

bp = Blueprint("console", __name__, url_prefix="/demo")

#: Numeric settings: name -> (type, lowest allowed, highest allowed).
NUMERIC = {
    "CONSOLE_KEYS_MAX": (int, 1, 10_000),
    "CONSOLE_BYTES_MAX": (int, 1024, 64 * 1024 * 1024),
    "CONSOLE_LINE_MAX": (int, 64, 16 * 1024),
    "CONSOLE_KEY_MAX": (int, 8, 4096),
    "CONSOLE_IDLE_SECONDS": (int, 1, 7 * 86_400),
    "CONSOLE_RATE_LIMIT": (int, 1, 10_000_000),
    "CONSOLE_RATE_WINDOW": (int, 1, 3600),
    "CONSOLE_RATE_LIMIT_PER_IP": (int, 1, 10_000_000),
    "CONSOLE_SWEEP_INTERVAL": (float, 0, 86_400),
    "CONSOLE_QUEUE_ITEMS_MAX": (int, 1, 1000),
}


def init_app(app):
    """Check the settings, make the app's console, serve its page and its namespace."""
    from .. import keys
    from ..config import check_numbers
    from ..extensions import socketio
    from .service import Console
    from .sockets import ConsoleNamespace

    check_numbers(app.config, NUMERIC)
    app.extensions["omq.console"] = Console(app.config, app.extensions["omq.redis"])
    socketio.on_namespace(ConsoleNamespace(keys.CONSOLE_NAMESPACE))
    app.register_blueprint(bp)


from . import views  # noqa: E402,F401
