"""The classroom's rooms: a lecturer opens a room, students join it by a short code, and each student's drawings
(the 28×28 input, its VAE code and the digit read in it) land there for the projected Class page; the lecturer's
view and experiment are there for the room to follow. A member is an id the store issues when a student joins
(join): a room takes drawings and runs from its members only, and at most MEMBERS_PER_ROOM of them. No Streamlit
and no torch here.

The rooms live in a store that outlives the app's process and is shared by every process that points at it:
a SQLite file by default (WAL mode, so that readers never wait for the writer), or a Redis server when
VAEDEMO_ROOMS is a redis:// URL, for several processes or machines. The two backends have one interface, the same
bounds and the same behaviour; everything they keep is JSON or bytes. Nothing identifies a student: a member is an
opaque random id that the app gives a session, and no names or free text are stored.
"""
import base64
import functools
import json
import math
import os
import secrets
import sqlite3
import threading
import time
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: easy to read aloud and to type
CODE_LENGTH = 5
ROOM_TTL_S = 6 * 3600  # a room without a write for this long is gone
DRAWINGS_PER_MEMBER = 20  # a member's oldest drawing goes when a newer one comes
MEMBERS_PER_ROOM = 2000  # a lecture hall and then some (docs/deployment.md: where one app process stops)
RUNS_PER_MEMBER = 10
MAX_STEPS, MAX_CHOICES = 50, 4  # a lesson's questions: at most this many steps, each with at most this many choices
FLOOD_DRAWINGS = 20  # at most this many drawings from one member ...
FLOOD_WINDOW_S = 10.0  # ... in this many seconds
EXPERIMENT_SETTINGS = ("beta", "latent_dim", "hidden", "train_size")
IMAGE_BYTES = 28 * 28
MEMBER_CHARS = 64  # the longest member id taken
STORE_TIMEOUT_S = 2.0  # how long a call waits for the store (a SQLite lock, a Redis answer) before it is Unreachable
STORE_RETRY_S = 5.0  # after the store did not answer, calls are Unreachable at once for this long, then one tries
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


class RoomError(ValueError):
    """What a room refuses, with a message a person can read."""


class NoSuchRoom(RoomError):
    def __init__(self, code: str):
        super().__init__(f"There is no room {code}: it was closed, or it expired after hours without activity.")


class WrongKey(RoomError):
    def __init__(self, code: str):
        super().__init__(f"Only the lecturer of room {code} can do that.")


class RoomFull(RoomError):
    def __init__(self, code: str, members: int):
        super().__init__(f"Room {code} is full: it takes {members} students at most.")


class Unreachable(RoomError):
    def __init__(self, error: Exception):
        super().__init__(f"The room store does not answer just now ({type(error).__name__}: {error}). The room's "
                         "live view waits; drawing goes on.")


class NotMember(RoomError):
    def __init__(self, code: str):
        super().__init__(f"This is not a member of room {code}: join the room first.")


class TooFast(RoomError):
    def __init__(self, drawings: int, window_s: float, retry_after_s: float):
        super().__init__(f"Too fast: a room takes {drawings} drawings every {window_s:g} seconds from each student. "
                         "Wait a moment and draw again.")
        self.retry_after_s = retry_after_s  # when the member's oldest drawing in the window leaves it


@dataclass(frozen=True)
class Limits:
    """A store's bounds. The flood is counted on a member's kept drawings, so it cannot exceed what a member keeps."""
    room_ttl_s: float = ROOM_TTL_S
    drawings_per_member: int = DRAWINGS_PER_MEMBER
    members_per_room: int = MEMBERS_PER_ROOM
    runs_per_member: int = RUNS_PER_MEMBER
    flood_drawings: int = FLOOD_DRAWINGS
    flood_window_s: float = FLOOD_WINDOW_S

    def __post_init__(self):
        if self.flood_drawings > self.drawings_per_member:
            raise ValueError("flood_drawings cannot exceed drawings_per_member")


@dataclass(frozen=True)
class Room:
    code: str
    created: float  # Unix time, s
    last_active: float  # Unix time of the last write, s
    view: dict  # where the lecturer sends the room, e.g. {"page": "latent", "z": [0.4, -1.2]}
    experiment: str | None  # the setting the class experiment varies: one of EXPERIMENT_SETTINGS


@dataclass(frozen=True)
class Drawing:
    member: str
    image: bytes  # 28×28 uint8, row by row
    vae: tuple[float, float]  # the VAE-2D's code (the posterior mean), where the Class page maps it
    digit: int  # the class the app read it as, 0-9
    at: float  # Unix time, s


