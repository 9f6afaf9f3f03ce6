"""A real flood: 2000 ``hello`` events from one socket against a real ``serve``.

The audit's flood stalled ``/healthz`` for 6 to 13 s and grew the server by
60 MB. Here the flooding connection is cut off, ``/healthz`` and another
viewer keep answering within bounds measured during the flood, and the web
process's memory stays flat. Figures are printed as ``key=value``.
"""

import json
import threading
import time

import pytest
import requests
import socketio as socketio_client
import websocket

from conftest import ServeProcess, wait_for
from demo import keys
from demo.live import events
from test_security_socketio import memory_mb, web_pids

FLOOD = 2000
#: Bounds, not speed targets: the audit measured /healthz stalled 6-13 s and +60 MB; before
#: this fix, this flood stalled /healthz 15 s, another viewer's hello over 60 s, and grew 68 MB.
#: With the limit checked in the handler's thread, a loaded 2-core machine (load average 18) measured
#: 0.5-2.3 s and 1-5 MB; checked as each packet is read (no thread for a refused one), at load 15-17:
#: /healthz 0.4-1.0 s, another viewer's hello 0.3-0.7 s, cut off after 0.4-0.9 s, 0-1 MB.
HEALTHZ_WORST, VIEWER_WORST, MEMORY_GROWTH = 3.0, 3.0, 25


@pytest.fixture
def server(redis_server, connection, tmp_path):
    with connection.pipeline(transaction=False) as pipe:  # a long stream: each replay would be large
        for n in range(3000):
            events.publish(connection, "enqueued", {"job": f"job-{n}", "func": "demo.jobs.wait", "queue": "low",
                                                    "nick": "calm otter"}, pipeline=pipe)
        pipe.execute()
    process = ServeProcess(tmp_path, redis_url=redis_server.url, workers=0)
    try:
        yield process.wait_healthy()
    finally:
        process.stop()


class HealthzProbe(threading.Thread):
    """GET /healthz back to back until stopped; keeps every duration and status."""

    def __init__(self, base):
        super().__init__(daemon=True)
        self.base, self.stopping, self.samples = base, threading.Event(), []

    def run(self):
        while not self.stopping.is_set():
            started = time.monotonic()
            try:
                status = requests.get(self.base + "/healthz", timeout=15).status_code
            except requests.RequestException as exc:
                status = type(exc).__name__
            self.samples.append((time.monotonic() - started, status))
            time.sleep(0.05)


class Flooder:
    """One raw WebSocket on /live that sends hellos as fast as it can and reads everything back."""

    def __init__(self, server):
        self.ws = websocket.create_connection(
            f"ws://127.0.0.1:{server.port}/socket.io/?EIO=4&transport=websocket", timeout=15)
        assert self.ws.recv().startswith("0{")
        self.ws.send("40/live,")
        assert self.ws.recv().startswith("40/live,")
        self.answers, self.received_bytes, self.closed_at = 0, 0, None
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        while True:
            try:
                frame = self.ws.recv()
            except Exception:
                break
            if not frame:
                break
            if frame == "2":  # Engine.IO ping: answer it, as a client must
                self.ws.send("3")
                continue
            self.received_bytes += len(frame)
            if frame.startswith("43/live,"):
                self.answers += 1
        self.closed_at = time.monotonic()

    def flood(self, count):
        sent = 0
        for n in range(count):
            try:
                self.ws.send(f'42/live,{n}["hello",{{"since":"0-0"}}]')
            except Exception:  # the server closed us mid-flood
                break
            sent += 1
        return sent


