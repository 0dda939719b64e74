"""The room API (hall/room_api.py) on the real server that `streamlit run app.py` starts, spoken to over HTTP as
phones and scripts speak it: joining, posting a drawing, reading the room, and every refusal with its status and a
clear sentence, each leaving the room as it was."""
import base64
import json

import pytest

from hall.rooms import FLOOD_DRAWINGS, MEMBERS_PER_ROOM, open_store
from tests.harness.hall import IMAGES, Phone
from tests.harness.server import run_coroutine
from webapp import questions


def call(url: str, method: str, path: str, body=None, headers: dict | None = None) -> tuple[int, dict, dict]:
    async def one():
        phone = Phone(url)
        try:
            return await phone.request(method, path, body, headers)
        finally:
            await phone.close()

    return run_coroutine(one())


@pytest.fixture
def room(app_url):
    """A new room in the store the server uses (the test run's state folder), and one member of it."""
    code, key = open_store().create_room()
    status, answer, _ = call(app_url, "POST", f"/api/rooms/{code}/members", {})
    assert status == 201
    return code, key, answer["member"]


def state(app_url: str, code: str) -> dict:
    status, answer, _ = call(app_url, "GET", f"/api/rooms/{code}")
    assert status == 200
    return {name: answer[name] for name in ("drawings", "students", "joined", "digits")}


def test_a_phone_joins_and_its_drawing_lands_read_by_the_server(app_url, room):
    code, _, member = room
    status, answer, _ = call(app_url, "POST", f"/api/rooms/{code}/drawings", {"member": member, "image": IMAGES[7]})
    assert (status, answer) == (202, {"drawings": 1, "students": 1})
    status, answer, headers = call(app_url, "GET", f"/api/rooms/{code.lower()}?map=1")
    assert status == 200 and headers["content-type"] == "application/json"
    assert answer["digits"] == [0] * 7 + [1, 0, 0]  # the server read the 7 itself (the shipped CVAE)
    assert answer["joined"] == 1 and answer["view"] == {} and answer["experiment"] is None and answer["model"] is None
    [(x, y, digit)] = answer["points"]  # its VAE-2D code, where the Class page stars it
    assert digit == 7 and -4 < x < 4 and -4 < y < 4
    assert answer["latest"] == [{"image": IMAGES[7], "digit": 7}]
    (kept,) = open_store().drawings(code)
    assert kept.member == member and kept.image == base64.b64decode(IMAGES[7]) and kept.digit == 7


def test_a_member_id_is_issued_by_its_room_and_a_full_room_refuses_with_409(app_url, room):
    code, _, member = room
    other, _ = open_store().create_room()
    status, answer, _ = call(app_url, "POST", f"/api/rooms/{other}/drawings", {"member": member, "image": IMAGES[1]})
    assert status == 403 and answer["error"] == f"This is not a member of room {other}: join the room first."
    assert MEMBERS_PER_ROOM >= 2000  # a hall of a thousand and more fits one room
    store = open_store()
    for _ in range(MEMBERS_PER_ROOM - 2):  # the room's other members, joined straight in the store
        store.join(code)
    assert call(app_url, "POST", f"/api/rooms/{code}/members", {})[0] == 201  # the last place
    before = state(app_url, code)
    status, answer, _ = call(app_url, "POST", f"/api/rooms/{code}/members", {})
    assert (status, answer) == (409, {"error": f"Room {code} is full: it takes {MEMBERS_PER_ROOM} students at most."})
    assert state(app_url, code) == before and before["joined"] == MEMBERS_PER_ROOM


BAD_BODIES = [
    (b"{not json", 400, "The body is not JSON."),
    (b"[1, 2]", 400, "The body is a JSON object."),
    ({"image": IMAGES[3]}, 400, '"member" is the id that joining the room gave'),
    ({"member": 7, "image": IMAGES[3]}, 400, '"member" is the id'),
    ({"member": "x" * 65, "image": IMAGES[3]}, 400, '"member" is the id'),
    ({"member": "M", "image": "not base64!"}, 400, '"image" is base64 text of the 28×28 grey levels'),
    ({"member": "M", "image": None}, 400, '"image" is base64 text'),
    ({"member": "M", "image": base64.b64encode(bytes(783)).decode()}, 400, '"image" is 784 bytes (28×28 grey, row'),
    ({"member": "M", "image": base64.b64encode(bytes(785)).decode()}, 400, "not 785"),
    (b"x" * 5000, 413, "A room takes bodies of 4096 bytes at most."),
    ({"member": "someone-else", "image": IMAGES[3]}, 403, "not a member of room"),
]


