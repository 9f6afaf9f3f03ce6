"""What the dashboard tells a room, server side: the header row's totals, one
wording for a job's result on every path, a failed job's error first, a
recurring job marked as such, and a lane opened in full.

Real Redis, real workers in burst mode, the Socket.IO test client; the
browser side is in test_dashboard.py.
"""

import json

from rq import Retry

from demo import jobs, keys
from demo.live import events, format, state
from demo.live.enqueue import enqueue
from test_dashboard_state import _fill_failed


def _summary(connection, queues=("default", "high", "low")):
    counts, stats = state.read_counts(connection, list(queues), with_stats=True)
    return state.summary(counts, stats, state.read_workers(connection))


def test_the_header_row_counts_runs_failures_and_retries_as_they_happen(connection, run_worker):
    assert _summary(connection) == {"processed": 0, "failed": 0, "busy": 0, "enqueued": 0, "scheduled": 0,
                                    "retries": 0}
    enqueue(connection, jobs.add, 1, 2)
    enqueue(connection, jobs.fail, "no")
    flaky = enqueue(connection, jobs.flaky, 5, retry=Retry(max=1, interval=60))
    enqueue(connection, jobs.noop, queue="high")
    assert _summary(connection)["enqueued"] == 4
    run_worker("simple")
    # add and noop finished; fail raised; flaky raised once and waits 60 s for its retry
    assert _summary(connection) == {"processed": 4, "failed": 2, "busy": 0, "enqueued": 0, "scheduled": 0,
                                    "retries": 1}
    assert connection.smembers(keys.RETRYING) == {flaky.id.encode()}


def test_every_path_words_a_result_alike_and_never_as_a_python_repr(connection, run_worker, socket_client):
    tick = enqueue(connection, jobs.tick)
    text = enqueue(connection, jobs.wait, 0.01)
    number = enqueue(connection, jobs.add, 2, 3)
    run_worker("simple")
    live = {e["job"]: e["info"] for e in events.since(connection, "0-0") if e["type"] == "finished"}
    cards = state.fetch_cards(connection, [tick.id, text.id, number.id])
    for job in (tick, text, number):
        assert cards[job.id]["info"] == live[job.id], job.func_name  # the snapshot says what the event said
    assert live[tick.id].startswith("tick at ") and "{" not in live[tick.id]
    assert live[text.id] == "waited 0.01 s" and live[number.id] == "5"
    detail = socket_client.emit("job", {"id": tick.id}, namespace="/live", callback=True)["job"]
    assert json.loads(detail["result"])["summary"] == live[tick.id]  # in full, as JSON, not a repr


def test_format_words_values_and_tracebacks():
    assert format.summary({"summary": "sent", "to": "x"}) == "sent"
    assert format.summary({"a": 1}) == '{"a": 1}' and format.summary([1, "b"]) == '[1, "b"]'
    assert format.summary(None) == "" and format.summary("two\n lines") == "two lines"
    assert len(format.summary("x" * 500)) == format.INFO_LIMIT
    error = format.error('Traceback (most recent call last):\n'
                         '  File "/usr/lib/python3.11/site-packages/rq/job.py", line 10, in perform\n'
                         '    self._execute()\n'
                         '  File "/srv/app/tasks.py", line 3, in charge\n'
                         '    raise ValueError("card declined: 4242")\n'
                         'ValueError: card declined: 4242\n')
    assert (error["type"], error["message"]) == ("ValueError", "card declined: 4242")
    assert [(f["file"], f["func"], f["library"]) for f in error["frames"]] == [
        ("/srv/app/tasks.py", "charge", False), ("/usr/lib/python3.11/site-packages/rq/job.py", "perform", True)]
    assert error["frames"][0]["code"] == 'raise ValueError("card declined: 4242")'
    assert format.error("AbandonedJobError: its worker died") == {
        "type": "AbandonedJobError", "message": "its worker died", "frames": []}


def test_a_failed_jobs_detail_has_its_error_its_frames_and_its_attempts(connection, run_worker, socket_client):
    job = enqueue(connection, jobs.flaky, 5, retry=Retry(max=2))
    run_worker("simple")
    detail = socket_client.emit("job", {"id": job.id}, namespace="/live", callback=True)["job"]
    assert detail["error"]["type"] == "ConnectionError"
    assert detail["error"]["message"].startswith("attempt 3: the payment API timed out")
    own = [f for f in detail["error"]["frames"] if not f["library"]]
    assert own and own[0]["func"] == "flaky" and own[0]["file"].endswith("demo/jobs.py")
    assert all(f["library"] for f in detail["error"]["frames"][len(own):])  # rq's machinery comes after
    assert [a["ok"] for a in detail["attempts"]] == [False, False, False]
    assert [a["info"].split(":")[1].strip() for a in detail["attempts"]] == ["attempt 1", "attempt 2", "attempt 3"]


