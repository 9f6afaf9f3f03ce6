"""Configuration defaults, each overridable from the environment.

``create_app(config)`` starts from ``DEFAULTS``, applies the environment
variables of the same name, then the mapping it was given (tests pass one).
"""

import os
import secrets

DEFAULTS = {
    # Where Redis lives. ``serve`` fills it in with its embedded server when unset.
    "REDIS_URL": None,
    # Signs the presenter's session cookie. A random one per start is safe:
    # the presenter signs in again after a restart.
    "SECRET_KEY": None,
    # The token the presenter trades for a signed session. Printed at start.
    "DEMO_PRESENTER_TOKEN": None,
    # Socket.IO message queue joining several server processes (a Redis URL).
    "SOCKETIO_MESSAGE_QUEUE": None,
    # Queues the demo uses and the dashboard shows, in order.
    "DEMO_QUEUES": "default,high,low",
    # Newest cards per lane the dashboard shows (counts are always exact).
    "DASHBOARD_LANE_LIMIT": 25,
    # Seconds between reconciliation passes (counts and plain rq workers).
    "RECONCILE_INTERVAL": 2.0,
    # Minimum seconds between two delta messages to a client (<= 20 per second).
    "DELTA_INTERVAL": 0.05,
    # Whether this process runs the watcher (``serve`` does; plain tests start it).
    "START_WATCHER": True,
    # SMTP server that email jobs send to (``serve`` runs one on loopback).
    "SMTP_URL": None,
    # Flask-SocketIO's async mode: ``serve`` uses gevent; tests and
    # ``flask --app demo run`` use threads.
    "SOCKETIO_ASYNC_MODE": "threading",
    # --- issue 5: presenter drives, audience follows (demo/follow.py) -------
    # The built deck served at /deck/ (default: site/ in the project).
    "SITE_DIR": None,
    # Base URL the audience types or scans (/join): None uses the request's
    # host; ``serve --host 0.0.0.0`` sets the machine's LAN address.
    "PUBLIC_URL": None,
}

_NUMERIC = {"DASHBOARD_LANE_LIMIT": int, "RECONCILE_INTERVAL": float, "DELTA_INTERVAL": float}
_BOOLEAN = {"START_WATCHER"}


def from_env(environ=None):
    """Return DEFAULTS updated with any environment variable of the same name."""
    environ = os.environ if environ is None else environ
    config = dict(DEFAULTS)
    for name in DEFAULTS:
        if name not in environ:
            continue
        value = environ[name]
        if name in _NUMERIC:
            value = _NUMERIC[name](value)
        elif name in _BOOLEAN:
            value = value.lower() not in ("0", "false", "no", "")
        config[name] = value
    return config


def fill_secrets(config):
    """Generate the secret key and presenter token when none was configured."""
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = secrets.token_hex(32)
    if not config.get("DEMO_PRESENTER_TOKEN"):
        config["DEMO_PRESENTER_TOKEN"] = secrets.token_urlsafe(18)
    return config
