"""Dashboards stay right through reconnect storms while jobs flow.

Two levels: the connection's ordering rules run alone in Chromium against a
scripted socket (what arrives in which order is the test's choice), and a
drop storm: real pages on a real ``serve``, their transports cut at random
while jobs flow, then every page must equal the server within seconds, having
asked for catch-ups at a bounded rate.
"""

import random
import threading
import time

import pytest
import requests

from conftest import ServeProcess, wait_for
from demo import jobs
from demo.live import events
from demo.live.enqueue import enqueue
from demo.live.state import LANES
from demo.live.watcher import ShownLanes, _lane_after
from test_dashboard import open_dashboard

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: A scripted Socket.IO client: the test fires what the server would send.
FAKE_SOCKET = """
window.fakeConnection = (interval) => {
  const socket = {handlers: {}, connected: true, sent: [],
    on(name, fn) { this.handlers[name] = fn; },
    timeout() { return this; },
    emit(name, data, ack) { this.sent.push({name, data, ack}); },
    fire(name, payload) { this.handlers[name](payload); },
    hellos() { return this.sent.filter(m => m.name === "hello"); },
  };
  const store = new OhMyQueue.Store(["default"]);
  const dash = {store, states: [], indicator(state) { this.states.push(state); }};
  const conn = new OhMyQueue.Connection(dash);
  conn.helloInterval = interval;
  conn.attach(socket);
  store.loadSnapshot({last: "10-0", queues: ["default"], counts: {default: {queued: 0}},
                      lanes: {default: {}}, cards: {}, limit: 25});
  const ev = (id) => ({id, job: "job-" + id, type: "enqueued", queue: "default", func: "f", ts: 1});
  const delta = (prev, ...ids) => ({prev, last: ids[ids.length - 1], events: ids.map(ev)});
  return {socket, store, conn, dash, delta};
};
"""


@pytest.fixture(scope="module")
def rules(browser, redis_server, tmp_path_factory):
    """One dashboard page for the rule tests (they build their own connections).

    Its server is stopped once the page has loaded: the rule tests script
    their own sockets, and a second ``serve`` left running on the test Redis
    would be a second deployment whose watcher can hold the watcher lock, so
    the drop storm's own server would push nothing to its pages.
    """
    server = ServeProcess(tmp_path_factory.mktemp("rules"), redis_url=redis_server.url, workers=0)
    context = browser.new_context()
    try:
        try:
            page = open_dashboard(context.new_page(), server.wait_healthy())
            page.evaluate(FAKE_SOCKET)
        finally:
            server.stop()
        yield page
    finally:
        context.close()


def test_live_deltas_before_the_catch_up_reply_wait_for_it(rules):
    """The audit's hang: deltas that overtake the reply are kept, not taken for gaps."""
    outcome = rules.evaluate("""() => {
      const {socket, store, delta} = fakeConnection(1000);
      socket.fire("connect");
      socket.fire("delta", delta("12-0", "13-0"));          // live, ahead of us
      socket.fire("delta", delta("13-0", "14-0"));
      socket.fire("delta", {...delta("10-0", "11-0", "12-0"), replay: true});  // the reply
      socket.hellos()[0].ack(null, {ok: true, mode: "replay"});
      return [socket.hellos().length, socket.hellos()[0].data.since, store.last,
              store.lanes.default.queued.join(",")];
    }""")
    assert outcome == [1, "10-0", "14-0", "job-14-0,job-13-0,job-12-0,job-11-0"]


def test_a_reply_that_overlaps_kept_deltas_applies_each_event_once(rules):
    outcome = rules.evaluate("""() => {
      const {socket, store, delta} = fakeConnection(1000);
      socket.fire("connect");
      socket.fire("delta", delta("10-0", "11-0"));
      socket.fire("delta", delta("11-0", "12-0", "13-0"));
      socket.fire("delta", {...delta("10-0", "11-0", "12-0"), replay: true});
      socket.hellos()[0].ack(null, {ok: true});
      return [socket.hellos().length, store.last, store.lanes.default.queued.join(",")];
    }""")
    assert outcome == [1, "13-0", "job-13-0,job-12-0,job-11-0"]


