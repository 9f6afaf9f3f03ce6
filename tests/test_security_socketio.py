"""Socket.IO on a real ``serve``, attacked over real sockets: origins, JSONP, oversized and odd messages.

Every request here has a timeout: "never answers" is a failure, not a hang.
"""

import json
import os
import socket
import time

import pytest
import requests
import websocket

from conftest import ServeProcess
from demo.live.wiring import MAX_CLIENT_MESSAGE

TIMEOUT = 10  # seconds: any answer comes at once; this only turns a hang into a failure


@pytest.fixture(scope="module")
def server(redis_server, tmp_path_factory):
    """One ``serve`` for the module (nothing here changes its state for the next test)."""
    process = ServeProcess(tmp_path_factory.mktemp("serve"), redis_url=redis_server.url, workers=0,
                           env={"PUBLIC_URL": "https://talk.example"})
    try:
        yield process.wait_healthy()
    finally:
        process.stop()


def _handshake(server, **headers):
    return requests.get(f"{server.base}/socket.io/?EIO=4&transport=polling", headers=headers, timeout=TIMEOUT)


def _sid(server):
    response = _handshake(server)
    assert response.status_code == 200, response.text
    return json.loads(response.text[1:])["sid"]


def _raw(server, request_bytes):
    """Send raw bytes; return (status line, body) of the answer, or fail after TIMEOUT."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as sock:
        sock.sendall(request_bytes)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), None)
        while length is not None and len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
        if length is None and b"transfer-encoding: chunked" in head.lower():  # gunicorn's answer without a length
            while not body.endswith(b"0\r\n\r\n"):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                body += chunk
            body = _unchunk(body)
    return head.split(b"\r\n")[0].decode(), body.decode(errors="replace"), head.decode(errors="replace")


def _unchunk(data):
    """The body of a chunked HTTP/1.1 message."""
    body = b""
    while data:
        size, _, data = data.partition(b"\r\n")
        size = int(size.split(b";")[0], 16)
        if size == 0:
            break
        body, data = body + data[:size], data[size + 2:]
    return body


def _post(server, sid, body, length=True, extra=""):
    head = (f"POST /socket.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
            f"Content-Type: text/plain;charset=UTF-8\r\n{extra}")
    head += f"Content-Length: {len(body)}\r\n\r\n" if length else "Transfer-Encoding: chunked\r\n\r\n"
    if not length:
        body = f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"
    return _raw(server, head.encode() + body)


# --- point 1: origins -----------------------------------------------------------


def test_polling_handshakes_from_other_origins_are_refused(server):
    other_port = f"http://127.0.0.1:{server.port + 1}"
    for origin in (other_port, "http://evil.example", "null", f"http://localhost:{server.port}", "https://talk.example.evil"):
        response = _handshake(server, Origin=origin)
        assert response.status_code == 400 and "Not an accepted origin" in response.text, origin
    assert _handshake(server, Origin=server.base).status_code == 200
    assert _handshake(server, Origin="https://talk.example").status_code == 200  # PUBLIC_URL
    assert _handshake(server).status_code == 200  # no Origin: not a browser, rides on no cookie


def test_websocket_handshakes_from_other_origins_are_refused(server):
    url = f"ws://127.0.0.1:{server.port}/socket.io/?EIO=4&transport=websocket"
    for origin in (f"http://127.0.0.1:{server.port + 1}", "http://evil.example"):
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            websocket.create_connection(url, origin=origin, timeout=TIMEOUT)
        assert refused.value.status_code == 400, origin
    for origin in (server.base, "https://talk.example"):
        ws = websocket.create_connection(url, origin=origin, timeout=TIMEOUT)
        assert ws.recv().startswith("0{")
        ws.close()


def test_behind_a_proxy_the_forwarded_host_is_this_origin(server):
    # nginx forwards the browser's Host; the page's Origin names the same host.
    request = (f"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: talk.local:8080\r\n"
               f"Origin: http://talk.local:8080\r\nConnection: close\r\n\r\n").encode()
    status, body, _ = _raw(server, request)
    assert status.endswith("200 OK") and body.startswith("0{")
    request = request.replace(b"Origin: http://talk.local:8080", b"Origin: http://talk.local:9090")
    assert _raw(server, request)[0].endswith("400 BAD REQUEST")


def test_requests_another_site_made_and_jsonp_are_refused(server):
    for site in ("cross-site", "same-site"):
        response = _handshake(server, **{"Sec-Fetch-Site": site})
        assert response.status_code == 403 and "cross-site Socket.IO refused" in response.text
    assert _handshake(server, **{"Sec-Fetch-Site": "same-origin"}).status_code == 200
    jsonp = requests.get(f"{server.base}/socket.io/?EIO=4&transport=polling&j=0", timeout=TIMEOUT)
    assert jsonp.status_code == 400 and "JSONP polling is off" in jsonp.text
    assert jsonp.headers["X-Content-Type-Options"] == "nosniff"


# --- point 6: polling POSTs get an answer -------------------------------------------------


def test_a_polling_post_over_the_limit_is_a_413_at_once_and_closes_its_session(server):
    for size in (MAX_CLIENT_MESSAGE + 1, 200_000, 2_000_000):
        sid = _sid(server)
        started = time.monotonic()
        status, body, head = _post(server, sid, b"4" + b"x" * size)
        assert status.endswith("413 CONTENT TOO LARGE") and body == f"message too large: at most {MAX_CLIENT_MESSAGE} bytes"
        assert time.monotonic() - started < 5
        # The session is closed: its next poll gets Engine.IO's close packet, or it is already gone.
        poll = requests.get(f"{server.base}/socket.io/?EIO=4&transport=polling&sid={sid}", timeout=TIMEOUT)
        assert poll.text == "1" or (poll.status_code == 400 and sid in poll.text), poll.text


@pytest.mark.parametrize("body, status, message", [
    (b"9", "400", "not an Engine.IO packet a client may send"),   # engineio: UnknownPacketError, then a hang
    (b"0", "400", "not an Engine.IO packet a client may send"),   # OPEN comes from the server only
    (b"", "400", "not an Engine.IO packet a client may send"),
    (b"4hi\x1e", "400", "not an Engine.IO packet a client may send"),
    (b"\xff\xfe", "400", "the message is not UTF-8"),
])
def test_a_polling_post_engineio_would_choke_on_gets_a_400_at_once(server, body, status, message):
    started = time.monotonic()
    answer, text, _ = _post(server, _sid(server), body)
    assert answer.split()[1] == status and text == message
    assert time.monotonic() - started < 5


def test_a_polling_post_without_a_length_is_a_411(server):
    status, text, _ = _post(server, _sid(server), b"4hello", length=False)
    assert status.endswith("411 LENGTH REQUIRED") and "Content-Length" in text


def test_a_polling_post_within_the_limit_still_works(server):
    sid = _sid(server)
    status, body, _ = _post(server, sid, b"40/live,")  # join the dashboard's namespace
    assert status.endswith("200 OK") and body == "OK"
    poll = requests.get(f"{server.base}/socket.io/?EIO=4&transport=polling&sid={sid}", timeout=TIMEOUT)
    assert poll.text.startswith("40/live,")


def test_a_websocket_message_over_the_limit_closes_the_socket_without_buffering_it(server):
    ws = websocket.create_connection(f"ws://127.0.0.1:{server.port}/socket.io/?EIO=4&transport=websocket",
                                     timeout=TIMEOUT)
    assert ws.recv().startswith("0{")
    web = web_pids(server.port)
    before = {pid: memory_mb(pid, "VmHWM") for pid in web}
    with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError, OSError)):
        ws.send("4" + "x" * 30_000_000)
        ws.recv()  # the close frame (1009 message too big), or a reset while we were still sending
    grown = max(memory_mb(pid, "VmHWM") - before[pid] for pid in web)
    assert grown < 20, f"the web process's peak memory grew {grown:.0f} MB"  # it never held the 30 MB
    assert requests.get(server.base + "/healthz", timeout=TIMEOUT).status_code == 200


def web_pids(port):
    """Pids of the processes holding the listening socket of ``port`` (the web server's)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            for line in list(lines)[1:]:
                fields = line.split()
                if fields[1].endswith(f":{port:04X}") and fields[3] == "0A":  # 0A: LISTEN
                    inodes.add(fields[9])
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            links = {os.readlink(f"/proc/{entry}/fd/{fd}") for fd in os.listdir(f"/proc/{entry}/fd")}
        except OSError:
            continue
        if any(f"socket:[{inode}]" in links for inode in inodes):
            pids.append(int(entry))
    assert pids, f"no process listens on port {port}"
    return pids


def memory_mb(pid, field="VmRSS"):
    """``VmRSS`` (now) or ``VmHWM`` (the peak) of a process, in MB."""
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":")) / 1024