def answering(method):
    """The store's method, with the backend's failures to answer (sqlite3's, Redis's, the network's) as Unreachable.
    After one, the store's calls are Unreachable at once for STORE_RETRY_S: a page polling a store that is down gets
    its answer in no time (a poll that waited 2 s a call would be overtaken by the next), and the store gets one try
    per STORE_RETRY_S and process."""
    @functools.wraps(method)
    def call(self, *args, **kwargs):
        down_until, error = getattr(self, "_down", (0.0, None))
        if time.monotonic() < down_until:
            raise Unreachable(error)
        try:
            return method(self, *args, **kwargs)
        except (sqlite3.OperationalError, redis.RedisError, OSError) as error:
            self._down = (time.monotonic() + STORE_RETRY_S, error)
            raise Unreachable(error) from error

    return call


def hall_dataset(drawings: list[Drawing]) -> bytes:
    """A room's drawings (RoomStore.drawings: newest first) as a data set of the hall's own handwriting: an .npz
    (numpy's savez_compressed) with "images", (N, 28, 28) uint8 grey levels, and "digits", (N,) int64, the digit the
    app read in each, oldest first; nothing that names a student (no member ids, no times)."""
    import io

    import numpy as np

    ordered = drawings[::-1]
    images = np.array([np.frombuffer(d.image, np.uint8).reshape(28, 28) for d in ordered], np.uint8).reshape(-1, 28, 28)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, images=images, digits=np.array([d.digit for d in ordered], np.int64))
    return buffer.getvalue()


def normalise_code(code: str) -> str:
    """A code as typed ("abc de") as the store keeps it ("ABCDE")."""
    return "".join(code.split()).upper()


def is_code(code: str) -> bool:
    return len(code) == CODE_LENGTH and all(c in CODE_ALPHABET for c in code)


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def new_member() -> str:
    """An opaque random id for a session's drawings: nothing in it says who draws."""
    return secrets.token_urlsafe(12)


def now() -> float:
    """Unix time in whole milliseconds, a resolution both backends keep exactly."""
    return math.floor(time.time() * 1000) / 1000


def checked_member(member: str) -> str:
    if not isinstance(member, str) or not 0 < len(member) <= MEMBER_CHARS:
        raise ValueError(f"a member is an id of 1 to {MEMBER_CHARS} characters, not {member!r}")
    return member


def same_key(stored: str | None, key) -> bool:
    """Whether key is the room's stored key, compared in constant time."""
    return stored is not None and isinstance(key, str) and secrets.compare_digest(stored.encode(), key.encode())


def point(xy) -> tuple[float, float]:
    x, y = (float(v) for v in xy)
    if not (math.isfinite(x) and math.isfinite(y)):
        raise ValueError(f"a code must be two finite numbers, not {xy!r}")
    return x, y


def room_of(code: str, created, last_active, view: str, experiment: str) -> Room:
    """A Room from its stored fields (times as numbers or text, view and experiment as JSON)."""
    return Room(code, float(created), float(last_active), json.loads(view), json.loads(experiment))


def state_folder() -> Path:
    """Where the app keeps what outlives it: $VAEDEMO_STATE, else $XDG_STATE_HOME/vaedemo, else
    ~/.local/state/vaedemo (created)."""
    folder = os.environ.get("VAEDEMO_STATE")
    if not folder:
        folder = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "vaedemo"
    folder = Path(folder).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def open_store(url: str | None = None, limits: Limits = Limits()) -> "RoomStore":
    """The room store at url, else at $VAEDEMO_ROOMS, else in the SQLite file rooms.sqlite3 of the state folder.
    A redis://, rediss:// or unix:// URL is a Redis server; anything else is a SQLite file's path."""
    url = url or os.environ.get("VAEDEMO_ROOMS") or str(state_folder() / "rooms.sqlite3")
    if url.startswith(REDIS_SCHEMES):
        return RedisRooms(url, limits)
    return SQLiteRooms(url, limits)


