"""What the dashboard is sent: bounded work on huge registries, and bad input.

The browser side is in test_dashboard.py; these drive the server through the
Socket.IO test client and the watcher directly, on the session's real Redis.
"""

import time

import pytest
import requests
import socketio
from rq.job import Job
from rq.registry import FailedJobRegistry

from conftest import QUEUES, wait_for
from demo import jobs, keys
from demo.live import events, state
from demo.live.enqueue import enqueue
from demo.live.watcher import Watcher

LIMIT = 25


def _commands(connection):
    """Commands the Redis server has run so far (all clients)."""
    return sum(stat["calls"] for stat in connection.info("commandstats").values())


def _work(connection, action):
    """How many Redis commands ``action()`` costs, and its result."""
    before = _commands(connection)
    result = action()
    return _commands(connection) - before - 1, result  # the second INFO counts itself


def _fill_failed(connection, template_id, count, queue="default", prefix="bulk"):
    """``count`` failed jobs, each a copy of a real one, newest last."""
    fields = connection.hgetall(Job.key_for(template_id))
    registry = FailedJobRegistry(queue, connection=connection)
    expires = time.time() + 365 * 24 * 3600
    with connection.pipeline(transaction=False) as pipe:
        for i in range(count):
            job_id = f"{prefix}-{i:06d}"
            pipe.hset(Job.key_for(job_id), mapping=fields)
            pipe.zadd(registry.key, {job_id: expires + i})
            if i % 5000 == 4999:
                pipe.execute()
        pipe.execute()


class Recorder:
    """Stands in for Flask-SocketIO: keeps what the watcher emits."""

    def __init__(self):
        self.sent = []

    def emit(self, event, payload, **kwargs):
        self.sent.append((event, payload))

    def sleep(self, seconds):
        time.sleep(seconds)

    def of(self, name):
        return [payload for event, payload in self.sent if event == name]


@pytest.fixture
def failed_template(connection, run_worker):
    job = enqueue(connection, jobs.fail, "template")
    run_worker("simple")
    assert job.get_status() == "failed"
    return job.id


def test_a_snapshot_costs_the_same_with_100k_failed_jobs_as_with_30(connection, failed_template):
    _fill_failed(connection, failed_template, 30, prefix="few")
    small_work, small = _work(connection, lambda: state.snapshot(connection, QUEUES, LIMIT))
    _fill_failed(connection, failed_template, 100_000, prefix="many")
    big_work, big = _work(connection, lambda: state.snapshot(connection, QUEUES, LIMIT))

    assert big["counts"]["default"]["failed"] == 100_031  # exact, not capped
    assert small["counts"]["default"]["failed"] == 31
    failed_lane = big["lanes"]["default"]["failed"]
    assert len(failed_lane) == LIMIT and failed_lane[0] == "many-099999"
    assert all(big["cards"][i]["status"] == "failed" for i in failed_lane)
    assert big_work == small_work


def test_reconciliation_is_bounded_and_never_cleans_registries(connection, failed_template):
    registry = FailedJobRegistry("default", connection=connection)
    connection.zadd(registry.key, {"long-expired": 1.0})  # RQ's cleanup would drop this one
    _fill_failed(connection, failed_template, 30, prefix="few")
    watcher = Watcher(Recorder(), connection, QUEUES, lane_limit=LIMIT)
    watcher.running = True
    watcher._prime()
    small_work, _ = _work(connection, watcher.reconcile)
    _fill_failed(connection, failed_template, 100_000, prefix="many")
    watcher._prime()  # it knows the newest jobs, as after their events
    big_work, _ = _work(connection, watcher.reconcile)

    assert connection.zcard(registry.key) == 100_032
    assert connection.zscore(registry.key, "long-expired") == 1.0
    last_counts = watcher.socketio.of(keys.COUNTS_EVENT)[-1]
    assert last_counts["counts"]["default"]["failed"] == 100_031  # the expired entry is no job
    assert [e["type"] for e in events.since(connection, "0-0")] == ["enqueued", "started", "failed"]
    assert big_work == small_work


def test_a_job_run_behind_the_watchers_back_is_reported_once(connection, run_worker):
    watcher = Watcher(Recorder(), connection, QUEUES, lane_limit=LIMIT)
    watcher.running = True
    watcher._prime()
    from rq import Queue

    job = Queue("default", connection=connection).enqueue(jobs.add, 1, 2)  # plain RQ: no event
    watcher.reconcile()
    watcher.reconcile()  # the 'seen' event is read back, so the job is known now
    seen = [e for e in events.since(connection, "0-0") if e["type"] == "seen"]
    assert [(e["job"], e["status"], e["func"]) for e in seen] == [(job.id, "queued", "demo.jobs.add")]


