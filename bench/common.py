"""Shared pieces of the benchmarks: processes they start and stop, viewers, figures.

Everything here starts real processes (redis-server, ``python -m demo serve``,
rq-dashboard, viewer processes) on 127.0.0.1 and stops them by pid. Run as a
script it prints the machine the figures come from, as key=value:

    python bench/common.py
    python bench/common.py viewers --base URL --count N   # used by the benches
"""

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections import Counter
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from demo.db import EmbeddedRedis, free_port, make_client  # noqa: E402

PYTHON = sys.executable
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

#: rq-dashboard's default refresh (its RQ_DASHBOARD_POLL_INTERVAL), in seconds.
RQ_DASHBOARD_POLL = 2.5


class BenchError(RuntimeError):
    """A bench could not run; the message says why."""


def bench_main(name, parse, run):
    """Run a bench: its figures, or one line saying why it could not run."""
    args = parse()
    try:
        return run(args)
    except BenchError as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return 1


def wait_until(predicate, timeout, what, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise BenchError(f"timed out after {timeout:.0f} s waiting for {what}")


def percentile(ordered, fraction):
    """The value at ``fraction`` (0..1) of an ordered list (nearest rank)."""
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, int(round(fraction * len(ordered) + 0.5)) - 1))
    return ordered[index]


def cpu_seconds(pid):
    """User + system CPU seconds that process ``pid`` has used (not its children)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _children(pid):
    """Pids whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
        except OSError:
            pass
    return found


def _cmdline(pid):
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def tree_cpu_seconds(pid):
    """CPU seconds of process ``pid`` and all its descendants, with the children
    they reaped (a forking worker's work horses)."""
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stats[int(entry.name)] = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                pass
    children = {}
    for child, fields in stats.items():
        children.setdefault(int(fields[1]), []).append(child)
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        if current in stats:
            total += sum(int(v) for v in stats[current][11:15])
        todo += children.get(current, [])
    return total / CLOCK_TICKS


