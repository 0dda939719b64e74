"""Training runs for the app: one first-come, first-served line of runs for all the app processes of a machine,
served by warm trainer processes.

Training inside the server process would compete with the app for the GIL and both cores (docs/benchmarks.md:
drawing got twice as slow). So runs go to trainer processes (spawn, one torch thread, niced), started once and kept
warm: torch imported and the data sets loaded on their first run, so that a run costs its training and little else.

The line is a SQLite file (WAL) in the state folder, shared by every app process of the machine (webapp/serve.py
starts several behind HAProxy), so that runs start in the order they were asked for whichever process a visitor
landed on, and any process's free trainer takes the next one. A page's Job puts its run in the file (a ticket); a
trainer takes the oldest waiting run (one write transaction, so two trainers never take the same), trains it and
writes its messages there: throttled step figures, epoch figures with pictures and the map of the test codes, and at
the end the weights as .safetensors bytes (a message is JSON, its arrays one safetensors blob: nothing is pickled).
The Job's thread files them into a plain Job object (a lock and a Progress); the page only reads job.poll(). No
Streamlit here.

Each app process's line (TrainingQueue) keeps its trainers up and beats a heartbeat in the file: a run whose process
is gone is not trained, and a running run whose process went stops. A job that nobody polls for WATCHDOG_S seconds
(its tab was closed) stops, and leaves the line if it was waiting. A run that fails leaves its trainer ready for the
next; a trainer that dies (or is killed after a stop it ignored) ends its run with a message, and is started again.
"""
import base64
import contextlib
import json
import os
import secrets
import socket
import sqlite3
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from hall.state import thread_db
from hall.trainer import Trainer, end
from hall.training_file import GONE_S, SCHEMA, post, training_file, transaction, unpack
from vaedemo.checkpoints import load_checkpoint_bytes
from vaedemo.models import AutoEncoder
from vaedemo.texts import JOB_MESSAGES
from vaedemo.train import TrainConfig

TRAINERS = int(os.environ.get("VAEDEMO_TRAINERS", "1"))  # warm trainer processes per app process (docs/deployment.md)
WATCHDOG_S = 90  # a background tab still polls about once a minute
STOP_GRACE_S = 30  # a trainer that has not ended a run this long after a stop (stuck fetching data) is killed; on a
# busy machine it can need seconds to hand back the model it has so far, which a shorter grace would lose
IMAGES_PER_S = 12_000  # a first guess of a trainer's speed (MLP, one core), for the waiting runs' estimates
EPOCH_OVERHEAD_S = 1.0  # a first guess of an epoch's cost beyond its training: test figures, pictures, map (and the
# weights at the end). The line learns both from the runs it serves; the guesses are what a hall is told, pressing
# Start before any run has ended, so they are a busy machine's (docs/benchmarks.md: idle, a class run's epoch costs
# 0.25 s beyond its training)
BEAT_S = 1.0  # how often a line beats its heartbeat and looks after its trainers
READ_S = 0.25  # how often a job reads its run's new messages
PLACE_S = 1.0  # how often a line reads the places of the waiting runs
FIRST = {"place": 1, "waiting": 1, "seconds": 0}  # a run's place before the line is read
KEEP_ENDED_S = 3600  # ended runs (and any of a line gone this long) leave the file after this


def english(parts: list) -> str:
    return " ".join(JOB_MESSAGES[kind].format(**values) for kind, values in parts)


@dataclass
class Progress:
    status: str = "queued"  # queued -> loading -> training -> done | stopped | diverged | failed
    # the message: [(kind in JOB_MESSAGES, values)]
    parts: list = field(default_factory=lambda: [("queued", dict(FIRST))])
    total_steps: int = 0
    steps: list = field(default_factory=list)  # step figures: step, epoch, train_recon, train_kl, images_per_s
    epochs: list = field(default_factory=list)  # epoch figures: train and test loss, recon, kl
    pictures: dict = field(default_factory=dict)  # "test", "reconstructions", "prior" -> uint8 image grid, last epoch
    maps: list = field(default_factory=list)  # (epoch, points (N, 2) float32): the test sample's codes on the map
    map_labels: np.ndarray | None = None  # (N,) int64, the classes of those test images
    model: AutoEncoder | None = None  # the trained (or last good) model, once the job has ended
    checkpoint: bytes | None = None  # that model as a .safetensors file
    learned: dict | None = None  # a room's run (drawings given): what it measured (hall/trainer.learn_room_in_child)

    @property
    def message(self) -> str:
        return english(self.parts)

    @property
    def active(self) -> bool:
        return self.status in ("queued", "loading", "training")

    @property
    def fraction(self) -> float:
        done = max((figures["step"] for figures in self.steps[-1:] + self.epochs[-1:]), default=0)
        return min(done / self.total_steps, 1.0) if self.total_steps else 0.0


