"""Every shell command on a slide runs here, as a reader would type it.

Each scenario is a terminal session: bash, the project's ``.venv/bin`` first
on PATH (where ``rq``, ``gunicorn``, ``redis-server`` and ``redis-cli``
live), ``REDIS_URL`` set to the test Redis, and the commands exactly as the
slides print them, in their order (``cd`` lines move the session).
Long-running commands (a worker, gunicorn, a sink) start in the background
and are checked by what they do, then stopped by pid.
``test_every_command_on_a_slide_runs_here`` keeps the slides and these
scenarios in step: a new command on a slide fails it until a scenario runs it.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from rq.job import Job

from conftest import ROOT, wait_for

pytestmark = pytest.mark.slow

SLIDES = ROOT / "slides"
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
SHELLS = ("sh", "shell", "bash", "console")

# --- the commands, as the slides print them ---------------------------------------

INSTALL = ["redis-server --port 6380 --appendonly yes", "redis-cli -p 6380 ping",
           "redis-cli -p 6380 CONFIG GET appendfsync"]
WORKER = ["cd slides/code", 'rq worker --url "$REDIS_URL" high default low']
LATER = ['rq worker --with-scheduler --url "$REDIS_URL"', 'rq cron demo.runtime.cron --url "$REDIS_URL"']
GUNICORN = ["cd slides/code", "gunicorn -c gunicorn.conf.py app:app",
            'rq worker-pool -n 4 --url "$REDIS_URL" high default low']
REDIS_TOUR = ['redis-cli -u "$REDIS_URL" SET greeting hello', 'redis-cli -u "$REDIS_URL" RPUSH jobs resize email',
              'redis-cli -u "$REDIS_URL" LINDEX jobs 0', "redis-cli -u \"$REDIS_URL\" KEYS '*'",
              "redis-cli -u \"$REDIS_URL\" --scan --pattern 'rq:*'"]
PROCESS_VS_THREAD = ["python slides/code/process_vs_thread.py", "cd slides/code",
                     'rq worker --burst --url "$REDIS_URL" default',
                     'rq worker --burst -w rq.SimpleWorker --url "$REDIS_URL" default']
MAIL = ["python -m aiosmtpd -n -l 127.0.0.1:8025", "cd slides/code", 'rq worker --with-scheduler --url "$REDIS_URL"']
RETRIES_CRON = ["cd slides/code", 'rq worker --with-scheduler --url "$REDIS_URL"',
                'rq cron cron_config.py --url "$REDIS_URL"']
TWO_WORKERS = ["cd slides/code", "gunicorn -w 2 --timeout 30 app:app",
               "for i in 1 2 3; do curl -s -X POST 'localhost:8000/report/inline?seconds=5' & done"]

SCENARIOS = [INSTALL, WORKER, LATER, GUNICORN, REDIS_TOUR, PROCESS_VS_THREAD, MAIL, RETRIES_CRON, TWO_WORKERS]


def slide_commands():
    """(file:line, command) for every command line of every shell block on the slides."""
    found = []
    for path in sorted(SLIDES.glob("*.md")):
        fence, shell = None, False
        for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
            match = FENCE.match(line)
            if fence is not None:
                if match and match.group(1).startswith(fence) and not match.group(2).strip():
                    fence = None
                elif shell:
                    command = re.sub(r"\s+#.*$", "", line).strip()
                    if command and not command.startswith("#"):
                        found.append((f"{path.name}:{number}", command))
                continue
            if match:
                fence, words = match.group(1), match.group(2).split()
                shell = bool(words) and words[0] in SHELLS
    return found


def test_every_command_on_a_slide_runs_here():
    shown = slide_commands()
    assert len(shown) >= 20
    run = {command for scenario in SCENARIOS for command in scenario}
    missing = [f"{where}: {command}" for where, command in shown if command not in run]
    assert not missing, "commands on slides that no scenario runs:\n" + "\n".join(missing)
    assert run <= {command for _, command in shown}, "a scenario runs a command no slide shows"


# --- a terminal ---------------------------------------------------------------------


class Terminal:
    """A bash session in the project: runs commands, follows ``cd``, stops what it started."""

    def __init__(self, tmp_path, redis_url):
        self.cwd, self.logs = ROOT, tmp_path
        self.env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
                    "REDIS_URL": redis_url, "PYTHONUNBUFFERED": "1"}
        self.env.pop("VIRTUAL_ENV", None)
        self.started = []

    def run(self, command, timeout=60):
        """Run ``command`` in the foreground; its output (exit 0 or the test fails)."""
        if command.startswith("cd "):
            self.cwd = (self.cwd / command[3:]).resolve()
            assert self.cwd.is_dir(), command
            return ""
        result = subprocess.run(["bash", "-c", command], cwd=self.cwd, env=self.env, capture_output=True,
                                text=True, timeout=timeout)
        assert result.returncode == 0, f"{command!r} exited {result.returncode}:\n{result.stdout}{result.stderr}"
        return result.stdout

    def start(self, command):
        """Start a long-running ``command`` in the background; returns its log file."""
        log = self.logs / f"bg{len(self.started)}.log"
        out = open(log, "wb")
        process = subprocess.Popen(["bash", "-c", command], cwd=self.cwd, env=self.env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        self.started.append((process, out, command))
        return log

    def check_running(self):
        for process, _, command in self.started:
            assert process.poll() is None, f"{command!r} exited {process.returncode}"

    def stop(self):
        """SIGTERM each command started (a warm stop: it stops its own children), then clear its
        process group; True if every one stopped by itself."""
        warm = True
        for process, out, _ in reversed(self.started):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)  # bash ran the one command in its own process
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                warm = False
            _killpg(process, signal.SIGKILL)
            process.wait()
            out.close()
        self.started = []
        return warm


def _killpg(process, sig):
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass


@pytest.fixture
def terminal(tmp_path, redis_url, connection):
    shell = Terminal(tmp_path, redis_url)
    yield shell
    assert shell.stop(), "a command did not stop on SIGTERM"


def _free(port):
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def _needs_port(port):
    if not _free(port):
        pytest.fail(f"port {port} is in use, and the slide's command needs it: stop what uses it")


def _listening(port):
    def up():
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return True
        except OSError:
            return False

    return up


def _code_queue(connection, monkeypatch, name="default"):
    """A queue for enqueueing the slides' own job functions (slides/code on sys.path)."""
    monkeypatch.syspath_prepend(str(SLIDES / "code"))
    return Queue(name, connection=connection)