def machine_cpu_seconds():
    """CPU seconds all cores have spent busy since boot (from /proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / CLOCK_TICKS


def redis_cpu_seconds(client):
    info = client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def _stop(process, timeout=30.0):
    """SIGTERM the process (its own session), wait, SIGKILL if it lingers."""
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            process.kill()
        process.wait()


class Redis:
    """A throwaway redis-server (no persistence) in its own temp dir."""

    def __init__(self, workdir):
        self.server = EmbeddedRedis(Path(workdir) / "redis", persist=False)

    def __enter__(self):
        self.server.start()
        self.url = self.server.url
        self.client = make_client(self.url)
        return self

    def __exit__(self, *exc):
        self.client.close()
        self.server.stop()


class Serve:
    """``python -m demo serve`` with N workers against a given Redis."""

    def __init__(self, redis_url, workdir, workers=2, env=None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        workdir = Path(workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        self.log_path = workdir / "serve.log"
        full_env = {**os.environ, "DEMO_TICK_INTERVAL": "3600", **(env or {})}
        full_env.pop("REDIS_URL", None)
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [PYTHON, "-m", "demo", "serve", "--port", str(self.port), "--workers", str(workers),
                 "--redis-url", redis_url, "--instance", str(workdir / "instance")],
                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=full_env, start_new_session=True)

    @property
    def pid(self):
        return self.process.pid

    def cpu_seconds(self):
        """CPU seconds of what serves the viewers: serve (the supervisor) and
        its web tier (gunicorn's arbiter and worker, children of serve)."""
        web = [p for p in _children(self.pid) if b"demo\0web" in _cmdline(p)]
        return sum(cpu_seconds(p) for p in [self.pid, *web, *(c for w in web for c in _children(w))])

    def wait_ready(self, timeout=60):
        def ready():
            if self.process.poll() is not None:
                raise BenchError(f"serve exited early; see {self.log_path}:\n{self.log_path.read_text()[-2000:]}")
            try:
                health = requests.get(self.base + "/healthz", timeout=2).json()
            except (requests.RequestException, ValueError):
                return False
            return len(health.get("workers", [])) >= self.workers

        wait_until(ready, timeout, f"serve to answer with {self.workers} workers")
        return self

    def __enter__(self):
        return self.wait_ready()

    def __exit__(self, *exc):
        _stop(self.process, timeout=40)


class RqDashboard:
    """rq-dashboard (the peer) as its own process against the same Redis."""

    def __init__(self, redis_url, workdir):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(workdir) / "rq-dashboard.log"
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [PYTHON, "-m", "rq_dashboard", "--redis-url", redis_url, "--port", str(self.port),
                 "--bind", "127.0.0.1"],
                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def pid(self):
        return self.process.pid

    def __enter__(self):
        def ready():
            if self.process.poll() is not None:
                raise BenchError(f"rq-dashboard exited early; see {self.log_path}:\n"
                                 f"{self.log_path.read_text()[-2000:]}")
            try:
                return requests.get(self.base + "/0/data/queues.json", timeout=2).status_code == 200
            except requests.RequestException:
                return False

        wait_until(ready, 30, "rq-dashboard to answer")
        return self

    def __exit__(self, *exc):
        _stop(self.process)


class RqDashboardPoller(threading.Thread):
    """One rq-dashboard page: fetch its JSON, wait the poll interval, again.

    Its pages do exactly this (``setTimeout(refresh_table_loop, POLL_INTERVAL)``
    after each response), so the view is ``interval + response time`` old at
    worst. Records ``(time of response, payload)``.
    """

    def __init__(self, url, interval=RQ_DASHBOARD_POLL):
        super().__init__(daemon=True)
        self.url, self.interval = url, interval
        self.seen = []
        self.stopping = threading.Event()

    def run(self):
        session = requests.Session()
        while not self.stopping.is_set():
            try:
                payload = session.get(self.url, timeout=10).json()
                self.seen.append((time.time(), payload))
            except (requests.RequestException, ValueError):
                pass
            self.stopping.wait(self.interval)

    def stop(self):
        self.stopping.set()
        self.join(15)


def workdir(prefix):
    return tempfile.TemporaryDirectory(prefix=f"omq-{prefix}-")


# -- viewer processes: many Socket.IO clients that behave like the page -------

class ViewerGroup:
    """Processes that each hold ``per_process`` Socket.IO viewers of ``base``."""

    def __init__(self, base, count, per_process=250, record=True):
        self.count = count
        self.processes = []
        sizes = [per_process] * (count // per_process) + ([count % per_process] if count % per_process else [])
        for size in sizes:
            argv = [PYTHON, __file__, "viewers", "--base", base, "--count", str(size)]
            if not record:
                argv.append("--quiet")
            self.processes.append(subprocess.Popen(
                argv, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                start_new_session=True))

    def wait_ready(self, timeout=120):
        deadline = time.monotonic() + timeout
        for process in self.processes:
            line = _readline(process, deadline)
            if not line.startswith("ready"):
                raise BenchError(f"a viewer process failed to start: {line.strip() or 'no output'}")
        return self

    def mark(self):
        """Count the messages received from now on only (the measured window)."""
        for process in self.processes:
            process.stdin.write("mark\n")
            process.stdin.flush()

    def finish(self, timeout=60):
        """Ask every process for its figures; merge them."""
        for process in self.processes:
            process.stdin.write("stop\n")
            process.stdin.flush()
        deadline = time.monotonic() + timeout
        histograms = ("latency", "finished_latency", "to_emit", "delivery")
        merged = {"latency": Counter(), "finished_latency": Counter(), "to_emit": Counter(), "delivery": Counter(),
                  "ids": Counter(), "gaps": 0, "snapshots": 0, "replays": 0, "clients": 0, "disconnects": 0,
                  "messages": 0, "kinds": Counter()}
        for process in self.processes:
            line = _readline(process, deadline)
            try:
                part = json.loads(line)
            except ValueError:
                raise BenchError(f"a viewer process gave no figures: {line.strip()[:200]}") from None
            for key in histograms:
                merged[key].update({int(k): v for k, v in part[key].items()})
            merged["ids"].update(part["ids"])
            merged["kinds"].update(part["kinds"])
            for key in ("gaps", "snapshots", "replays", "clients", "disconnects", "messages"):
                merged[key] += part[key]
        return merged

    def cpu_seconds(self):
        return sum(cpu_seconds(p.pid) for p in self.processes if p.poll() is None)

    def stop(self):
        for process in self.processes:
            _stop(process, timeout=10)


def _readline(process, deadline):
    result = []
    reader = threading.Thread(target=lambda: result.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(max(0.1, deadline - time.monotonic()))
    if reader.is_alive():
        raise BenchError("a viewer process did not answer in time")
    return result[0] if result else ""


#: Latency histogram resolution: buckets of 0.1 ms.
BUCKETS_PER_MS = 10


def histogram_percentiles(hist, fractions):
    """Percentiles (ms) of a {bucket: count} histogram."""
    total = sum(hist.values())
    if not total:
        return [float("nan")] * len(fractions)
    ordered = sorted(hist.items())
    out = []
    for fraction in fractions:
        rank, running = max(1, int(round(fraction * total + 0.5))), 0
        for bucket, count in ordered:
            running += count
            if running >= rank:
                out.append(bucket / BUCKETS_PER_MS)
                break
    return out


def _viewers_main(args):
    import asyncio

    asyncio.run(_viewers(args.base, args.count, not args.quiet))
    return 0


async def _viewers(base, count, record):
    """Hold ``count`` viewers of ``base``; on "stop" on stdin, print their figures as JSON.

    "mark" on stdin restarts the count of messages received (not the figures).

    Each viewer holds its own TCP connection and speaks Socket.IO (protocol 5
    over Engine.IO 4, websocket transport) the way the browser client does,
    and does what the page does: ``hello {since}`` on connect, chained deltas,
    ``hello`` again on a gap. The clients are made as light as a phone's
    socket is to the server, so that on a 2-core machine the measuring
    viewers take little from the server they measure:

    - no client library: each viewer is an asyncio Protocol with a minimal
      RFC 6455 client (the upgrade, unmasked frames in, masked frames out).
      python-socketio's client costs several times the CPU per message, and
      even aiohttp's websocket about four times this;
    - every viewer in a process receives the same bytes for a live delta (the
      server encodes it once per room), so the process parses each distinct
      message once and its viewers share the parsed form;
    - a viewer notes each receipt (its time, the delta, its last id before
      it) and the per-event figures are worked out from those notes after the
      run, outside the CPU the benches measure.

    Nothing is measured less: every receipt time is taken when its frame
    arrives, every viewer checks every delta's chain against its own last id,
    and every (viewer, event) pair is counted.
    """
    import asyncio
    import base64
    from urllib.parse import urlsplit

    stats = {"latency": Counter(), "finished_latency": Counter(), "ids": Counter(), "to_emit": Counter(),
             "delivery": Counter(), "gaps": 0, "snapshots": 0, "replays": 0, "clients": count, "disconnects": 0,
             "messages": 0,  # Socket.IO events received: the sends the server made to these viewers
             "kinds": Counter()}  # the same, by event name
    parts = urlsplit(base)
    host, port = parts.hostname, parts.port or 80
    request_head = (f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                    f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                    f"Origin: {parts.scheme}://{parts.netloc}\r\n"
                    # What Chromium offers: the server then compresses what it sends, as for a phone.
                    f"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n")
    state = {"stopping": False}
    loop = asyncio.get_running_loop()
    parsed = {}      # raw message -> its parsed form, shared by the viewers of this process
    receipts = []    # (receipt time, Delta, the viewer's last id before it)

    def key(entry_id):
        ms, _, seq = str(entry_id).partition("-")
        return int(ms), int(seq or 0)

    class Delta:
        __slots__ = ("prev", "last", "prev_key", "last_key", "sent", "replay", "events")

        def __init__(self, payload):
            self.prev, self.last = payload["prev"], payload["last"]
            self.prev_key, self.last_key = key(self.prev), key(self.last)
            self.sent, self.replay = payload.get("sent"), bool(payload.get("replay"))
            self.events = [(key(e["id"]), e["id"], e["ts"], e["type"] == "finished") for e in payload["events"]]

    def parse(data):
        name, payload = json.loads(data[8:])
        return name, (Delta(payload) if name == "delta" else payload)

    def frame(text):
        """One masked text frame, as a client must send it."""
        payload = text.encode()
        size = len(payload)
        head = bytes([0x81, 0x80 | size]) if size < 126 else bytes([0x81, 0xFE]) + size.to_bytes(2, "big")
        mask = os.urandom(4)
        pad = (mask * (size // 4 + 1))[:size]
        masked = (int.from_bytes(payload, "big") ^ int.from_bytes(pad, "big")).to_bytes(size, "big")
        return head + mask + masked

    class Viewer(asyncio.Protocol):
        def __init__(self):
            self.transport = None
            self.closed = None
            self.inbuf = bytearray()
            self.upgraded = False
            self.fragments = None
            self.inflate = None      # the permessage-deflate context, when the server took it
            self.compressed = False  # the message being received is compressed
            self.last = self.last_key = None
            self.pending = None      # ack id of the hello on its way
            self.acks = 0
            self.buffer = []
            self.ready = asyncio.Event()

        async def run(self):
            while not state["stopping"]:
                self.closed = loop.create_future()
                self.inbuf, self.upgraded, self.fragments, self.inflate = bytearray(), False, None, None
                try:
                    await loop.create_connection(lambda: self, host, port)
                    await self.closed
                except OSError:
                    pass
                if not state["stopping"]:
                    stats["disconnects"] += 1
                    self.pending = None
                    await asyncio.sleep(0.5)

        # -- the transport: upgrade, frames ------------------------------------

        def connection_made(self, transport):
            self.transport = transport
            nonce = base64.b64encode(os.urandom(16)).decode()
            transport.write(f"{request_head}Sec-WebSocket-Key: {nonce}\r\n\r\n".encode())

        def connection_lost(self, exc):
            if not self.closed.done():
                self.closed.set_result(None)

        def send(self, text):
            if self.transport is not None and not self.transport.is_closing():
                self.transport.write(frame(text))

        def data_received(self, data):
            now = time.time()
            buf = self.inbuf
            buf += data
            if not self.upgraded:
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    return
                if not buf.startswith(b"HTTP/1.1 101"):
                    self.transport.close()
                    return
                if b"permessage-deflate" in buf[:end].lower():
                    self.inflate = zlib.decompressobj(-zlib.MAX_WBITS)
                del buf[:end + 4]
                self.upgraded = True
            pos, size = 0, len(buf)
            while size - pos >= 2:
                first, length, head = buf[pos], buf[pos + 1] & 0x7F, 2
                if length == 126:
                    if size - pos < 4:
                        break
                    length, head = int.from_bytes(buf[pos + 2:pos + 4], "big"), 4
                elif length == 127:
                    if size - pos < 10:
                        break
                    length, head = int.from_bytes(buf[pos + 2:pos + 10], "big"), 10
                end = pos + head + length
                if end > size:
                    break
                self.on_frame(first, first & 0x0F, first & 0x80, bytes(buf[pos + head:end]), now)
                pos = end
            del buf[:pos]

        def on_frame(self, first, opcode, fin, payload, now):
            if opcode == 0x8:                        # close
                self.transport.close()
            elif opcode == 0x9:                      # ping: pong with its payload
                self.transport.write(bytes([0x8A, 0x80 | len(payload)]) + b"\0\0\0\0" + payload)
            elif opcode in (0x0, 0x1):               # text, or its continuation
                if opcode == 0x1:
                    self.fragments, self.compressed = [payload], bool(first & 0x40)
                elif self.fragments is not None:
                    self.fragments.append(payload)
                if fin and self.fragments is not None:
                    message, self.fragments = b"".join(self.fragments), None
                    if self.compressed:
                        message = self.inflate.decompress(message + b"\x00\x00\xff\xff")
                    self.on_message(message, now)

        # -- Engine.IO and Socket.IO, as the page does -------------------------

        def on_message(self, data, now):
            if data == b"2":                         # Engine.IO ping
                self.send("3")
            elif data.startswith(b"42/live,"):       # an event
                stats["messages"] += 1
                message = parsed.get(data)
                if message is None:
                    if len(parsed) > 256:
                        parsed.clear()
                    message = parsed[data] = parse(data)
                name, payload = message
                stats["kinds"][name] += 1
                if name == "delta":
                    self.on_delta(payload, now)
                elif name == "snapshot":
                    stats["snapshots"] += 1
                    self.last, self.last_key = payload["last"], key(payload["last"])
            elif data.startswith(b"43/live,"):       # an ack: our hello was answered
                self.pending = None
                buffered, self.buffer = self.buffer, []
                now = time.time()
                for delta in buffered:
                    self.apply(delta, now)
                self.ready.set()
            elif data.startswith(b"0"):              # Engine.IO open: join the namespace
                self.send("40/live,")
            elif data.startswith(b"40/live,"):       # namespace joined
                self.hello()

        def hello(self):
            if self.pending is not None:
                return
            self.acks += 1
            self.pending = self.acks
            self.send(f'42/live,{self.acks}["hello",{json.dumps({"since": self.last})}]')

        def on_delta(self, delta, now):
            if delta.replay:
                stats["replays"] += 1
            if self.pending is not None or self.last is None:
                self.buffer.append(delta)
                return
            self.apply(delta, now)

        def apply(self, delta, now):
            if self.last_key is None or delta.last_key <= self.last_key:
                return
            if delta.prev_key > self.last_key:
                stats["gaps"] += 1
                self.buffer.append(delta)
                self.hello()
                return
            if record:
                receipts.append((now, delta, self.last_key))
            self.last, self.last_key = delta.last, delta.last_key

    def tally():
        """The per-event figures, from the receipts noted during the run."""
        for now, delta, before in receipts:
            sent = delta.sent or now
            stats["delivery"][max(0, int((now - sent) * 1000 * BUCKETS_PER_MS))] += 1
            for event_key, event_id, ts, finished in delta.events:
                if event_key <= before:
                    continue
                bucket = max(0, int((now - ts) * 1000 * BUCKETS_PER_MS))
                stats["latency"][bucket] += 1
                stats["to_emit"][max(0, int((sent - ts) * 1000 * BUCKETS_PER_MS))] += 1
                if finished:
                    stats["finished_latency"][bucket] += 1
                stats["ids"][event_id] += 1

    viewers = [Viewer() for _ in range(count)]
    tasks = []
    for start in range(0, count, 25):  # arrive in small waves, like people
        batch = viewers[start:start + 25]
        tasks += [asyncio.ensure_future(v.run()) for v in batch]
        await asyncio.wait_for(asyncio.gather(*(v.ready.wait() for v in batch)), 60)
    print("ready", flush=True)
    while (await loop.run_in_executor(None, sys.stdin.readline)).strip() == "mark":
        stats["messages"], stats["kinds"] = 0, Counter()  # count from here: the measured window
    state["stopping"] = True
    for viewer in viewers:
        if viewer.transport is not None:
            viewer.transport.close()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    tally()
    print(json.dumps({**stats, **{k: dict(v) for k, v in stats.items() if isinstance(v, Counter)}}), flush=True)


def _environment():
    import platform

    import redis as redis_py

    return {"cpus": os.cpu_count(), "python": platform.python_version(), "redis_py": redis_py.__version__,
            "load1": round(os.getloadavg()[0], 2)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    viewers = sub.add_parser("viewers", help="(internal) hold N Socket.IO viewers, report on 'stop'")
    viewers.add_argument("--base", required=True)
    viewers.add_argument("--count", type=int, required=True)
    viewers.add_argument("--quiet", action="store_true", help="keep up, record nothing")
    args = parser.parse_args(argv)
    if args.command == "viewers":
        random.seed(os.getpid())
        return _viewers_main(args)
    print(" ".join(f"{k}={v}" for k, v in _environment().items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
