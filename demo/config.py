"""Configuration defaults, each overridable from the environment.

``create_app(config)`` starts from ``DEFAULTS``, applies the environment
variables of the same name, then the mapping it was given (tests pass one).
"""

import os
import secrets

DEFAULTS = {
    # Where Redis lives. ``serve`` fills it in with its embedded server when unset.
    "REDIS_URL": None,
    # Connections the server's pool may open, and seconds a request waits for
    # a free one before it gets "Redis is unavailable".
    "REDIS_MAX_CONNECTIONS": 50,
    "REDIS_POOL_WAIT": 10.0,
    # Seconds one Redis command of the web tier may take (and to connect):
    # a frozen Redis fails a request with "Redis is unavailable" instead of
    # hanging it. Every command it sends takes milliseconds.
    "REDIS_SOCKET_TIMEOUT": 2.0,
    # Seconds /healthz gives Redis per command (its own small pool, so a busy
    # or frozen main pool cannot hold it up): it answers within 2 s.
    "REDIS_HEALTH_TIMEOUT": 0.75,
    # Signs the presenter's session cookie. ``serve`` keeps one in
    # instance/secret-key so a restart keeps the presenter signed in; without
    # serve, a random one per start (the presenter signs in again).
    "SECRET_KEY": None,
    # The token the presenter trades for a signed session, printed at start;
    # ``serve`` keeps it in instance/presenter-token (``--new-token`` replaces both).
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
    # --- live demos (demo/demos/); checked when the app starts --------------
    # Seconds the blocking demo's proxy waits for gunicorn before answering
    # 504, wait included: the 30 s of the story (Heroku's router); ``serve
    # --talk`` sets less (TALK_PROFILE).
    "DEMO_REQUEST_TIMEOUT": 30,
    # Requests that may wait in gunicorn's backlog behind its busy workers;
    # more get 503 at once, so a room of clicks cannot pile up without end.
    "DEMO_INLINE_MAX_WAITING": 30,
    # The blocking demo's gunicorn (``serve`` starts it and sets its URL).
    "DEMO_GUNICORN_URL": None,
    # gunicorn's worker ``timeout`` for that demo: None keeps the one in the
    # slides' gunicorn.conf.py (30 s); ``serve --talk`` sets less.
    "DEMO_GUNICORN_TIMEOUT": None,
    # Longest slow task the blocking demo runs (seconds).
    "DEMO_TASK_MAX_SECONDS": 60,
    # Longest "make me wait" an audience member may ask for (seconds).
    "DEMO_WAIT_MAX": 30,
    # Largest snippet the highlighter takes (bytes of UTF-8).
    "DEMO_SNIPPET_MAX": 4096,
    # Per visitor: at most this many submissions per DEMO_RATE_WINDOW seconds.
    "DEMO_RATE_LIMIT": 10,
    "DEMO_RATE_WINDOW": 60,
    # Per IP address (phones behind one venue NAT share it): a looser ceiling.
    "DEMO_RATE_LIMIT_PER_IP": 120,
    # Audience jobs that may be open (queued, scheduled or running) at once.
    "DEMO_AUDIENCE_CAP": 50,
    # Retries demo: seconds before each retry (rq's Retry interval list).
    "DEMO_RETRY_INTERVALS": "2,4,8",
    # Furthest ahead a job may be scheduled (seconds).
    "DEMO_SCHEDULE_MAX": 3600,
    # Seconds between two runs of the recurring tick job (rq's cron scheduler).
    "DEMO_TICK_INTERVAL": 10,
    # Recipient domains anyone may mail; only the presenter mails elsewhere,
    # so a real relay in SMTP_URL never becomes an open relay.
    "DEMO_MAIL_OPEN_DOMAINS": "example.com,example.org,example.net",
    # Sender of the welcome email.
    "DEMO_MAIL_FROM": "Oh My Queue <hello@ohmyqueue.example>",
    # Largest batch of a processes-vs-threads run.
    "DEMO_BENCH_MAX": 1000,
    # Set by ``serve`` when it runs the embedded SMTP sink (SMTP_URL is its
    # address); otherwise SMTP_URL names a relay and the mailbox stays empty.
    "DEMO_SMTP_SINK": False,
    # --- following the talk (demo/follow.py) ---------------------------------
    # The built deck served at /deck/ (default: site/ in the project).
    "SITE_DIR": None,
    # Base URL the audience types or scans (/join): None uses the request's
    # host; ``serve --host 0.0.0.0`` sets the machine's LAN address.
    "PUBLIC_URL": None,
    # --- security (demo/security.py, demo/live/guard.py) ---------------------
    # Socket.IO events one connection may send per second, and in a burst; a
    # page sends a few (hello, a job's detail); the presenter gets ten times
    # as many (holding an arrow key sends ~30 moves a second).
    "SOCKET_EVENT_RATE": 5,
    "SOCKET_EVENT_BURST": 20,
    # Events over the limit a connection may send (one forgiven per second)
    # before it is disconnected as a flood.
    "SOCKET_FLOOD_STRIKES": 50,
    # Most events a reconnecting dashboard gets replayed; further behind, a
    # snapshot (about as large as 500 events) is sent instead.
    "HELLO_REPLAY_MAX": 500,
    # Fair shares of DEMO_AUDIENCE_CAP: the most open jobs one visitor (cookie)
    # and one IP address may hold, as fractions of the cap (at least 1 job).
    # A fresh cookie per request still meets the address's share; an address
    # gets more than a visitor so that a few phones on one hotspot fit. When
    # the whole room reaches the server through one NAT address (a server on
    # the internet), raise DEMO_SHARE_ADDRESS to 1.
    "DEMO_SHARE_VISITOR": 0.1,
    "DEMO_SHARE_ADDRESS": 0.2,
    # Furthest ahead the audience may schedule a job (seconds): it holds a
    # place under the cap until it runs. The presenter has DEMO_SCHEDULE_MAX.
    "DEMO_AUDIENCE_SCHEDULE_MAX": 300,
    # Reverse proxies in front of the server whose X-Forwarded-For and
    # -Proto are trusted (0: none; nginx in front: 1). Per-address limits
    # need the client's address, not the proxy's.
    "TRUSTED_PROXIES": 0,
    # --- the Redis console (demo/console/) -----------------------------------
    # The sandbox redis-server visitors' commands run on, with its admin
    # password in the URL. ``serve`` starts one; without it the console says so.
    "CONSOLE_SANDBOX_URL": None,
    # The sandbox's memory ceiling (noeviction: past it writes fail, clearly,
    # and nothing a visitor stored vanishes). 1000 visitors at their quota fit.
    "CONSOLE_SANDBOX_MAXMEMORY": "96mb",
    # Per visitor: at most this many keys, using at most this many bytes (as
    # MEMORY USAGE counts them), so one phone cannot fill the sandbox.
    "CONSOLE_KEYS_MAX": 50,
    "CONSOLE_BYTES_MAX": 65536,
    # Longest command line (bytes of UTF-8) and longest key name a visitor may type.
    "CONSOLE_LINE_MAX": 1024,
    "CONSOLE_KEY_MAX": 200,
    # A visitor's keys and ACL user go after this many seconds without a command.
    "CONSOLE_IDLE_SECONDS": 3600,
    # Per visitor: at most CONSOLE_RATE_LIMIT commands per CONSOLE_RATE_WINDOW
    # seconds (a person types one every few seconds; tap-to-run is faster), and
    # a looser ceiling per address (phones at a venue share one).
    "CONSOLE_RATE_LIMIT": 30,
    "CONSOLE_RATE_WINDOW": 10,
    "CONSOLE_RATE_LIMIT_PER_IP": 600,
    # Seconds between two sweeps of idle visitors (one process per deployment does it).
    "CONSOLE_SWEEP_INTERVAL": 60,
    # QUEUE mode: most keys KEYS lists and most items LRANGE or ZRANGE return,
    # so a look at a long queue stays a small read of the real Redis.
    "CONSOLE_QUEUE_ITEMS_MAX": 100,
    # --- the presenter and the phone remote (issue 10, demo/talk/) ---------------
    # Seconds a driver may be away (no socket: a locked phone, a reload) before
    # any presenter session may take the seat without asking; a new sign-in
    # takes it at once when the driver has no socket.
    "DECK_SEAT_GRACE": 30.0,
    # Seconds a server process's presenter sockets count without it renewing
    # them, so those of a crashed process stop holding the seat.
    "DECK_PRESENCE_TTL": 30.0,
    # Seconds the phone remote's QR code stays valid (it works once): long
    # enough to find the phone, short enough that a photo of the screen is useless.
    "DEMO_REMOTE_CODE_TTL": 120,
}

