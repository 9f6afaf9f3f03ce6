"""Processes vs threads: one batch on forking, simple and several workers, measured."""

import json

import pytest
from rq import Worker

from conftest import wait_for
from demo import keys
from demo.demos import bench
from demofixtures import post


def _run_to_end(client, timeout=120):
    def ended():
        runs = client.get("/demo/workers/runs").get_json()
        return runs if runs["current"] is None and runs["runs"] else None

    return wait_for(ended, timeout, 0.2, "the run to end")["runs"][0]


@pytest.mark.slow
def test_the_same_batch_is_measured_on_each_kind_of_worker(presenter_client, connection):
    legs = [{"kind": "fork", "workers": 1}, {"kind": "simple", "workers": 1}, {"kind": "fork", "workers": 2}]
    response = post(presenter_client, "/demo/workers/runs", {"batch": 12, "work": "noop", "legs": legs})
    assert response.status_code == 202
    run = _run_to_end(presenter_client)
    assert run["state"] == "done", run["error"]
    fork, simple, several = run["legs"]
    for leg in run["legs"]:
        assert leg["finished"] == 12 and leg["failed"] == 0
        # The figure is the jobs' own: finished jobs over the span of their timestamps.
        assert leg["jobs_per_second"] == pytest.approx(leg["finished"] / leg["seconds"], rel=0.01, abs=0.1)
    assert fork["processes"] == 12  # a new work-horse process per job
    assert simple["processes"] == 1  # every job in the worker's own process
    assert several["processes"] == 12 and 1 <= several["workers_used"] <= 2
    assert connection.get(keys.BENCH_LOCK) is None  # released for the next run
    assert [w.name for w in Worker.all(connection=connection) if w.name.startswith("omq.bench.")] == []


def test_only_the_presenter_starts_runs_and_sees_the_controls(client, presenter_client, connection):
    response = post(client, "/demo/workers/runs", {"batch": 5})
    assert response.status_code == 403 and "presenter only" in response.get_json()["error"]
    audience_page = client.get("/demo/workers").data.decode()
    assert 'id="run-form"' not in audience_page and 'id="scale-form"' not in audience_page
    presenter_page = presenter_client.get("/demo/workers").data.decode()
    assert 'id="run-form"' in presenter_page and 'id="scale-form"' in presenter_page


@pytest.mark.parametrize("body, message", [
    ({"batch": 0}, "batch must be a whole number from 1 to 1000"),
    ({"batch": 1001}, "batch must be a whole number from 1 to 1000"),
    ({"batch": "ten"}, "batch must be a whole number from 1 to 1000"),
    ({"batch": 5, "work": "sleep(9)"}, "work is one of noop, sleep, cpu"),
    ({"batch": 5, "legs": []}, "legs must be a list of 1 to 4"),
    ({"batch": 5, "legs": [{"kind": "fork", "workers": 1}] * 5}, "legs must be a list of 1 to 4"),
    ({"batch": 5, "legs": [{"kind": "thread", "workers": 1}]}, "each leg's kind is 'fork', 'simple' or 'threads'"),
    ({"batch": 5, "legs": [{"kind": "threads", "workers": 33}]}, "workers must be a whole number from 1 to 32"),
    ({"batch": 5, "legs": [{"kind": "fork", "workers": 9}]}, "workers must be a whole number from 1 to 8"),
    ({"batch": 5, "legs": "fork"}, "legs must be a list of 1 to 4"),
])
def test_bad_runs_are_400(presenter_client, connection, body, message):
    response = post(presenter_client, "/demo/workers/runs", body)
    assert response.status_code == 400 and response.get_json()["error"].startswith(message)
    assert connection.get(keys.BENCH_LOCK) is None


def test_one_run_at_a_time(presenter_client, connection):
    connection.set(keys.BENCH_LOCK, "another-run")
    response = post(presenter_client, "/demo/workers/runs", {"batch": 5})
    assert response.status_code == 409 and "already going" in response.get_json()["error"]


def test_a_run_whose_workers_cannot_start_fails_with_a_reason(redis_url, connection, tmp_path):
    run = bench.Run(redis_url, 3, "noop", [{"kind": "fork", "workers": 1}], tmp_path).claim()
    run.redis_url = "redis://127.0.0.1:1/0"  # the workers cannot reach this Redis
    run.execute()
    assert run.state == "failed" and "exited at start" in run.error
    assert connection.get(keys.BENCH_LOCK) is None
    assert json.loads(connection.lindex(keys.BENCH_RUNS, 0))["state"] == "failed"


def _side_by_side(redis_url, tmp_path, work, batch, threads):
    """The same batch at the same moment on 4 forking workers and on ``threads`` threads in one process.

    Run at once rather than one after the other, both legs meet the same load
    from whatever else the machine is doing (eight test suites on 2 cores),
    so the comparison holds on a busy machine too. Returns their jobs/s.
    """
    from concurrent.futures import ThreadPoolExecutor

    runs = [bench.Run(redis_url, batch, work, [leg], tmp_path / leg["kind"], queue=f"bench-{leg['kind']}")
            for leg in ({"kind": "fork", "workers": 4}, {"kind": "threads", "workers": threads})]
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda run: run.execute(), runs))
    assert [run.state for run in runs] == ["done", "done"], [run.error for run in runs]
    (processes,), (threaded,) = (run.legs for run in runs)
    assert processes["finished"] == threaded["finished"] == batch
    assert threaded["processes"] == 1 and threaded["workers_used"] > 1  # really threads, in one process
    assert processes["processes"] == batch and processes["workers_used"] == 4
    return processes["jobs_per_second"], threaded["jobs_per_second"]


@pytest.mark.slow
def test_threads_win_io_bound_jobs_and_processes_win_cpu_bound_jobs(redis_url, connection, tmp_path):
    """What the "Measure it" slide says. Jobs that wait (50 ms sleeps) go faster on the
    page's 16 threads than on its 4 processes: waiting needs no CPU, and a thread costs
    less than a process. Jobs that compute (pure-Python arithmetic that holds the GIL) go
    faster on 4 processes than on 4 threads: the same four jobs at a time, but the threads
    take turns at the GIL while the processes use every core they can get. (With the same
    concurrency, the Redis round trips every job makes weigh alike on both sides, which
    keeps the comparison about the GIL even on a loaded machine.)"""
    processes, threads = _side_by_side(redis_url, tmp_path / "io", "sleep", 96, threads=16)
    assert threads > 1.5 * processes, (processes, threads)
    processes, threads = _side_by_side(redis_url, tmp_path / "cpu", "cpu", 24, threads=4)
    assert processes > threads, (processes, threads)
