"""One websocket frame per broadcast: compressed and framed once, not once per viewer.

python-socketio encodes an emit to a room once: every recipient's writer is
handed the same Engine.IO text. simple-websocket then frames that text again
for each socket and, for every browser (they all ask for permessage-deflate),
compresses it again with that socket's own zlib context. With a thousand
viewers that is a thousand compressions of the same delta: bench/fanout.py
measured 139 µs of the web process's CPU per viewer per message with
browser-like clients, against 53 µs without compression.

``install()`` changes two things, once per process:

- the server accepts permessage-deflate with ``server_no_context_takeover``
  (RFC 7692 section 7.1.1.1, which lets a server say so unasked): each
  message it sends is compressed on its own, so one text gives the same
  bytes on every connection with the same window size;
- a send of a text object sent before (every recipient of one broadcast
  gets the same object) reuses the frame built for it, per window size, and
  writes it whole (simple-websocket's own ``send`` may write part of one);
  the last few texts' frames are kept.
  Any other connection (context takeover, another extension) and any short
  text take simple-websocket's own path.

It replaces ``simple_websocket.ws.Base.send`` and the deflate class that
module accepts with (simple-websocket 1.1, wsproto 1.3): tests/test_frames.py
checks both, against a real ``serve`` and raw sockets, and every browser test
goes through it.

Each message being compressed on its own costs some ratio on small ones (no
dictionary shared across messages); the JSON of a delta repeats its keys
within itself, which is where most of the saving is.
"""

import threading
import zlib
from collections import OrderedDict

import simple_websocket.ws as _ws
from simple_websocket import ConnectionClosed
from wsproto.extensions import PerMessageDeflate

#: Shorter texts (pings, acks) go the usual way: sharing them saves nothing.
SHARE_MIN = 64


class SharedDeflate(PerMessageDeflate):
    """permessage-deflate whose server side keeps no context between messages."""

    def __init__(self, **options):
        options.setdefault("server_no_context_takeover", True)
        super().__init__(**options)


#: Texts whose frames are kept: a few broadcasts may be on their way at once
#: (a delta still reaching some sockets while the next one starts).
KEPT = 16

#: id(text) -> (text, {window bits or 0: frame}), least recently used first. The
#: text is held, so its id cannot be reused while its frames are kept.
_frames = OrderedDict()
_lock = threading.Lock()
_installed = []


def install():
    """Patch simple-websocket in this process (idempotent)."""
    if _installed:
        return
    _installed.append(_ws.Base.send)
    _ws.PerMessageDeflate = SharedDeflate
    _ws.Base.send = _send


def _send(self, data):
    if type(data) is not str or len(data) < SHARE_MIN:
        return _installed[0](self, data)
    bits = _shareable(self.ws)
    if bits is None:
        return _installed[0](self, data)
    if not self.connected:
        raise ConnectionClosed(self.close_reason, self.close_message)
    with _lock:
        entry = _frames.get(id(data))
        if entry is not None and entry[0] is data:
            _frames.move_to_end(id(data))
            frame = entry[1].get(bits)
        else:
            entry, frame = (data, {}), None
    if frame is None:
        frame = text_frame(data, bits)
        with _lock:
            entry[1][bits] = frame
            _frames[id(data)] = entry
            while len(_frames) > KEPT:
                _frames.popitem(last=False)
    sent = self.sock.send(frame)  # one system call when the socket has room, as it nearly always has
    if sent < len(frame):
        self.sock.sendall(frame[sent:])


def _shareable(connection):
    """0 (no compression), the window bits of a context-free deflate, or None: not shareable."""
    extensions = connection.connection._proto.extensions if connection.connection is not None else None
    if extensions is None:
        return None
    if not extensions:
        return 0
    if len(extensions) == 1 and isinstance(extensions[0], PerMessageDeflate) \
            and extensions[0].server_no_context_takeover:
        return int(extensions[0].server_max_window_bits)
    return None


def text_frame(text, bits=0):
    """One unmasked, final text frame (a server's); compressed with ``bits`` of window if not 0."""
    payload = text.encode()
    first = 0x81
    if bits:
        compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -bits)
        payload = (compressor.compress(payload) + compressor.flush(zlib.Z_SYNC_FLUSH))[:-4]
        first |= 0x40  # RSV1: this message is compressed
    size = len(payload)
    if size < 126:
        head = bytes((first, size))
    elif size < 65536:
        head = bytes((first, 126)) + size.to_bytes(2, "big")
    else:
        head = bytes((first, 127)) + size.to_bytes(8, "big")
    return head + payload