class RoomStore(ABC):
    """The rooms, whichever backend keeps them. The public methods take codes as people type them and check their
    arguments; the backends' methods take a normalised code and do the keeping. Every write to a room touches it
    (it lives ROOM_TTL_S more) and increases its version; a room that is closed or expired raises NoSuchRoom. A store
    that does not answer within STORE_TIMEOUT_S (Redis down or frozen, a SQLite file locked) raises Unreachable from
    every public method: a room's trouble, which the pages show as such, never an exception."""

    def __init__(self, limits: Limits = Limits()):
        self.limits = limits

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name, method in vars(RoomStore).items():
            if callable(method) and not name.startswith("_"):
                setattr(cls, name, answering(method))

    def create_room(self) -> tuple[str, str]:
        """A new room: its code, and the lecturer's key that its lecturer actions need."""
        key = secrets.token_urlsafe(16)
        while True:
            code = new_code()
            if self._insert_room(code, key):
                return code, key

    def room(self, code: str) -> Room | None:
        """The room, or None when the code is unknown, closed or expired."""
        code = normalise_code(code)
        return self._room(code) if is_code(code) else None

    def join(self, code: str) -> str:
        """A new member of the room: the id its drawings and runs go under (nothing in it says who it is). Raises
        RoomFull when the room has MEMBERS_PER_ROOM already."""
        member = new_member()
        self._join(self._code(code), member)
        return member

    def joined(self, code: str) -> int:
        """How many members the room has issued."""
        return self._joined(self._code(code))

    def add_drawing(self, code: str, member: str, image: bytes, vae, digit: int):
        """Keep a member's drawing: image 28×28 uint8 (784 bytes), vae its VAE-2D code (x, y), digit its class.
        Raises NotMember for an id the room did not issue, TooFast for a flood from one member."""
        image = memoryview(image).tobytes()
        if len(image) != IMAGE_BYTES:
            raise ValueError(f"a drawing is {IMAGE_BYTES} bytes (28×28 uint8), not {len(image)}")
        if int(digit) not in range(10):
            raise ValueError(f"a digit is 0-9, not {digit!r}")
        drawing = Drawing(checked_member(member), image, point(vae), int(digit), now())
        self._add_drawing(self._code(code), drawing)

    def drawings(self, code: str, latest_only: bool = False, newest: int | None = None) -> list[Drawing]:
        """The room's kept drawings, newest first; latest_only: each member's latest only; newest: that many at most."""
        return self._drawings(self._code(code), latest_only, newest)

    def counts(self, code: str) -> tuple[int, int]:
        """(drawings kept, students with at least one drawing)."""
        return self._counts(self._code(code))

    def digit_counts(self, code: str) -> list[int]:
        """How many members' latest drawings are of each digit: a list of 10 counts, index = digit."""
        counts = Counter(drawing.digit for drawing in self.drawings(code, latest_only=True))
        return [counts[digit] for digit in range(10)]

    def version(self, code: str) -> int:
        """A number that increases with every change of the room, so that a poll can skip work when it has not."""
        return self._version(self._code(code))

    def is_lecturer(self, code: str, key: str) -> bool:
        code = normalise_code(code)
        return is_code(code) and same_key(self._key(code), key)

    def clear(self, code: str, key: str):
        """Drop the room's drawings and runs (lecturer only)."""
        self._clear(self._lecturer(code, key))

    def close(self, code: str, key: str):
        """The room is gone (lecturer only)."""
        self._close(self._lecturer(code, key))

    def set_view(self, code: str, key: str, view: dict):
        """Send the room to a page and view (lecturer only); view is JSON-able, readable by all through room()."""
        if not isinstance(view, dict):
            raise ValueError(f"a view is a dict, not {type(view).__name__}")
        self._set(self._lecturer(code, key), "view", json.dumps(view))

    def set_experiment(self, code: str, key: str, varied: str | None):
        """The setting the class experiment varies, one of EXPERIMENT_SETTINGS, or None (lecturer only)."""
        if varied is not None and varied not in EXPERIMENT_SETTINGS:
            raise ValueError(f"an experiment varies one of {', '.join(EXPERIMENT_SETTINGS)}, not {varied!r}")
        self._set(self._lecturer(code, key), "experiment", json.dumps(varied))

    def add_run(self, code: str, member: str, setting: dict, figures: dict):
        """Keep a member's training run for the class experiment: its setting and its figures (JSON-able). Raises
        NotMember for an id the room did not issue."""
        run = json.dumps({"member": checked_member(member), "setting": setting, "figures": figures, "at": now()})
        self._add_run(self._code(code), member, run)

    def runs(self, code: str) -> list[dict]:
        """The room's kept runs, newest first: dicts of member, setting, figures, at."""
        return [json.loads(run) for run in self._runs(self._code(code))]

    def answer(self, code: str, member: str, step: int, choice: int):
        """Keep a member's answer to a question of the lesson: its choice (0 to MAX_CHOICES - 1) at step (1 to
        MAX_STEPS), in place of the member's earlier answer there. Raises NotMember for an id the room did not
        issue. A member has one answer a step, so a room's answers are bounded by its members."""
        if type(step) is not int or not 1 <= step <= MAX_STEPS:
            raise ValueError(f"a step is a whole number from 1 to {MAX_STEPS}, not {step!r}")
        if type(choice) is not int or not 0 <= choice < MAX_CHOICES:
            raise ValueError(f"a choice is a whole number from 0 to {MAX_CHOICES - 1}, not {choice!r}")
        self._answer(self._code(code), checked_member(member), step, choice)

    def answers(self, code: str) -> dict[int, list[int]]:
        """How many members chose each choice, by step: {step: [MAX_CHOICES counts]}, the steps answered only.
        Nothing in it says who chose what."""
        counts = {}
        for step, choice, members in self._answers(self._code(code)):
            counts.setdefault(step, [0] * MAX_CHOICES)[choice] = members
        return counts

    def _code(self, code: str) -> str:
        code = normalise_code(code)
        if not is_code(code):
            raise NoSuchRoom(code)
        return code

    def _lecturer(self, code: str, key: str) -> str:
        """The normalised code, once the key is the room's."""
        code = self._code(code)
        stored = self._key(code)
        if stored is None:
            raise NoSuchRoom(code)
        if not same_key(stored, key):
            raise WrongKey(code)
        return code

    @abstractmethod
    def _insert_room(self, code: str, key: str) -> bool:
        """Create the room unless a live one has the code; whether it did."""

    @abstractmethod
    def _room(self, code: str) -> Room | None: ...

    @abstractmethod
    def _key(self, code: str) -> str | None:
        """The live room's lecturer key, None when there is no such room."""

    @abstractmethod
    def _join(self, code: str, member: str): ...

    @abstractmethod
    def _joined(self, code: str) -> int: ...

    @abstractmethod
    def _add_drawing(self, code: str, drawing: Drawing): ...

    @abstractmethod
    def _drawings(self, code: str, latest_only: bool, newest: int | None) -> list[Drawing]: ...

    @abstractmethod
    def _counts(self, code: str) -> tuple[int, int]: ...

    @abstractmethod
    def _version(self, code: str) -> int: ...

    @abstractmethod
    def _clear(self, code: str): ...

    @abstractmethod
    def _close(self, code: str): ...

    @abstractmethod
    def _set(self, code: str, name: str, value: str):
        """Set the room's field name ("view" or "experiment") to value (JSON)."""

    @abstractmethod
    def _add_run(self, code: str, member: str, run: str): ...

    @abstractmethod
    def _runs(self, code: str) -> list[str]:
        """The runs as JSON, newest first."""

    @abstractmethod
    def _answer(self, code: str, member: str, step: int, choice: int): ...

    @abstractmethod
    def _answers(self, code: str) -> list[tuple[int, int, int]]:
        """(step, choice, how many members chose it) for each choice chosen."""


