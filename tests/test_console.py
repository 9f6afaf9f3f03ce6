"""The Redis console on a real sandbox redis-server: replies, refusals, walls, quotas, the tutorial.

Everything runs through ``Console.run`` (what the socket handler calls) on
the session's sandbox server, started as ``serve`` starts it, and the test
Redis as the queue's. The ACL tests open raw connections as the console's
users, as an attacker who got past our parser would have them.
"""

import os
import re
import signal
import socket
import time

import pytest
import redis

from conftest import wait_for
from consolefixtures import SANDBOX_PASSWORD, console, console_app, sandbox, sandbox_server  # noqa: F401
from demo import keys
from demo.console import commands, tutorial
from demo.console.parse import ConsoleError, split
from demo.console.sandbox import space_of
from demo.demos.audience import Visitor, remember
from demo.live.enqueue import enqueue

ALICE = Visitor("alice-id", "brave otter", False)
BOB = Visitor("bob-id", "calm yak", False)
PRESENTER = Visitor("presenter", "presenter", True)


def out(console, line, who=ALICE, mode="sandbox", step=0):
    """What the console prints for ``line``: its output blocks' text, joined."""
    answer = console.run(who, line, mode, step)
    return "\n".join(block["text"] for block in answer["output"])


def errors(console, line, **kw):
    answer = console.run(kw.pop("who", ALICE), line, **kw)
    return [b["text"] for b in answer["output"] if b["kind"] == "error"]


# --------------------------------------------------------------------------- the splitter


def test_lines_split_as_redis_cli_splits_them():
    assert split('SET name "fido the dog"') == [b"SET", b"name", b"fido the dog"]
    assert split(r'ECHO "a\nb\x41\"c"') == [b"ECHO", b"a\nbA\"c"]
    assert split(r"ECHO 'don\'t \n'") == [b"ECHO", b"don't \\n"]
    assert split('  GET   key  ') == [b"GET", b"key"]
    assert split('SET a"b c"') == [b"SET", b"ab c"]
    assert split("") == []
    for bad in ('SET "a b', "SET 'a b", 'SET "a"b', "SET 'a'b"):
        with pytest.raises(ConsoleError):
            split(bad)


# --------------------------------------------------------------------------- every reply format