def _finished(connection, jobs, timeout=60):
    def done():
        return all(Job.fetch(j.id, connection=connection).get_status() == "finished" for j in jobs)

    wait_for(done, timeout, 0.2, f"{len(jobs)} job(s) finished")


# --- the scenarios ----------------------------------------------------------------------


def test_install_it_run_it(terminal, tmp_path):
    _needs_port(6380)
    terminal.cwd = tmp_path  # its append-only file lands here
    server, ping, config = INSTALL
    terminal.start(server)
    wait_for(_listening(6380), 20, 0.1, "redis-server on 6380")
    assert terminal.run(ping).strip() == "PONG"
    assert terminal.run(config).split() == ["appendfsync", "everysec"]
    assert (tmp_path / "appendonly.aof").exists() or (tmp_path / "appendonlydir").is_dir()


def test_writing_a_worker(terminal, connection, monkeypatch):
    cd, worker = WORKER
    terminal.run(cd)
    terminal.start(worker)
    queues = [_code_queue(connection, monkeypatch, name) for name in ("high", "low")]
    import tasks

    jobs = [queue.enqueue(tasks.count_words, "from the slide", 0) for queue in queues]
    _finished(connection, jobs)
    assert Job.fetch(jobs[0].id, connection=connection).return_value() == 3
    terminal.check_running()


def test_later_and_again(terminal, connection):
    from demo import jobs as demo_jobs

    scheduler_worker, cron = LATER  # from the project's root
    terminal.start(scheduler_worker)
    later = Queue("default", connection=connection).enqueue_in(timedelta(seconds=1), demo_jobs.add, 2, 3)
    _finished(connection, [later])
    terminal.start(cron)
    ticked = wait_for(lambda: [j for j in Queue("default", connection=connection).finished_job_registry.get_job_ids()
                               if Job.fetch(j, connection=connection).func_name == "demo.jobs.tick"],
                      60, 0.2, "rq cron's first tick, run by the worker")
    assert ticked
    terminal.check_running()