def test_gaps_ask_once_while_a_hello_is_out_and_at_a_bounded_rate_after(rules):
    outcome = rules.evaluate("""async () => {
      const {socket, store, delta} = fakeConnection(300);
      const pause = () => new Promise(r => setTimeout(r, 400));
      const gaps = (from, n) => { for (let i = from; i < from + n; i++) socket.fire("delta", delta(`${i}-0`, `${i + 1}-0`)); };
      socket.fire("connect");
      socket.hellos()[0].ack(null, {ok: true});            // nothing missed
      gaps(20, 50);                                        // a gap: one hello, after the interval
      const counts = [socket.hellos().length];
      await pause();
      counts.push(socket.hellos().length);
      gaps(70, 10);                                        // while it is out: kept, no ask
      counts.push(socket.hellos().length);
      socket.hellos()[1].ack(null, {ok: true});            // an answer that does not reach them
      counts.push(socket.hellos().length);                 // asks again, after the interval
      await pause();
      counts.push(socket.hellos().length);
      socket.fire("delta", {...delta("10-0", "11-0", "20-0"), replay: true});
      socket.hellos()[2].ack(null, {ok: true});
      return [counts, store.last, store.lanes.default.queued.length, socket.hellos().length];
    }""")
    assert outcome == [[1, 2, 2, 2, 3], "80-0", 25, 3]  # 62 jobs; a lane shows 25


def test_an_answer_to_a_hello_given_up_on_is_ignored(rules):
    outcome = rules.evaluate("""() => {
      const {socket, store, conn, delta} = fakeConnection(0);
      socket.fire("connect");
      socket.fire("disconnect");
      socket.fire("connect");                               // a new hello, on the new connection
      socket.fire("delta", delta("15-0", "16-0"));          // kept for the new reply
      socket.hellos()[0].ack(null, {ok: true});              // the old one's answer: ignored
      const stillKept = conn.buffer.length;
      socket.fire("delta", {...delta("10-0", "11-0", "15-0"), replay: true});
      socket.hellos()[1].ack(null, {ok: true});
      return [socket.hellos().length, stillKept, store.last];
    }""")
    assert outcome == [2, 1, "16-0"]


def test_the_kept_deltas_are_bounded(rules):
    outcome = rules.evaluate("""() => {
      const {socket, conn, delta} = fakeConnection(1000);
      socket.fire("connect");
      for (let i = 0; i < 1000; i++) socket.fire("delta", delta(`${20 + i}-0`, `${21 + i}-0`));
      return [conn.buffer.length, conn.buffer[0].prev, socket.hellos().length];
    }""")
    assert outcome == [200, "820-0", 1]


# -- the drop storm ------------------------------------------------------------------

PAGES = 4
STORM = 12.0
LEAST_DROPS = 5  # each page reconnects at least this often during the storm


def _truth(connection, queue):
    """The lanes every page must show, by the page's own rules, from the whole stream."""
    shown = ShownLanes(25)
    shown.load({queue: {lane: [] for lane in LANES}})
    for event in events.since(connection, "0-0", limit=100_000):
        if event.get("queue") == queue:
            shown.apply(event, _lane_after(event) if event.get("job") else None)
    return {lane: shown.lanes[(queue, lane)] for lane in LANES}


def _page_state(page, queue):
    return page.evaluate("""(queue) => {
      const s = OhMyQueue.dashboard.store;
      const c = OhMyQueue.dashboard.connection;
      return {last: s.last, counts: s.counts, lanes: s.lanes[queue],
              state: document.querySelector('.conn').dataset.state,
              connection: {connected: c.socket.connected, pending: c.pending, hellos: c.hellos,
                           kept: c.buffer.length, timer: c.helloTimer !== null,
                           sinceHello: Date.now() - c.lastHelloAt}};
    }""", queue)


