"""A restart keeps the presenter: the token and the session key live under instance/ (issue 10)."""

import os
import re
import stat

import pytest
import requests

from conftest import ServeProcess
from demo.talk.presenter import load_secrets


def test_secrets_are_made_once_kept_0600_and_rotated_on_demand(tmp_path):
    first = load_secrets(tmp_path, environ={})
    assert set(first) == {"SECRET_KEY", "DEMO_PRESENTER_TOKEN"} and all(len(v) >= 24 for v in first.values())
    for name in ("secret-key", "presenter-token"):
        assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == 0o600
    assert load_secrets(tmp_path, environ={}) == first
    rotated = load_secrets(tmp_path, rotate=True, environ={})
    assert all(rotated[name] != first[name] for name in first)


def test_a_value_from_the_environment_wins(tmp_path):
    assert load_secrets(tmp_path, environ={"DEMO_PRESENTER_TOKEN": "mine"}).keys() == {"SECRET_KEY"}
    assert not (tmp_path / "presenter-token").exists()


def _link(server, label):
    return re.search(rf"^{label}:\s+(\S+)", server.output(), re.M).group(1)


@pytest.mark.slow
def test_serve_prints_the_same_links_after_a_restart_and_new_ones_with_new_token(tmp_path, redis_url, connection):
    env = {"DEMO_PRESENTER_TOKEN": "", "SECRET_KEY": ""}  # nothing from the environment: instance/ holds them
    first = ServeProcess(tmp_path, redis_url, workers=0, env=env).wait_healthy()
    try:
        presenter, remote = _link(first, "Presenter"), _link(first, "Remote")
        token = presenter.split("token=", 1)[1]
        assert remote == f"{first.base}/remote?token={token}"
        assert 'to let phones join, run make demo ARGS="--host 0.0.0.0"' in first.output()
        session = requests.Session()
        assert session.get(presenter, allow_redirects=False, timeout=5).status_code == 302
    finally:
        first.stop()

    again = ServeProcess(tmp_path, redis_url, workers=0, env=env).wait_healthy()
    try:
        assert _link(again, "Presenter").replace(str(again.port), "PORT") == presenter.replace(str(first.port), "PORT")
        # The cookie signed before the restart still signs this session in (cookies ignore the port).
        assert "You are the presenter" in session.get(f"{again.base}/", timeout=5).text
    finally:
        again.stop()

    rotated = ServeProcess(tmp_path, redis_url, workers=0, env=env, extra=("--new-token",)).wait_healthy()
    try:
        assert _link(rotated, "Presenter").split("token=", 1)[1] != token
        assert "New presenter token and session key" in rotated.output()
        assert "You are the presenter" not in session.get(f"{rotated.base}/", timeout=5).text
    finally:
        rotated.stop()
