"""The production recipe of the README ("Scaling beyond one machine"), run on loopback.

Debian's nginx renders ``deploy/nginx.conf.template`` as the README says, in
front of two web processes (``serve --workers 0`` each: gunicorn, cron, SMTP
sink) joined by ``SOCKETIO_MESSAGE_QUEUE`` on a shared, password-protected
Redis, with workers started as a separate process group that knows only
``REDIS_URL`` (a "remote host"). Sticky sessions hash the client's address;
every client here comes from loopback, so each viewer binds its own source
address (127.0.0.2, 127.0.0.3, ...) and nginx's access log shows which web
process served it.

Viewers apply deltas in order, as the dashboard does: a delta whose ``prev``
is ahead of what a viewer has is a gap, answered by asking for a replay
(``hello`` with its last id). "Nothing missed" means each viewer's events
are exactly the stream's, in order, with no duplicate.
"""

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from string import Template

import aiohttp
import pytest
import requests
import socketio
from rq.cron import get_cron_job_history_key

from conftest import ROOT, ServeProcess, wait_for
from demo import jobs, keys
from demo.db import EmbeddedRedis, free_port, make_client
from demo.live import events
from demo.live.enqueue import enqueue
from demofixtures import api, presenter_session
from slidekit import build
from test_serve import _alive, _children, _cmdline, _descendants

pytestmark = [pytest.mark.slow]

NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
VIEWERS = 16
TOKEN = "deploy-test-token"


def render(template, **values):
    """What ``envsubst '$OMQ_LISTEN $OMQ_SERVER_NAME $OMQ_WEB_SERVERS'`` makes of the template."""
    return Template(template.read_text()).safe_substitute(values)


class Nginx:
    """nginx in the foreground as this user: its own prefix, pid, logs and temp paths."""

    def __init__(self, root, port, upstreams):
        self.root, self.port = root, port
        root.mkdir(parents=True, exist_ok=True)
        (root / "site.conf").write_text(render(
            TEMPLATE, OMQ_LISTEN=f"127.0.0.1:{port}", OMQ_SERVER_NAME="localhost",
            OMQ_WEB_SERVERS=" ".join(f"server {u};" for u in upstreams)))
        user = "user root root;" if os.geteuid() == 0 else ""  # else nginx's workers would become nobody
        temp = "\n".join(f"    {name}_temp_path {root / name};" for name in ("client_body", "proxy", "fastcgi",
                                                                            "uwsgi", "scgi"))
        # What /etc/nginx/nginx.conf is on a host: the http block that includes the site.
        (root / "nginx.conf").write_text(f"""{user}
worker_processes 1;
pid {root / 'nginx.pid'};
error_log {root / 'error.log'} warn;
events {{ worker_connections 1024; }}
http {{
    log_format upstream '$remote_addr|$upstream_addr|$status|$request';
    access_log {root / 'access.log'} upstream;
{temp}
    include {root / 'site.conf'};
}}
""")
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [NGINX, "-p", str(self.root), "-e", str(self.root / "error.log"), "-c", str(self.root / "nginx.conf"),
             "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(self._answers, 20, 0.05, "nginx to answer")
        return self

    def _answers(self):
        if self.process.poll() is not None:
            raise AssertionError(f"nginx exited: {(self.root / 'error.log').read_text()[-2000:]}")
        try:
            return requests.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # nginx's fast shutdown, as a restart does
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def routes(self):
        """{client address: upstream of its latest request} from the access log."""
        routes = {}
        for line in (self.root / "access.log").read_text().splitlines():
            address, upstream = line.split("|", 2)[:2]
            if upstream != "-":
                routes[address] = upstream.split(",")[-1].strip()
        return routes


class Viewer:
    """A dashboard viewer from its own source address: applies deltas in order."""

    def __init__(self, base, address):
        self.base, self.address = base, address
        self.last = self.start = None
        self.applied, self.live_ids = [], []
        self.connects = self.replays = 0
        self._asked = False

    async def open(self):
        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=(self.address, 0)))
        self.sio = socketio.AsyncClient(http_session=self.session, reconnection_delay=0.2,
                                        reconnection_delay_max=1, randomization_factor=0)
        self.sio.on("connect", self._connected, namespace="/live")
        self.sio.on("snapshot", self._snapshot, namespace="/live")
        self.sio.on("delta", self._delta, namespace="/live")
        await self.sio.connect(self.base, namespaces=["/live"], wait_timeout=20)

    async def _connected(self):
        self.connects += 1
        self._asked = True
        asyncio.ensure_future(self.sio.emit("hello", {"since": self.last} if self.last else {}, namespace="/live"))

    async def _snapshot(self, payload):
        if self.last is None:
            self.last = self.start = payload["last"]
        self._asked = False

    async def _delta(self, payload):
        if self.last is None:
            return  # before the first snapshot
        if payload.get("replay"):
            self.replays += 1
            self._asked = False
        else:
            self.live_ids += [e["id"] for e in payload["events"]]
        if events.id_key(payload["prev"]) > events.id_key(self.last):  # a gap: ask for what is missing
            if not self._asked:
                self._asked = True
                await self.sio.emit("hello", {"since": self.last}, namespace="/live")
            return
        for event in payload["events"]:
            if events.id_key(event["id"]) > events.id_key(self.last):
                self.applied.append(event["id"])
                self.last = event["id"]

    async def close(self):
        await self.sio.disconnect()
        await self.session.close()