def test_a_flood_of_hellos_is_cut_off_and_everyone_else_stays_responsive(server, connection):
    web = web_pids(server.port)
    memory_before = sum(memory_mb(pid) for pid in web)

    viewer = socketio_client.Client(reconnection=False)
    deltas = []
    viewer.on(keys.DELTA_EVENT, lambda data: deltas.append(data), namespace=keys.LIVE_NAMESPACE)
    viewer.connect(server.base, namespaces=[keys.LIVE_NAMESPACE], transports=["websocket"], wait_timeout=15)
    assert viewer.call("hello", {"since": None}, namespace=keys.LIVE_NAMESPACE, timeout=15)["ok"] is True

    probe = HealthzProbe(server.base)
    probe.start()
    flooder = Flooder(server)
    started = time.monotonic()
    try:
        sent = flooder.flood(FLOOD)
        flood_seconds = time.monotonic() - started

        # While the server works through the flood: another viewer is answered and pushed to.
        asked = time.monotonic()
        ack = viewer.call("hello", {"since": None}, namespace=keys.LIVE_NAMESPACE, timeout=15)
        viewer_hello = time.monotonic() - asked
        assert ack["ok"] is True
        published = time.monotonic()
        job_event = events.publish(connection, "enqueued", {"job": "after-the-flood", "func": "demo.jobs.wait",
                                                            "queue": "low", "nick": "calm otter"}).decode()
        wait_for(lambda: any(e["id"] == job_event for d in deltas for e in d["events"]), 15, 0.02,
                 "the other viewer to get the new event")
        viewer_push = time.monotonic() - published

        wait_for(lambda: flooder.closed_at is not None, 15, 0.05, "the server to close the flooding socket")
        time.sleep(1)  # let the probe sample after the flood too
    finally:
        probe.stopping.set()
        probe.join(20)
        viewer.disconnect()
        flooder.ws.close()

    memory_after = sum(memory_mb(pid) for pid in web)
    durations = [d for d, _ in probe.samples]
    print(f"\nflood: sent={sent} seconds={flood_seconds:.2f} answers={flooder.answers} "
          f"answer_kb={flooder.received_bytes // 1024} cut_after={flooder.closed_at - started:.2f}s "
          f"healthz_n={len(durations)} healthz_max={max(durations):.3f} viewer_hello={viewer_hello:.3f} "
          f"viewer_push={viewer_push:.3f} memory_mb={memory_before:.0f}->{memory_after:.0f}")
    assert {status for _, status in probe.samples} == {200}
    assert len(durations) >= 5 and max(durations) < HEALTHZ_WORST
    assert viewer_hello < VIEWER_WORST and viewer_push < VIEWER_WORST
    # The flooder got a bounded number of answers: its burst, its strikes, nothing like one per hello.
    assert flooder.answers < 150 and flooder.received_bytes < 5_000_000
    assert memory_after - memory_before < MEMORY_GROWTH
    assert requests.get(server.base + "/healthz", timeout=5).status_code == 200


def test_hellos_sent_together_get_one_answer_in_flight_and_the_newest_next(server, connection):
    ws = websocket.create_connection(f"ws://127.0.0.1:{server.port}/socket.io/?EIO=4&transport=websocket",
                                     timeout=15)
    assert ws.recv().startswith("0{")
    ws.send("40/live,")
    assert ws.recv().startswith("40/live,")
    since = connection.xrevrange(keys.EVENTS_STREAM, count=400)[-1][0].decode()  # a replay of 399 events each
    for n in range(15):  # within the connection's burst: none is refused
        ws.send(f'42/live,{n}["hello",{{"since":"{since}"}}]')
    acks, answers = [], 0
    deadline = time.monotonic() + 30
    while len(acks) < 15 and time.monotonic() < deadline:
        frame = ws.recv()
        if frame == "2":
            ws.send("3")
        elif frame.startswith('42/live,["delta"') or frame.startswith('42/live,["snapshot"'):
            answers += 1
        elif frame.startswith("43/live,"):
            acks.append((json.loads(frame[frame.index("["):])[0], answers))
    ws.close()
    merged = [seen for ack, seen in acks if ack.get("merged")]
    assert len(acks) == 15 and all(ack["ok"] and ack["mode"] == "replay" for ack, _ in acks)
    assert len(merged) >= 10, acks  # they came while the first was being answered
    # One answer for the first hello, one for the newest that waited: not one each.
    assert 2 <= answers <= 15 - len(merged) + 1 and answers <= 5
    assert all(seen == answers for seen in merged)  # each merged ack came after the answer that covers it
