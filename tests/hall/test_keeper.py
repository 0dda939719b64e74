"""The server's keeping of students' models: by secret token only, in a SQLite file that outlives the process, for a
bounded time and size, and gone when the student forgets it."""
import subprocess
import sys
import time

from hall.keeper import ModelKeeper, new_token
from tests.harness.server import ROOT


def test_a_model_comes_back_by_its_token_only_and_goes_when_forgotten(tmp_path):
    keeper = ModelKeeper(tmp_path / "models.sqlite3")
    token, other = new_token(), new_token()
    assert len(token) >= 40 and token != other
    keeper.keep(token, b"checkpoint bytes")
    assert keeper.get(token) == b"checkpoint bytes"
    assert keeper.get(other) is None and keeper.get(token[:-1]) is None
    keeper.keep(token, b"a newer model")  # the same browser's next model replaces the first
    assert keeper.get(token) == b"a newer model"
    keeper.forget(token)
    assert keeper.get(token) is None


def test_a_kept_model_outlives_the_process_that_kept_it(tmp_path):
    path, token = tmp_path / "models.sqlite3", new_token()
    keep = f"from hall.keeper import ModelKeeper; ModelKeeper({str(path)!r}).keep({token!r}, b'weights')"
    subprocess.run([sys.executable, "-c", keep], cwd=ROOT, check=True)
    assert ModelKeeper(path).get(token) == b"weights"


def test_models_expire_and_the_oldest_go_first_over_the_bound(tmp_path):
    keeper = ModelKeeper(tmp_path / "models.sqlite3", keep_s=1, total_bytes=250)
    first, second, third = new_token(), new_token(), new_token()
    keeper.keep(first, b"1" * 100)
    keeper.keep(second, b"2" * 100)
    keeper.keep(third, b"3" * 100)  # 300 bytes: the oldest goes
    assert (keeper.get(first), keeper.get(second), keeper.get(third)) == (None, b"2" * 100, b"3" * 100)
    time.sleep(1.2)
    assert keeper.get(second) is None  # a second without use: past its time


def test_a_kept_model_comes_back_while_another_process_holds_the_files_write_lock(tmp_path):
    """A returning browser gets its model back even while the file is locked (a read needs no lock in WAL); keeping a
    new one then says so with sqlite3's error, which the app turns into a message (webapp/keeping.py)."""
    import sqlite3

    import pytest

    path, token = tmp_path / "models.sqlite3", new_token()
    keeper = ModelKeeper(path)
    keeper.keep(token, b"weights")
    lock = sqlite3.connect(path, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        assert keeper.get(token) == b"weights"
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            keeper.keep(new_token(), b"other weights")
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    keeper.keep(token, b"newer weights")
    assert keeper.get(token) == b"newer weights"
