"""The classroom's room store against the real things: a SQLite file, and Debian's redis-server started by the tests.
Every test runs on both backends, which must behave alike."""
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import redis

from hall.redis_rooms import RedisRooms
from hall.rooms import (
    CODE_ALPHABET,
    CODE_LENGTH,
    EXPERIMENT_SETTINGS,
    MAX_CHOICES,
    MAX_STEPS,
    Limits,
    NoSuchRoom,
    NotLearned,
    NotMember,
    RoomError,
    RoomFull,
    TooFast,
    Unreachable,
    WrongKey,
    normalise_code,
    open_store,
)
from hall.sqlite_rooms import SQLiteRooms
from hall.state import STORE_TIMEOUT_S
from tests.harness.services import REDIS_SERVER, redis_server

ROOT = Path(__file__).resolve().parents[2]
IMAGE = bytes(range(256)) * 3 + bytes(16)  # 784 bytes, every value once at least


@pytest.fixture(scope="module")
def redis_url():
    if not REDIS_SERVER.exists():
        pytest.skip(f"{REDIS_SERVER} is missing: `make test` installs Debian's redis-server")
    with redis_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "redis"])
def location(request, tmp_path) -> str:
    """Where a store keeps its rooms: a fresh SQLite file, or the module's Redis server, emptied."""
    if request.param == "sqlite":
        return str(tmp_path / "rooms.sqlite3")
    url = request.getfixturevalue("redis_url")
    redis.Redis.from_url(url).flushdb()
    return url


@pytest.fixture
def store(location):
    return open_store(location)


ISSUED = {}  # (store, room, a test's name for a student) -> the member id the room issued


def member(store, code, name):
    """The id the room issued to the student this test calls name, who joins on first use."""
    key = (id(store), normalise_code(code), name)
    if key not in ISSUED:
        ISSUED[key] = store.join(code)
    return ISSUED[key]


def names(store, code, pairs):
    """(member id, x) pairs with each id as the test's name of its student."""
    named = {issued: name for (of, room, name), issued in ISSUED.items() if (of, room) == (id(store), code)}
    return [(named.get(m, m), x) for m, x in pairs]


def draw(store, code, name, digit=4, vae=(-1.0, 2.0)):
    store.add_drawing(code, member(store, code, name), IMAGE, vae, digit)


def test_a_room_has_a_code_easy_to_say_and_a_secret_key(store):
    code, key = store.create_room()
    assert len(code) == CODE_LENGTH and set(code) <= set(CODE_ALPHABET)
    assert not set("0O1I") & set(CODE_ALPHABET)
    assert len(key) >= 20 and code not in key
    room = store.room(code)
    assert room.code == code and room.view == {} and room.experiment is None
    assert room.created == room.last_active <= time.time()
    assert len({store.create_room()[0] for _ in range(20)} | {code}) == 21


def test_codes_are_normalised_and_unknown_ones_refused(store):
    code, _ = store.create_room()
    typed = f" {code[:2].lower()} {code[2:].lower()} "
    assert store.room(typed).code == code
    draw(store, typed, "m1")
    assert store.counts(code) == (1, 1)
    unknown = "ZZZZZ" if code != "ZZZZZ" else "YYYYY"
    assert store.room(unknown) is None and store.room("hello world") is None
    for action in (lambda c: store.add_drawing(c, "m1", IMAGE, (0, 0), 4), store.drawings, store.counts,
                   store.digit_counts, store.version, store.runs, lambda c: store.add_run(c, "m1", {}, {}), store.join,
                   store.joined):
        with pytest.raises(NoSuchRoom, match=f"no room {unknown}"):
            action(unknown)
    with pytest.raises(NoSuchRoom):
        store.clear("hello world", "key")


def test_drawings_come_newest_first_with_what_was_drawn(store):
    code, _ = store.create_room()
    draw(store, code, "m1", digit=1)
    draw(store, code, "m2", digit=2, vae=(-0.125, 7.0))
    draw(store, code, "m1", digit=3)
    drawings = store.drawings(code)
    assert names(store, code, [(d.member, d.digit) for d in drawings]) == [("m1", 3), ("m2", 2), ("m1", 1)]
    assert drawings[1].image == IMAGE and drawings[1].vae == (-0.125, 7.0)
    assert drawings[0].at >= drawings[1].at >= drawings[2].at > time.time() - 60
    latest = store.drawings(code, latest_only=True)
    assert names(store, code, [(d.member, d.digit) for d in latest]) == [("m1", 3), ("m2", 2)]
    assert [d.digit for d in store.drawings(code, newest=2)] == [3, 2]
    assert [d.digit for d in store.drawings(code, latest_only=True, newest=1)] == [3]


