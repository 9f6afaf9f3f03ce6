"""Every Python file the slides show runs here, so slide code cannot rot."""

import importlib
import runpy
from pathlib import Path

import pytest
from rq import SimpleWorker
from rq.job import Job, JobStatus

CODE = Path(__file__).resolve().parent.parent / "slides" / "code"


@pytest.fixture
def slide_code(monkeypatch):
    monkeypatch.syspath_prepend(str(CODE))
    return lambda name: importlib.import_module(name)


@pytest.fixture
def smtp_sink():
    """A real SMTP server (aiosmtpd) on a free loopback port that keeps what it receives."""
    from aiosmtpd.controller import Controller
    from demo.db import free_port

    received = []

    class Sink:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope)
            return "250 OK"

    port = free_port()
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, received
    finally:
        controller.stop()


def test_every_code_file_is_covered_here():
    tested = {"redis_tour", "tasks", "enqueue", "cron_config", "mailer", "process_vs_thread", "app",
              "gunicorn.conf", "signup", "snippets", "receipts"}
    assert {p.stem for p in CODE.glob("*.py")} == tested


def test_redis_tour_runs_the_exercise_commands(slide_code, connection):
    result = slide_code("redis_tour").tour(connection)
    assert result["greeting"] == b"hello"
    assert result["first"] == b"urgent"
    assert result["keys"] == [b"greeting", b"jobs"] == result["scanned"]
    assert result["type"] == b"list"


def test_tasks_do_what_the_slides_say(slide_code):
    tasks = slide_code("tasks")
    assert tasks.count_words("one two three") == 3
    assert tasks.count_words("one two", 0) == 2
    assert '<span class="k">def</span>' in tasks.highlight("def f(): pass", "python")



def test_flaky_succeeds_after_its_failures_on_the_forking_worker(slide_code, connection):
    from rq import Queue, Retry, Worker

    tasks = slide_code("tasks")
    job = Queue("default", connection=connection).enqueue(tasks.flaky, 2, retry=Retry(max=3))
    Worker(["default"], connection=connection).work(burst=True)
    assert job.get_status() == JobStatus.FINISHED
    assert job.return_value() == "succeeded on attempt 3"


def test_enqueue_examples_run_on_a_real_worker(slide_code, connection, redis_url):
    job, retried, later, at_noon = slide_code("enqueue").enqueue_examples(redis_url)
    assert retried.func_name == "tasks.flaky"  # the retry slide enqueues the job it shows
    SimpleWorker(["default"], connection=connection).work(burst=True)
    assert job.get_status() == JobStatus.FINISHED and job.return_value() == 5
    # flaky(2) failed its first attempt; with an interval the retry waits in *scheduled*, 2 s later.
    assert retried.get_status() == JobStatus.SCHEDULED
    retried.refresh()
    assert retried.retries_left == 2 and retried.retry_intervals == [2, 4, 8]
    assert later.get_status() == JobStatus.SCHEDULED == at_noon.get_status()


def test_the_cron_slide_registers_what_the_demo_runs(connection):
    """The "Later, and again" slide shows demo/runtime/cron.py's region: jobs.tick every 10 s."""
    from rq.cron import CronScheduler

    from demo import config, jobs, keys
    from demo.runtime import cron as demo_cron

    scheduler = CronScheduler(connection=connection)
    scheduler.load_config_from_file(demo_cron.__name__)
    (tick,) = scheduler.get_jobs()
    assert (tick.func, tick.queue_name, tick.name) == (jobs.tick, "default", keys.CRON_TICK_NAME)
    assert tick.interval == 10 == config.DEFAULTS["DEMO_TICK_INTERVAL"]  # what the schedule demo shows
    region = Path(demo_cron.__file__).read_text().split("# region register")[1].split("# endregion")[0]
    assert "interval=10" in region and "jobs.tick" in region


def test_cron_config_registers_one_recurring_job(slide_code, connection):
    from rq.cron import CronScheduler

    scheduler = CronScheduler(connection=connection)
    scheduler.load_config_from_file(str(CODE / "cron_config.py"))
    (cron_job,) = scheduler.get_jobs()
    assert cron_job.interval == 60 and cron_job.queue_name == "default"


def test_mailer_sends_a_real_email(slide_code, smtp_sink):
    port, received = smtp_sink
    message_id = slide_code("mailer").send_welcome_email("ada@example.test", "Ada <3", smtp_port=port)
    assert message_id.startswith("<") and message_id.endswith("@ohmyqueue.test>")
    (envelope,) = received
    assert envelope.rcpt_tos == ["ada@example.test"]
    body = envelope.content.decode()
    assert "Subject: Welcome, Ada <3!" in body and "<b>Ada &lt;3</b>" in body
    assert "\nDate: " in body and "\nMessage-ID: <" in body  # what every mail should carry


