"""Secrets kept under instance/: made once, read back, rotated on demand, never readable by others."""

import os
import stat

from demo.runtime import secret_files


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_secret_is_made_once_and_read_back_on_the_next_start(tmp_path):
    path = tmp_path / "instance" / "presenter-token"
    first = secret_files.load_or_create(path)
    assert len(first) >= 32 and mode(path) == 0o600
    assert secret_files.load_or_create(path) == first


def test_rotate_replaces_it(tmp_path):
    path = tmp_path / "secret"
    first = secret_files.load_or_create(path)
    second = secret_files.load_or_create(path, rotate=True)
    assert second != first and secret_files.load_or_create(path) == second


def test_a_file_others_could_read_is_tightened_and_an_empty_one_is_refilled(tmp_path):
    path = tmp_path / "secret"
    path.write_text("kept\n")
    os.chmod(path, 0o644)
    assert secret_files.load_or_create(path) == "kept" and mode(path) == 0o600
    path.write_text("")
    assert secret_files.load_or_create(path, make=lambda: "new") == "new"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp file left behind
