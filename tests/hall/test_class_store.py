"""Rooms outlive the server and are shared by every app process on one store: a student draws on one process, the
room API of another counts the drawing, and so does a restarted process. Real servers, spoken to over HTTP as phones
do; the store a SQLite file or a real redis-server."""
import pytest

from hall.rooms import open_store
from tests.harness.hall import room_counts, students_draw
from tests.harness.server import free_port, run_coroutine, start_app, stop_app
from tests.harness.services import redis_server


@pytest.fixture(params=["sqlite", "redis"])
def store_url(request, tmp_path):
    if request.param == "sqlite":
        yield str(tmp_path / "rooms.sqlite3")
    else:
        with redis_server() as url:
            yield url


def started(store_url: str) -> tuple[str, object]:
    port = free_port()
    return f"http://127.0.0.1:{port}", start_app(port, {"VAEDEMO_ROOMS": store_url})


@pytest.mark.server
def test_two_processes_share_a_room_and_a_restart_keeps_it(store_url):
    code, key = open_store(store_url).create_room()
    (first_url, first), (second_url, second) = started(store_url), started(store_url)
    try:
        answers = run_coroutine(students_draw(first_url, code, [[7, 1]])) + run_coroutine(
            students_draw(second_url, code, [[3]]))
        assert [status for status, _ in answers] == [202] * 3
        assert run_coroutine(room_counts(second_url, code)) == (3, 2)
        assert run_coroutine(room_counts(first_url, code)) == (3, 2)
        stop_app(second)
        second_url, second = started(store_url)  # a restart, or the next process behind the proxy
        assert run_coroutine(room_counts(second_url, code)) == (3, 2)
    finally:
        stop_app(first)
        stop_app(second)