def test_processes_do_not_share_memory_threads_do(slide_code):
    module = slide_code("process_vs_thread")
    assert module.in_a_thread() == 1
    assert module.in_a_process() == (2, 1)  # the child read 2 (it began from our 1); we still read 1


def test_the_flask_app_inline_and_background(slide_code, connection, redis_url):
    module = slide_code("app")
    module.app.config["REDIS_URL"] = redis_url
    client = module.app.test_client()
    assert client.post("/report/inline?seconds=0.05").get_json() == {"words": 3000}
    response = client.post("/report/background?seconds=0.05")
    assert response.status_code == 202
    (job_id,) = connection.lrange("rq:queue:default", 0, -1)
    assert Job.fetch(job_id.decode(), connection=connection).args == ("a long report " * 1000, 0.05)


def test_gunicorn_config_matches_the_slides():
    settings = runpy.run_path(str(CODE / "gunicorn.conf.py"))
    assert settings["workers"] == 2 and settings["timeout"] == 30
    # The blocking demo's gunicorn loads this file (tests/test_demos_blocking.py runs it).
    from demo.runtime import gunicorn_conf

    assert gunicorn_conf.SLIDE_CONFIG == CODE / "gunicorn.conf.py" and gunicorn_conf.workers == 2


def test_signup_answers_at_once_and_a_worker_sends_the_email(slide_code, connection, redis_url, smtp_sink):
    port, received = smtp_sink
    module = slide_code("signup")
    module.app.config.update(REDIS_URL=redis_url, SMTP_PORT=port)
    response = module.app.test_client().post("/signup", data={"email": "ada@example.test", "name": "Ada"})
    assert response.status_code == 202 and b"Check your inbox" in response.data
    assert received == []  # nothing sent during the request
    (job_id,) = connection.lrange("rq:queue:default", 0, -1)
    job = Job.fetch(job_id.decode(), connection=connection)
    assert job.retries_left == 3 and job.retry_intervals == [10, 30, 60]
    SimpleWorker(["default"], connection=connection).work(burst=True)
    (envelope,) = received
    assert envelope.rcpt_tos == ["ada@example.test"]
    assert "Subject: Welcome, Ada!" in envelope.content.decode()


def test_snippets_highlight_in_a_job(slide_code, connection, redis_url):
    module = slide_code("snippets")
    module.app.config["REDIS_URL"] = redis_url
    client = module.app.test_client()
    created = client.post("/snippets", data={"code": "def f(): pass", "language": "python"})
    assert created.status_code == 303
    page = created.headers["Location"]
    pending = client.get(page)
    assert pending.status_code == 202 and b"refresh" in pending.data
    SimpleWorker(["default"], connection=connection).work(burst=True)
    done = client.get(page)
    assert done.status_code == 200
    assert done.data.startswith(b"<pre>") and b'<span class="k">def</span>' in done.data


def test_a_snippet_that_cannot_be_highlighted_says_so(slide_code, connection, redis_url):
    module = slide_code("snippets")
    module.app.config["REDIS_URL"] = redis_url
    client = module.app.test_client()
    page = client.post("/snippets", data={"code": "x", "language": "no-such-language"}).headers["Location"]
    SimpleWorker(["default"], connection=connection).work(burst=True)
    failed = client.get(page)
    assert failed.status_code == 500 and b"Could not highlight" in failed.data


def test_an_expired_snippet_says_so(slide_code, connection, redis_url):
    module = slide_code("snippets")
    module.app.config["REDIS_URL"] = redis_url
    client = module.app.test_client()
    page = client.post("/snippets", data={"code": "x = 1", "language": "python"}).headers["Location"]
    connection.flushdb()  # what result_ttl does after 500 s
    expired = client.get(page)
    assert expired.status_code == 404 and b"expired" in expired.data


def test_a_job_works_inside_the_flask_app_context(slide_code, connection, tmp_path, monkeypatch):
    import sqlite3

    from rq import Queue

    database = tmp_path / "shop.db"
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, total INTEGER, paid INTEGER DEFAULT 0)")
        db.execute("INSERT INTO orders (id, total) VALUES (7, 4200)")
    monkeypatch.setenv("DATABASE", str(database))
    receipts = slide_code("receipts")
    job = receipts.checkout(Queue("default", connection=connection), 7)
    assert job.func_name == "receipts.mark_paid" and job.args == (7,)  # an id, by import path
    SimpleWorker(["default"], connection=connection).work(burst=True)
    assert job.get_status() == JobStatus.FINISHED and job.return_value() == 4200
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT paid FROM orders WHERE id = 7").fetchone() == (1,)
