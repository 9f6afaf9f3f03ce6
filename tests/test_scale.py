"""Beyond one machine: several servers on one message queue, workers run by rq's CLI."""

import subprocess
import sys
import threading

import pytest
import socketio

from conftest import wait_for
from demo import jobs
from demo.live import events
from demo.live.enqueue import enqueue

pytestmark = pytest.mark.slow


def _listen(base):
    """A Socket.IO client on /live that records every delta's events."""
    client = socketio.Client(reconnection=False)
    received, lock = [], threading.Lock()

    @client.on("delta", namespace="/live")
    def delta(payload):
        with lock:
            received.extend(payload["events"])

    client.connect(base, namespaces=["/live"], transports=["websocket"], wait_timeout=10)
    client.emit("hello", {}, namespace="/live")
    return client, received


def test_two_servers_on_one_message_queue_both_push_every_event(serve, redis_url, connection):
    env = {"SOCKETIO_MESSAGE_QUEUE": redis_url, "SECRET_KEY": "scale-test-secret"}  # shared, as the recipe says
    first = serve(workers=1, env=env)
    second = serve(workers=0, env=env)
    clients = [_listen(first.base), _listen(second.base)]
    try:
        job = enqueue(connection, jobs.add, 6, 7)
        for _, received in clients:
            wait_for(lambda: any(e["type"] == "finished" and e["job"] == job.id for e in received), 20,
                     message="the finished event on both servers")
        for _, received in clients:
            types = [e["type"] for e in received if e["job"] == job.id]
            assert types == ["enqueued", "started", "finished"]  # once each: one watcher per deployment
    finally:
        for client, _ in clients:
            client.disconnect()


def test_rq_cli_runs_our_worker_class_and_events_flow(connection, redis_url):
    job = enqueue(connection, jobs.add, 1, 2)
    subprocess.run([sys.executable, "-m", "rq.cli", "worker", "--burst", "-w", "demo.live.worker.LiveWorker",
                    "--url", redis_url, "default"], check=True, capture_output=True, timeout=60)
    assert job.return_value() == 3
    assert [e["type"] for e in events.since(connection, "0-0")] == ["enqueued", "started", "finished"]