SCHEMA_VERSION = 4  # 2: members and each room's tallies of its drawings and students; 3: no AE codes; 4: answers
SCHEMA = """
CREATE TABLE rooms (
    code TEXT PRIMARY KEY, key TEXT NOT NULL, created REAL NOT NULL, last_active REAL NOT NULL,
    view TEXT NOT NULL, experiment TEXT NOT NULL, version INTEGER NOT NULL,
    drawings INTEGER NOT NULL DEFAULT 0, students INTEGER NOT NULL DEFAULT 0);
CREATE TABLE members (
    code TEXT NOT NULL REFERENCES rooms ON DELETE CASCADE, member TEXT NOT NULL, PRIMARY KEY (code, member));
CREATE TABLE drawings (
    id INTEGER PRIMARY KEY AUTOINCREMENT, code TEXT NOT NULL REFERENCES rooms ON DELETE CASCADE,
    member TEXT NOT NULL, image BLOB NOT NULL, vae_x REAL NOT NULL, vae_y REAL NOT NULL,
    digit INTEGER NOT NULL, at REAL NOT NULL);
CREATE INDEX drawings_of_member ON drawings (code, member, id);
CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, code TEXT NOT NULL REFERENCES rooms ON DELETE CASCADE,
    member TEXT NOT NULL, at REAL NOT NULL, run TEXT NOT NULL);
CREATE INDEX runs_of_member ON runs (code, member, id);
CREATE TABLE answers (
    code TEXT NOT NULL REFERENCES rooms ON DELETE CASCADE, member TEXT NOT NULL, step INTEGER NOT NULL,
    choice INTEGER NOT NULL, PRIMARY KEY (code, member, step))
"""
DRAWING_COLUMNS = "member, image, vae_x, vae_y, digit, at"


