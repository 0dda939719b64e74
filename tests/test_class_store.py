"""Rooms outlive the server and are shared by every app process on one store: a student draws on one process, the
Class page of another shows the drawing, and so does a restarted process. Real servers, spoken to over Streamlit's
protocol; the store a SQLite file or a real redis-server."""
import pytest

from tests.harness.protocol import DRAWINGS, Session, class_counts
from tests.harness.server import free_port, run_coroutine, start_app, stop_app
from tests.harness.services import redis_server
from vaedemo.rooms import open_store


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


async def draw(url: str, code: str, digits: list[int]):
    student = Session(url, f"room={code}")
    await student.connect()
    await student.rerun()
    for digit in digits:
        await student.stroke(DRAWINGS[digit])
    await student.close()
    assert student.errors == []


def test_two_processes_share_a_room_and_a_restart_keeps_it(store_url):
    code, key = open_store(store_url).create_room()
    (first_url, first), (second_url, second) = started(store_url), started(store_url)
    try:
        run_coroutine(draw(first_url, code, [7, 1]))
        run_coroutine(draw(second_url, code, [3]))
        assert run_coroutine(class_counts(second_url, code, key)) == (3, 2)
        assert run_coroutine(class_counts(first_url, code, key)) == (3, 2)
        stop_app(second)
        second_url, second = started(store_url)  # a restart, or the next process behind the proxy
        assert run_coroutine(class_counts(second_url, code, key)) == (3, 2)
    finally:
        stop_app(first)
        stop_app(second)
