"""``serve`` runs the console's sandbox: supervised, password out of sight, back after a crash."""

import os
import re
import signal
import stat

import pytest
import redis
import requests
import socketio as socketio_client

from conftest import wait_for
from demo import keys
from test_serve import _alive, _children, _cmdline

pytestmark = pytest.mark.slow

NS = keys.CONSOLE_NAMESPACE


def _sandbox_port(server):
    found = re.search(r"Console:   sandbox redis-server on 127\.0\.0\.1:(\d+) \(maxmemory 96mb, no persistence\)",
                      server.output())
    assert found, server.output()
    return int(found.group(1))


def _sandbox_pid(server, port):
    pids = [pid for pid in _children(server.process.pid) if f"127.0.0.1:{port}" in _cmdline(pid)]
    assert len(pids) == 1, [(_cmdline(pid)) for pid in _children(server.process.pid)]
    return pids[0]


def _console(server):
    """A browser-like client of /console with its own visitor cookie."""
    http = requests.Session()
    http.get(server.base + "/demo/redis", timeout=10)
    client = socketio_client.Client(reconnection=False)
    client.connect(server.base, namespaces=[NS], transports=["websocket"],
                   headers={"Cookie": f"session={http.cookies['session']}"}, wait_timeout=10)
    return client


def run(client, line):
    answer = client.call("run", {"line": line}, namespace=NS, timeout=15)
    return [block["text"] for block in answer["output"]]


def test_serve_starts_a_sandbox_that_only_the_console_can_use(serve, tmp_path):
    server = serve(workers=0)
    port = _sandbox_port(server)
    pid = _sandbox_pid(server, port)
    # Its admin password is nowhere on a command line; its config file is ours alone.
    config = next((tmp_path / "serve0" / "instance" / "sandbox").glob("sandbox.conf"))
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    text = config.read_text()
    assert re.search(r"^user default on #[0-9a-f]{64} ~\* &\* \+@all$", text, re.M)
    assert "maxmemory 96mb" in text and "maxmemory-policy noeviction" in text
    for child in [server.process.pid, *_children(server.process.pid)]:
        assert "requirepass" not in _cmdline(child) and "#" not in _cmdline(child)
    with pytest.raises(redis.AuthenticationError):
        redis.Redis(port=port, protocol=2, retry=None).get("x")

    client = _console(server)
    try:
        assert run(client, "SET name fido") == ["OK"]
        assert run(client, "GET name") == ['"fido"']
    finally:
        client.disconnect()
    assert _alive(pid)


def test_a_sandbox_that_dies_is_restarted_and_the_console_recovers(serve):
    server = serve(workers=0)
    port = _sandbox_port(server)
    pid = _sandbox_pid(server, port)
    client = _console(server)
    try:
        assert run(client, "SET name fido") == ["OK"]
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: not _alive(pid), 10, message="the sandbox to die")
        # While it is down, a command gets one clear line; once it is back, the console works again.
        down = run(client, "GET name")
        assert down in (["(error) the sandbox Redis is not answering right now; try again in a moment"], ["(nil)"])

        def back():
            return run(client, "GET name") == ["(nil)"]  # a new, empty sandbox: nothing persisted

        wait_for(back, 30, 0.5, "the supervisor to restart the sandbox")
        assert run(client, "SET name rex") == ["OK"] and run(client, "GET name") == ['"rex"']
        assert "started sandbox" in server.output().split("died")[-1]
    finally:
        client.disconnect()