def thread_db(local: threading.local, path: Path, *pragmas: str) -> sqlite3.Connection:
    """This thread's connection to the SQLite file at path, made once per thread (Streamlit runs each session in a
    thread of its own) with pragmas: autocommit mode (transactions are explicit), WAL, a wait for another process's
    write lock."""
    db = getattr(local, "db", None)
    if db is None:
        db = local.db = sqlite3.connect(path, isolation_level=None)
        for pragma in (f"busy_timeout = {int(STORE_TIMEOUT_S * 1000)}", "journal_mode = WAL", *pragmas):
            db.execute(f"PRAGMA {pragma}")
    return db


class SQLiteRooms(RoomStore):
    """Rooms in one SQLite file, shared by the threads of a process (one connection each: Streamlit runs each
    session in a thread of its own) and by processes on the same machine. Each write is a transaction that takes
    the file's write lock first (BEGIN IMMEDIATE), so that its checks and its changes are atomic. Expired rooms
    stay in the file, unseen, until the next create_room deletes them."""

    def __init__(self, path, limits: Limits = Limits()):
        super().__init__(limits)
        self.path = Path(path).expanduser()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._writer = threading.Lock()  # this process's writers, one at a time
        with self._write() as db:  # a file of another version starts afresh: rooms live for hours only
            if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                for table in ("members", "drawings", "runs", "answers", "rooms"):
                    db.execute(f"DROP TABLE IF EXISTS {table}")
                for statement in SCHEMA.split(";"):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _db(self) -> sqlite3.Connection:
        # synchronous NORMAL: durable at each checkpoint, consistent always
        return thread_db(self._local, self.path, "synchronous = NORMAL", "foreign_keys = ON")

    @contextmanager
    def _write(self, code: str | None = None) -> Iterator[sqlite3.Connection]:
        """A write transaction; given a code, it touches that room first (NoSuchRoom unless it lives). The threads of
        this process take their turns in a queue of their own (a busy hall's posts wait their turn rather than fail),
        and only the write lock of other processes is waited for in SQLite, for STORE_TIMEOUT_S at most: SQLite's
        own wait sleeps and retries, which a hundred writers a second turn into a wait of seconds."""
        db = self._db()
        with self._writer:
            db.execute("BEGIN IMMEDIATE")
            try:
                if code is not None:
                    self._touch(db, code)
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def _touch(self, db: sqlite3.Connection, code: str):
        t = now()
        touched = db.execute("UPDATE rooms SET last_active = ?, version = version + 1 WHERE code = ? AND "
                             "last_active >= ?", (t, code, t - self.limits.room_ttl_s)).rowcount
        if not touched:
            raise NoSuchRoom(code)

    def _live(self, code: str, columns: str) -> tuple | None:
        """The columns of the room if it lives."""
        return self._db().execute(f"SELECT {columns} FROM rooms WHERE code = ? AND last_active >= ?",
                                  (code, now() - self.limits.room_ttl_s)).fetchone()

    def _require(self, code: str):
        if self._live(code, "1") is None:
            raise NoSuchRoom(code)

    def _insert_room(self, code, key):
        t = now()
        with self._write() as db:
            db.execute("DELETE FROM rooms WHERE last_active < ?", (t - self.limits.room_ttl_s,))
            return db.execute("INSERT OR IGNORE INTO rooms VALUES (?, ?, ?, ?, '{}', 'null', 1, 0, 0)",
                              (code, key, t, t)).rowcount == 1

    def _room(self, code):
        row = self._live(code, "code, created, last_active, view, experiment")
        return room_of(*row) if row else None

    def _key(self, code):
        row = self._live(code, "key")
        return row[0] if row else None

    def _join(self, code, member):
        with self._write(code) as db:
            (members,) = db.execute("SELECT COUNT(*) FROM members WHERE code = ?", (code,)).fetchone()
            if members >= self.limits.members_per_room:
                raise RoomFull(code, self.limits.members_per_room)
            db.execute("INSERT INTO members VALUES (?, ?)", (code, member))

    def _joined(self, code):
        self._require(code)
        return self._db().execute("SELECT COUNT(*) FROM members WHERE code = ?", (code,)).fetchone()[0]

    def _admit(self, db: sqlite3.Connection, table: str, code: str, member: str, flood: int | None):
        """Raise NotMember for an id the room did not issue, TooFast when the member has reached the flood cap."""
        if db.execute("SELECT 1 FROM members WHERE code = ? AND member = ?", (code, member)).fetchone() is None:
            raise NotMember(code)
        if flood is None:
            return
        window = self.limits.flood_window_s
        recent = sorted(at for (at,) in db.execute(f"SELECT at FROM {table} WHERE code = ? AND member = ? AND at > ?",
                                                   (code, member, now() - window)))
        if len(recent) >= flood:
            raise TooFast(flood, window, recent[-flood] + window - now())

    def _trim(self, db: sqlite3.Connection, table: str, code: str, member: str, keep: int) -> int:
        """Drop the member's oldest rows of table beyond the newest keep; how many it dropped."""
        return db.execute(f"DELETE FROM {table} WHERE code = ?1 AND member = ?2 AND id NOT IN "
                   f"(SELECT id FROM {table} WHERE code = ?1 AND member = ?2 ORDER BY id DESC LIMIT ?3)",
                   (code, member, keep)).rowcount

    def _add_drawing(self, code, drawing):
        with self._write(code) as db:
            self._admit(db, "drawings", code, drawing.member, self.limits.flood_drawings)
            first = db.execute("SELECT 1 FROM drawings WHERE code = ? AND member = ? LIMIT 1",
                               (code, drawing.member)).fetchone() is None
            db.execute(f"INSERT INTO drawings (code, {DRAWING_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (code, drawing.member, drawing.image, *drawing.vae, drawing.digit, drawing.at))
            dropped = self._trim(db, "drawings", code, drawing.member, self.limits.drawings_per_member)
            db.execute("UPDATE rooms SET drawings = drawings + 1 - ?, students = students + ? WHERE code = ?",
                       (dropped, first, code))

    def _drawings(self, code, latest_only, newest):
        self._require(code)
        where = "id IN (SELECT MAX(id) FROM drawings WHERE code = ?1 GROUP BY member)" if latest_only else "code = ?1"
        rows = self._db().execute(f"SELECT {DRAWING_COLUMNS} FROM drawings WHERE {where} ORDER BY id DESC LIMIT ?2",
                                  (code, -1 if newest is None else newest))
        return [Drawing(member, image, (vae_x, vae_y), digit, at) for member, image, vae_x, vae_y, digit, at in rows]

    def _counts(self, code):
        row = self._live(code, "drawings, students")
        if row is None:
            raise NoSuchRoom(code)
        return row

    def _version(self, code):
        row = self._live(code, "version")
        if row is None:
            raise NoSuchRoom(code)
        return row[0]

    def _clear(self, code):
        with self._write(code) as db:
            db.execute("DELETE FROM drawings WHERE code = ?", (code,))
            db.execute("DELETE FROM runs WHERE code = ?", (code,))  # the members stay members
            db.execute("DELETE FROM answers WHERE code = ?", (code,))
            db.execute("UPDATE rooms SET drawings = 0, students = 0 WHERE code = ?", (code,))

    def _close(self, code):
        with self._write(code) as db:
            db.execute("DELETE FROM rooms WHERE code = ?", (code,))

    def _set(self, code, name, value):
        assert name in ("view", "experiment")
        with self._write(code) as db:
            db.execute(f"UPDATE rooms SET {name} = ? WHERE code = ?", (value, code))

    def _add_run(self, code, member, run):
        with self._write(code) as db:
            self._admit(db, "runs", code, member, flood=None)
            db.execute("INSERT INTO runs (code, member, at, run) VALUES (?, ?, ?, ?)",
                       (code, member, json.loads(run)["at"], run))
            self._trim(db, "runs", code, member, self.limits.runs_per_member)

    def _runs(self, code):
        self._require(code)
        return [run for (run,) in self._db().execute("SELECT run FROM runs WHERE code = ? ORDER BY id DESC", (code,))]

    def _answer(self, code, member, step, choice):
        with self._write(code) as db:
            self._admit(db, "answers", code, member, flood=None)
            db.execute("INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?)", (code, member, step, choice))

    def _answers(self, code):
        self._require(code)
        return self._db().execute("SELECT step, choice, COUNT(*) FROM answers WHERE code = ? GROUP BY step, choice",
                                  (code,)).fetchall()


# Every write to a Redis room is one of these Lua scripts, so that its checks and its changes are atomic. KEYS are
# the room's keys (RedisRooms._keys), its hash first; ARGV[1] is the time now, ARGV[2] the room's TTL in ms.
TOUCH = """
redis.call('HSET', KEYS[1], 'last_active', ARGV[1])
redis.call('HINCRBY', KEYS[1], 'version', 1)
for _, key in ipairs(KEYS) do redis.call('PEXPIRE', key, ARGV[2]) end
"""
CREATE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'key', ARGV[3], 'created', ARGV[1], 'view', '{}', 'experiment', 'null', 'version', 0,
           'seq', 0)