def test_a_drawing_is_28_by_28_bytes_with_a_digit(store):
    code, _ = store.create_room()
    m1 = store.join(code)
    with pytest.raises(ValueError, match="784 bytes"):
        store.add_drawing(code, m1, IMAGE[:-1], (0, 0), 4)
    with pytest.raises(ValueError, match="0-9"):
        store.add_drawing(code, m1, IMAGE, (0, 0), 10)
    with pytest.raises(ValueError, match="finite"):
        store.add_drawing(code, m1, IMAGE, (float("nan"), 0), 4)
    assert store.counts(code) == (0, 0)


def test_counts_and_digit_counts_over_each_members_latest(store):
    code, _ = store.create_room()
    draw(store, code, "m1", digit=4)
    draw(store, code, "m1", digit=7)
    draw(store, code, "m2", digit=4)
    draw(store, code, "m3", digit=7)
    draw(store, code, "m4", digit=0)
    assert store.counts(code) == (5, 4)
    assert store.digit_counts(code) == [1, 0, 0, 0, 1, 0, 0, 2, 0, 0]


def test_a_member_keeps_only_its_newest_drawings(location):
    store = open_store(location, Limits(drawings_per_member=3, flood_drawings=3, flood_window_s=0))
    code, _ = store.create_room()
    for digit in range(5):
        draw(store, code, "m1", digit=digit)
    draw(store, code, "m2", digit=9)
    assert names(store, code, [(d.member, d.digit) for d in store.drawings(code)]) == [
        ("m2", 9), ("m1", 4), ("m1", 3), ("m1", 2)]
    assert store.counts(code) == (4, 2)


def test_a_full_room_refuses_new_members_with_a_message(location):
    store = open_store(location, Limits(members_per_room=3))
    code, key = store.create_room()
    draw(store, code, "m1")
    issued = {member(store, code, "m1"), store.join(code), store.join(code)}
    assert len(issued) == 3 and store.joined(code) == 3
    with pytest.raises(RoomFull, match=f"Room {code} is full: it takes 3 students at most"):
        store.join(code)
    draw(store, code, "m1")  # a member already in draws on
    assert store.counts(code) == (2, 1) and store.joined(code) == 3
    store.clear(code, key)  # the drawings go, the members stay
    with pytest.raises(RoomFull):
        store.join(code)


def test_only_the_rooms_own_members_draw_and_run(store):
    code, _ = store.create_room()
    other, _ = store.create_room()
    theirs = store.join(other)
    for stranger in ("m1", theirs, "x" * 64):
        with pytest.raises(NotMember, match=f"not a member of room {code}"):
            store.add_drawing(code, stranger, IMAGE, (0, 0), 4)
        with pytest.raises(NotMember):
            store.add_run(code, stranger, {}, {})
    assert store.counts(code) == (0, 0) and store.runs(code) == [] and store.joined(code) == 0


def test_the_lessons_answers_one_a_member_and_step_counted_with_nothing_of_who(store):
    code, key = store.create_room()
    first, second, third = (store.join(code) for _ in range(3))
    store.answer(code, first, 3, 1)
    store.answer(code, second, 3, 1)
    store.answer(code, third, 3, 0)
    store.answer(code, first, 4, 2)
    assert store.answers(code) == {3: [1, 2, 0, 0], 4: [0, 0, 1, 0]}
    store.answer(code, third, 3, 1)  # another tap changes the answer: it is not a second one
    assert store.answers(code) == {3: [0, 3, 0, 0], 4: [0, 0, 1, 0]}
    version = store.version(code)
    for stranger in ("m1", store.join(store.create_room()[0])):
        with pytest.raises(NotMember, match=f"not a member of room {code}"):
            store.answer(code, stranger, 3, 0)
    for step, choice in ((0, 0), (MAX_STEPS + 1, 0), ("3", 0), (3, MAX_CHOICES), (3, -1), (3, 1.0), (3, True)):
        with pytest.raises(ValueError, match="a step is|a choice is"):
            store.answer(code, first, step, choice)
    assert store.answers(code) == {3: [0, 3, 0, 0], 4: [0, 0, 1, 0]} and store.version(code) == version
    store.clear(code, key)  # a new lecture in the same room
    assert store.answers(code) == {}
    with pytest.raises(NoSuchRoom):
        store.answer("ZZZZZ", first, 3, 1)