#: (setup lines, line, exactly what redis-cli prints) for every sandbox command.
REPLIES = [
    ([], "GET nothing", "(nil)"),
    ([], "SET name fido", "OK"),
    (["SET name fido"], "GET name", '"fido"'),
    (["SET name fido"], "SET name rex NX", "(nil)"),
    (["SET name fido"], "SET name rex GET", '"fido"'),
    ([], "SETNX name fido", "(integer) 1"),
    (["SET a 1"], "MGET a b", '1) "1"\n2) (nil)'),
    ([], "MSET a 1 b 2", "OK"),
    ([], "INCR visits", "(integer) 1"),
    (["SET visits 10"], "INCRBY visits 5", "(integer) 15"),
    ([], "DECR visits", "(integer) -1"),
    ([], "DECRBY visits 3", "(integer) -3"),
    (["SET name fido"], "APPEND name '!'", "(integer) 5"),
    (["SET name fido"], "STRLEN name", "(integer) 4"),
    (["SET name fido"], "GETSET name rex", '"fido"'),
    (["SET a 1", "SET b 2"], "DEL a b c", "(integer) 2"),
    (["SET a 1"], "EXISTS a a b", "(integer) 2"),
    (["SET a 1", "RPUSH b x"], "KEYS *", '1) "a"\n2) "b"'),
    ([], "KEYS *", "(empty array)"),
    (["SET a 1"], "SCAN 0 MATCH a", '1) "0"\n2) 1) "a"'),
    (["RPUSH jobs x"], "TYPE jobs", "list"),
    ([], "TYPE nothing", "none"),
    (["SET a 1"], "EXPIRE a 100", "(integer) 1"),
    (["SET a 1"], "TTL a", "(integer) -1"),
    ([], "TTL nothing", "(integer) -2"),
    (["SET a 1", "EXPIRE a 100"], "PERSIST a", "(integer) 1"),
    (["SET a 1"], "RENAME a b", "OK"),
    ([], "RENAME nothing b", "(error) ERR no such key"),
    ([], "LPUSH jobs a b", "(integer) 2"),
    ([], "RPUSH jobs email resize", "(integer) 2"),
    (["RPUSH jobs a b c"], "LPOP jobs", '"a"'),
    (["RPUSH jobs a b c"], "LPOP jobs 2", '1) "a"\n2) "b"'),
    (["RPUSH jobs a b c"], "RPOP jobs", '"c"'),
    (["RPUSH jobs a b c"], "LLEN jobs", "(integer) 3"),
    (["RPUSH jobs email resize", "LPUSH jobs urgent"], "LRANGE jobs 0 -1", '1) "urgent"\n2) "email"\n3) "resize"'),
    (["RPUSH jobs a b"], "LINDEX jobs -1", '"b"'),
    (["RPUSH jobs a b"], "LINDEX jobs 5", "(nil)"),
    (["RPUSH jobs a b"], "LSET jobs 0 z", "OK"),
    (["RPUSH jobs a b a"], "LREM jobs 0 a", "(integer) 2"),
    (["RPUSH jobs a b c"], "LTRIM jobs 0 0", "OK"),
    (["RPUSH jobs a b"], "LMOVE jobs done LEFT RIGHT", '"a"'),
    ([], "HSET job:1 status queued origin low", "(integer) 2"),
    (["HSET h f v"], "HGET h f", '"v"'),
    (["HSET h f v"], "HMGET h f g", '1) "v"\n2) (nil)'),
    (["HSET h f v g w"], "HGETALL h", '1) "f"\n2) "v"\n3) "g"\n4) "w"'),
    (["HSET h f v"], "HDEL h f", "(integer) 1"),
    (["HSET h f v"], "HEXISTS h f", "(integer) 1"),
    (["HSET h f v"], "HLEN h", "(integer) 1"),
    (["HSET h f v"], "HKEYS h", '1) "f"'),
    (["HSET h f v"], "HVALS h", '1) "v"'),
    ([], "HINCRBY h tries 2", "(integer) 2"),
    (["HSET h f v"], "HSETNX h f w", "(integer) 0"),
    ([], "SADD s a b a", "(integer) 2"),
    (["SADD s a b"], "SREM s a", "(integer) 1"),
    (["SADD s a"], "SMEMBERS s", '1) "a"'),
    (["SADD s a"], "SISMEMBER s a", "(integer) 1"),
    (["SADD s a b"], "SCARD s", "(integer) 2"),
    (["SADD s a"], "SPOP s", '"a"'),
    (["SADD s a"], "SRANDMEMBER s", '"a"'),
    (["SADD s a", "SADD t a"], "SINTER s t", '1) "a"'),
    (["SADD s a"], "SUNION s t", '1) "a"'),
    (["SADD s a b", "SADD t b"], "SDIFF s t", '1) "a"'),
    (["SADD s a"], "SMOVE s t a", "(integer) 1"),
    ([], "ZADD z 1 a 2 b", "(integer) 2"),
    (["ZADD z 1 a"], "ZREM z a", "(integer) 1"),
    (["ZADD z 1 a 2 b"], "ZRANGE z 0 -1 WITHSCORES", '1) "a"\n2) "1"\n3) "b"\n4) "2"'),
    (["ZADD z 1 a 2 b"], "ZREVRANGE z 0 -1", '1) "b"\n2) "a"'),
    (["ZADD z 1 a 2 b"], "ZRANGEBYSCORE z 2 +inf", '1) "b"'),
    (["ZADD z 1.5 a"], "ZSCORE z a", '"1.5"'),
    (["ZADD z 1 a"], "ZCARD z", "(integer) 1"),
    (["ZADD z 1 a 2 b"], "ZCOUNT z -inf +inf", "(integer) 2"),
    ([], "ZINCRBY scores 5 fido", '"5"'),
    (["ZADD z 1 a 2 b"], "ZRANK z b", "(integer) 1"),
    (["ZADD z 1 a 2 b"], "ZREVRANK z b", "(integer) 0"),
    ([], "PING", "PONG"),
    ([], "PING hello", '"hello"'),
    ([], 'ECHO "caf\\xc3\\xa9 \\"quoted\\" \\\\"', r'"caf\xc3\xa9 \"quoted\" \\"'),
    (["SET visits 1"], "INCR name", "(integer) 1"),
    (["SET name fido"], "INCR name", "(error) ERR value is not an integer or out of range"),
    (["SET name fido"], "LPUSH name x", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"),
]


def test_the_table_covers_every_sandbox_command():
    assert {line.split()[0] for _, line, _ in REPLIES} == set(commands.SANDBOX)


@pytest.mark.parametrize("setup,line,expected", REPLIES, ids=[line for _, line, _ in REPLIES])
def test_every_reply_is_formatted_as_redis_cli_prints_it(console, setup, line, expected):
    for before in setup:
        assert "(error)" not in out(console, before), before
    assert out(console, line) == expected


def test_long_lists_number_their_items_aligned_and_nest_under_their_number(console):
    out(console, "RPUSH l " + " ".join(str(n) for n in range(1, 11)))
    assert out(console, "LRANGE l 0 -1").splitlines()[:2] == [' 1) "1"', ' 2) "2"']
    assert out(console, "LRANGE l 0 -1").splitlines()[-1] == '10) "10"'
    for n in range(12):
        out(console, f"SET k{n:02d} x")
    scan = out(console, "SCAN 0 COUNT 1000 MATCH k0*").splitlines()
    assert scan[0] == '1) "0"' and scan[1].startswith('2)  1) "k0') and scan[2].startswith('    2) "k0')


# --------------------------------------------------------------------------- separate visitors


def test_each_visitor_sees_only_their_own_keys_and_never_the_prefix(console, sandbox):
    out(console, "SET name fido", ALICE)
    out(console, "RPUSH jobs a", ALICE)
    out(console, "SET name rex", BOB)
    assert out(console, "KEYS *", ALICE) == '1) "jobs"\n2) "name"'
    assert out(console, "KEYS *", BOB) == '1) "name"'
    assert out(console, "GET name", BOB) == '"rex"'
    assert out(console, "GET jobs", BOB) == "(nil)"
    # On the server the keys live under each visitor's own space.
    stored = sorted(k.decode() for k in sandbox.keys("v:*:k:*"))
    assert stored == sorted([f"v:{space_of(ALICE.id)}:k:jobs", f"v:{space_of(ALICE.id)}:k:name",
                             f"v:{space_of(BOB.id)}:k:name"])
    assert space_of(ALICE.id) not in out(console, "SCAN 0", ALICE)


@pytest.mark.parametrize("key", ["*", "..", "../name", "v:{bob}:k:name", "{bob}", "v:*", "\\*"])
def test_keys_that_try_to_escape_the_namespace_stay_inside_it(console, sandbox, key):
    out(console, "SET name rex", BOB)
    key = key.replace("{bob}", space_of(BOB.id))
    assert out(console, f"GET '{key}'", ALICE) == "(nil)"
    assert out(console, f"SET '{key}' mine", ALICE) == "OK"
    alice = f"v:{space_of(ALICE.id)}:k:".encode()
    assert sandbox.keys(alice + b"*") == [alice + key.encode()]
    assert out(console, f"DEL '{key}'", ALICE) == "(integer) 1"
    assert out(console, "GET name", BOB) == '"rex"'
    assert out(console, "KEYS *", BOB) == '1) "name"'


def test_very_long_keys_and_patterns_are_refused(console):
    assert errors(console, "SET " + "k" * 201 + " v") == ["(error) key names are at most 200 bytes here"]
    assert errors(console, "KEYS " + "*" * 201) == ["(error) patterns are at most 200 bytes here"]


# --------------------------------------------------------------------------- bad input: one line, never a 500


@pytest.mark.parametrize("line,expected", [
    ('SET name "fido', "(error) unbalanced quotes: close the \" you opened"),
    ("SET name 'fido", "(error) unbalanced quotes: close the ' you opened"),
    ("FLUSHALL", "(error) FLUSHALL is not available here; the closest command here is DEL; HELP lists what is"),
    ("CONFIG GET *", "(error) CONFIG is not available here"),
    ("EVAL 'return 1' 0", "(error) EVAL is not available here: Lua scripts do not run here; HELP lists what is"),
    ("MULTI", "(error) MULTI is not available here: transactions do not run here (each command on its own is "
              "atomic already); HELP lists what is"),
    ("DEBUG SLEEP 10", "(error) DEBUG is not available here"),
    ("MODULE LOAD /tmp/x.so", "(error) MODULE is not available here"),
    ("SETRANGE name 100000000 x", "(error) SETRANGE is not available here"),
    ("SORT jobs BY nosort GET *", "(error) SORT is not available here"),
    ("GETT name", "the closest command here is GET"),
    ("LRNGE jobs 0 -1", "the closest command here is LRANGE"),
    ("GET", "(error) wrong number of arguments for GET: GET key"),
    ("GET a b", "(error) wrong number of arguments for GET: GET key"),
    ("LMOVE a b LEFT", "(error) wrong number of arguments for LMOVE"),
    ('SET name "\\x00\\xff"', "(error) binary values are not allowed here"),
    ('SET name "a\\nb"', "(error) control characters are not allowed"),
    ("SET name a\x1b[31mb", "(error) control characters are not allowed (found \\x1b)"),
    ("SET name " + "x" * 1100, "(error) that line is 1109 bytes; a command line here is at most 1024"),
    ("SRANDMEMBER s -1000000", "(error) SRANDMEMBER's count is a whole number from -100 to 100 here"),
    ("SCAN abc", "(error) invalid cursor"),
    ("HELP NOPE", "(error) no command NOPE here"),
    ("LRANGE rq:queue:low 0 -1 extra", "(error) wrong number of arguments for LRANGE"),
])
def test_bad_input_gets_one_error_line(console, line, expected):
    answer = console.run(ALICE, line)
    assert answer["ok"] is True
    (block,) = answer["output"]
    assert block["kind"] == "error" and expected in block["text"] and "\n" not in block["text"], block


def test_a_command_of_the_other_mode_says_where_it_lives(console):
    assert errors(console, "GET name", mode="queue") == [
        "(error) GET is not available here (it is in your sandbox: type SANDBOX)"]


def test_non_text_payloads_are_refused_without_a_traceback(console):
    for line in (None, 42, ["GET", "x"], "\ud800"):
        answer = console.run(ALICE, line)
        assert answer["output"][0]["kind"] == "error", line


def test_ten_thousand_commands_from_one_visitor_are_cut_to_the_rate(console, console_app, sandbox):
    console_app.config.update(CONSOLE_RATE_LIMIT=30, CONSOLE_RATE_WINDOW=600)  # one window, however slow the machine
    answers = [console.run(ALICE, "INCR hits") for _ in range(10_000)]
    served = [a for a in answers if a["output"][0]["kind"] == "reply"]
    refused = {a["output"][0]["text"] for a in answers if a["output"][0]["kind"] == "error"}
    assert len(served) == 30
    assert refused and all(re.fullmatch(r"\(error\) slow down: at most 30 commands per 600 s; try again in \d+ s", t)
                           for t in refused)
    assert sandbox.get(f"v:{space_of(ALICE.id)}:k:hits") == b"30"  # refused commands never ran
    assert out(console, "GET hits", BOB) == "(nil)"  # others are served meanwhile
    assert out(console, "INCR hits", PRESENTER) == "(integer) 1"  # and the presenter is never limited


def test_an_address_has_a_looser_ceiling_shared_by_its_visitors(console, console_app):
    console_app.config["CONSOLE_RATE_LIMIT_PER_IP"] = 5
    lines = [console.run(Visitor(f"v{n}", "x", False), "PING", ip="10.0.0.7") for n in range(6)]
    assert [a["output"][0]["text"] for a in lines[:5]] == ["PONG"] * 5
    assert lines[5]["output"][0]["text"].startswith("(error) too many commands from your network")
    assert console.run(ALICE, "PING", ip="10.0.0.8")["output"][0]["text"] == "PONG"


# --------------------------------------------------------------------------- quotas and expiry


def test_a_visitor_cannot_keep_more_keys_than_the_quota(console, console_app):
    console_app.config["CONSOLE_KEYS_MAX"] = 5
    for n in range(5):
        assert out(console, f"SET k{n} v") == "OK"
    assert out(console, "SET k5 v") == ("(error) quota: you may keep at most 5 keys and have 5; "
                                        "DEL some first (they also go after an hour idle)")
    assert out(console, "SET k0 replaced") == "OK"  # an existing key may change
    assert out(console, "SET k5 v", BOB) == "OK"     # the quota is per visitor
    out(console, "DEL k0")
    assert out(console, "SET k5 v") == "OK"
    out(console, "EXPIRE k1 1")
    time.sleep(1.1)
    assert out(console, "SET k6 v") == "OK"  # an expired key no longer counts


def test_a_visitor_cannot_store_more_bytes_than_the_quota(console, console_app, sandbox):
    console_app.config["CONSOLE_BYTES_MAX"] = 4096
    value = "x" * 900
    results = [out(console, f"RPUSH big {value}") for _ in range(8)]
    assert results[:3] == ["(integer) 1", "(integer) 2", "(integer) 3"]
    assert results[-1].startswith("(error) quota: your keys use ")
    assert "of your 4096 bytes and this could add" in results[-1]
    used = sandbox.memory_usage(f"v:{space_of(ALICE.id)}:k:big")
    assert used <= 4096
    assert out(console, "LTRIM big 0 0") == "OK"
    assert out(console, f"RPUSH big {value}") == "(integer) 2"  # trimming gave the room back


def test_a_full_sandbox_refuses_writes_clearly_and_keeps_what_it_has(console, sandbox):
    out(console, "SET kept yes")
    sandbox.config_set("maxmemory", "1")
    try:
        assert errors(console, "SET name fido", who=BOB) == [
            "(error) the sandbox is full right now (its memory limit is reached); try again later"]
        assert out(console, "GET kept") == '"yes"'
    finally:
        sandbox.config_set("maxmemory", "32mb")


def test_an_idle_visitors_keys_and_user_are_swept(console, console_app, sandbox):
    console_app.config.update(CONSOLE_IDLE_SECONDS=1, CONSOLE_SWEEP_INTERVAL=1)
    out(console, "SET name fido", ALICE)
    out(console, "EXPIRE name 3600", ALICE)
    out(console, "SET name rex", BOB)
    alice_user = keys.CONSOLE_USER.format(space_of(ALICE.id)).encode()
    assert alice_user in sandbox.execute_command("ACL", "USERS")
    time.sleep(1.2)
    console_app.config["CONSOLE_IDLE_SECONDS"] = 3600
    out(console, "GET name", BOB)  # Bob is back in time; Alice is not
    assert console.sandbox.sweep() == 1
    assert sandbox.keys(f"v:{space_of(ALICE.id)}:*") == []
    assert alice_user not in sandbox.execute_command("ACL", "USERS")
    assert out(console, "GET name", BOB) == '"rex"'
    assert console.sandbox.sweep() == 0  # the lock: one sweep per interval per deployment
    assert out(console, "KEYS *", ALICE) == "(empty array)"  # Alice comes back to a fresh sandbox
    assert out(console, "SET name again", ALICE) == "OK"


def test_a_restarted_sandbox_heals_itself(console, sandbox):
    out(console, "SET name fido")
    sandbox.execute_command("ACL", "DELUSER", keys.CONSOLE_USER.format(space_of(ALICE.id)))  # as after a restart
    assert out(console, "GET name") == '"fido"'


def test_a_frozen_sandbox_costs_a_command_a_moment_not_forever(console_app, sandbox_server):
    console_app.config["REDIS_SOCKET_TIMEOUT"] = 0.5  # read when the console first needs its sandbox
    console = console_app.extensions["omq.console"]
    assert out(console, "SET name fido") == "OK"
    os.kill(sandbox_server.process.pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        assert errors(console, "GET name") == [
            "(error) the sandbox Redis is not answering right now; try again in a moment"]
        assert time.monotonic() - started < 5
    finally:
        os.kill(sandbox_server.process.pid, signal.SIGCONT)
    wait_for(lambda: out(console, "GET name") == '"fido"', message="the console to answer again")


# --------------------------------------------------------------------------- the ACL: the second wall


def _as_visitor(console, sandbox_server, who):
    space = space_of(who.id)
    console.sandbox.ensure_user(space)
    user, password = console.sandbox.credentials(space)
    return redis.Redis(port=sandbox_server.port, username=user, password=password, protocol=2)


@pytest.mark.parametrize("command", [
    ("FLUSHALL",), ("FLUSHDB",), ("CONFIG", "GET", "*"), ("CONFIG", "SET", "maxmemory", "0"), ("KEYS", "*"),
    ("SCAN", "0"), ("EVAL", "return 1", "0"), ("MULTI",), ("DEBUG", "SLEEP", "0"), ("MODULE", "LIST"),
    ("ACL", "LIST"), ("SHUTDOWN",), ("SWAPDB", "0", "1"), ("PUBLISH", "c", "m"), ("MIGRATE", "h", "1", "k", "0", "1"),
    ("SORT", "x"), ("OBJECT", "ENCODING", "x"), ("SETRANGE", "x", "1", "y"), ("MEMORY", "STATS"),
])
def test_a_raw_connection_as_a_visitor_cannot_run_what_the_console_refuses(console, sandbox_server, command):
    raw = _as_visitor(console, sandbox_server, ALICE)
    with pytest.raises(redis.exceptions.NoPermissionError):
        raw.execute_command(*command)
    raw.close()


def test_a_raw_connection_as_a_visitor_reaches_only_its_own_prefix(console, sandbox_server, sandbox):
    out(console, "SET name rex", BOB)
    raw = _as_visitor(console, sandbox_server, ALICE)
    mine, bobs = f"v:{space_of(ALICE.id)}:k:", f"v:{space_of(BOB.id)}:k:"
    assert raw.set(mine + "x", "1") is True
    for command in (("GET", bobs + "name"), ("SET", bobs + "name", "x"), ("DEL", bobs + "name"),
                    ("RENAME", mine + "x", bobs + "x"), ("MEMORY", "USAGE", bobs + "name"),
                    ("HSCAN", f"v:{space_of(BOB.id)}:i", "0"), ("GET", "omq:anything"), ("SET", "elsewhere", "x")):
        with pytest.raises(redis.exceptions.NoPermissionError):
            raw.execute_command(*command)
    assert sandbox.get(bobs + "name") == b"rex"
    raw.close()


def test_without_auth_a_sandbox_connection_can_do_nothing(sandbox_server):
    with socket.create_connection(("127.0.0.1", sandbox_server.port), timeout=5) as raw:
        raw.sendall(b"GET x\r\nKEYS *\r\n")
        reply = b""
        while reply.count(b"\r\n") < 2:
            reply += raw.recv(4096)
    assert reply.startswith(b"-NOAUTH") and reply.split(b"\r\n")[1].startswith(b"-NOAUTH")


def test_the_queue_reader_may_only_read_rq_keys(console, connection, redis_server):
    connection.rpush("rq:queue:low", "job-1")
    connection.set("omq:secret", "audience data")
    assert "1)" in out(console, "LRANGE rq:queue:low 0 -1", mode="queue")  # makes the reader
    reader = redis.Redis(port=redis_server.port, username=keys.CONSOLE_QUEUE_USER,
                         password=console.queue.password, protocol=2)
    assert reader.lrange("rq:queue:low", 0, -1) == [b"job-1"]
    for command in (("SET", "rq:x", "1"), ("RPUSH", "rq:queue:low", "x"), ("DEL", "rq:queue:low"), ("FLUSHALL",),
                    ("CONFIG", "GET", "*"), ("GET", "omq:secret"), ("TYPE", "omq:secret"), ("EVAL", "return 1", "0"),
                    ("KEYS", "*"), ("XRANGE", "omq:events", "-", "+"), ("HSET", "rq:job:1", "status", "x"),
                    ("LMOVE", "rq:queue:low", "rq:queue:x", "LEFT", "LEFT"), ("PUBLISH", "c", "m")):
        with pytest.raises(redis.exceptions.NoPermissionError):
            reader.execute_command(*command)
    assert connection.lrange("rq:queue:low", 0, -1) == [b"job-1"]
    reader.close()


# --------------------------------------------------------------------------- QUEUE mode


def test_queue_mode_shows_the_real_queue_and_hides_what_people_typed(console, connection):
    job = enqueue(connection, "demo.jobs.highlight", "secret snippet alice@example.com", "python", queue="low")
    ids = out(console, "LRANGE rq:queue:low 0 -1", mode="queue")
    assert ids == f'1) "{job.id}"'
    assert out(console, "TYPE rq:queue:low", mode="queue") == "list"
    assert out(console, "LLEN rq:queue:low", mode="queue") == "(integer) 1"
    fields = out(console, f"HGETALL rq:job:{job.id}", mode="queue")
    assert '"status"' in fields and '"queued"' in fields and '"origin"' in fields
    assert "secret" not in fields and "alice" not in fields
    assert "bytes, not shown)" in fields
    lines = fields.splitlines()
    data = lines[[i for i, line in enumerate(lines) if line.endswith('"data"')][0] + 1]
    assert data.split(") ", 1)[1].startswith("(") and data.endswith("bytes, not shown)")
    assert out(console, f"HGET rq:job:{job.id} status", mode="queue") == '"queued"'
    assert out(console, f"HGET rq:job:{job.id} description", mode="queue").endswith("bytes, not shown)")
    assert f'"rq:job:{job.id}"' in out(console, "KEYS rq:*", mode="queue")
    assert out(console, "SMEMBERS rq:queues", mode="queue") == '1) "rq:queue:low"'


#: (line, exactly what redis-cli prints) for every QUEUE command, on a queue with one job waiting.
QUEUE_REPLIES = [
    ("KEYS rq:queue:*", '1) "rq:queue:low"'),
    ("TYPE rq:queue:low", "list"),
    ("EXISTS rq:queue:low", "(integer) 1"),
    ("TTL rq:queue:low", "(integer) -1"),
    ("LLEN rq:queue:low", "(integer) 1"),
    ("LRANGE rq:queue:low 0 -1", '1) "{job}"'),
    ("HGET rq:job:{job} origin", '"low"'),
    ("HLEN rq:job:{job}", "(integer) {fields}"),
    ("HKEYS rq:job:{job}", None),
    ("HGETALL rq:job:{job}", None),
    ("ZRANGE rq:finished:low 0 -1 WITHSCORES", '1) "done-1"\n2) "1700000000"'),
    ("ZCARD rq:finished:low", "(integer) 1"),
    ("SMEMBERS rq:queues", '1) "rq:queue:low"'),
    ("SCARD rq:queues", "(integer) 1"),
    ("PING", "PONG"),
]


def test_the_queue_table_covers_every_queue_command():
    assert {line.split()[0] for line, _ in QUEUE_REPLIES} == set(commands.QUEUE)


@pytest.mark.parametrize("line,expected", QUEUE_REPLIES, ids=[line for line, _ in QUEUE_REPLIES])
def test_every_queue_reply_is_formatted_as_redis_cli_prints_it(console, connection, line, expected):
    job = enqueue(connection, "demo.jobs.noop", queue="low")
    connection.zadd("rq:finished:low", {"done-1": 1700000000})
    fields = connection.hkeys(f"rq:job:{job.id}")
    text = out(console, line.format(job=job.id), mode="queue")
    if line.startswith("HKEYS"):  # numbered like any list; the order is the hash's own
        width = len(str(len(fields)))
        assert [row[:width + 2] for row in text.splitlines()] == [f"{n:>{width}}) " for n in range(1, len(fields) + 1)]
        assert {row[width + 2:] for row in text.splitlines()} == {f'"{f.decode()}"' for f in fields}
    elif line.startswith("HGETALL"):
        assert len(text.splitlines()) == 2 * len(fields) and '"status"' in text and '"queued"' in text
    else:
        assert text == expected.format(job=job.id, fields=len(fields))


@pytest.mark.parametrize("line,expected", [
    ("KEYS *", "the pattern must start with rq:"),
    ("KEYS omq:*", "the pattern must start with rq:"),
    ("TYPE omq:events", "takes a key starting with rq:"),
    ("HGETALL rq:worker:x", "reads job hashes only"),
    ("SMEMBERS rq:job:x", "reads rq:queues and rq:workers only"),
    ("ZRANGE rq:failed:low 0 -1 BYSCORE", "ZRANGE key start stop [WITHSCORES]"),
    ("LRANGE rq:queue:low a b", "whole numbers"),
    ("DEL rq:queue:low", "DEL is not available here (it is in your sandbox"),
    ("FLUSHALL", "FLUSHALL is not available here"),
])
def test_queue_mode_refuses_everything_but_its_reads(console, connection, line, expected):
    connection.rpush("rq:queue:low", "x")
    (text,) = errors(console, line, mode="queue")
    assert expected in text
    assert connection.lrange("rq:queue:low", 0, -1) == [b"x"]


def test_queue_mode_reads_stay_bounded_on_long_queues(console, console_app, connection):
    console_app.config["CONSOLE_QUEUE_ITEMS_MAX"] = 100
    console.queue.items_max = 100
    connection.rpush("rq:queue:low", *[f"id-{n}" for n in range(5000)])
    connection.zadd("rq:failed:low", {f"id-{n}": n for n in range(5000)})
    answer = console.run(ALICE, "LRANGE rq:queue:low 0 -1", "queue")
    lines = answer["output"][0]["text"].splitlines()
    assert len(lines) == 100 and lines[0] == '  1) "id-0"'
    assert answer["output"][1] == {"kind": "note", "text": "(items 0 to 99 of 5000: QUEUE mode shows at most 100 "
                                                           "at a time)"}
    assert out(console, "ZRANGE rq:failed:low -2 -1", mode="queue") == '1) "id-4998"\n2) "id-4999"'
    for n in range(300):
        connection.set(f"rq:job:x{n}", "1")
    answer = console.run(ALICE, "KEYS rq:job:*", "queue")
    assert len(answer["output"][0]["text"].splitlines()) == 100
    assert "walks with SCAN" in answer["output"][1]["text"]


def test_queue_mode_says_clearly_when_redis_refuses_the_reader(app, connection, redis_server, sandbox_server):
    """An external Redis where our account may not create users: QUEUE is unavailable, nothing else breaks."""
    connection.execute_command("ACL", "SETUSER", "limited", "on", ">limited-pw", "~*", "&*", "+@all", "-acl")
    try:
        from demo import create_app

        limited = create_app({**app.config, "REDIS_URL": f"redis://limited:limited-pw@127.0.0.1:{redis_server.port}/0",
                              "CONSOLE_SANDBOX_URL": sandbox_server.admin_url})
        console = limited.extensions["omq.console"]
        (text,) = errors(console, "QUEUE")
        assert text.startswith("(error) QUEUE mode is unavailable: this Redis refused to create a read-only user")
        assert "NOPERM" in text and "the rest of the console works" in text
        assert console.run(ALICE, "QUEUE")["mode"] == "sandbox"
        assert out(console, "SET name fido") == "OK"
        console.close()
    finally:
        connection.execute_command("ACL", "DELUSER", "limited")


# --------------------------------------------------------------------------- HELP and the tutorial


def test_help_lists_every_command_and_shows_one_with_an_example(console):
    text = out(console, "HELP")
    for name in commands.SANDBOX:
        assert name in text
    assert out(console, "help lpush") == ("LPUSH key element [element ...]\n"
                                          "  add to the head (left) of a list\n  example: LPUSH jobs urgent")
    assert out(console, "HELP", mode="queue").splitlines()[0] == (
        "the real queue (read-only): KEYS TYPE EXISTS TTL LLEN LRANGE HGETALL HGET HLEN HKEYS ZRANGE ZCARD "
        "SMEMBERS SCARD PING")
    assert out(console, "HELP GET", mode="queue").splitlines()[0] == "GET key (in your sandbox: type SANDBOX)"


def test_the_tutorial_walks_the_lessons_exercise_and_praises_each_step(console, connection):
    answer = console.run(ALICE, "TUTORIAL")
    assert answer["step"] == 1 and answer["examples"] == ["SET name fido"]
    assert answer["output"][0]["text"].startswith("Step 1 of 9: Strings: SET")
    plan = [("SET name fido", "Stored"), ("GET name", "your value back"), ("RPUSH jobs email", None),
            ("RPUSH jobs resize", "RPUSH of its id"), ("LINDEX jobs 0", "by position"), ("KEYS *", "all your keys"),
            ("TYPE jobs", "A list"), ("EXPIRE name 60", None), ("TTL name", "s left"), ("INCR visits", "no lost update")]
    step = 1
    for line, praise in plan:
        answer = console.run(ALICE, line, "sandbox", step)
        praised = [b["text"] for b in answer["output"] if b["kind"] == "praise"]
        if praise is None:
            assert praised == [] and answer["done"] is False, line
            continue
        assert len(praised) == 1 and praised[0].startswith("Well done! ") and praise in praised[0], line
        assert answer["done"] is True
        answer = console.run(ALICE, "NEXT", "sandbox", step)
        step += 1
        assert answer["step"] == step
    assert step == 9 and answer["examples"] == ["QUEUE", "LRANGE rq:queue:low 0 -1"]
    # The last step: a job from the phone, then the real queue.
    job = enqueue(connection, "demo.jobs.highlight", "x = 1", "python", queue="low")
    remember(connection, ALICE, job)
    answer = console.run(ALICE, "QUEUE", "sandbox", 9)
    assert answer["mode"] == "queue" and answer["done"] is False
    answer = console.run(ALICE, "LRANGE rq:queue:low 0 -1", "queue", 9)
    praised = [b["text"] for b in answer["output"] if b["kind"] == "praise"]
    assert praised == [f"Well done! There it is: {job.id} is your job, waiting in the list. A queue is just a "
                       "Redis list. That was the whole exercise."]
    assert errors(console, "NEXT", mode="queue", step=9) == ["(error) that was the last step; TUTORIAL starts again"]
    assert console.run(ALICE, "PREV", "queue", 9)["step"] == 8
    assert console.run(ALICE, "TUTORIAL OFF", "queue", 9)["step"] == 0


def test_a_failed_step_is_not_praised_and_next_needs_a_tutorial(console):
    answer = console.run(ALICE, "GET name", "sandbox", 2)
    assert answer["done"] is False  # (nil): nothing to read back yet
    assert errors(console, "NEXT") == ["(error) no tutorial is running: type TUTORIAL to start one"]
    assert console.run(ALICE, "GET name", "sandbox", 99)["step"] == 0  # a step that does not exist is none
    assert len(tutorial.STEPS) == 9
