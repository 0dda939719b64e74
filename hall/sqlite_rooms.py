"""The rooms (hall/rooms.py) in one SQLite file: the default store, for the processes of one machine."""
import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hall.rooms import Drawing, Limits, NoSuchRoom, NotMember, RoomFull, RoomStore, TooFast, now, room_of
from hall.state import thread_db

SCHEMA_VERSION = 5  # 2: members and each room's tallies of its drawings and students; 3: no AE codes; 4: answers;
# 5: the room's learned model (learned) and the model it uses (rooms.model)
SCHEMA = """
CREATE TABLE rooms (
    code TEXT PRIMARY KEY, key TEXT NOT NULL, created REAL NOT NULL, last_active REAL NOT NULL,
    view TEXT NOT NULL, experiment TEXT NOT NULL, version INTEGER NOT NULL,
    drawings INTEGER NOT NULL DEFAULT 0, students INTEGER NOT NULL DEFAULT 0, model TEXT);
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
    choice INTEGER NOT NULL, PRIMARY KEY (code, member, step));
CREATE TABLE learned (
    code TEXT PRIMARY KEY REFERENCES rooms ON DELETE CASCADE, id TEXT NOT NULL, figures TEXT NOT NULL,
    weights BLOB NOT NULL)
"""
DRAWING_COLUMNS = "member, image, vae_x, vae_y, digit, at"


class SQLiteRooms(RoomStore):
    """Rooms in one SQLite file, shared by the threads of a process (one connection each: Streamlit runs each
    session in a thread of its own) and by processes on the same machine. Each write is a transaction that takes
    the file's write lock first (BEGIN IMMEDIATE), so that its checks and its changes are atomic. Expired rooms
    stay in the file, unseen, until the next create_room deletes them."""
    FAILURES = (sqlite3.OperationalError, OSError)

    def __init__(self, path, limits: Limits = Limits()):
        super().__init__(limits)
        self.path = Path(path).expanduser()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._writer = threading.Lock()  # this process's writers, one at a time
        with self._write() as db:  # a file of another version starts afresh: rooms live for hours only
            if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                for table in ("members", "drawings", "runs", "answers", "learned", "rooms"):
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
            return db.execute("INSERT OR IGNORE INTO rooms VALUES (?, ?, ?, ?, '{}', 'null', 1, 0, 0, NULL)",
                              (code, key, t, t)).rowcount == 1

    def _room(self, code):
        row = self._live(code, "code, created, last_active, view, experiment, model")
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

    def _keep_learned(self, code, learned, figures, weights):
        with self._write(code) as db:
            db.execute("INSERT OR REPLACE INTO learned VALUES (?, ?, ?, ?)", (code, learned, figures, weights))
            db.execute("UPDATE rooms SET model = ? WHERE code = ? AND model IS NOT NULL", (learned, code))

    def _learned(self, code):
        self._require(code)
        return self._db().execute("SELECT id, figures FROM learned WHERE code = ?", (code,)).fetchone()

    def _learned_weights(self, code, learned):
        self._require(code)
        row = self._db().execute("SELECT weights FROM learned WHERE code = ? AND id = ?", (code, learned)).fetchone()
        return row and row[0]

    def _use_learned(self, code, use):
        with self._write(code) as db:
            learned = db.execute("SELECT id FROM learned WHERE code = ?", (code,)).fetchone()
            if use and learned is None:
                return False
            db.execute("UPDATE rooms SET model = ? WHERE code = ?", (learned[0] if use else None, code))
            return True
