"""What the hall's stores keep on this machine: the state folder, where the app keeps what outlives its process (the
rooms' SQLite file by default, the training line, the keeper's models), and each thread's connection to one of its
SQLite files."""
import os
import sqlite3
import threading
from pathlib import Path

STORE_TIMEOUT_S = 2.0  # how long a call waits for the store (a SQLite lock, a Redis answer) before it is Unreachable


def state_folder() -> Path:
    """Where the app keeps what outlives it: $VAEDEMO_STATE, else $XDG_STATE_HOME/vaedemo, else
    ~/.local/state/vaedemo (created)."""
    folder = os.environ.get("VAEDEMO_STATE")
    if not folder:
        folder = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "vaedemo"
    folder = Path(folder).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


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
