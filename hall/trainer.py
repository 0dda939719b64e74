"""The trainer processes of the training line (hall/line.py): each is started by an app process's line (spawn, one
torch thread, niced) and kept warm, torch imported and the data sets loaded on its first run. It takes the oldest
waiting run of the line's file, trains it (vaedemo.train.fit) and writes its messages there for the run's job, one
after another, until its line quits or the process that started it ends."""
import base64
import contextlib
import json
import multiprocessing
import os
import sqlite3
import threading
import time
from dataclasses import replace
from pathlib import Path

import torch

from hall.report import EPOCH_TEST_IMAGES, STEP_EVERY_S, reporter
from hall.state import thread_db
from hall.training_file import GONE_S, post, transaction
from vaedemo.checkpoints import checkpoint_bytes, load_checkpoint
from vaedemo.data import DataUnavailable, load_mnist
from vaedemo.datasets import checkpoint_path, dataset_info
from vaedemo.handwriting import learn_handwriting
from vaedemo.train import TrainConfig, checkpoint_metadata, fit

CONTEXT = multiprocessing.get_context("spawn")
NICE = 10  # the trainers' niceness: they take what CPU the server leaves
CLAIM_S = 0.3  # how often a free trainer looks for a waiting run
STOP_READ_S = 0.2  # how often a training run reads whether it was asked to stop
TRAINER_WAIT_S = 300  # a trainer waits this long for a file another process has locked: its run's figures come late


class Trainer:
    """A warm trainer process of a line: started with the line, then kept (torch imported, the data sets loaded);
    started again if it died. It takes the oldest waiting run of the line's file, one after another."""

    def __init__(self):
        self.process = None

    def start(self, path: Path, dataset: str | None = None, root=None):
        """Start the trainer process if it is not up, and with dataset, have it load that data set first."""
        if not self.alive():
            self.quit = CONTEXT.Event()
            self.process = CONTEXT.Process(target=serve, args=(str(path), self.quit, dataset, root, os.getpid()),
                                           name="vaedemo-trainer", daemon=True)
            self.process.start()
            # the server answering people's strokes comes first, from the trainer's start: its imports (torch) alone
            # take seconds of CPU, before a nice inside it could run
            os.setpriority(os.PRIO_PROCESS, self.process.pid, NICE)

    def alive(self) -> bool:
        return self.process is not None and self.process.is_alive()

    def kill(self):
        self.process.kill()
        self.process.join(timeout=10)

    def close(self):
        """End the trainer after its run."""
        if self.alive():
            self.quit.set()
            self.process.join(timeout=30)


def serve(path: str, quit, dataset: str | None, root, parent: int):
    """A trainer's life: load dataset (ahead of the runs), then take the oldest waiting run of the line's file and
    train it, one after another, until the line quits or the process that started it (parent, its pid) ended: given,
    not read here, as a parent that ends while its trainer still starts would leave it a parent of 1 to wait for."""
    torch.set_num_threads(1)
    if dataset:
        with contextlib.suppress(Exception):  # a data set that cannot load says so in the run that needs it
            load_data(replace(TrainConfig(), dataset=dataset), root, lambda *_: None)
    local = threading.local()
    db = thread_db(local, Path(path), "synchronous = NORMAL", f"busy_timeout = {TRAINER_WAIT_S * 1000}")
    while not quit.is_set() and os.getppid() == parent:
        taken = take(db)
        if taken is None:
            quit.wait(CLAIM_S)
            continue
        ticket, task = taken
        root, config = task["root"], TrainConfig(**task["config"])
        if "drawings" in task:
            learn_room_in_child(config, base64.b64decode(task["drawings"]), Outbox(db, ticket), StopAsked(db, ticket))
        else:
            train_in_child(config, root and Path(root), Outbox(db, ticket), StopAsked(db, ticket))


def take(db: sqlite3.Connection) -> tuple[int, dict] | None:
    """The oldest waiting run whose line lives, now this trainer's: (ticket, its config), or None."""
    live = (time.time() - GONE_S,)
    oldest = "SELECT ticket, config FROM runs WHERE state = 'waiting' AND owner IN " \
             "(SELECT name FROM lines WHERE seen > ?) ORDER BY ticket LIMIT 1"
    if db.execute(oldest, live).fetchone() is None:  # a read, without the write lock, most of the time
        return None
    with transaction(db):
        run = db.execute(oldest, live).fetchone()
        if run is not None:
            db.execute("UPDATE runs SET state = 'running', trainer_pid = ?, started = ? WHERE ticket = ?",
                       (os.getpid(), time.time(), run[0]))
    return None if run is None else (run[0], json.loads(run[1]))


class Outbox:
    """A run's messages from its trainer into the line's file, for its job."""

    def __init__(self, db: sqlite3.Connection, ticket: int):
        self.db, self.ticket, self.total_steps = db, ticket, 0

    def put(self, message: dict):
        if message["event"] == "status":
            self.total_steps = message["total_steps"] or self.total_steps
        with transaction(self.db):
            post(self.db, self.ticket, message, self.total_steps)


