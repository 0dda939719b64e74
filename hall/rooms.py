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
import functools
import hashlib
import json
import math
import os
import secrets
import time
from abc import ABC, abstractmethod
from collections import Counter
from dataclasses import dataclass

from hall import per_process
from hall.state import state_folder

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


class NotLearned(RoomError):
    def __init__(self, code: str):
        super().__init__(f"Room {code} has not learned its handwriting yet: learn it on the Class page first.")


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
    model: str | None = None  # the id of the room's own model (Learned) where its lecturer has the room use it


@dataclass(frozen=True)
class Learned:
    """The model a room learned of its handwriting (hall/learning.py): its id (a hash of its weights, a
    .safetensors file that learned_weights gives) and its figures (JSON: -log p(x) of the drawings under the shipped
    VAE-2D and under it, the drawings' codes on both maps, with their digits only)."""
    id: str
    figures: dict


@dataclass(frozen=True)
class Drawing:
    member: str
    image: bytes  # 28×28 uint8, row by row
    vae: tuple[float, float]  # the VAE-2D's code (the posterior mean), where the Class page maps it
    digit: int  # the class the app read it as, 0-9
    at: float  # Unix time, s


def answering(method):
    """The store's method, with the backend's failures to answer (its FAILURES: sqlite3's, Redis's, the network's) as
    Unreachable.
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
        except self.FAILURES as error:
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


def room_of(code: str, created, last_active, view: str, experiment: str, model: str | None = None) -> Room:
    """A Room from its stored fields (times as numbers or text, view and experiment as JSON, model an id or empty)."""
    return Room(code, float(created), float(last_active), json.loads(view), json.loads(experiment), model or None)


def model_id(weights: bytes) -> str:
    """A learned model's id: 24 hex digits of its weights' hash."""
    return hashlib.blake2b(weights, digest_size=12).hexdigest()


def open_store(url: str | None = None, limits: Limits = Limits()) -> "RoomStore":
    """The room store at url, else at $VAEDEMO_ROOMS, else in the SQLite file rooms.sqlite3 of the state folder.
    A redis://, rediss:// or unix:// URL is a Redis server; anything else is a SQLite file's path."""
    url = url or os.environ.get("VAEDEMO_ROOMS") or str(state_folder() / "rooms.sqlite3")
    if url.startswith(REDIS_SCHEMES):
        from hall.redis_rooms import RedisRooms

        return RedisRooms(url, limits)
    from hall.sqlite_rooms import SQLiteRooms

    return SQLiteRooms(url, limits)


@per_process
def store() -> "RoomStore":
    """The room store every session of this process shares: VAEDEMO_ROOMS, else a SQLite file in the state folder."""
    return open_store()


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

    def keep_learned(self, code: str, key: str, weights: bytes, figures: dict) -> str:
        """Keep the model the room learned of its handwriting (lecturer only): its weights (a .safetensors file) and
        its figures (JSON-able), in place of any it learned before; a room that used its own model uses the new one.
        Its id. It lives as long as the room."""
        if not isinstance(weights, bytes) or not weights:
            raise ValueError("a learned model is the bytes of a .safetensors file")
        code, learned = self._lecturer(code, key), model_id(weights)
        self._keep_learned(code, learned, json.dumps(figures), weights)
        return learned

    def learned(self, code: str) -> Learned | None:
        """The model the room learned of its handwriting (its id and figures), or None."""
        kept = self._learned(self._code(code))
        return None if kept is None else Learned(kept[0], json.loads(kept[1]))

    def learned_weights(self, code: str, learned: str) -> bytes | None:
        """The weights of the room's learned model with this id, or None when the room's model is another now."""
        return self._learned_weights(self._code(code), learned)

    def use_learned(self, code: str, key: str, use: bool):
        """Have the room's Draw pages use the room's own model (use), or the shipped one (lecturer only). Raises
        NotLearned when the room has learned none."""
        code = self._lecturer(code, key)
        if not self._use_learned(code, bool(use)):
            raise NotLearned(code)

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
    def _keep_learned(self, code: str, learned: str, figures: str, weights: bytes):
        """Keep the learned model (figures as JSON) in place of the room's earlier one; a room that used its model
        uses this one now."""

    @abstractmethod
    def _learned(self, code: str) -> tuple[str, str] | None:
        """(id, figures as JSON) of the room's learned model, or None."""

    @abstractmethod
    def _learned_weights(self, code: str, learned: str) -> bytes | None: ...

    @abstractmethod
    def _use_learned(self, code: str, use: bool) -> bool:
        """Set which model the room uses; False (and nothing changed) when use asks for a model it has not learned."""

    @abstractmethod
    def _answers(self, code: str) -> list[tuple[int, int, int]]:
        """(step, choice, how many members chose it) for each choice chosen."""
