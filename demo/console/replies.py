"""Replies as redis-cli prints them on a terminal (its ``cliFormatReplyTTY``).

``"fido"`` for a string (non-printable bytes as ``\\xHH``), ``(integer) 11``,
``(nil)``, ``(empty array)``, numbered lists with nested ones indented under
their number, ``(error) ...``, and a status reply (``OK``, ``PONG``, the
answer of ``TYPE``) as it is. RESP2 does not tell a status from a string, so
the caller says which commands answer with a status.

The output is text for the page, which shows it with ``textContent``.
"""

from redis.exceptions import ResponseError


class Status(bytes):
    """A status reply (``+OK``): printed without quotes."""


class Hidden:
    """A value the console does not show, only its size (QUEUE mode's job data)."""

    def __init__(self, size):
        self.size = size


def quote(value):
    """redis-cli's ``sdscatrepr``: a bulk string in double quotes, escaped."""
    out = ['"']
    for byte in value:
        ch = chr(byte)
        if ch in '\\"':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\a":
            out.append("\\a")
        elif ch == "\b":
            out.append("\\b")
        elif 0x20 <= byte <= 0x7E:
            out.append(ch)
        else:
            out.append(f"\\x{byte:02x}")
    out.append('"')
    return "".join(out)


def error_text(message):
    return f"(error) {message}"


def server_error(exc):
    """A Redis error reply's full text: redis-py keeps its code (ERR, WRONGTYPE...) apart."""
    code = getattr(exc, "status_code", None)
    return f"{code} {exc}" if code else str(exc)


def format_reply(reply, prefix=""):
    """The text redis-cli prints for ``reply`` (no trailing newline)."""
    return _format(reply, prefix).rstrip("\n")


def _format(reply, prefix):
    if isinstance(reply, ResponseError):
        return error_text(server_error(reply)) + "\n"
    if isinstance(reply, Hidden):
        return f"({reply.size} bytes, not shown)\n"
    if isinstance(reply, Status):
        return reply.decode("utf-8", "replace") + "\n"
    if reply is None:
        return "(nil)\n"
    if isinstance(reply, bool):
        return f"(integer) {int(reply)}\n"
    if isinstance(reply, int):
        return f"(integer) {reply}\n"
    if isinstance(reply, str):
        reply = reply.encode("utf-8")
    if isinstance(reply, (bytes, bytearray)):
        return quote(bytes(reply)) + "\n"
    if isinstance(reply, (list, tuple)):
        if not reply:
            return "(empty array)\n"
        width = len(str(len(reply)))
        nested = prefix + " " * (width + 2)
        out = []
        for i, item in enumerate(reply):
            out.append(f"{'' if i == 0 else prefix}{i + 1:>{width}}) ")
            out.append(_format(item, nested))
        return "".join(out)
    return quote(str(reply).encode("utf-8")) + "\n"
