"""Benchmark: commands per second through the Redis console at N visitors, against redis-cli.

``.venv/bin/python bench/console.py [--visitors 200] [--seconds 10] [--think 1.0] [--cli-commands 500]
[--target-p99-ms 50]``

Starts a throwaway queue Redis and a sandbox redis-server (the config file
``serve`` writes: admin password hash, maxmemory, noeviction), then
``python -m demo serve`` (no workers) using both. N visitors each get their
own session cookie from ``/demo/redis`` and hold one websocket speaking
Socket.IO on ``/console``, as the page does, with a mix of the lesson's
commands (SET, GET, RPUSH, LRANGE, LPOP, INCR, KEYS, TYPE, HSET, HGETALL) on
their own keys. Every command goes the whole way: parse, rate limit, AUTH as
the visitor's ACL user, quota, the command, the index.

1. paced: each visitor starts at a random moment, runs a command, waits
   for the answer, thinks 0.5 to 1.5 x ``--think`` seconds (1 s: faster
   than anyone types) and again. Reply times (send to ack) give p50 and p99.
2. flat out: each visitor sends its next command the moment the answer
   arrives: ``ours_cps``, the console's capacity at N visitors.
3. the peer, in the same run on the same sandbox server: N ``redis-cli``
   processes at once, each sending ``--cli-commands`` of the same mix from
   stdin, one after another (what a terminal does): ``redis_cli_cps``.

The server runs with CONSOLE_RATE_LIMIT and the per-socket event limit
(SOCKET_EVENT_RATE, SOCKET_EVENT_BURST) lifted: this measures capacity,
not the limits. Last line: ``visitors=N ours_cps=… redis_cli_cps=… p99_ms=…``
then ``p50_ms p90_ms flat_p99_ms server_cpu_ms_per_command load1 errors`` (the
server's CPU per command in the flat-out phase does not depend on what else
the machine runs; the latencies do). Exits 1 when p99 reaches 50 ms or a
command failed. Everything runs on 127.0.0.1; every process it starts is
stopped by pid.
"""

import argparse
import asyncio
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import requests
from common import BenchError, Redis, Serve, bench_main, percentile, workdir

from demo.console.server import write_config
from demo.db import EmbeddedRedis, find_redis_server

TARGET_P99_MS = 50.0
PASSWORD = "bench-sandbox-password"

#: One visitor's round of commands (every one on their own keys).
MIX = ["SET name fido", "GET name", "RPUSH jobs email", "LRANGE jobs 0 9", "LPOP jobs", "INCR visits", "KEYS *",
       "TYPE jobs", "HSET job:1 status queued", "HGETALL job:1"]


def _parse():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visitors", type=int, default=200, help="concurrent visitors (default 200)")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each of our phases (default 10)")
    parser.add_argument("--think", type=float, default=1.0, help="seconds a paced visitor waits between commands")
    parser.add_argument("--cli-commands", type=int, default=500, help="commands per redis-cli process (default 500)")
    parser.add_argument("--target-p99-ms", type=float, default=TARGET_P99_MS,
                        help=f"exit 1 when the paced p99 reaches this (default {TARGET_P99_MS:g})")
    args = parser.parse_args()
    if not (1 <= args.visitors <= 2000 and 1 <= args.seconds <= 600 and 0 <= args.think <= 60
            and 10 <= args.cli_commands <= 100_000):
        parser.error("keep --visitors 1..2000, --seconds 1..600, --think 0..60, --cli-commands 10..100000")
    return args


def _redis_cli():
    found = shutil.which("redis-cli") or str(Path(find_redis_server()).with_name("redis-cli"))
    if not os.access(found, os.X_OK):
        raise BenchError("no redis-cli found next to redis-server or on PATH")
    return found


class Visitor:
    """One browser tab of /demo/redis: a cookie, a websocket, Socket.IO by hand."""

    def __init__(self, base, cookie, number):
        self.url = base.replace("http://", "ws://", 1) + "/socket.io/?EIO=4&transport=websocket"
        self.cookie = cookie
        self.number = number
        self.ws = None
        self.acks = 0
        self.pending = {}
        self.reader = None

    async def connect(self, session):
        self.ws = await session.ws_connect(self.url, headers={"Cookie": self.cookie}, max_msg_size=0,
                                           autoping=False)
        joined = asyncio.get_running_loop().create_future()
        self.reader = asyncio.ensure_future(self._read(joined))
        await asyncio.wait_for(joined, 30)

    async def _read(self, joined):
        async for message in self.ws:
            data = message.data
            if not isinstance(data, str):
                break
            if data == "2":
                await self.ws.send_str("3")
            elif data.startswith("0"):
                await self.ws.send_str("40/console,")
            elif data.startswith("40/console,") and not joined.done():
                joined.set_result(True)
            elif data.startswith("43/console,"):
                body = data[len("43/console,"):]
                number, _, payload = body.partition("[")
                future = self.pending.pop(int(number), None)
                if future is not None and not future.done():
                    future.set_result(json.loads("[" + payload)[0])
        for future in self.pending.values():
            if not future.done():
                future.set_exception(ConnectionError("the websocket closed"))

    async def run(self, line):
        self.acks += 1
        future = asyncio.get_running_loop().create_future()
        self.pending[self.acks] = future
        started = time.perf_counter()
        await self.ws.send_str(f'42/console,{self.acks}["run",{json.dumps({"line": line, "mode": "sandbox"})}]')
        answer = await asyncio.wait_for(future, 30)
        elapsed = time.perf_counter() - started
        kinds = {block["kind"] for block in answer.get("output", [])}
        return elapsed, answer.get("ok") is True and "error" not in kinds

    async def close(self):
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            self.reader.cancel()


