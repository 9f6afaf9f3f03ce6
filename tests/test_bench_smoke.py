"""Each benchmark runs end to end with tiny numbers and ends with its key=value line."""

import re
import subprocess
import sys

import pytest

from conftest import ROOT

pytestmark = pytest.mark.slow

NUMBER = r"-?(\d+(\.\d+)?|nan|inf)"


def _last_line(*argv, timeout=240):
    result = subprocess.run([sys.executable, *argv], cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return result.stdout.strip().splitlines()[-1]


def _figures(line, names):
    pairs = dict(part.split("=", 1) for part in line.split())
    assert list(pairs) == names, line
    assert all(re.fullmatch(NUMBER, value) for value in pairs.values()), line
    return {name: float(value) for name, value in pairs.items()}


def test_latency_bench():
    line = _last_line("bench/latency.py", "--clients", "10", "--jobs", "20", "--rate", "20")
    figures = _figures(line, ["clients", "jobs", "p50_ms", "p99_ms", "max_ms", "missed", "rq_dashboard_p50_ms",
                              "speedup"])
    assert figures["clients"] == 10 and figures["jobs"] == 20
    assert figures["missed"] == 0
    assert 0 < figures["p50_ms"] <= figures["p99_ms"] <= figures["max_ms"]


def test_overhead_bench():
    line = _last_line("bench/overhead.py", "--jobs", "60", "--chunk", "20")
    figures = _figures(line, ["plain_jps", "live_jps", "ratio"])
    assert figures["plain_jps"] > 0 and figures["live_jps"] > 0


def test_viewers_bench():
    line = _last_line("bench/viewers.py", "--clients", "5", "--seconds", "5")
    figures = _figures(line, ["clients", "ours_cpu_s", "rq_dashboard_cpu_s", "ratio"])
    assert figures["clients"] == 5 and figures["ours_cpu_s"] > 0 and figures["rq_dashboard_cpu_s"] > 0


@pytest.mark.browser
def test_render_bench():
    line = _last_line("bench/render.py", "--failed", "500", "--runs", "1")
    figures = _figures(line, ["failed", "first_render_ms", "snapshot_ms", "rq_dashboard_ms", "ratio", "html_ms",
                              "modules_ms", "drawn_ms"])
    assert figures["failed"] == 500 and figures["first_render_ms"] > 0
    # where our time goes, in order: the page, our modules, the state in the DOM, then a frame shows it
    assert 0 < figures["html_ms"] <= figures["modules_ms"] <= figures["drawn_ms"] <= figures["first_render_ms"]


def test_common_prints_the_machine():
    line = _last_line("bench/common.py")
    assert re.fullmatch(r"cpus=\d+ python=\S+ redis_py=\S+ load1=[\d.]+", line), line


def test_fanout_bench():
    line = _last_line("bench/fanout.py", "--clients", "10", "--seconds", "2", "--rate", "10")
    figures = _figures(line, ["clients", "events", "sends", "serve_us_per_send", "viewer_us_per_receipt",
                              "to_emit_p99_ms", "delivery_p99_ms", "p99_ms", "missed", "rq_dashboard_us_per_poll",
                              "load1"])
    assert figures["clients"] == 10 and figures["events"] >= 3 and figures["missed"] == 0
    assert figures["sends"] >= 10 and figures["serve_us_per_send"] > 0


def test_console_bench():
    line = _last_line("bench/console.py", "--visitors", "5", "--seconds", "2", "--think", "0.2", "--cli-commands", "20",
                      "--target-p99-ms", "100000")
    figures = _figures(line, ["visitors", "ours_cps", "redis_cli_cps", "p99_ms", "p50_ms", "p90_ms", "flat_p99_ms",
                              "server_cpu_ms_per_command", "load1", "errors"])
    assert figures["visitors"] == 5 and figures["errors"] == 0
    assert figures["ours_cps"] > 0 and figures["redis_cli_cps"] > 0
    assert 0 < figures["p50_ms"] <= figures["p99_ms"]