class Job:
    """One training run. start() puts it in the line and returns at once; poll() says how it is going (and keeps it
    alive). With drawings (28×28 uint8 images, one after another), a room's run: the shipped VAE-2D fine-tuned on them
    (hall/learning.py)."""

    def __init__(self, config: TrainConfig, root=None, line: "TrainingQueue | None" = None,
                 drawings: bytes | None = None):
        self.config, self.root, self.drawings = config, root, drawings
        self.line = line or QUEUE
        self.lock = threading.Lock()
        self.progress = Progress()
        self.stop_event = threading.Event()
        self.last_poll = time.monotonic()
        self.abandoned = False
        self.ticket = None  # its place in the line's file, once started
        self.training_since = None  # when its trainer began training it (time.monotonic()), after loading
        self.thread = threading.Thread(target=self.run, name="vaedemo-training-job", daemon=True)

    def start(self) -> "Job":
        try:
            self.ticket = self.line.enter(self)
        except sqlite3.OperationalError as error:  # the file is locked by another process: a moment later, it answers
            self.update(status="failed", parts=[("line_busy", {"error": str(error)})])
        except (OSError, sqlite3.Error) as error:  # the state folder cannot be written: the page says so
            self.update(status="failed", parts=[("could_not_run", {"error": str(error)})])
        self.thread.start()
        return self

    def stop(self):
        self.stop_event.set()

    def poll(self) -> Progress:
        """A copy of the progress so far, safe to read while the job goes on."""
        with self.lock:
            self.last_poll = time.monotonic()
            p = self.progress
            return replace(p, steps=list(p.steps), epochs=list(p.epochs), pictures=dict(p.pictures), maps=list(p.maps))

    def update(self, **changes):
        with self.lock:
            for name, value in changes.items():
                setattr(self.progress, name, value)

    def watchdog(self):
        """Stop the job when nobody has polled it for WATCHDOG_S seconds."""
        if time.monotonic() - self.last_poll > WATCHDOG_S and not self.stop_event.is_set():
            self.abandoned = True
            self.stop_event.set()

    def explain(self, parts: list) -> list:
        return [("abandoned", {"seconds": WATCHDOG_S}), *parts] if self.abandoned else parts

    def run(self):
        """Follow the run in the line's file until its end: its place while it waits, then its trainer's messages."""
        if self.ticket is None:  # it could not enter the line
            return
        try:
            self.follow()
        except Exception as error:  # e.g. the file went away: the page shows the message
            self.update(status="failed", parts=[("could_not_run", {"error": str(error)})])

    def follow(self):
        asked_to_stop, told = False, None  # told: what the page said before the line stopped answering
        while True:
            self.watchdog()
            try:
                if self.stop_event.is_set() and not asked_to_stop:
                    if self.line.leave(self.ticket):  # it was still waiting
                        self.update(status="stopped", parts=self.explain([("stopped_early", {})]))
                        return
                    asked_to_stop = True
                place = self.line.places().get(self.ticket) if self.progress.status == "queued" else None
                if place is not None:  # still waiting: no message comes before a trainer takes it
                    self.update(parts=[("queued", place)])
                else:
                    for message in self.line.read(self.ticket):
                        if self.handle(message):
                            return
                with self.lock:
                    if told is not None and self.progress.parts[0][0] == "line_unreachable":
                        self.progress.parts = told
                told = None
            except sqlite3.OperationalError as error:  # locked by another process: the run goes on, the page says so
                with self.lock:
                    told = told or self.progress.parts
                    self.progress.parts = [("line_unreachable", {"error": str(error)})]
            time.sleep(READ_S)

    def handle(self, message: dict) -> bool:
        """File one message from the trainer into the progress; True when it was the last one."""
        event = message["event"]
        with self.lock:
            p = self.progress
            if event == "status":
                p.status, p.parts, p.total_steps = message["status"], message["parts"], message["total_steps"]
                if p.status == "training":
                    self.training_since = time.monotonic()
            elif event == "step":
                p.steps.append(message)
            elif event == "epoch":
                p.pictures = message.pop("pictures")
                p.maps.append((message["epoch"], message.pop("map")))
                if "map_labels" in message:
                    p.map_labels = message.pop("map_labels")
                p.epochs.append(message)
        if event == "end":
            self.finish(message)
        return event == "end"

    def finish(self, message: dict):
        status, parts = message["status"], self.explain(message["parts"])
        model = None
        if message["checkpoint"] is not None:
            try:
                model = load_checkpoint_bytes(message["checkpoint"], "the trained model")
            except ValueError as error:
                status, parts = "failed", [("bad_checkpoint", {"error": str(error)})]
        self.update(status=status, parts=parts, model=model, checkpoint=message["checkpoint"] if model else None,
                    learned=message.get("learned") if model else None)
        self.line.learn(self)

    def estimate_s(self) -> float:
        """About how long this run takes from its start."""
        return self.line.estimate_s(self.config.epochs * (self.config.train_size or 60_000), self.config.epochs)


