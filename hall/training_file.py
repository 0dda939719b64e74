"""The training line's file: one SQLite file (WAL) in the state folder that every app process of a machine and
every trainer shares (hall/line.py has the whole story). Its tables: the runs in the order they were asked for, each
run's messages from its trainer, and each app process's heartbeat. A message is JSON, its numpy arrays and bytes
(pictures, maps, the weights) one safetensors blob beside it: nothing is pickled."""
import contextlib
import json
import os
import sqlite3
from pathlib import Path

import numpy as np
import safetensors.numpy

from hall.state import state_folder

GONE_S = 15.0  # a line not heard of this long has gone (its process ended): its runs are not trained

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    ticket INTEGER PRIMARY KEY AUTOINCREMENT,   -- the order of the line
    owner TEXT NOT NULL,                        -- the line whose page asked for the run
    config TEXT NOT NULL,                       -- {"config": the TrainConfig, "root": the data folder or null}
    images INTEGER NOT NULL,                    -- images it trains on, all epochs together, and its epochs: the
    epochs INTEGER NOT NULL,                    -- estimates
    state TEXT NOT NULL DEFAULT 'waiting',      -- waiting -> running -> ended, or waiting -> left
    trainer_pid INTEGER,                        -- the trainer process that took it
    fraction REAL NOT NULL DEFAULT 0,           -- of its steps done
    stop REAL,                                  -- when a stop was asked
    asked REAL NOT NULL,
    started REAL                                -- when a trainer took it
);
CREATE INDEX IF NOT EXISTS runs_in_line ON runs (state, ticket);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket INTEGER NOT NULL,
    body TEXT NOT NULL,                         -- JSON, its arrays named
    arrays BLOB                                 -- those arrays, one safetensors file
);
CREATE INDEX IF NOT EXISTS messages_of_run ON messages (ticket, id);
CREATE TABLE IF NOT EXISTS lines (
    name TEXT PRIMARY KEY,                      -- an app process's line
    seen REAL NOT NULL,                         -- its heartbeat
    trainers INTEGER NOT NULL                   -- how many trainers it keeps
);
"""
ARRAY, BYTES = "__array__", "__bytes__"  # a message's array or bytes, by name in its arrays


def training_file() -> Path:
    """The line's SQLite file: $VAEDEMO_TRAINING, else training.sqlite3 in the state folder."""
    return Path(os.environ.get("VAEDEMO_TRAINING") or state_folder() / "training.sqlite3").expanduser()


@contextlib.contextmanager
def transaction(db: sqlite3.Connection):
    """A write transaction that takes the file's write lock first, so that what it reads stays true while it writes."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def pack(message: dict) -> tuple[str, bytes | None]:
    """A message as JSON, its numpy arrays and bytes (pictures, maps, the weights) named in it and kept apart in one
    safetensors file."""
    arrays = {}

    def strip(value, name: str):
        if isinstance(value, np.ndarray):
            arrays[name] = np.ascontiguousarray(value)
            return {ARRAY: name}
        if isinstance(value, bytes):
            arrays[name] = np.frombuffer(value, dtype=np.uint8)
            return {BYTES: name}
        if isinstance(value, dict):
            return {key: strip(item, f"{name}.{key}") for key, item in value.items()}
        return value

    body = json.dumps(strip(message, "message"), default=lambda scalar: scalar.item())  # numpy and torch scalars
    return body, safetensors.numpy.save(arrays) if arrays else None


def unpack(body: str, arrays: bytes | None) -> dict:
    found = safetensors.numpy.load(arrays) if arrays else {}

    def fill(value):
        if isinstance(value, dict):
            if ARRAY in value:
                return found[value[ARRAY]]
            if BYTES in value:
                return found[value[BYTES]].tobytes()
            return {key: fill(item) for key, item in value.items()}
        if isinstance(value, list):
            return [fill(item) for item in value]
        return value

    return fill(json.loads(body))


def post(db: sqlite3.Connection, ticket: int, message: dict, total_steps: int = 0):
    """Write a message of a run for its job (within a transaction): a step's or epoch's share of the run done, and
    the end, for the estimates."""
    body, arrays = pack(message)
    db.execute("INSERT INTO messages (ticket, body, arrays) VALUES (?, ?, ?)", (ticket, body, arrays))
    if message["event"] in ("step", "epoch") and total_steps:
        db.execute("UPDATE runs SET fraction = ? WHERE ticket = ?", (min(message["step"] / total_steps, 1), ticket))
    elif message["event"] == "end":
        db.execute("UPDATE runs SET state = 'ended', fraction = 1 WHERE ticket = ?", (ticket,))
