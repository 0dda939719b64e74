"""Students' own models, kept past their session: a phone that sleeps longer than the server keeps a disconnected
session, or a server restart, must not lose the model a student trained or uploaded. The server keeps each model's
checkpoint (a .safetensors file's bytes, loaded again through the checks of vaedemo.checkpoints) in a SQLite file in
the state folder, under a secret token that only the student's browser holds (the app keeps it in the browser's own
storage). Nobody without the token can get the model back; the student can forget it. Bounded: kept KEEP_S after it
was last used, the oldest going first when the file holds more than TOTAL_BYTES (the app keeps only checkpoints it
loaded, each within vaedemo.checkpoints' size bound). No Streamlit and no torch here.
"""
import contextlib
import secrets
import sqlite3
import threading
import time
from pathlib import Path

from hall.state import state_folder, thread_db

KEEP_S = 7 * 24 * 3600  # a week after its last use
TOUCH_S = 3600  # a use restarts a model's time at most this often (a write, where a read needs no lock)
TOTAL_BYTES = 2 * 1024**3  # all kept checkpoints together
SCHEMA = "CREATE TABLE IF NOT EXISTS models (token TEXT PRIMARY KEY, checkpoint BLOB NOT NULL, used REAL NOT NULL)"


def new_token() -> str:
    return secrets.token_urlsafe(32)


class ModelKeeper:
    """Checkpoints by token in one SQLite file (WAL), shared by the threads and processes of one machine."""

    def __init__(self, path=None, keep_s: float = KEEP_S, total_bytes: int = TOTAL_BYTES):
        self.path = Path(path or state_folder() / "models.sqlite3").expanduser()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.keep_s, self.total_bytes = keep_s, total_bytes
        self._local = threading.local()
        self._db().execute(SCHEMA)

    def _db(self) -> sqlite3.Connection:
        return thread_db(self._local, self.path)

    def keep(self, token: str, checkpoint: bytes):
        """Keep a checkpoint under token (in place of what it held), then drop what is past its time or over the
        file's bound, oldest first."""
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("INSERT OR REPLACE INTO models VALUES (?, ?, ?)", (token, checkpoint, time.time()))
            db.execute("DELETE FROM models WHERE used < ?", (time.time() - self.keep_s,))
            sizes = db.execute("SELECT token, length(checkpoint) FROM models ORDER BY used DESC").fetchall()
            total, over = 0, []
            for kept, size in sizes:
                total += size
                if total > self.total_bytes and kept != token:
                    over.append((kept,))
            db.executemany("DELETE FROM models WHERE token = ?", over)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def get(self, token: str) -> bytes | None:
        """The checkpoint kept under token, or None: unknown, forgotten or expired. Its time starts again, unless
        another process holds the file's write lock just now (a read is never kept waiting by a writer: WAL)."""
        db = self._db()
        now = time.time()
        row = db.execute("SELECT checkpoint, used FROM models WHERE token = ? AND used >= ?",
                         (token, now - self.keep_s)).fetchone()
        if row is not None and row[1] < now - TOUCH_S:
            with contextlib.suppress(sqlite3.OperationalError):  # a locked file: touched on a later use
                db.execute("UPDATE models SET used = ? WHERE token = ?", (now, token))
        return None if row is None else bytes(row[0])

    def forget(self, token: str):
        self._db().execute("DELETE FROM models WHERE token = ?", (token,))
