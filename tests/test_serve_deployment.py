"""One deployment, several processes on one Redis: the recurring job ticks once
per interval, and the presenter's worker count is the deployment's, also
after the process doing either is killed."""

import os
import signal
import subprocess
import sys
import time

import pytest
import requests
from rq.cron import get_cron_job_history_key

from conftest import ROOT, wait_for
from demo import keys
from demo.runtime.cron import LOCK_TTL, STANDBY_POLL
from demo.runtime.supervisor import SCALER_TTL
from demofixtures import api, presenter_session
from test_serve import _alive, _children, _cmdline

pytestmark = pytest.mark.slow


def _ticks(connection):
    """Times (Unix seconds) of every tick enqueued so far, oldest first."""
    return [score for _, score in connection.zrange(get_cron_job_history_key(keys.CRON_TICK_NAME), 0, -1,
                                                    withscores=True)]


def test_two_cron_processes_tick_once_per_interval_and_the_second_takes_over(connection, redis_url, tmp_path):
    env = {**os.environ, "REDIS_URL": redis_url, "DEMO_TICK_INTERVAL": "1"}
    crons = []
    for n in range(2):
        log = open(tmp_path / f"cron{n}.log", "wb")
        crons.append(subprocess.Popen([sys.executable, "-m", "demo", "cron"], cwd=ROOT, env=env, stdout=log,
                                      stderr=subprocess.STDOUT))
        log.close()
    try:
        wait_for(lambda: len(_ticks(connection)) >= 6, 30, 0.1, "six ticks")
        holder = next(n for n in range(2) if "holds the deployment's cron lock" in
                      (tmp_path / f"cron{n}.log").read_text())
        before = len(_ticks(connection))
        killed = time.time()
        crons[holder].kill()  # no goodbye: its lock must expire
        crons[holder].wait()
        wait_for(lambda: len(_ticks(connection)) >= before + 3, LOCK_TTL + STANDBY_POLL + 20, 0.1,
                 "the other cron process to take over")
        ticks = _ticks(connection)
        resumed = next(t for t in ticks if t > killed) - killed
        gaps = [b - a for a, b in zip(ticks, ticks[1:])]
        assert min(gaps) > 0.9, f"two ticks {min(gaps):.2f} s apart: two cron processes enqueued"
        assert resumed < LOCK_TTL + STANDBY_POLL + 2
        print(f"\ncron holder kill -9: ticks resumed {resumed:.1f} s later; {len(ticks)} ticks, "
              f"smallest gap {min(gaps):.2f} s")
    finally:
        for process in crons:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(15)


def _workers(server):
    """Pids of the live fork workers a serve runs."""
    return [p for p in _children(server.process.pid) if _alive(p) and "demo worker --kind fork" in _cmdline(p)]


def test_the_presenters_worker_count_is_the_deployments_and_survives_its_holder(serve, connection):
    first, second = serve(workers=1), serve(workers=1)
    wait_for(lambda: [len(w) for w in [_workers(first), _workers(second)]] == [1, 1], 20, message="one worker each")
    session = presenter_session(first)
    assert api(session, first, "POST", "/api/workers", {"count": 3, "kind": "fork"})[0] == 200
    wait_for(lambda: sum(map(len, [_workers(first), _workers(second)])) == 3
             and 0 in map(len, [_workers(first), _workers(second)]), 30, message="three workers in the deployment")
    time.sleep(2)  # and it stays three: nobody adds its own
    counts = [len(w) for w in [_workers(first), _workers(second)]]
    assert sorted(counts) == [0, 3]
    leader, other = (first, second) if counts[0] == 3 else (second, first)
    killed = time.monotonic()
    leader.process.kill()  # its workers die with it; its scaler lock expires
    leader.process.wait()
    wait_for(lambda: len(_workers(other)) == 3, SCALER_TTL + 30, 0.2, "the other serve to run three")
    took = time.monotonic() - killed

    def healthz_lists_three():  # the killed serve's workers are settled, not shown for minutes
        workers = presenter_session(other).get(other.base + "/healthz", timeout=5).json()["workers"]
        return len(workers) == 3 and all(_alive(w["pid"]) for w in workers)

    wait_for(healthz_lists_three, 30, 0.5, "/healthz to list only the three live workers")
    print(f"\nscaler holder kill -9: three workers again after {took:.1f} s, "
          f"ghosts gone after {time.monotonic() - killed:.1f} s")