def test_a_flood_from_one_member_is_refused_with_a_message(location):
    store = open_store(location, Limits(drawings_per_member=5, flood_drawings=3, flood_window_s=60))
    code, _ = store.create_room()
    for _ in range(3):
        draw(store, code, "m1")
    version = store.version(code)
    with pytest.raises(TooFast, match="3 drawings every 60 seconds") as refused:
        draw(store, code, "m1")
    assert isinstance(refused.value, RoomError) and isinstance(refused.value, ValueError)
    assert 55 < refused.value.retry_after_s <= 60  # when the first of the three leaves the window
    assert store.counts(code) == (3, 1) and store.version(code) == version  # a refusal changes nothing
    draw(store, code, "m2")


def test_version_increases_with_every_change(store):
    code, key = store.create_room()
    versions = [store.version(code)]
    for change in (lambda: draw(store, code, "m1"), lambda: store.set_view(code, key, {"page": "latent"}),
                   lambda: store.set_experiment(code, key, "beta"),
                   lambda: store.add_run(code, member(store, code, "m1"), {}, {}), lambda: store.join(code),
                   lambda: store.clear(code, key)):
        change()
        versions.append(store.version(code))
    assert versions == sorted(set(versions))
    assert store.version(code) == versions[-1]  # reading changes nothing


def test_the_lecturer_sends_the_room_a_view_and_an_experiment(store):
    code, key = store.create_room()
    view = {"page": "latent", "z": [0.4, -1.2]}
    store.set_view(code.lower(), key, view)
    store.set_experiment(code, key, "latent_dim")
    room = store.room(code)
    assert room.view == view and room.experiment == "latent_dim"
    store.set_experiment(code, key, None)
    assert store.room(code).experiment is None
    with pytest.raises(ValueError, match="beta"):
        store.set_experiment(code, key, "epochs")
    with pytest.raises(ValueError, match="dict"):
        store.set_view(code, key, ["latent"])
    assert set(EXPERIMENT_SETTINGS) == {"beta", "latent_dim", "hidden", "train_size"}


def test_the_room_keeps_the_model_it_learned_and_which_model_it_uses(store):
    """The lecturer's learned model: its weights by id, its figures; "use" moves the room to it and back, a model
    learned again replaces it (and a room that used its model uses the new one); nobody else acts for the lecturer."""
    code, key = store.create_room()
    assert store.learned(code) is None and store.room(code).model is None
    with pytest.raises(NotLearned, match="has not learned"):
        store.use_learned(code, key, True)
    figures = {"nll": [250.5, 170.25], "shipped": [[0.5, -1.0, 7]], "room": [[0.25, 2.0, 7]]}
    first = store.keep_learned(code, key, b"weights one", figures)
    learned = store.learned(code.lower())
    assert learned.id == first and len(first) == 24 and learned.figures == figures
    assert store.learned_weights(code, first) == b"weights one" and store.room(code).model is None
    versions = [store.version(code)]
    store.use_learned(code, key, True)
    assert store.room(code).model == first
    second = store.keep_learned(code, key, b"weights two", {"nll": [1, 2]})
    assert second != first and store.room(code).model == second  # the room follows its newest model
    assert store.learned_weights(code, second) == b"weights two" and store.learned_weights(code, first) is None
    store.use_learned(code, key, False)
    assert store.room(code).model is None and store.learned(code).id == second
    versions.append(store.version(code))
    assert versions == sorted(set(versions))  # the polls see each change
    for act in (lambda: store.use_learned(code, "wrong", True), lambda: store.keep_learned(code, "wrong", b"x", {})):
        with pytest.raises(WrongKey):
            act()
    store.clear(code, key)  # the drawings go; the model lives as long as the room
    assert store.learned(code).id == second
    store.close(code, key)
    with pytest.raises(NoSuchRoom):
        store.learned(code)


def test_the_lecturer_clears_the_room(store):
    code, key = store.create_room()
    draw(store, code, "m1")
    store.add_run(code, member(store, code, "m1"), {"beta": 4}, {"test_loss": 140.5})
    store.clear(code, key)
    assert store.drawings(code) == [] and store.runs(code) == [] and store.counts(code) == (0, 0)
    assert store.digit_counts(code) == [0] * 10
    draw(store, code, "m1")
    assert store.counts(code) == (1, 1)


def test_the_lecturer_closes_the_room(store):
    code, key = store.create_room()
    draw(store, code, "m1")
    store.close(code, key)
    assert store.room(code) is None and not store.is_lecturer(code, key)
    with pytest.raises(NoSuchRoom):
        draw(store, code, "m1")
    with pytest.raises(NoSuchRoom):
        store.close(code, key)