class StopAsked:
    """fit()'s stop: set when the run's job asked for a stop, or when the process of its line has gone (read from
    the file at most every STOP_READ_S)."""

    def __init__(self, db: sqlite3.Connection, ticket: int):
        self.db, self.ticket, self.read, self.asked = db, ticket, 0.0, False

    def is_set(self) -> bool:
        if not self.asked and time.monotonic() - self.read > STOP_READ_S:
            self.read = time.monotonic()
            run = self.db.execute(
                "SELECT stop IS NOT NULL OR owner NOT IN (SELECT name FROM lines WHERE seen > ?) FROM runs "
                "WHERE ticket = ?", (time.time() - GONE_S, self.ticket)).fetchone()
            self.asked = run is None or bool(run[0])
        return self.asked


DATA = {}  # (data set, train or test, root) -> (images, labels): a trainer loads each once


def train_in_child(config: TrainConfig, root, messages, stop):
    """One run in a trainer: load the data set, fit, send figures, pictures and finally the weights."""
    config = replace(config, threads=1)

    def status(name, parts, total_steps=0):
        messages.put({"event": "status", "status": name, "parts": parts, "total_steps": total_steps})

    try:
        train, test = load_data(config, root, status)
        batch_note = ([("batch_note", {"batch_size": config.batch_size, "images": len(train[0])})]
                      if config.batch_size > len(train[0]) else [])
        status("training", [("training", {"images": len(train[0]), "title": dataset_info(config.dataset).title}),
                            *batch_note], config.total_steps(len(train[0])))
        result = fit(config, train[0], test[0], callback=reporter(messages, config, test), stop=stop,
                     train_labels=train[1], test_labels=test[1], epoch_test_size=EPOCH_TEST_IMAGES)
    except DataUnavailable as error:
        messages.put(end("failed", [("data_unavailable", {"error": str(error)})]))
        return
    except Exception as error:  # the server shows the message instead of a traceback
        messages.put(end("failed", [("failed", {"error": str(error)})]))
        return
    status_name, parts = outcome(result)
    checkpoint = None
    if result.history or result.stopped:
        checkpoint = checkpoint_bytes(result.model, **checkpoint_metadata(config, result, len(train[0])))
    messages.put(end(status_name, parts + batch_note, checkpoint))


def learn_room_in_child(config: TrainConfig, drawings: bytes, messages, stop):
    """A room's run in a trainer: the shipped VAE-2D fine-tuned on the room's drawings (28×28 uint8 each, one after
    another), then both models measured on them (vaedemo.handwriting); its last message carries what was measured
    ("learned": -log p(x) under each, and the drawings' codes on each map) beside the weights."""
    config = replace(config, threads=1)

    def status(parts, total_steps=0):
        messages.put({"event": "status", "status": "training", "parts": parts, "total_steps": total_steps})

    images = torch.frombuffer(bytearray(drawings), dtype=torch.uint8).float().div(255).view(-1, 1, 28, 28)
    sent = [0.0]

    def report(step: int, epoch: int, figures: dict):
        if figures["event"] == "epoch" and epoch == config.epochs:
            status([("room_measuring", {"drawings": len(images)})], total_steps)
        elif figures["event"] == "step" and time.monotonic() - sent[0] >= STEP_EVERY_S:
            sent[0] = time.monotonic()
            messages.put({**figures, "step": step, "epoch": epoch})

    try:
        total_steps = config.total_steps(len(images))
        status([("room_learning", {"drawings": len(images), "epochs": config.epochs})], total_steps)
        shipped = load_checkpoint(checkpoint_path("vae", 2, "mnist"))
        result, learned = learn_handwriting(shipped, images, config, callback=report, stop=stop)
    except Exception as error:  # the server shows the message instead of a traceback
        messages.put(end("failed", [("failed", {"error": str(error)})]))
        return
    if learned is None:
        messages.put(end(*outcome(result)))
        return
    checkpoint = checkpoint_bytes(learned.model, **checkpoint_metadata(config, result, len(images)),
                                  fine_tuned_from=checkpoint_path("vae", 2, "mnist").name)
    figures = {"nll": [learned.nll_shipped, learned.nll_room], "shipped": learned.codes_shipped.numpy(),
               "room": learned.codes_room.numpy()}
    messages.put(end("done", [("room_learned", {"drawings": len(images)})], checkpoint) | {"learned": figures})


def load_data(config: TrainConfig, root, status):
    """(train images, labels) and (test images, labels) of the run's data set, saying so while it loads; kept in
    the trainer for the next run."""
    status("loading", [("loading", {"title": dataset_info(config.dataset).title})])
    for train in (True, False):
        if (config.dataset, train, root) not in DATA:
            DATA[config.dataset, train, root] = load_mnist(
                train=train, root=root, dataset=config.dataset,
                log=lambda text: status("loading", [("data_log", {"text": text})]))
    images, labels = DATA[config.dataset, True, root]
    return (images[: config.train_size], labels[: config.train_size]), DATA[config.dataset, False, root]


def outcome(result) -> tuple[str, list]:
    """How a run that got to its end (or was stopped, or diverged) went: its status and message."""
    done = len(result.history)
    if result.diverged:
        return "diverged", [("diverged", {"epoch": done + 1}), ("kept", {"epoch": done}) if done else ("no_model", {})]
    if result.stopped:
        return "stopped", [("stopped_during", {"epoch": done + 1})]
    return "done", [("finished", {"epochs": done}) if done > 1 else ("finished_one", {})]


def end(status: str, parts: list, checkpoint: bytes | None = None) -> dict:
    """The child's last message: how the run ended, and its model as a .safetensors file (or None)."""
    return {"event": "end", "status": status, "parts": parts, "checkpoint": checkpoint}