async def _phase(visitors, seconds, think):
    """Every visitor runs the mix for ``seconds``; (latencies in s, commands, errors, wall seconds)."""
    latencies, errors = [], [0]
    deadline = time.monotonic() + seconds

    async def one(visitor):
        n = visitor.number  # visitors start at different points of the mix
        if think:  # and at different moments, as people do (not all 200 in the same millisecond)
            await asyncio.sleep(think * random.random())
        while time.monotonic() < deadline:
            elapsed, ok = await visitor.run(MIX[n % len(MIX)])
            latencies.append(elapsed)
            errors[0] += 0 if ok else 1
            n += 1
            if think:
                await asyncio.sleep(think * random.uniform(0.5, 1.5))

    started = time.monotonic()
    await asyncio.gather(*(one(v) for v in visitors))
    return sorted(latencies), len(latencies), errors[0], time.monotonic() - started


async def _ours(base, cookies, args, server):
    import aiohttp

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                     cookie_jar=aiohttp.DummyCookieJar()) as session:
        visitors = [Visitor(base, cookie, n) for n, cookie in enumerate(cookies)]
        for start in range(0, len(visitors), 25):  # people arrive in small waves
            await asyncio.gather(*(v.connect(session) for v in visitors[start:start + 25]))
        try:
            await _phase(visitors, min(3.0, args.seconds), 0)  # warm up: every visitor's ACL user exists
            paced = await _phase(visitors, args.seconds, args.think)
            cpu = server.cpu_seconds()  # serve and its web tier: the gunicorn worker answers the console
            flat = await _phase(visitors, args.seconds, 0)
            flat += (server.cpu_seconds() - cpu,)
        finally:
            await asyncio.gather(*(v.close() for v in visitors), return_exceptions=True)
    return paced, flat


def _cookies(base, count):
    out = []
    with requests.Session() as http:
        for _ in range(count):
            http.cookies.clear()
            response = http.get(base + "/demo/redis", timeout=30)
            if response.status_code != 200 or "session" not in http.cookies:
                raise BenchError(f"/demo/redis answered {response.status_code} without a session cookie")
            out.append("session=" + http.cookies["session"])
    return out


def _redis_cli_cps(cli, port, count, per_process):
    """N redis-cli processes at once, each sending ``per_process`` commands; commands per second."""
    env = {**os.environ, "REDISCLI_AUTH": PASSWORD}  # the password stays out of every command line
    scripts = []
    for n in range(count):
        prefix = f"v:cli{n}:k:"
        lines = []
        for i in range(per_process):
            words = MIX[(n + i) % len(MIX)].split()
            if words[0] == "KEYS":
                words = ["KEYS", prefix + "*"]
            elif len(words) > 1:
                words[1] = prefix + words[1]
            lines.append(" ".join(words))
        scripts.append("\n".join(lines) + "\n")
    started = time.perf_counter()
    processes = [subprocess.Popen([cli, "-p", str(port)], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, env=env, start_new_session=True) for _ in range(count)]
    try:
        for process, script in zip(processes, scripts):
            process.stdin.write(script.encode())
            process.stdin.close()
        for process in processes:
            if process.wait(300) != 0:
                raise BenchError(f"redis-cli failed: {process.stderr.read().decode(errors='replace')[:200]}")
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
            process.stderr.close()
    return count * per_process / (time.perf_counter() - started)


def run(args):
    cli = _redis_cli()
    with workdir("console") as tmp, Redis(tmp) as queue_redis:
        data = Path(tmp) / "sandbox"
        sandbox = EmbeddedRedis(data, persist=False, config_file=write_config(data / "sandbox.conf", PASSWORD,
                                                                              "256mb"))
        with sandbox:
            env = {"CONSOLE_SANDBOX_URL": f"redis://:{PASSWORD}@127.0.0.1:{sandbox.port}/0",
                   "CONSOLE_RATE_LIMIT": "10000000", "CONSOLE_RATE_LIMIT_PER_IP": "10000000",
                   "SOCKET_EVENT_RATE": "10000000", "SOCKET_EVENT_BURST": "10000000"}
            with Serve(queue_redis.url, Path(tmp) / "serve", workers=0, env=env) as server:
                cookies = _cookies(server.base, args.visitors)
                (paced, paced_n, paced_errors, _), (flat, flat_n, flat_errors, flat_s, flat_cpu) = asyncio.run(
                    _ours(server.base, cookies, args, server))
            cli_cps = _redis_cli_cps(cli, sandbox.port, args.visitors, args.cli_commands)
    p50, p99 = percentile(paced, 0.50) * 1000, percentile(paced, 0.99) * 1000
    ours_cps = flat_n / flat_s
    errors = paced_errors + flat_errors
    print(f"paced: {paced_n} commands, one per ~{args.think:g} s per visitor; flat out: {flat_n} in {flat_s:.1f} s; "
          f"redis-cli: {args.visitors} x {args.cli_commands}", flush=True)
    print(f"visitors={args.visitors} ours_cps={ours_cps:.0f} redis_cli_cps={cli_cps:.0f} p99_ms={p99:.1f} "
          f"p50_ms={p50:.1f} p90_ms={percentile(paced, 0.90) * 1000:.1f} "
          f"flat_p99_ms={percentile(flat, 0.99) * 1000:.1f} "
          f"server_cpu_ms_per_command={flat_cpu * 1000 / max(1, flat_n):.2f} load1={os.getloadavg()[0]:.1f} "
          f"errors={errors}")
    if errors:
        print(f"console: {errors} command(s) failed", file=sys.stderr)
        return 1
    if p99 >= args.target_p99_ms:
        print(f"console: p99 {p99:.1f} ms at {args.visitors} visitors; the target is under {args.target_p99_ms:g} ms",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(bench_main("console", _parse, run))
