"""What protects every request: same origin, response headers, bounded JSON, safe logs.

- **Same origin.** A browser sends ``Origin`` (and ``Sec-Fetch-Site``) with
  every POST and every WebSocket handshake. A state-changing request that
  another site's page made is refused with 403 before any view runs; the
  Socket.IO handshake uses the same test (``origin_allowed``, wired in
  ``demo.live.wiring``). Another port of the same host is another origin
  (though the same *site*, so cookies ride along: this check is what stops
  it). Clients that are not browsers (curl, tests) send no Origin and pass:
  they cannot ride on a visitor's cookies.
- **Headers** on every response: no MIME sniffing, no referrer outside this
  origin, framing by this origin only (the deck embeds its own pages).
- **JSON** from clients (request bodies and Socket.IO packets) is parsed by
  ``loads``: nesting and integer size are bounded, so a hostile body is a
  ValueError (a 400), never a RecursionError or an OverflowError (a 500).
- **Logs**: values a client controls are cut and made printable before they
  reach a log line (``printable``, ``SafeLogFilter``).
"""

import json
import logging
import re
from urllib.parse import urlsplit

from flask import abort, current_app, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.middleware.proxy_fix import ProxyFix

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

#: ``Sec-Fetch-Site`` values of a request this origin's own pages made (or a typed URL).
OWN_FETCH_SITES = ("same-origin", "none")

#: Headers every response carries. ``frame-ancestors 'self'``: only this
#: origin's pages may frame ours (the deck's widgets); X-Frame-Options says
#: the same to browsers without CSP.
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "frame-ancestors 'self'",
    "X-Frame-Options": "SAMEORIGIN",
}


# --- same origin ----------------------------------------------------------------


def _netloc(url):
    """``host:port`` of an http(s) URL, lowercased, default port dropped; None if not one."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname
    if ":" in host:
        host = f"[{host}]"
    if port is None or port == {"http": 80, "https": 443}[parts.scheme]:
        return host
    return f"{host}:{port}"


def _host_netloc(host, scheme="http"):
    return _netloc(f"{scheme}://{host}") if host else None


def origin_allowed(origin, host, public_url=None, scheme="http"):
    """Whether a browser's ``Origin`` is this server: its ``Host`` or the PUBLIC_URL.

    The host part is compared (``host:port``), not the scheme: behind a
    proxy that ends TLS the browser says https and the server sees http on
    the same forwarded ``Host``. ``null`` (a sandboxed frame, a file://
    page) and anything unparsable are refused.
    """
    if not isinstance(origin, str) or origin in ("", "null"):
        return False
    mine = _netloc(origin)
    if mine is None:
        return False
    ours = {_host_netloc(host, scheme), _host_netloc(host, "https" if scheme == "http" else "http")}
    if public_url:
        ours.add(_netloc(public_url))
    ours.discard(None)
    return mine in ours


def _same_origin():
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in OWN_FETCH_SITES:
        return False
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    return origin_allowed(origin, request.host, current_app.config.get("PUBLIC_URL"), request.scheme)


def socketio_origin_check(app):
    """``cors_allowed_origins`` for Engine.IO: a callable, so foreign origins are refused.

    python-engineio treats ``[]`` as "no check at all"; with a callable it
    refuses, on the polling and the WebSocket handshake alike, every
    request whose Origin the callable rejects (400 "Not an accepted origin").
    """

    def allowed(origin, environ):
        return origin_allowed(origin, environ.get("HTTP_HOST"), app.config.get("PUBLIC_URL"),
                              environ.get("wsgi.url_scheme", "http"))

    return allowed


# --- redirects --------------------------------------------------------------------

#: Longest ``next`` a sign-in link may carry.
MAX_NEXT = 2000


def local_path(target):
    """``target`` if it is a path on this server (``/deck/?presenter``), else None.

    Browsers forgive a lot in a Location header: they drop tabs and line
    breaks, read ``\\`` as ``/`` and ``//host`` as another host. So the
    target must be printable ASCII without spaces or backslashes, start with
    one ``/`` (not two), and name no scheme and no host.
    """
    if not isinstance(target, str) or not 1 <= len(target) <= MAX_NEXT:
        return None
    if not target.isascii() or not target.isprintable() or " " in target or "\\" in target:
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    try:
        parts = urlsplit(target)
    except ValueError:
        return None
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//"):
        return None
    return target


# --- bounded JSON ---------------------------------------------------------------

#: Deepest nesting of arrays and objects a client's JSON may have.
MAX_JSON_DEPTH = 32
#: Most digits an integer in a client's JSON may have (2**53 has 16).
MAX_INT_DIGITS = 20



def _problem(value, limit=MAX_JSON_DEPTH):
    """What is wrong with a parsed JSON ``value``, or None (walked without recursion).

    Arrays and objects may nest ``limit`` levels; text must be real Unicode
    (JSON's ``"\\udcff"`` escapes make lone surrogates, which no UTF-8
    encoder downstream, Redis's or a template's, accepts).
    """
    todo = [(value, 1)]
    while todo:
        item, depth = todo.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return "text with a lone surrogate (\\udXXX) is not Unicode"
        elif isinstance(item, (list, dict)):
            if depth > limit:
                return f"JSON nested too deeply: at most {limit} levels"
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            todo.extend((child, depth + 1) for child in children)
    return None


def _int(text):
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError(f"number too large: at most {MAX_INT_DIGITS} digits")
    return int(text)


def loads(text, **kwargs):
    """``json.loads`` for what clients send: ValueError when too deep or a number too large."""
    kwargs.setdefault("parse_int", _int)
    try:
        value = json.loads(text, **kwargs)
    except RecursionError:
        raise ValueError(f"JSON nested too deeply: at most {MAX_JSON_DEPTH} levels") from None
    problem = _problem(value)
    if problem:
        raise ValueError(problem)
    return value


class BoundedJSON:
    """The ``json`` module python-socketio decodes packets with (``loads`` bounded)."""

    loads = staticmethod(loads)
    dumps = staticmethod(json.dumps)


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, with request bodies parsed by the bounded ``loads``."""

    def loads(self, s, **kwargs):
        return loads(s, **kwargs)