@pytest.mark.parametrize("body, status, error", BAD_BODIES)
def test_every_bad_drawing_is_refused_with_a_clear_sentence_and_stores_nothing(app_url, room, body, status, error):
    code, _, member = room
    if isinstance(body, dict) and body.get("member") == "M":
        body = {**body, "member": member}
    before = state(app_url, code)
    got, answer, headers = call(app_url, "POST", f"/api/rooms/{code}/drawings", body)
    assert got == status and headers["content-type"] == "application/json"
    assert list(answer) == ["error"] and error in answer["error"]
    assert state(app_url, code) == before


def test_another_sites_page_cannot_post_into_a_room(app_url, room):
    code, _, member = room
    before = state(app_url, code)
    for path, body in ((f"/api/rooms/{code}/drawings", {"member": member, "image": IMAGES[3]}),
                       (f"/api/rooms/{code}/members", {})):
        status, answer, _ = call(app_url, "POST", path, body, {"Origin": "https://elsewhere.example"})
        assert status == 403 and "this app's own pages" in answer["error"]
    assert state(app_url, code) == before
    host = app_url.removeprefix("http://")
    status, _, _ = call(app_url, "POST", f"/api/rooms/{code}/drawings", {"member": member, "image": IMAGES[3]},
                        {"Origin": f"http://{host}"})  # the app's own page
    assert status == 202


def test_unknown_closed_and_malformed_rooms_are_404(app_url, room):
    code, key, member = room
    open_store().close(code, key)
    for path in (f"/api/rooms/{code}", "/api/rooms/ZZZZZ", "/api/rooms/not-a-code"):
        status, answer, _ = call(app_url, "GET", path)
        assert status == 404 and "There is no room" in answer["error"]
    for path, body in ((f"/api/rooms/{code}/members", {}), (f"/api/rooms/{code}/drawings",
                                                          {"member": member, "image": IMAGES[3]})):
        status, answer, _ = call(app_url, "POST", path, body)
        assert status == 404 and f"There is no room {code}" in answer["error"]


def test_the_hall_answers_the_lessons_questions_counted_per_step_and_every_bad_answer_is_refused(app_url, room):
    """POST /api/rooms/CODE/answers: a member's choice at a step of the lesson, one a step (another tap changes it);
    GET /api/rooms/CODE counts them per step, saying nothing of who chose what. Refusals store nothing."""
    code, _, member = room
    other = call(app_url, "POST", f"/api/rooms/{code}/members", {})[1]["member"]
    path = f"/api/rooms/{code}/answers"
    for who, step, choice in ((member, 3, 1), (other, 3, 0), (member, 7, 0)):
        assert call(app_url, "POST", path, {"member": who, "step": step, "choice": choice})[:2] == (
            202, {"step": step, "choice": choice})
    assert call(app_url, "POST", path, {"member": other, "step": 3, "choice": 1})[0] == 202  # changed its mind
    status, answer, _ = call(app_url, "GET", f"/api/rooms/{code}")
    assert answer["answers"] == {"3": [0, 2, 0, 0], "7": [1, 0, 0, 0]} and member not in json.dumps(answer)
    steps = len(questions.RIGHT)
    for body, status, error in (
            ({"member": member, "step": 0, "choice": 1}, 400, f'"step" is the lesson\'s step, a whole number from 1 to '
                                                               f"{steps}."),
            ({"member": member, "step": steps + 1, "choice": 0}, 400, '"step" is'),
            ({"member": member, "step": "3", "choice": 1}, 400, '"step" is'),
            ({"member": member, "step": 3, "choice": 3}, 400, '"choice" is one of the 3 choices of step 3, a whole '
                                                              "number from 0 to 2."),
            ({"member": member, "step": 3, "choice": None}, 400, '"choice" is'),
            ({"member": member, "step": 3, "choice": True}, 400, '"choice" is'),
            ({"step": 3, "choice": 1}, 400, '"member" is the id that joining the room gave'),
            ({"member": "x" * 20, "step": 3, "choice": 1}, 403, f"not a member of room {code}"),
            ("[3, 1]", 400, "The body is a JSON object."),
            ({"member": member, "step": 3, "choice": 1, "pad": "x" * 5000}, 413, "bytes at most")):
        refused, answer, _ = call(app_url, "POST", path, body.encode() if isinstance(body, str) else body)
        assert refused == status and error in answer["error"], (body, answer)
    refused, answer, _ = call(app_url, "POST", path, {"member": member, "step": 3, "choice": 0},
                              {"Origin": "https://elsewhere.example"})
    assert refused == 403 and "this app's own pages" in answer["error"]
    assert call(app_url, "POST", "/api/rooms/ZZZZZ/answers", {"member": member, "step": 3, "choice": 0})[0] == 404
    assert call(app_url, "GET", f"/api/rooms/{code}")[1]["answers"] == {"3": [0, 2, 0, 0], "7": [1, 0, 0, 0]}