class Follower:
    """A /deck socket (audience or, with a signed-in session, the presenter)."""

    def __init__(self, base, address, session=None):
        self.base, self.address, self.http = base, address, session
        self.states, self.role = [], None

    async def open(self):
        if self.http is None:
            self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=(self.address, 0)))
        self.sio = socketio.AsyncClient(http_session=self.http, reconnection_delay=0.2, reconnection_delay_max=1)
        self.sio.on("state", lambda state: self.states.append(state["seq"]), namespace="/deck")
        self.sio.on("driver", self._driver, namespace="/deck")
        await self.sio.connect(self.base, namespaces=["/deck"], wait_timeout=20)

    async def _driver(self, payload):
        self.role = payload["role"]

    async def close(self):
        await self.sio.disconnect()
        await self.http.close()


class Room:
    """An asyncio loop on a thread, running every client of the test."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.clients = []

    def run(self, coro, timeout=60):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def add(self, client):
        self.run(client.open())
        self.clients.append(client)
        return client

    def close(self):
        for client in self.clients:
            try:
                self.run(client.close(), 10)
            except Exception:
                pass
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


class Deployment:
    """Redis, two web hosts, a worker host and nginx; ``stop()`` ends whatever started."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.redis = self.nginx = self.remote = self.connection = None
        self.webs = []

    def start(self):
        self.redis = EmbeddedRedis(self.tmp / "redis", persist=False, password="deploy-redis-secret").start()
        self.connection = make_client(self.redis.url)
        site = self.tmp / "site"
        build(str(Path(__file__).parent / "decks" / "follow"), str(site))
        env = {"REDIS_URL": self.redis.url, "SOCKETIO_MESSAGE_QUEUE": self.redis.url, "SECRET_KEY": "deploy-secret",
               "DEMO_PRESENTER_TOKEN": TOKEN, "SITE_DIR": str(site), "DEMO_TICK_INTERVAL": "1"}
        # The web hosts: serve on the shared Redis, with no workers of its own.
        self.webs = [ServeProcess(self.tmp / f"web{n}", workers=0, env=env) for n in (1, 2)]
        self.remote = self._start_remote_workers(2)
        for web in self.webs:
            web.wait_healthy(90)
        self.nginx = Nginx(self.tmp / "nginx", free_port(), [self.upstream_of(w) for w in self.webs]).start()
        self.base = f"http://127.0.0.1:{self.nginx.port}"
        self.token = TOKEN
        return self

    def _start_remote_workers(self, count):
        log = open(self.tmp / "remote-workers.log", "wb")
        worker = f"{sys.executable} -m demo worker --with-scheduler"
        # A separate process group that knows nothing but where Redis is.
        group = subprocess.Popen(["sh", "-c", " & ".join([worker] * count) + " & wait"], cwd=ROOT,
                                 env={"REDIS_URL": self.redis.url, "PATH": os.environ["PATH"]},
                                 stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        return group

    def upstream_of(self, web):
        return f"127.0.0.1:{web.port}"

    def web_of(self, upstream):
        return next(w for w in self.webs if self.upstream_of(w) == upstream)

    def processes(self):
        pids = [self.redis.process.pid, self.nginx.process.pid]
        for process in (*[w.process for w in self.webs], self.remote):
            pids += [process.pid, *_descendants(process.pid)]
        return pids

    def stop(self):
        if self.nginx is not None:
            self.nginx.stop()
        for web in self.webs:
            web.stop()
        if self.remote is not None and self.remote.poll() is None:
            os.killpg(self.remote.pid, signal.SIGTERM)  # warm
            try:
                self.remote.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.remote.pid, signal.SIGKILL)
                self.remote.wait()
        if self.connection is not None:
            self.connection.close()
        if self.redis is not None:
            self.redis.stop()


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    if NGINX is None:
        pytest.fail("nginx is not installed: make test installs Debian's nginx (apt-get install nginx)")
    deployment = Deployment(tmp_path_factory.mktemp("deploy"))
    try:
        deployment.start()
        pids = deployment.processes()
        yield deployment
    finally:
        deployment.stop()
    wait_for(lambda: not [p for p in pids if _alive(p)], 30, 0.2, "every process of the deployment to end")