# --- what the audience may see ----------------------------------------------------

#: The local part of an email address and its ``@`` (the domain stays: it says
#: where the mail went). Quotes are left out of the local part, so an address
#: quoted in a repr or an SMTP error keeps its quotes. The lookbehind keeps
#: the scan linear: a match can only start where a run of local-part
#: characters starts.
_LOCAL = r"[A-Za-z0-9.!#$%&*+/=?^_{|}~-]"
_ADDRESS = re.compile(rf"(?<!{_LOCAL}){_LOCAL}+@(?=[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")


#: What replaces a local part: an ellipsis, and a word joiner so that a line
#: never breaks between it and the ``@``.
MASK = "…\u2060"


def mask_addresses(text):
    """``text`` with every email address's local part hidden: ``…@example.com``."""
    return _ADDRESS.sub(MASK + "@", text) if isinstance(text, str) and "@" in text else text


def mask_deep(value):
    """``mask_addresses`` through lists and dicts (a job's result, its arguments)."""
    if isinstance(value, str):
        return mask_addresses(value)
    if isinstance(value, list):
        return [mask_deep(item) for item in value]
    if isinstance(value, dict):
        return {mask_deep(k): mask_deep(v) for k, v in value.items()}
    return value


# --- logs -------------------------------------------------------------------------

#: Longest value a log line shows of anything a client sent.
LOG_VALUE_MAX = 200
#: Longest log message (after its arguments are filled in).
LOG_MESSAGE_MAX = 2000


def printable(value, limit=LOG_VALUE_MAX):
    """``value`` as one printable line of at most ``limit`` characters (escapes, then cuts)."""
    text = value if isinstance(value, str) else str(value)
    if not text.isprintable():
        text = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class SafeLogFilter(logging.Filter):
    """Cut and escape a record's message; a Socket.IO handler error becomes one line.

    Attached to the loggers that see client input: the app's, python-engineio's
    and python-socketio's. A malformed packet there would otherwise log a
    whole traceback per packet: a flood of them would flood the log.
    """

    ONE_LINE = ("message handler error", "post request handler error")

    def filter(self, record):
        if isinstance(record.args, tuple):
            record.args = tuple(printable(a) if isinstance(a, str) else a for a in record.args)
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not fit its format
            message = f"{record.msg!r} {record.args!r}"
        if record.exc_info and record.exc_info[1] is not None and message in self.ONE_LINE:
            exc = record.exc_info[1]
            message = f"{message}: {type(exc).__name__}: {printable(exc)}"
            record.exc_info = record.exc_text = None
        record.msg, record.args = printable(message, LOG_MESSAGE_MAX), None
        return True


def _install_log_filter(app):
    for logger in (app.logger, logging.getLogger("engineio.server"), logging.getLogger("socketio.server")):
        if not any(isinstance(f, SafeLogFilter) for f in logger.filters):
            logger.addFilter(SafeLogFilter())


# --- wiring -----------------------------------------------------------------------


def init_app(app):
    app.json = BoundedJSONProvider(app)
    _install_log_filter(app)
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    if hops:  # behind nginx: the client's address (per-address limits) and scheme
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)

    @app.before_request
    def refuse_cross_site():
        if request.method in UNSAFE_METHODS and not _same_origin():
            abort(403, "cross-site request refused: submit from the demo's own pages")

    @app.after_request
    def security_headers(response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response