def test_a_flood_is_429_with_retry_after_and_stores_nothing(app_url, room):
    code, _, member = room
    path = f"/api/rooms/{code}/drawings"
    for n in range(FLOOD_DRAWINGS):
        status, answer, _ = call(app_url, "POST", path, {"member": member, "image": IMAGES[n % 10]})
        assert status == 202, answer
    before = state(app_url, code)
    status, answer, headers = call(app_url, "POST", path, {"member": member, "image": IMAGES[0]})
    assert status == 429 and "Too fast" in answer["error"]
    assert 1 <= int(headers["retry-after"]) <= 10
    assert state(app_url, code) == before


@pytest.mark.server
def test_a_store_that_does_not_answer_is_503_within_two_seconds(tmp_path):
    """The room API on a server whose Redis is frozen (SIGSTOP): a post and a poll each answer 503 with Retry-After
    within the store's timeout (2 s) and a little more, and the room comes back by itself. (The post that timed out
    had reached Redis, which runs it when it wakes: a frozen server cannot be told to drop it.)"""
    import os
    import signal
    import time

    import redis

    from tests.harness.server import free_port, start_app, stop_app
    from tests.harness.services import redis_server

    with redis_server() as rooms:
        port = free_port()
        app = start_app(port, {"VAEDEMO_ROOMS": rooms})
        url = f"http://127.0.0.1:{port}"
        try:
            code, _ = open_store(rooms).create_room()
            _, joined, _ = call(url, "POST", f"/api/rooms/{code}/members", {})
            drawing = {"member": joined["member"], "image": IMAGES[4]}
            assert call(url, "POST", f"/api/rooms/{code}/drawings", drawing)[0] == 202  # the models are loaded
            pid = redis.Redis.from_url(rooms).info()["process_id"]
            os.kill(pid, signal.SIGSTOP)
            try:
                for method, path, body in (("POST", f"/api/rooms/{code}/drawings", drawing),
                                           ("GET", f"/api/rooms/{code}", None)):
                    started = time.monotonic()
                    status, answer, headers = call(url, method, path, body)
                    assert status == 503 and "does not answer just now" in answer["error"]
                    assert int(headers["retry-after"]) >= 1 and time.monotonic() - started < 3.5
            finally:
                os.kill(pid, signal.SIGCONT)
            time.sleep(5)  # STORE_RETRY_S
            status, answer, _ = call(url, "POST", f"/api/rooms/{code}/drawings", drawing)
            assert status == 202 and answer["students"] == 1 and answer["drawings"] in (2, 3)
        finally:
            stop_app(app)


def test_joining_takes_an_empty_body_as_well(app_url, room):
    code, _, _ = room
    status, answer, _ = call(app_url, "POST", f"/api/rooms/{code}/members", b"")  # an empty body is {}
    assert status == 201 and json.dumps(answer).startswith('{"member"')


def test_drawings_read_in_a_batch_read_as_each_alone_and_as_their_digits():
    """The server reads a hall's drawings in batches (room_api.Keeper): the same codes and digits as one at a time,
    and the CVAE's reading at the posterior mean gets test digits right."""
    import torch

    from hall import room_api
    from vaedemo.data import load_test_sample
    from vaedemo.viz import to_uint8

    images, labels = load_test_sample("mnist")
    firsts = [int(torch.nonzero(labels == digit)[0, 0]) for digit in range(10)]
    grey = [to_uint8(images[i:i + 1])[0].tobytes() for i in firsts]
    together = room_api.read_drawings(grey)
    for alone, batched in zip((room_api.read_drawings([g])[0] for g in grey), together):
        assert alone[1] == batched[1] and all(abs(a - b) < 1e-4 for a, b in zip(alone[0], batched[0]))
    assert sum(digit == n for n, (_, digit) in enumerate(together)) >= 9