def test_an_unreadable_event_does_not_stop_the_watcher(connection):
    watcher = Watcher(Recorder(), connection, QUEUES, lane_limit=LIMIT, reconcile_interval=60)
    watcher.running = True
    watcher._hold_lock()
    watcher._prime()
    connection.xadd(keys.EVENTS_STREAM, {"ts": "not a time", "progress": "nan", "junk": "<script>"})
    job = enqueue(connection, jobs.noop)
    wait_for(lambda: watcher._loop_once() or any(
        e.get("job") == job.id for d in watcher.socketio.of(keys.DELTA_EVENT) for e in d["events"]),
        message="the good event after the bad one")
    bad = watcher.socketio.of(keys.DELTA_EVENT)[0]["events"][0]
    assert bad["type"] == "unknown" and bad["ts"] == 0.0 and bad["progress"] is None


# -- bad input on the socket ---------------------------------------------------------

@pytest.mark.parametrize("payload", [None, 7, "id", ["x"], {"id": 7}, {"id": ""}, {"id": "x" * 101},
                                     {"id": "a:b:c"}, {"id": "../../etc/passwd"}, {"id": "\u0000"}])
def test_bad_job_requests_get_a_clear_error(socket_client, payload):
    ack = socket_client.emit("job", payload, namespace="/live", callback=True)
    assert ack["ok"] is False and ack["error"]
    errors = [m["args"][0] for m in socket_client.get_received("/live") if m["name"] == "error"]
    assert errors and errors[0]["error"] == ack["error"]


@pytest.mark.parametrize("since", ["²-0", "1" * 30 + "-0", "99999999999999-0", "-", "0-x"])
def test_odd_hello_ids_get_a_snapshot(socket_client, connection, since):
    enqueue(connection, jobs.noop)
    ack = socket_client.emit("hello", {"since": since}, namespace="/live", callback=True)
    assert ack == {"ok": True, "mode": "snapshot"}


@pytest.mark.parametrize("payload", [
    None, "cancel", ["cancel"], {"op": "cancel"}, {"op": "cancel", "job": 5},
    {"op": "scale", "count": "3"}, {"op": "scale", "count": 99}, {"op": "scale", "count": True},
    {"op": "pause", "queue": "<b>nope</b>"}, {"op": "empty", "queue": None},
    {"op": "cancel", "job": "x", **{f"k{i}": i for i in range(20)}},
])
def test_bad_presenter_actions_are_refused_with_a_reason(presenter_socket, payload):
    ack = presenter_socket.emit("action", payload, namespace="/live", callback=True)
    assert ack["ok"] is False and isinstance(ack["error"], str) and ack["error"]


def test_arguments_that_do_not_print_or_unpickle_still_give_a_detail(socket_client, connection):
    job = enqueue(connection, jobs.add, Unprintable(), 1, description="add(?)")
    ack = socket_client.emit("job", {"id": job.id}, namespace="/live", callback=True)
    assert ack["ok"] is True and ack["job"]["args"] == ["<unprintable Unprintable>", "1"]

    broken = enqueue(connection, jobs.add, 1, 2)
    connection.hset(broken.key, "data", b"this is not a pickle")
    ack = socket_client.emit("job", {"id": broken.id}, namespace="/live", callback=True)
    assert ack["ok"] is True
    assert ack["job"]["func"] == "?" and ack["job"]["args"] == ["(arguments could not be read)"]
    ack = socket_client.emit("hello", {}, namespace="/live", callback=True)
    (snap,) = [m["args"][0] for m in socket_client.get_received("/live") if m["name"] == "snapshot"]
    assert snap["cards"][broken.id]["status"] == "unreadable"
    assert snap["cards"][job.id]["func"] == "demo.jobs.add"


class Unprintable:
    def __repr__(self):
        raise RuntimeError("no repr for you")


def test_queue_actions_reach_every_dashboard_as_events(presenter_socket, connection):
    enqueue(connection, jobs.noop)
    for op in ("pause", "resume", "empty"):
        ack = presenter_socket.emit("action", {"op": op, "queue": "default"}, namespace="/live", callback=True)
        assert ack["ok"] is True
    kinds = [(e["type"], e.get("queue")) for e in events.since(connection, "0-0")]
    assert kinds[-3:] == [("paused", "default"), ("resumed", "default"), ("emptied", "default")]
    assert connection.llen("rq:queue:default") == 0


@pytest.mark.slow
def test_oversized_messages_cost_only_their_sender(serve, connection):
    server = serve(workers=0)
    received = []
    viewer = socketio.Client(reconnection=False)
    viewer.on("delta", lambda delta: received.extend(delta["events"]), namespace="/live")
    viewer.connect(server.base, namespaces=["/live"], transports=["websocket"], wait_timeout=10)
    viewer.call("hello", {}, namespace="/live", timeout=10)
    try:
        # Engine.IO refuses a message over the limit (16 KB) and drops its sender.
        sender = socketio.Client(reconnection=False)
        sender.connect(server.base, namespaces=["/live"], transports=["websocket"], wait_timeout=10)
        sender.emit("hello", {"since": "9" * 100_000}, namespace="/live")
        wait_for(lambda: not sender.connected, message="the oversized sender to be dropped")

        job = enqueue(connection, jobs.noop)  # everyone else is still served, live
        wait_for(lambda: any(e.get("job") == job.id for e in received), message="the next delta")
        assert requests.get(server.base + "/healthz", timeout=5).status_code == 200
    finally:
        viewer.disconnect()
