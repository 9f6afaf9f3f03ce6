"""The presenter's console on every screen: a stream of entries, pushed and replayable.

Each command the presenter runs becomes an entry (the line, the mode, the
output) in ``keys.CONSOLE_TRANSCRIPT`` and is pushed to the console room on
``/console`` at once, through Flask-SocketIO (and its message queue, when
several server processes share one). An entry carries the id of the one
before it, so a page that sees a gap, or reconnects, asks ``hello {since}``
and gets exactly what it missed, or the latest entries when it fell further
behind than the stream keeps.
"""

import json
import time

from .. import keys
from ..extensions import socketio

#: Entries a page gets when it knows none (or fell behind what the stream keeps).
LATEST = 50

# Append an entry with the id of the previous one, atomically (two presenter
# tabs may run commands at the same moment). KEYS: stream. ARGV: maxlen, entry JSON.
_APPEND = """
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local prev = ''
if last[1] then prev = last[1][1] end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'prev', prev, 'entry', ARGV[2])
return {id, prev}
"""


def _entry(entry_id, fields):
    data = json.loads(fields[b"entry"])
    data.update(id=entry_id.decode(), prev=fields.get(b"prev", b"").decode())
    return data


def append(connection, line, prompt, mode, output, clear=False):
    """Store one presenter entry and push it to every console page; the entry.

    ``prompt`` is the one the line was typed at, ``mode`` the one after it.
    """
    payload = {"line": line, "prompt": prompt, "mode": mode, "output": output, "clear": clear, "at": time.time()}
    entry_id, prev = connection.eval(_APPEND, 1, keys.CONSOLE_TRANSCRIPT, keys.CONSOLE_TRANSCRIPT_MAXLEN,
                                     json.dumps(payload))
    entry = dict(payload, id=entry_id.decode(), prev=prev.decode())
    socketio.emit(keys.CONSOLE_ENTRY_EVENT, entry, namespace=keys.CONSOLE_NAMESPACE, to=keys.CONSOLE_ROOM)
    return entry


def valid_id(value):
    if not isinstance(value, str) or len(value) > 40:
        return False
    ms, _, seq = value.partition("-")
    return ms.isdigit() and seq.isdigit()


def since(connection, after):
    """``(entries, complete)``: the entries after id ``after``, oldest first.

    ``complete`` is False when ``after`` is unknown or older than the stream
    keeps: the entries are then the latest ones and the page starts afresh.
    """
    if after is not None and valid_id(after):
        found = connection.xrange(keys.CONSOLE_TRANSCRIPT, min=after, max="+",
                                  count=keys.CONSOLE_TRANSCRIPT_MAXLEN + 1)
        if found and found[0][0].decode() == after:
            return [_entry(i, f) for i, f in found[1:]], True
    latest = connection.xrevrange(keys.CONSOLE_TRANSCRIPT, count=LATEST)
    return [_entry(i, f) for i, f in reversed(latest)], False