def test_gunicorn_and_a_worker_pool(terminal, connection, monkeypatch):
    import requests

    _needs_port(8000)
    cd, web, pool = GUNICORN
    terminal.run(cd)
    terminal.start(web)
    wait_for(_listening(8000), 30, 0.1, "gunicorn on 8000 (gunicorn.conf.py's bind)")
    answer = requests.post("http://127.0.0.1:8000/report/inline?seconds=0.1", timeout=10)
    assert answer.status_code == 200 and answer.json() == {"words": 3000}
    terminal.start(pool)
    queue = _code_queue(connection, monkeypatch)
    import tasks

    jobs = [queue.enqueue(tasks.count_words, "one of four", 1) for _ in range(4)]
    _finished(connection, jobs, timeout=90)
    ran_by = {Job.fetch(j.id, connection=connection).worker_name for j in jobs}
    assert len(ran_by) >= 2  # a pool: several workers took them
    terminal.check_running()


def test_appendix_a_redis_cli_tour(terminal, connection, redis_url):
    # A database of its own, empty as a reader's fresh Redis: what other scenarios'
    # processes may still write to database 0 cannot show up in KEYS.
    terminal.env["REDIS_URL"] = redis_url.rsplit("/", 1)[0] + "/9"
    own = Redis.from_url(terminal.env["REDIS_URL"])
    own.flushdb()
    set_, rpush, lindex, keys, scan = REDIS_TOUR
    assert terminal.run(set_).strip() == "OK"
    assert terminal.run(rpush).strip() == "2"
    assert terminal.run(lindex).strip() == "resize"
    assert sorted(terminal.run(keys).split()) == ["greeting", "jobs"]
    Queue("default", connection=own).enqueue("demo.jobs.noop")
    assert "rq:queue:default" in terminal.run(scan).split()
    own.flushdb()
    own.close()


def test_appendix_process_vs_thread(terminal, connection, monkeypatch):
    script, cd, fork, simple = PROCESS_VS_THREAD
    assert terminal.run(script).splitlines() == ["after a thread, we read 1",
                                                 "after a process, the child read 2 and we still read 1"]
    terminal.run(cd)
    queue = _code_queue(connection, monkeypatch)
    import tasks

    for worker in (fork, simple):
        jobs = [queue.enqueue(tasks.count_words, "two words", 0) for _ in range(5)]
        terminal.run(worker, timeout=120)  # --burst: drains the queue, then exits 0
        assert all(Job.fetch(j.id, connection=connection).return_value() == 2 for j in jobs)


def test_appendix_send_an_email_from_a_job(terminal, connection, monkeypatch):
    _needs_port(8025)
    sink, cd, worker = MAIL
    log = terminal.start(sink)
    wait_for(_listening(8025), 20, 0.1, "the aiosmtpd sink on 8025")
    terminal.run(cd)
    terminal.start(worker)
    queue = _code_queue(connection, monkeypatch)
    import mailer

    job = queue.enqueue(mailer.send_welcome_email, "ada@example.test", "Ada", smtp_port=8025)
    _finished(connection, [job])
    wait_for(lambda: "Subject: Welcome, Ada!" in log.read_text(errors="replace"), 10, 0.1, "the sink printing it")


def test_appendix_retries_and_cron(terminal, connection, monkeypatch):
    cd, worker, cron = RETRIES_CRON
    terminal.run(cd)
    terminal.start(worker)
    queue = _code_queue(connection, monkeypatch)
    import tasks
    from rq import Retry

    flaky = queue.enqueue(tasks.flaky, 1, retry=Retry(max=2, interval=1))
    _finished(connection, [flaky])
    assert Job.fetch(flaky.id, connection=connection).return_value() == "succeeded on attempt 2"
    terminal.start(cron)
    wait_for(lambda: [j for j in queue.finished_job_registry.get_job_ids()
                      if Job.fetch(j, connection=connection).func_name == "tasks.count_words"],
             60, 0.2, "cron_config.py's count_words, run by the worker")
    terminal.check_running()


def test_appendix_two_web_workers_one_slow_view(terminal):
    _needs_port(8000)
    cd, web, curls = TWO_WORKERS
    terminal.run(cd)
    terminal.start(web)
    wait_for(_listening(8000), 30, 0.1, "gunicorn on 8000")
    started = time.monotonic()
    answers = terminal.run(curls, timeout=60)  # the curls hold its output open until they are done
    took = time.monotonic() - started
    assert answers.count('{"words":3000}') == 3
    assert took >= 9.5  # two workers: the third request waited 5 s for a free one