def test_without_the_key_nobody_acts_for_the_lecturer(store):
    code, key = store.create_room()
    other_code, other_key = store.create_room()
    draw(store, code, "m1")
    assert store.is_lecturer(code, key) and store.is_lecturer(code.lower(), key)
    actions = (lambda k: store.clear(code, k), lambda k: store.close(code, k),
               lambda k: store.set_view(code, k, {"page": "draw"}), lambda k: store.set_experiment(code, k, "beta"))
    for wrong in ("", key[:-1], other_key, "é" * 5, None):
        assert not store.is_lecturer(code, wrong)
        for action in actions:
            with pytest.raises(WrongKey, match=f"Only the lecturer of room {code} can do that"):
                action(wrong)
    room = store.room(code)
    assert store.counts(code) == (1, 1) and room.view == {} and room.experiment is None


def test_runs_of_the_class_experiment(location):
    store = open_store(location, Limits(runs_per_member=2, members_per_room=2))
    code, _ = store.create_room()
    for beta in (0.5, 1, 4):
        store.add_run(code, member(store, code, "m1"), {"beta": beta}, {"test_loss": 140 + beta, "curve": [1.5, 2.5]})
    store.add_run(code, member(store, code, "m2"), {"beta": 1}, {"test_loss": 150.25})
    runs = store.runs(code)
    assert names(store, code, [(r["member"], r["setting"]["beta"]) for r in runs]) == [("m2", 1), ("m1", 4), ("m1", 1)]
    assert runs[1]["figures"] == {"test_loss": 144, "curve": [1.5, 2.5]} and runs[0]["at"] >= runs[1]["at"]


def test_a_room_expires_without_activity(location):
    store = open_store(location, Limits(room_ttl_s=1))
    code, key = store.create_room()
    draw(store, code, "m1")
    time.sleep(0.5)
    draw(store, code, "m1")  # a write keeps it alive
    room = store.room(code)
    assert room.last_active > room.created
    time.sleep(1.3)
    assert store.room(code) is None and not store.is_lecturer(code, key)
    with pytest.raises(NoSuchRoom):
        draw(store, code, "m1")
    with pytest.raises(NoSuchRoom):
        store.counts(code)


def test_a_new_store_on_the_same_place_sees_the_rooms(location):
    store = open_store(location)
    code, key = store.create_room()
    draw(store, code, "m1", digit=6)
    store.set_view(code, key, {"page": "latent"})
    again = open_store(location)
    assert again.room(code).view == {"page": "latent"} and again.is_lecturer(code, key)
    assert [(d.member, d.digit, d.image) for d in again.drawings(code)] == [(member(store, code, "m1"), 6, IMAGE)]
    assert again.joined(code) == 1


def test_another_process_on_the_same_store_adds_a_drawing(store, location):
    code, _ = store.create_room()
    version = store.version(code)
    other = store.join(code)
    script = ("import sys; from hall.rooms import open_store; "
              "open_store(sys.argv[1]).add_drawing(sys.argv[2], sys.argv[3], bytes(784), (3, 4), 7)")
    subprocess.run([sys.executable, "-c", script, location, code, other], cwd=ROOT, check=True, timeout=60)
    assert [(d.member, d.digit, d.vae) for d in store.drawings(code)] == [(other, 7, (3, 4))]
    assert store.version(code) > version


def test_threads_share_one_store(store):
    code, _ = store.create_room()
    members = [store.join(code) for _ in range(8)]
    threads = [threading.Thread(target=store.add_drawing, args=(code, m, IMAGE, (0, 0), 4)) for m in members]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.counts(code) == (8, 8)
    assert {d.member for d in store.drawings(code)} == set(members)


def test_open_store_reads_where_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("VAEDEMO_ROOMS", raising=False)
    monkeypatch.setenv("VAEDEMO_STATE", str(tmp_path / "state"))
    store = open_store()
    assert isinstance(store, SQLiteRooms) and store.path == tmp_path / "state" / "rooms.sqlite3"
    assert store.path.exists()
    monkeypatch.delenv("VAEDEMO_STATE")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert open_store().path == tmp_path / "xdg" / "vaedemo" / "rooms.sqlite3"
    monkeypatch.setenv("VAEDEMO_ROOMS", str(tmp_path / "named.sqlite3"))
    assert open_store().path == tmp_path / "named.sqlite3"
    monkeypatch.setenv("VAEDEMO_ROOMS", "redis://127.0.0.1:1/0")
    assert isinstance(open_store(), RedisRooms)  # connects only when used
    assert isinstance(open_store(str(tmp_path / "given.sqlite3")), SQLiteRooms)


