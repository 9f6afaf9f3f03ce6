"""Fixtures and helpers the live demos' tests share.

``smtp_sink`` runs the real SMTP sink (``python -m demo smtp``) against the
test Redis; ``post`` sends JSON the way the pages do; ``presenter_session``
signs a ``requests`` session in to a real ``serve``.
"""

import os
import signal
import socket
import subprocess
import sys

import pytest
import requests
from rq.job import Job

from conftest import ROOT, wait_for
from demo.live import events
from demo.db import free_port

#: Job statuses that end a job.
TERMINAL = {"finished", "failed", "canceled"}


def post(client, url, body=None, **headers):
    """POST JSON from a Flask test client, as the demo pages do."""
    return client.post(url, json={} if body is None else body, headers={"Accept": "application/json", **headers})


def job_events(connection, job_id):
    """Every event about one job, oldest first."""
    return [e for e in events.since(connection, "0-0") or [] if e.get("job") == job_id]


def status(connection, job_id):
    status = Job.fetch(job_id, connection=connection).get_status()
    return getattr(status, "value", status)


def wait_status(connection, job_id, wanted, timeout=30.0):
    """Wait until the job's status is one of ``wanted``; return it."""
    wanted = {wanted} if isinstance(wanted, str) else set(wanted)

    def reached():
        current = status(connection, job_id)
        return current if current in wanted else None

    return wait_for(reached, timeout, 0.1, f"job {job_id} to be {' or '.join(sorted(wanted))}")


class Sink:
    """The SMTP sink as a child process, stopped by pid."""

    def __init__(self, redis_url, log_path):
        self.port = free_port()
        self.url = f"smtp://127.0.0.1:{self.port}"
        self._log = open(log_path, "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "demo", "smtp", "--port", str(self.port), "--redis-url", redis_url,
             "--parent-pid", str(os.getpid())],
            cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT)

    def wait_listening(self, timeout=20.0):
        def listening():
            if self.process.poll() is not None:
                raise AssertionError("the SMTP sink exited at start")
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.5).close()
                return True
            except OSError:
                return False

        wait_for(listening, timeout, 0.1, "the SMTP sink to listen")
        return self

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


@pytest.fixture
def smtp_sink(redis_url, connection, tmp_path):
    """A real SMTP sink storing mail in the test Redis; yields its ``Sink``."""
    sink = Sink(redis_url, tmp_path / "smtp.log").wait_listening()
    yield sink
    sink.stop()


def presenter_session(server):
    """A ``requests`` session signed in as the presenter of a real ``serve``."""
    session = requests.Session()
    response = session.get(f"{server.base}/presenter?token={server.token}", allow_redirects=False, timeout=5)
    assert response.status_code == 302
    return session


def api(session, server, method, path, body=None):
    """Call a real ``serve`` as a page would (JSON, same origin)."""
    response = session.request(method, server.base + path, json=body, timeout=60,
                               headers={"Accept": "application/json", "Origin": server.base})
    return response.status_code, response.json()

