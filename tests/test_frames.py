"""A broadcast reaches every kind of websocket intact when it is framed once for all.

Real ``serve``, raw websocket clients on loopback: one offering
permessage-deflate as browsers do, one offering nothing.
"""

import base64
import json
import os
import socket
import time
import zlib

import pytest

from demo import jobs
from demo.live.enqueue import enqueue
from demo.live.frames import text_frame

pytestmark = pytest.mark.slow


class RawViewer:
    """A websocket client that keeps every frame as received (header bits and payload)."""

    def __init__(self, base, deflate):
        host, port = base.rsplit("//", 1)[1].split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=10)
        offer = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" if deflate else ""
        self.sock.sendall((f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {host}:{port}\r\n"
                           f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                           f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n"
                           f"Origin: {base}\r\n{offer}\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            self.buf += self.sock.recv(4096)
        self.head, self.buf = self.buf.split(b"\r\n\r\n", 1)

    def send(self, text):
        payload, mask = text.encode(), os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(bytes((0x81, 0x80 | len(payload))) + mask + masked)

    def frame(self):
        """(compressed, payload) of the next frame."""
        while True:
            if len(self.buf) >= 2:
                size, head = self.buf[1] & 0x7F, 2
                if size == 126 and len(self.buf) >= 4:
                    size, head = int.from_bytes(self.buf[2:4], "big"), 4
                if size < 126 or head == 4:
                    if len(self.buf) >= head + size:
                        first, payload = self.buf[0], self.buf[head:head + size]
                        self.buf = self.buf[head + size:]
                        return bool(first & 0x40), payload
            self.buf += self.sock.recv(65536)

    def message(self):
        compressed, payload = self.frame()
        if compressed:  # a fresh context each time: the server must keep none between messages
            return zlib.decompressobj(-15).decompress(payload + b"\x00\x00\xff\xff").decode(), True
        return payload.decode(), False

    def join(self):
        assert self.message()[0].startswith("0")          # Engine.IO open
        self.send("40/live,")
        assert self.message()[0].startswith("40/live,")   # namespace joined
        self.send('42/live,1["hello",{"since":null}]')
        while not self.message()[0].startswith("43/live,1"):
            pass

    def next_delta(self, deadline):
        while time.monotonic() < deadline:
            text, compressed = self.message()
            if text.startswith('42/live,["delta"'):
                return json.loads(text[8:])[1], compressed
        raise AssertionError("no delta arrived")


def test_one_broadcast_reaches_compressing_and_plain_sockets_alike(serve, connection):
    server = serve(workers=0)
    browser_like, plain = RawViewer(server.base, deflate=True), RawViewer(server.base, deflate=False)
    try:
        assert b"server_no_context_takeover" in browser_like.head.lower()
        assert b"permessage-deflate" not in plain.head.lower()
        browser_like.join()
        plain.join()
        job = enqueue(connection, jobs.noop, queue="default")
        deadline = time.monotonic() + 20
        got_deflated, deflated = browser_like.next_delta(deadline)
        got_plain, was_compressed = plain.next_delta(deadline)
        assert deflated and not was_compressed
        assert got_deflated == got_plain
        assert [e["job"] for e in got_plain["events"]] == [job.id]
    finally:
        browser_like.sock.close()
        plain.sock.close()


def test_text_frame_sizes():
    for size in (1, 125, 126, 65535, 65536):
        frame = text_frame("x" * size)
        assert frame[0] == 0x81 and frame.endswith(b"x" * size)
        assert len(frame) == size + (2 if size < 126 else 4 if size < 65536 else 10)
    compressed = text_frame("abc" * 1000, 15)
    assert compressed[0] == 0xC1 and compressed[1] < 126 and len(compressed) == 2 + compressed[1]
    assert zlib.decompressobj(-15).decompress(compressed[2:] + b"\x00\x00\xff\xff") == b"abc" * 1000