""" + TOUCH + "return 1"
SET = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[3], ARGV[4])
""" + TOUCH + "return 1"
CLEAR = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('DEL', unpack(KEYS, 2, #KEYS - 1))
""" + TOUCH + "return 1"
# ARGV[3]: which of the KEYS holds the records (number -> JSON) and, next, the index (member -> [[number, time], ...],
# newest first); ARGV[4] the member, ARGV[5] the record; then the bounds: a member's records, the flood's records and
# window in s. The last key is the room's members. A flood answers when its oldest record in the window leaves it.
APPEND = """
if redis.call('EXISTS', KEYS[1]) == 0 then return {'NoSuchRoom'} end
local now, records, index, member = tonumber(ARGV[1]), KEYS[tonumber(ARGV[3])], KEYS[tonumber(ARGV[3]) + 1], ARGV[4]
if redis.call('SISMEMBER', KEYS[#KEYS], member) == 0 then return {'NotMember'} end
local entry = redis.call('HGET', index, member)
local kept = entry and cjson.decode(entry) or {}
local recent, oldest = 0, now
for _, record in ipairs(kept) do
  if record[2] > now - tonumber(ARGV[8]) then recent = recent + 1; oldest = record[2] end
end
if recent >= tonumber(ARGV[7]) then return {'TooFast', tostring(oldest + tonumber(ARGV[8]) - now)} end
local n = redis.call('HINCRBY', KEYS[1], 'seq', 1)
redis.call('HSET', records, n, ARGV[5])
local newest = {{n, now}}
for i, record in ipairs(kept) do
  if i < tonumber(ARGV[6]) then newest[i + 1] = record else redis.call('HDEL', records, record[1]) end
end
redis.call('HSET', index, member, cjson.encode(newest))
""" + TOUCH + "return {'ok'}"
# ARGV[3]: the new member; ARGV[4]: the most members a room takes.
JOIN = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 'NoSuchRoom' end
if redis.call('SCARD', KEYS[#KEYS]) >= tonumber(ARGV[4]) then return 'RoomFull' end
redis.call('SADD', KEYS[#KEYS], ARGV[3])
""" + TOUCH + "return 'ok'"
# ARGV[3]: the member; ARGV[4]: the step; ARGV[5]: the choice. KEYS[ANSWERS + 1] holds each member's choice by
# "step:member", KEYS[TALLIES + 1] how many chose each "step:choice".
ANSWER = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 'NoSuchRoom' end
if redis.call('SISMEMBER', KEYS[#KEYS], ARGV[3]) == 0 then return 'NotMember' end
local answers, tallies, mine = KEYS[6], KEYS[7], ARGV[4] .. ':' .. ARGV[3]
local before = redis.call('HGET', answers, mine)
if before then redis.call('HINCRBY', tallies, ARGV[4] .. ':' .. before, -1) end
redis.call('HSET', answers, mine, ARGV[5])
redis.call('HINCRBY', tallies, ARGV[4] .. ':' .. ARGV[5], 1)
""" + TOUCH + "return 'ok'"
ROOM, DRAWINGS, DRAWINGS_INDEX, RUNS, RUNS_INDEX, ANSWERS, TALLIES, MEMBERS = range(8)  # RedisRooms._keys' places


def drawing_json(drawing: Drawing) -> str:
    return json.dumps({**asdict(drawing), "image": base64.b64encode(drawing.image).decode()})


def drawing_of(text: str) -> Drawing:
    fields = json.loads(text)
    return Drawing(fields["member"], base64.b64decode(fields["image"]), tuple(fields["vae"]),
                   fields["digit"], fields["at"])


class RedisRooms(RoomStore):
    """Rooms in a Redis server, for several app processes or machines. A room is a hash (key, created, last_active,
    view, experiment, version, seq), four hashes beside it: its drawings and its runs by number (JSON), and for
    each, every member's kept numbers; and the set of its members. All of a room's keys share its TTL, renewed by
    every write."""

    def __init__(self, url: str, limits: Limits = Limits(), prefix: str = "vaedemo:room:"):
        super().__init__(limits)
        # one try within STORE_TIMEOUT_S (redis-py would retry three times with backoff): a frozen server is
        # Unreachable in 2 s, and the page's next poll is the retry
        self.client = redis.Redis.from_url(url, decode_responses=True, socket_timeout=STORE_TIMEOUT_S,
                                           socket_connect_timeout=STORE_TIMEOUT_S, retry=Retry(NoBackoff(), 0))
        self.prefix = prefix
        self._create, self._set_field, self._clear_room, self._append, self._join_room, self._answer_step = (
            self.client.register_script(script) for script in (CREATE, SET, CLEAR, APPEND, JOIN, ANSWER))

    def _keys(self, code: str) -> list[str]:
        """The room's hash; its drawings and their index by member; its runs and their index; its answers and their
        tallies; its members. The braces keep them in one slot of a Redis Cluster."""
        room = f"{self.prefix}{{{code}}}"
        return [room] + [f"{room}:{part}" for part in ("drawings", "drawings-index", "runs", "runs-index", "answers",
                                                       "answer-tallies", "members")]

    def _run(self, script, code: str, *args) -> str | int:
        return script(self._keys(code), [now(), max(1, round(self.limits.room_ttl_s * 1000)), *args])

    def _write(self, script, code: str, *args):
        """Run a write script; NoSuchRoom when the room does not live."""
        if not self._run(script, code, *args):
            raise NoSuchRoom(code)

    def _read(self, code: str, reads) -> list:
        """The results of reads (a function that queues reads of the room's keys on a pipeline), run in one
        transaction with the check that the room lives."""
        keys = self._keys(code)
        pipeline = self.client.pipeline()
        pipeline.exists(keys[ROOM])
        reads(pipeline, keys)
        exists, *results = pipeline.execute()
        if not exists:
            raise NoSuchRoom(code)
        return results

    def _insert_room(self, code, key):
        return bool(self._run(self._create, code, key))

    def _room(self, code):
        fields = self.client.hgetall(self._keys(code)[ROOM])
        if not fields:
            return None
        return room_of(code, fields["created"], fields["last_active"], fields["view"], fields["experiment"])

    def _key(self, code):
        return self.client.hget(self._keys(code)[ROOM], "key")

    def _refuse(self, code: str, outcome: str):
        """Raise the refusal a write script answered with by its name (NoSuchRoom, NotMember, RoomFull); "ok" passes."""
        if outcome == "NoSuchRoom":
            raise NoSuchRoom(code)
        if outcome == "NotMember":
            raise NotMember(code)
        if outcome == "RoomFull":
            raise RoomFull(code, self.limits.members_per_room)

    def _join(self, code, member):
        self._refuse(code, self._run(self._join_room, code, member, self.limits.members_per_room))

    def _joined(self, code):
        (members,) = self._read(code, lambda pipeline, keys: pipeline.scard(keys[MEMBERS]))
        return members

    def _add(self, code: str, slot: int, member: str, record: str, keep: int, flood: int, window_s: float):
        outcome, *detail = self._run(self._append, code, slot + 1, member, record, keep, flood, window_s)
        if outcome == "TooFast":
            raise TooFast(flood, window_s, float(detail[0]))
        self._refuse(code, outcome)

    def _add_drawing(self, code, drawing):
        self._add(code, DRAWINGS, drawing.member, drawing_json(drawing), self.limits.drawings_per_member,
                  self.limits.flood_drawings, self.limits.flood_window_s)

    def _add_run(self, code, member, run):
        keep = self.limits.runs_per_member
        self._add(code, RUNS, member, run, keep, flood=keep + 1, window_s=0)  # more than it keeps: no flood

    def _newest_first(self, records: dict) -> list[str]:
        return [records[n] for n in sorted(records, key=int, reverse=True)]

    def _drawings(self, code, latest_only, newest):
        if latest_only:
            (index,) = self._read(code, lambda pipeline, keys: pipeline.hvals(keys[DRAWINGS_INDEX]))
            numbers = [json.loads(kept)[0][0] for kept in index]
        else:
            (numbers,) = self._read(code, lambda pipeline, keys: pipeline.hkeys(keys[DRAWINGS]))
        numbers = sorted(map(int, numbers), reverse=True)[:newest]
        records = self.client.hmget(self._keys(code)[DRAWINGS], numbers) if numbers else []
        return [drawing_of(record) for record in records if record is not None]

    def _counts(self, code):
        drawings, students = self._read(
            code, lambda pipeline, keys: pipeline.hlen(keys[DRAWINGS]).hlen(keys[DRAWINGS_INDEX]))
        return drawings, students

    def _version(self, code):
        (version,) = self._read(code, lambda pipeline, keys: pipeline.hget(keys[ROOM], "version"))
        return int(version)

    def _clear(self, code):
        self._write(self._clear_room, code)

    def _close(self, code):
        self.client.delete(*self._keys(code))

    def _set(self, code, name, value):
        self._write(self._set_field, code, name, value)

    def _runs(self, code):
        (records,) = self._read(code, lambda pipeline, keys: pipeline.hgetall(keys[RUNS]))
        return self._newest_first(records)

    def _answer(self, code, member, step, choice):
        self._refuse(code, self._run(self._answer_step, code, member, step, choice))

    def _answers(self, code):
        (tallies,) = self._read(code, lambda pipeline, keys: pipeline.hgetall(keys[TALLIES]))
        return [(*map(int, place.split(":")), int(members)) for place, members in tallies.items() if int(members)]
