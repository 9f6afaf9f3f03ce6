"""Fixtures the console's tests share: a real sandbox redis-server, an app that uses it.

The sandbox is started as ``serve`` starts it (``demo.console.server``'s
config file: admin password hash, maxmemory, noeviction), once per session,
and flushed around every test; its ACL users are dropped too.
"""

import pytest
import redis

from demo.console.server import write_config
from demo.db import EmbeddedRedis, make_client

SANDBOX_PASSWORD = "sandbox-test-password"


@pytest.fixture(scope="session")
def sandbox_server(tmp_path_factory):
    data = tmp_path_factory.mktemp("sandbox")
    config = write_config(data / "sandbox.conf", SANDBOX_PASSWORD, "32mb")
    with EmbeddedRedis(data, persist=False, config_file=config) as server:
        server.admin_url = f"redis://:{SANDBOX_PASSWORD}@127.0.0.1:{server.port}/0"
        yield server


def reset_sandbox(client):
    client.flushdb()
    for user in client.execute_command("ACL", "USERS"):
        if user != b"default":
            client.execute_command("ACL", "DELUSER", user)


@pytest.fixture
def sandbox(sandbox_server):
    """An admin client of the sandbox, emptied (keys and visitors' users) around the test."""
    client = make_client(sandbox_server.admin_url)
    reset_sandbox(client)
    yield client
    reset_sandbox(client)
    client.close()


def drop_queue_reader(connection):
    try:
        connection.execute_command("ACL", "DELUSER", "omq-queue-reader")
    except redis.RedisError:
        pass


@pytest.fixture
def console_app(app, sandbox_server, sandbox, connection):
    """The conftest app with the sandbox configured (settings as ``serve`` would give)."""
    app.config["CONSOLE_SANDBOX_URL"] = sandbox_server.admin_url
    drop_queue_reader(connection)
    yield app
    app.extensions["omq.console"].close()
    drop_queue_reader(connection)


@pytest.fixture
def console(console_app):
    return console_app.extensions["omq.console"]