#: Settings that are secrets: only the web tier's processes get them.
SECRETS = ("SECRET_KEY", "DEMO_PRESENTER_TOKEN")


#: Secrets only the web tier needs: the above, and the Redis console sandbox's URL with its admin password.
WEB_SECRETS = SECRETS + ("CONSOLE_SANDBOX_URL",)


def environment_without_secrets(environ=None):
    """A copy of the environment for a process that needs none of ``WEB_SECRETS`` (workers, cron, Redis)."""
    environ = os.environ if environ is None else environ
    return {k: v for k, v in environ.items() if k not in WEB_SECRETS}


def shared_secrets_missing(environ=None):
    """Several web processes (a message queue joins them) must sign and check the
    presenter's session with the same secrets; what to do when they are not given."""
    environ = os.environ if environ is None else environ
    if environ.get("SOCKETIO_MESSAGE_QUEUE") and not all(environ.get(name) for name in SECRETS):
        return ("with SOCKETIO_MESSAGE_QUEUE (several web processes) set SECRET_KEY and DEMO_PRESENTER_TOKEN "
                "to the same values for every process: the presenter's session must hold on all")
    return None


#: ``serve --talk``: what the talk needs on stage, over the defaults (the
#: environment still wins). Nobody wants 30 s of dead air to show a timeout:
#: gunicorn kills a worker after 8 s and the proxy gives up after 10 s, the
#: numbers the "See it block" slide states.
TALK_PROFILE = {"DEMO_GUNICORN_TIMEOUT": 8, "DEMO_REQUEST_TIMEOUT": 10}

