"""Secrets ``serve`` keeps under ``instance/`` between starts (mode 0600).

The presenter token, the session-signing key and the embedded Redis password
are made once and read back on the next start, so a restart changes nothing
anyone holds (open tabs stay signed in, printed links stay valid). A file is
written to a temporary name with mode 0600 and renamed into place, so it is
never readable by others, not even for a moment, and never half written.
"""

import os
import secrets
import tempfile
from pathlib import Path


def token(nbytes=32):
    """A new URL-safe random secret."""
    return secrets.token_urlsafe(nbytes)


def load_or_create(path, make=token, rotate=False):
    """The secret stored at ``path``, or a new one from ``make()`` stored there.

    ``rotate=True`` replaces a stored secret with a new one. A file that
    others may read is tightened to 0600 before it is trusted.
    """
    path = Path(path)
    if not rotate:
        try:
            value = path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            value = ""
        if value:
            if path.stat().st_mode & 0o077:
                os.chmod(path, 0o600)
            return value
    value = make()
    write(path, value)
    return value


def write(path, value):
    """Write ``value`` to ``path`` atomically with mode 0600."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mkstemp makes it 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(value + "\n")
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