def test_the_halls_data_set_is_its_drawings_and_digits_oldest_first_and_names_nobody(tmp_path):
    import io

    import numpy as np

    from hall.rooms import hall_dataset

    store = open_store(str(tmp_path / "rooms.sqlite3"))
    code, _ = store.create_room()
    for n, (name, digit) in enumerate(zip(["m1", "m2"] * 2, (3, 7, 1, 0))):
        store.add_drawing(code, member(store, code, name), bytes([n]) * 784, (0.5, 0.5), digit)
    data = np.load(io.BytesIO(hall_dataset(store.drawings(code))))
    assert sorted(data.files) == ["digits", "images"]  # no member ids, no times
    assert data["images"].shape == (4, 28, 28) and data["images"].dtype == np.uint8
    assert data["images"][:, 0, 0].tolist() == [0, 1, 2, 3] and data["digits"].tolist() == [3, 7, 1, 0]
    empty = np.load(io.BytesIO(hall_dataset([])))
    assert empty["images"].shape == (0, 28, 28) and empty["digits"].shape == (0,)


def test_a_frozen_redis_is_unreachable_within_its_timeout_and_answers_again_when_it_thaws(monkeypatch):
    """Redis stopped in its tracks (SIGSTOP), as a frozen server is: a call gives up after STORE_TIMEOUT_S with
    Unreachable, which the pages show as the room's trouble, and the calls after it at once, until STORE_RETRY_S has
    passed; thawed, the same store works on."""
    import os
    import signal

    from hall import rooms

    monkeypatch.setattr(rooms, "STORE_RETRY_S", 1.0)

    with redis_server() as url:
        store = open_store(url)
        code, _ = store.create_room()
        m1 = store.join(code)
        pid = redis.Redis.from_url(url).info()["process_id"]
        os.kill(pid, signal.SIGSTOP)
        try:
            started = time.monotonic()
            with pytest.raises(Unreachable, match="does not answer just now"):
                store.add_drawing(code, m1, IMAGE, (0, 0), 3)
            assert time.monotonic() - started < 1.5 * STORE_TIMEOUT_S
            started = time.monotonic()
            with pytest.raises(Unreachable):
                store.counts(code)
            assert time.monotonic() - started < 0.1  # known down: no second wait
        finally:
            os.kill(pid, signal.SIGCONT)
        time.sleep(1.0)  # STORE_RETRY_S
        store.add_drawing(code, m1, IMAGE, (0, 0), 3)
        assert store.counts(code) == (1, 1)


def test_a_locked_sqlite_file_is_unreachable_within_its_timeout_and_answers_again_once_free(tmp_path, monkeypatch):
    import sqlite3

    from hall import rooms

    monkeypatch.setattr(rooms, "STORE_RETRY_S", 0.5)

    path = str(tmp_path / "rooms.sqlite3")
    store = open_store(path)
    code, _ = store.create_room()
    m1 = store.join(code)
    lock = sqlite3.connect(path, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")  # another process holding the write lock
    try:
        started = time.monotonic()
        with pytest.raises(Unreachable, match="does not answer just now"):
            store.add_drawing(code, m1, IMAGE, (0, 0), 3)
        assert time.monotonic() - started < 1.5 * STORE_TIMEOUT_S
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    time.sleep(0.5)  # STORE_RETRY_S
    store.add_drawing(code, m1, IMAGE, (0, 0), 3)
    assert store.counts(code) == (1, 1)


def test_a_store_file_of_an_older_version_starts_afresh(tmp_path):
    """Rooms live for hours: a SQLite file written by an older version of the app (no members table) is made anew
    when the store opens it, and works."""
    import sqlite3

    path = tmp_path / "rooms.sqlite3"
    old = sqlite3.connect(path)
    old.executescript("CREATE TABLE rooms (code TEXT PRIMARY KEY, key TEXT NOT NULL, created REAL NOT NULL, "
                      "last_active REAL NOT NULL, view TEXT NOT NULL, experiment TEXT NOT NULL, version INTEGER);"
                      "INSERT INTO rooms VALUES ('ABCDE', 'k', 0, 0, '{}', 'null', 1);")
    old.close()
    store = open_store(str(path))
    assert store.room("ABCDE") is None
    code, _ = store.create_room()
    store.add_drawing(code, store.join(code), IMAGE, (1, 2), 3)
    assert store.counts(code) == (1, 1) and open_store(str(path)).joined(code) == 1