def test_a_recurring_job_is_marked_on_its_events_and_its_card(connection, run_worker):
    job = enqueue(connection, jobs.tick, meta={keys.RECURRING_META: keys.CRON_TICK_NAME})
    plain = enqueue(connection, jobs.tick)
    run_worker("simple")
    marks = {(e["job"], e["type"]): e["recurring"] for e in events.since(connection, "0-0")}
    assert marks[(job.id, "finished")] == keys.CRON_TICK_NAME and marks[(plain.id, "finished")] == ""
    cards = state.fetch_cards(connection, [job.id, plain.id])
    assert cards[job.id]["recurring"] == keys.CRON_TICK_NAME and cards[plain.id]["recurring"] == ""


def test_the_cron_ticks_are_recurring_jobs(connection):
    from rq.cron import CronScheduler

    scheduler = CronScheduler(connection=connection)
    scheduler.load_config_from_file("demo.runtime.cron")
    (tick,) = [j for j in scheduler._cron_jobs if j.name == keys.CRON_TICK_NAME]
    job = tick.enqueue(connection)  # what rq's cron scheduler does every DEMO_TICK_INTERVAL
    assert job.meta[keys.RECURRING_META] == keys.CRON_TICK_NAME
    assert state.fetch_cards(connection, [job.id])[job.id]["recurring"] == keys.CRON_TICK_NAME


def test_a_lane_opens_page_by_page_and_filters_by_function_or_nickname(connection, run_worker, socket_client):
    template = enqueue(connection, jobs.fail, "template")
    run_worker("simple")
    _fill_failed(connection, template.id, 60)
    nick = enqueue(connection, jobs.fail, "mine", meta={"nick": "brave badger"})
    run_worker("simple")
    first = socket_client.emit("lane", {"queue": "default", "lane": "failed"}, namespace="/live", callback=True)
    assert first["ok"] and first["total"] == 62 and first["pages"] == 3 and len(first["ids"]) == state.PAGE_SIZE
    assert first["ids"][0] == "bulk-000059"  # newest (highest score) first
    last = socket_client.emit("lane", {"queue": "default", "lane": "failed", "page": 2}, namespace="/live",
                              callback=True)
    assert last["page"] == 2 and len(last["ids"]) == 62 - 2 * state.PAGE_SIZE
    assert not set(first["ids"]) & set(last["ids"])
    found = socket_client.emit("lane", {"queue": "default", "lane": "failed", "filter": "BADGER"},
                               namespace="/live", callback=True)
    assert found["ids"] == [nick.id] and found["matched"] == 1
    by_func = socket_client.emit("lane", {"queue": "default", "lane": "failed", "filter": "fail"},
                                 namespace="/live", callback=True)
    assert by_func["matched"] == 62


def test_bad_lane_requests_get_a_clear_error(socket_client):
    for payload in ({"queue": "nope", "lane": "failed"}, {"queue": "default", "lane": "everything"},
                    {"queue": "default", "lane": "failed", "page": -1},
                    {"queue": "default", "lane": "failed", "filter": "x" * 61}, "junk"):
        ack = socket_client.emit("lane", payload, namespace="/live", callback=True)
        assert ack["ok"] is False and ack["error"].startswith("lane:"), payload


def test_the_presenter_requeues_every_failed_job_of_a_queue(presenter_socket, socket_client, connection, run_worker):
    failing = [enqueue(connection, jobs.fail, str(n)) for n in range(3)]
    run_worker("simple")
    ack = socket_client.emit("action", {"op": "requeue_failed", "queue": "default"}, namespace="/live", callback=True)
    assert ack["ok"] is False and "presenter only" in ack["error"]
    ack = presenter_socket.emit("action", {"op": "requeue_failed", "queue": "default"}, namespace="/live",
                                callback=True)
    assert ack == {"ok": True, "queue": "default", "requeued": 3, "left": 0}
    assert {j.get_status() for j in failing} == {"queued"}
    requeued = [e["job"] for e in events.since(connection, "0-0") if e["type"] == "requeued"]
    assert sorted(requeued) == sorted(j.id for j in failing)  # one event each: every dashboard sees them move