@pytest.fixture(scope="module")
def room(deployment):
    room = Room()
    yield room
    room.close()


@pytest.fixture(scope="module")
def viewers(deployment, room):
    """Viewers spread by nginx over both web processes (proven by its access log)."""
    clients = [room.add(Viewer(deployment.base, f"127.0.0.{n + 2}")) for n in range(VIEWERS)]
    wait_for(lambda: all(v.start for v in clients), 30, message="every viewer's snapshot")
    return clients


def _burst(deployment, count):
    """``count`` jobs run by the workers; returns the last one."""
    queued = [enqueue(deployment.connection, jobs.add, n, n) for n in range(count)]
    for job in queued:
        wait_for(lambda: job.get_status(refresh=True) == "finished", 60, 0.1, f"job {job.id} to finish")
    return queued[-1]


def _assert_nothing_missed(deployment, viewers, timeout=60):
    """Each viewer's events are exactly the stream's since its first snapshot: in order, once each."""
    marker = _burst(deployment, 1)
    stream = [e for e in events.since(deployment.connection, "0-0", limit=100_000)]
    end = next(e["id"] for e in stream if e.get("job") == marker.id and e["type"] == "finished")
    wait_for(lambda: all(end in v.applied for v in viewers), timeout, 0.1, "every viewer to have the last event")
    for viewer in viewers:
        expected = [e["id"] for e in stream
                    if events.id_key(viewer.start) < events.id_key(e["id"]) <= events.id_key(end)]
        assert viewer.applied[:len(expected)] == expected, f"viewer {viewer.address} missed or repeated events"
        assert len(set(viewer.live_ids)) == len(viewer.live_ids), f"viewer {viewer.address} got a push twice"


def test_viewers_land_on_both_web_processes_and_see_every_event_once(deployment, viewers):
    routes = deployment.nginx.routes()
    by_web = {}
    for viewer in viewers:
        by_web.setdefault(routes[viewer.address], []).append(viewer)
    assert set(by_web) == {deployment.upstream_of(w) for w in deployment.webs}, routes
    _burst(deployment, 20)
    _assert_nothing_missed(deployment, viewers)