_NUMERIC = {"REDIS_MAX_CONNECTIONS": int, "REDIS_POOL_WAIT": float, "DASHBOARD_LANE_LIMIT": int,
            "RECONCILE_INTERVAL": float, "DELTA_INTERVAL": float,
            "REDIS_SOCKET_TIMEOUT": float, "REDIS_HEALTH_TIMEOUT": float,
            "SOCKET_EVENT_RATE": float, "SOCKET_EVENT_BURST": int, "SOCKET_FLOOD_STRIKES": int,
            "HELLO_REPLAY_MAX": int, "TRUSTED_PROXIES": int}
_BOOLEAN = {"START_WATCHER", "DEMO_SMTP_SINK"}
# issue 10: the presenter's seat and the phone remote
_NUMERIC.update(DECK_SEAT_GRACE=float, DECK_PRESENCE_TTL=float, DEMO_REMOTE_CODE_TTL=int)
# the web tier learns the talk profile from serve through its environment
_NUMERIC.update(DEMO_GUNICORN_TIMEOUT=float)


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


def queue_names(config):
    """DEMO_QUEUES as a list of names, in order."""
    return [q.strip() for q in config["DEMO_QUEUES"].split(",") if q.strip()]


def check_numbers(config, table):
    """Coerce ``table``'s settings (``name -> (type, lowest, highest)``) in ``config``; ValueError, said plainly."""
    for name, (kind, low, high) in table.items():
        try:
            value = kind(config[name])
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a number, not {config[name]!r}") from None
        if not low <= value <= high:
            raise ValueError(f"{name} must be from {low} to {high}, not {value}")
        config[name] = value


def fill_secrets(config):
    """Generate the secret key and presenter token when none was configured."""
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = secrets.token_hex(32)
    if not config.get("DEMO_PRESENTER_TOKEN"):
        config["DEMO_PRESENTER_TOKEN"] = secrets.token_urlsafe(18)
    return config