#: Run in each page: cut its own transport at random moments for ``seconds``
#: and until it has cut it ``least`` times, for at most ``longest`` seconds
#: (a starved browser cuts less often); Socket.IO then reconnects as after a
#: network drop. Counts the cuts; ``window.stormOver`` says when it stopped.
STORM_SCRIPT = """([seconds, seed, least, longest]) => {
  window.drops = 0;
  window.stormOver = false;
  let state = seed;
  const random = () => (state = (state * 16807) % 2147483647) / 2147483647;
  const started = Date.now();
  const over = () => (Date.now() - started >= seconds * 1000 && window.drops >= least)
                     || Date.now() - started >= longest * 1000;
  const manager = OhMyQueue.dashboard.connection.socket.io;
  manager.reconnectionDelay(100);     // a flaky network, not a down server: come back fast
  manager.reconnectionDelayMax(500);
  const next = () => window.setTimeout(() => {
    if (over()) { window.stormOver = true; return; }
    const socket = OhMyQueue.dashboard.connection.socket;
    if (socket.connected) { socket.io.engine.close(); window.drops++; }
    next();
  }, 100 + random() * 600);
  next();
}"""


def test_a_drop_storm_leaves_every_page_equal_to_the_server(new_page, serve, connection):
    server = serve(workers=2)
    pages, hellos = [], []
    for n in range(PAGES):
        page = new_page()
        sent = [0]
        page.on("websocket", lambda ws, sent=sent: ws.on(
            "framesent", lambda payload, sent=sent: sent.__setitem__(0, sent[0] + ('"hello"' in str(payload)))))
        pages.append(open_dashboard(page, server))
        hellos.append(sent)

    # On "high": serve's cron ticks on "default".
    flowing = threading.Event()
    flowing.set()

    def feed():
        while flowing.is_set():
            enqueue(connection, jobs.noop, queue="high")
            time.sleep(0.1)

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    started = time.monotonic()
    try:
        for n, page in enumerate(pages):
            page.evaluate(STORM_SCRIPT, [STORM, 7 + n, LEAST_DROPS, 4 * STORM])
        time.sleep(STORM)
        wait_for(lambda: all(page.evaluate("window.stormOver") for page in pages), 4 * STORM, 0.2,
                 "every page's storm to end")
    finally:
        flowing.clear()
        feeder.join()
    storm = time.monotonic() - started

    def drained():
        counts = requests.get(server.base + "/api/snapshot", timeout=5).json()["counts"]["high"]
        return counts["queued"] == 0 and counts["started"] == 0

    wait_for(drained, 120, 0.2, "the workers to finish the flow")
    settled_at = time.monotonic()

    def difference(page):
        """What differs between the page and the server (empty: nothing)."""
        snapshot = requests.get(server.base + "/api/snapshot", timeout=5).json()
        mine, truth = _page_state(page, "high"), _truth(connection, "high")
        wrong = {"state": mine["state"], "connection": mine["connection"]} if mine["state"] != "live" else {}
        if mine["last"] != snapshot["last"]:
            wrong["last"] = (mine["last"], snapshot["last"])
            wrong["connection"] = mine["connection"]
        if mine["counts"] != snapshot["counts"]:
            wrong["counts"] = (mine["counts"], snapshot["counts"])
        wrong.update({lane: (mine["lanes"][lane], ids) for lane, ids in truth.items() if mine["lanes"][lane] != ids})
        if page.script_errors:
            wrong["script errors"] = page.script_errors
        return wrong

    for page in pages:
        try:
            wait_for(lambda: not difference(page), 10, 0.2, "a page to equal the server")
        except AssertionError:
            raise AssertionError(f"page {pages.index(page)} differs: {difference(page)}") from None
    caught_up = time.monotonic() - settled_at
    drops = [page.evaluate("window.drops") for page in pages]
    asked = [sent[0] for sent in hellos]
    assert min(drops) >= LEAST_DROPS, drops  # each page reconnected several times while jobs flowed
    for n in range(PAGES):
        # One hello per reconnect, and at most one a second besides.
        assert asked[n] <= drops[n] + 1 + storm, (asked, drops)
    print(f"drops {drops}, hellos {asked} over {storm:.1f} s; every page equal {caught_up:.1f} s after the flow")
