"""Shared fixtures: a real redis-server, an app per test, real workers.

The Redis server is started once per session with the same launcher
``serve`` uses (no fakeredis) and flushed around every test.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from demo import create_app
from demo.db import EmbeddedRedis, free_port, make_client
from demo.live.worker import LiveSimpleWorker, LiveWorker

ROOT = Path(__file__).resolve().parent.parent
QUEUES = ["default", "high", "low"]


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    with EmbeddedRedis(tmp_path_factory.mktemp("redis"), persist=False) as server:
        yield server


@pytest.fixture
def redis_url(redis_server):
    return redis_server.url


@pytest.fixture
def connection(redis_server):
    client = make_client(redis_server.url)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def app(connection, redis_url):
    app = create_app({
        "TESTING": True,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "test-secret",
        "DEMO_PRESENTER_TOKEN": "test-presenter-token",
        "START_WATCHER": False,
        "RECONCILE_INTERVAL": 0.2,
    })
    yield app
    watcher = app.extensions.get("omq.watcher")
    if watcher is not None:
        watcher.stop()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def presenter_client(app):
    client = app.test_client()
    response = client.get("/presenter?token=test-presenter-token")
    assert response.status_code == 302
    return client


@pytest.fixture
def socket_client(app, client):
    """An audience Socket.IO client on the live namespace."""
    from demo.extensions import socketio

    sio = socketio.test_client(app, namespace="/live", flask_test_client=client)
    yield sio
    if sio.is_connected("/live"):
        sio.disconnect("/live")


@pytest.fixture
def presenter_socket(app, presenter_client):
    from demo.extensions import socketio

    sio = socketio.test_client(app, namespace="/live", flask_test_client=presenter_client)
    yield sio
    if sio.is_connected("/live"):
        sio.disconnect("/live")


@pytest.fixture
def run_worker(connection):
    """Drain the queues with one of our real workers in burst mode."""

    def run(kind="simple", queues=QUEUES, with_scheduler=False):
        cls = LiveSimpleWorker if kind == "simple" else LiveWorker
        worker = cls(queues, connection=connection)
        worker.work(burst=True, with_scheduler=with_scheduler)
        return worker

    return run


def wait_for(predicate, timeout=10.0, interval=0.05, message="condition"):
    """Poll ``predicate`` until it is truthy; fail the test after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {message}")


class ServeProcess:
    """``python -m demo serve`` as a child process, stopped by pid at the end."""

    def __init__(self, tmp_path, redis_url=None, workers=1, extra=(), env=None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        tmp_path.mkdir(parents=True, exist_ok=True)
        self.log = tmp_path / "serve.log"
        argv = [sys.executable, "-m", "demo", "serve", "--port", str(self.port), "--workers", str(workers),
                "--instance", str(tmp_path / "instance"), *extra]
        if redis_url:
            argv += ["--redis-url", redis_url]
        self._out = open(self.log, "wb")
        full_env = {**os.environ, "DEMO_PRESENTER_TOKEN": "serve-test-token", **(env or {})}
        full_env.pop("REDIS_URL", None)
        self.process = subprocess.Popen(argv, cwd=ROOT, stdout=self._out, stderr=subprocess.STDOUT, env=full_env)
        self.token = "serve-test-token"

    def wait_healthy(self, timeout=60.0):  # a bound, not a speed target: serve starts several Pythons, slow on a loaded machine
        def healthy():
            if self.process.poll() is not None:
                raise AssertionError(f"serve exited early:\n{self.output()}")
            try:
                return requests.get(self.base + "/healthz", timeout=1).status_code == 200
            except requests.RequestException:
                return False

        wait_for(healthy, timeout, 0.1, "serve to answer /healthz")
        return self

    def output(self):
        return self.log.read_text(errors="replace")

    def stop(self, timeout=40.0):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._out.close()


@pytest.fixture
def serve(tmp_path, redis_url, connection):
    """Start ``serve`` against the test Redis; yields a factory."""
    started = []

    def start(**options):
        options.setdefault("redis_url", redis_url)
        process = ServeProcess(tmp_path / f"serve{len(started)}", **options)
        started.append(process)
        return process.wait_healthy()

    yield start
    for process in started:
        process.stop()


@pytest.fixture(scope="module")
def browser():
    """Chromium for a test module (Playwright's sync API cannot outlive one)."""
    from playwright.sync_api import sync_playwright
    from slidekit.browser import launch

    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser):
    """``new_page(**context_options)``: a page in a fresh context (its own
    cookies) that collects its script errors in ``page.script_errors``."""
    contexts = []

    def make(**options):
        context = browser.new_context(**({"viewport": {"width": 1280, "height": 900}} | options))
        contexts.append(context)
        page = context.new_page()
        page.script_errors = []
        page.on("pageerror", lambda exc: page.script_errors.append(str(exc)))
        return page

    yield make
    for context in contexts:
        context.close()