def test_a_presenter_move_reaches_the_audience_on_both(deployment, room):
    audience = [room.add(Follower(deployment.base, f"127.0.0.{n}")) for n in range(40, 48)]
    routes = deployment.nginx.routes()
    assert len({routes[f.address] for f in audience}) == 2, routes
    async def sign_in():
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=("127.0.0.50", 0)),
                                        cookie_jar=aiohttp.CookieJar(unsafe=True))  # cookies of an IP address
        async with session.get(f"{deployment.base}/presenter?token={TOKEN}") as response:
            assert response.status == 200
        return session

    session = room.run(sign_in())
    presenter = room.add(Follower(deployment.base, "127.0.0.50", session))
    wait_for(lambda: presenter.role == "driver" and presenter.states, 20, message="the presenter to drive")
    seq = presenter.states[-1] + 1
    ack = room.run(presenter.sio.call("move", {"seq": seq, "h": 2, "f": 0, "panel": None}, namespace="/deck"))
    assert ack["ok"], ack
    wait_for(lambda: all(seq in f.states for f in audience), 20, 0.05, "the move to reach every follower")


def test_one_tick_per_interval_and_one_worker_count_per_deployment(deployment):
    history = get_cron_job_history_key(keys.CRON_TICK_NAME)
    wait_for(lambda: deployment.connection.zcard(history) >= 5, 30, 0.2, "five ticks")
    ticks = [s for _, s in deployment.connection.zrange(history, 0, -1, withscores=True)]
    assert min(b - a for a, b in zip(ticks, ticks[1:])) > 0.9  # two web hosts, one cron at a time
    session = presenter_session(deployment)
    assert api(session, deployment, "POST", "/api/workers", {"count": 2, "kind": "fork"})[0] == 200

    def supervised():
        return [p for w in deployment.webs for p in _children(w.process.pid)
                if _alive(p) and "demo worker --kind fork" in _cmdline(p)]

    wait_for(lambda: len(supervised()) == 2, 30, 0.2, "two workers in the deployment")
    time.sleep(2)
    assert len(supervised()) == 2  # not two per web host


def test_an_nginx_restart_and_a_dropped_message_queue_lose_nothing(deployment, viewers):
    before, replays = [v.connects for v in viewers], sum(v.replays for v in viewers)
    stopped = time.monotonic()
    deployment.nginx.stop()
    deployment.nginx.start()
    wait_for(lambda: all(v.connects > b for v, b in zip(viewers, before)), 30, 0.1, "every viewer to reconnect")
    print(f"\nnginx restart: {len(viewers)} viewers back after {time.monotonic() - stopped:.1f} s, "
          f"{sum(v.replays for v in viewers) - replays} replays")
    _burst(deployment, 10)
    _assert_nothing_missed(deployment, viewers)
    # The web processes' subscriptions to the message queue are cut; pushes
    # published meanwhile never reach their viewers, who find the gap.
    replays = sum(v.replays for v in viewers)
    killed = deployment.connection.client_kill_filter(_type="pubsub")
    assert killed >= 2
    _burst(deployment, 10)
    _assert_nothing_missed(deployment, viewers)
    print(f"message queue dropped: {sum(v.replays for v in viewers) - replays} replays, nothing missed")


def test_killing_a_web_process_mid_burst_moves_its_viewers_to_the_other(deployment, viewers):
    routes = deployment.nginx.routes()
    victim = deployment.web_of(routes[viewers[0].address])
    survivor = next(w for w in deployment.webs if w is not victim)
    moved = [v for v in viewers if routes[v.address] == deployment.upstream_of(victim)]
    before = {v.address: v.connects for v in moved}
    queued = [enqueue(deployment.connection, jobs.add, n, n) for n in range(30)]
    web = next(p for p in _children(victim.process.pid) if "demo web" in _cmdline(p))
    killed = time.monotonic()
    os.killpg(web, signal.SIGKILL)  # gunicorn's arbiter and worker, no goodbye
    victim.process.kill()  # and its serve: its cron and SMTP sink follow it
    victim.process.wait()
    wait_for(lambda: all(v.connects > before[v.address] for v in moved), 30, 0.05, "its viewers to reconnect")
    print(f"\nweb process kill -9: its {len(moved)} viewers reconnected through nginx after "
          f"{time.monotonic() - killed:.2f} s")
    for job in queued:
        wait_for(lambda: job.get_status(refresh=True) == "finished", 60, 0.1, "the burst to finish")
    _assert_nothing_missed(deployment, viewers)
    routes = deployment.nginx.routes()
    assert {routes[v.address] for v in moved} == {deployment.upstream_of(survivor)}