class TrainingQueue:
    """This app process's part of the machine's line of runs (the file at path): it puts its pages' runs in line,
    tells them their places, keeps its trainers up and beats its heartbeat, which says the process lives."""

    def __init__(self, trainers: int = TRAINERS, path=None):
        self.path = Path(path) if path else None  # the file, training_file() unless given, found on first use
        self.name = f"{socket.gethostname()}/{os.getpid()}/{secrets.token_hex(4)}"
        self.trainers = [Trainer() for _ in range(trainers)]
        self.local = threading.local()
        self.lock = threading.Lock()
        self.beating = None  # the thread that beats the heartbeat and looks after the trainers
        self.closed = threading.Event()
        self.images_per_s = IMAGES_PER_S  # both learned from the runs served (learn)
        self.epoch_overhead_s = EPOCH_OVERHEAD_S
        self.learned = False  # the guesses above are replaced by the first run's figures
        self.placed = (0.0, {})  # (when, the waiting runs' places): read for all this process's jobs at once

    def db(self) -> sqlite3.Connection:
        if self.path is None:
            self.path = training_file()
        fresh = getattr(self.local, "db", None) is None
        db = thread_db(self.local, self.path, "synchronous = NORMAL")
        if fresh:
            db.executescript(SCHEMA)
        return db

    def begin(self, dataset: str = "mnist", root=None):
        """Beat the heartbeat and start the trainers (each loading dataset), once."""
        with self.lock:
            if self.beating is None:
                self.beat()
                for trainer in self.trainers:
                    trainer.start(self.path, dataset, root)
                self.beating = threading.Thread(target=self.look_after, name="vaedemo-training-line", daemon=True)
                self.beating.start()

    def warm(self, dataset: str, root=None):
        """begin() from the Train page, so that the trainers are up before anyone presses Start; a state folder that
        cannot be written is said by the run that needs it."""
        with contextlib.suppress(OSError, sqlite3.Error):
            self.begin(dataset, root)

    def enter(self, job: Job) -> int:
        """Put job's run at the end of the line; its ticket."""
        self.begin(job.config.dataset, job.root)
        now = time.time()
        with transaction(self.db()) as db:
            old = now - KEEP_ENDED_S  # runs that ended then, and those of lines gone since, leave the file
            db.execute("DELETE FROM runs WHERE asked < ? AND (state IN ('ended', 'left') OR owner NOT IN "
                       "(SELECT name FROM lines WHERE seen > ?))", (old, old))
            db.execute("DELETE FROM lines WHERE seen < ?", (old,))
            db.execute("DELETE FROM messages WHERE ticket NOT IN (SELECT ticket FROM runs)")
            config = json.dumps({"config": asdict(job.config), "root": None if job.root is None else str(job.root)}
                                | ({"drawings": base64.b64encode(job.drawings).decode()} if job.drawings else {}))
            ticket = db.execute(
                "INSERT INTO runs (owner, config, images, epochs, asked) VALUES (?, ?, ?, ?, ?)",
                (self.name, config, job.config.epochs * (job.config.train_size or 60_000), job.config.epochs, now),
            ).lastrowid
        with self.lock:
            self.placed = (0.0, {})  # read again, with this run
        job.update(parts=[("queued", self.places().get(ticket, FIRST))])
        return ticket

    def leave(self, ticket: int) -> bool:
        """Take a waiting run out of the line (True), or ask its trainer to stop it (False)."""
        with transaction(self.db()) as db:
            if db.execute("UPDATE runs SET state = 'left' WHERE ticket = ? AND state = 'waiting'", (ticket,)).rowcount:
                return True
            db.execute("UPDATE runs SET stop = ? WHERE ticket = ? AND stop IS NULL", (time.time(), ticket))
            return False

    def read(self, ticket: int) -> list[dict]:
        """The run's messages since the last read (each read once)."""
        db = self.db()
        rows = db.execute("SELECT id, body, arrays FROM messages WHERE ticket = ? ORDER BY id", (ticket,)).fetchall()
        if rows:
            db.execute("DELETE FROM messages WHERE ticket = ? AND id <= ?", (ticket, rows[-1][0]))
        return [unpack(body, arrays) for _, body, arrays in rows]

    def places(self) -> dict[int, dict]:
        """Each waiting run's place in line, how many wait, and about when it starts: the runs ahead of it (what is
        left of the running ones, the waiting ones whole), shared among the trainers of the live lines. Read from the
        file at most every PLACE_S, for all this process's waiting jobs at once."""
        with self.lock:
            if time.monotonic() - self.placed[0] > PLACE_S:
                self.placed = time.monotonic(), self.read_places()
            return self.placed[1]

    def read_places(self) -> dict[int, dict]:
        db, live = self.db(), time.time() - GONE_S
        trainers = max(db.execute("SELECT TOTAL(trainers) FROM lines WHERE seen > ?", (live,)).fetchone()[0], 1)
        runs = db.execute("SELECT ticket, state, images, epochs, fraction FROM runs WHERE state IN "
                          "('waiting', 'running') AND owner IN (SELECT name FROM lines WHERE seen > ?) ORDER BY ticket",
                          (live,)).fetchall()
        ahead = sum(self.estimate_s(images, epochs) * (1 - fraction) for _, state, images, epochs, fraction in runs
                    if state == "running")
        waiting = [(ticket, self.estimate_s(images, epochs)) for ticket, state, images, epochs, _ in runs
                   if state == "waiting"]
        places = {}
        for place, (ticket, estimate) in enumerate(waiting, start=1):
            places[ticket] = {"place": place, "waiting": len(waiting), "seconds": round(ahead / trainers)}
            ahead += estimate
        return places

    def estimate_s(self, images: int, epochs: int) -> float:
        return images / self.images_per_s + epochs * self.epoch_overhead_s

    def learn(self, job: Job):
        """A finished run's speed and its epochs' cost beyond training (from the start of its training to its end,
        less its epochs' training time), for the next estimates: the first run's replace the guesses, the next are
        averaged in."""
        epochs = job.progress.epochs
        if job.progress.status != "done" or job.training_since is None or not epochs:  # a room's run reports none
            return
        speed = float(np.median([epoch["images_per_s"] for epoch in epochs]))
        overhead = (time.monotonic() - job.training_since - sum(epoch["seconds"] for epoch in epochs)) / len(epochs)
        with self.lock:
            weight = 0.5 if self.learned else 0.0  # of what the line knew
            self.images_per_s = weight * self.images_per_s + (1 - weight) * speed
            self.epoch_overhead_s = weight * self.epoch_overhead_s + (1 - weight) * max(overhead, 0.0)
            self.learned = True

    def beat(self):
        self.db().execute("INSERT INTO lines (name, seen, trainers) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE "
                          "SET seen = excluded.seen, trainers = excluded.trainers",
                          (self.name, time.time(), len(self.trainers)))

    def look_after(self):
        """Every BEAT_S: the heartbeat, and each trainer up, its run ended with a message if it died or ignored a
        stop for STOP_GRACE_S."""
        while not self.closed.wait(BEAT_S):
            with contextlib.suppress(sqlite3.Error):  # a busy file: the next beat
                self.beat()
                for trainer in self.trainers:
                    self.tend(trainer)

    def tend(self, trainer: Trainer):
        db = self.db()
        pid = trainer.process.pid
        run = db.execute("SELECT ticket, stop FROM runs WHERE state = 'running' AND trainer_pid = ?", (pid,)).fetchone()
        if trainer.alive():
            if run and run[1] is not None and time.time() - run[1] > STOP_GRACE_S:
                trainer.kill()
                self.end_run(run[0], end("stopped", [("stopped", {})]))
                trainer.start(self.path)
            return
        if run:
            self.end_run(run[0], end("failed", [("crashed", {"code": trainer.process.exitcode})]))
        trainer.start(self.path)

    def end_run(self, ticket: int, message: dict):
        """End a run its trainer could not end, with message."""
        with transaction(self.db()) as db:
            post(db, ticket, message)

    def waiting(self) -> list[int]:
        """This line's runs that wait, by ticket."""
        return [ticket for ticket, in self.db().execute(
            "SELECT ticket FROM runs WHERE owner = ? AND state = 'waiting' ORDER BY ticket", (self.name,))]

    def running(self) -> list[int]:
        return [ticket for ticket, in self.db().execute(
            "SELECT ticket FROM runs WHERE owner = ? AND state = 'running' ORDER BY ticket", (self.name,))]

    def trainer_pid(self, ticket: int) -> int | None:
        return self.db().execute("SELECT trainer_pid FROM runs WHERE ticket = ?", (ticket,)).fetchone()[0]

    def started(self, ticket: int) -> float | None:
        """When a trainer took the run (time.time()), or None."""
        return self.db().execute("SELECT started FROM runs WHERE ticket = ?", (ticket,)).fetchone()[0]

    def close(self):
        """End the trainers and the heartbeat (a server's own line lives as long as the server)."""
        self.closed.set()
        with self.lock:
            if self.beating is not None:
                self.beating.join(timeout=10)
            for trainer in self.trainers:
                trainer.close()


QUEUE = TrainingQueue()  # this server process's part of the line
