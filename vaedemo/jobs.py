"""Training jobs for the app: a first-come, first-served queue of runs served by warm trainer processes.

Training inside the server process would compete with the app for the GIL and both cores (docs/benchmarks.md:
drawing got twice as slow). So runs go to trainer processes (spawn, one torch thread, niced), started once and kept
warm: torch imported and the data sets loaded on their first run, so that a run costs its training and little else.
A trainer runs fit() and sends messages over its queue: throttled step figures, epoch figures with pictures and the
map of the test codes, and at the end the weights as .safetensors bytes. Each job's reader thread in the server files
them into a plain Job object (a lock and a Progress); the page only reads job.poll(). No Streamlit here.

Runs start in the order they were asked for (TrainingQueue); a waiting run knows its place and about when it starts.
A job that nobody polls for WATCHDOG_S seconds (its tab was closed) stops, and leaves the queue if it was waiting.
A run that fails leaves its trainer ready for the next; a trainer that dies (or is killed after a stop it ignored) is
started again for the next run.
"""
import collections
import contextlib
import multiprocessing
import os
import queue
import threading
import time
from dataclasses import dataclass, field, replace

import numpy as np
import torch

from .checkpoints import checkpoint_bytes, load_checkpoint_bytes
from .data import DataUnavailable, load_mnist, load_test_sample
from .datasets import dataset_info
from .models import AutoEncoder
from .texts import JOB_MESSAGES
from .train import TrainConfig, checkpoint_metadata, fit
from .viz import image_grid, latent_plane

CONTEXT = multiprocessing.get_context("spawn")
TRAINERS = int(os.environ.get("VAEDEMO_TRAINERS", "1"))  # warm trainer processes per server (docs/deployment.md)
WATCHDOG_S = 90  # a background tab still polls about once a minute
NICE = 10  # the trainers' niceness: they take what CPU the server leaves
STEP_EVERY_S = 0.25  # at most this often a step's figures go to the server
STOP_GRACE_S = 30  # a trainer that has not ended a run this long after a stop (stuck fetching data) is killed; on a
# busy machine it can need seconds to hand back the model it has so far, which a shorter grace would lose
IMAGES_PER_S = 12_000  # a first guess of a trainer's speed (MLP, one core), for the waiting runs' estimates
EPOCH_OVERHEAD_S = 1.0  # a first guess of an epoch's cost beyond its training: test figures, pictures, map (and the
# weights at the end). The line learns both from the runs it serves; the guesses are what a hall is told, pressing
# Start before any run has ended, so they are a busy machine's (docs/benchmarks.md: idle, a class run's epoch costs
# 0.25 s beyond its training)


def english(parts: list) -> str:
    return " ".join(JOB_MESSAGES[kind].format(**values) for kind, values in parts)


@dataclass
class Progress:
    status: str = "queued"  # queued -> loading -> training -> done | stopped | diverged | failed
    # the message: [(kind in JOB_MESSAGES, values)]
    parts: list = field(default_factory=lambda: [("queued", {"place": 1, "waiting": 1, "seconds": 0})])
    total_steps: int = 0
    steps: list = field(default_factory=list)  # step figures: step, epoch, train_recon, train_kl, images_per_s
    epochs: list = field(default_factory=list)  # epoch figures: train and test loss, recon, kl
    pictures: dict = field(default_factory=dict)  # "test", "reconstructions", "prior" -> uint8 image grid, last epoch
    maps: list = field(default_factory=list)  # (epoch, points (N, 2) float32): the test sample's codes on the map
    map_labels: np.ndarray | None = None  # (N,) int64, the classes of those test images
    model: AutoEncoder | None = None  # the trained (or last good) model, once the job has ended
    checkpoint: bytes | None = None  # that model as a .safetensors file

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
    """One training run. start() puts it in the queue and returns at once; poll() says how it is going (and keeps it
    alive)."""

    def __init__(self, config: TrainConfig, root=None, line: "TrainingQueue | None" = None):
        self.config, self.root = config, root
        self.line = line or QUEUE
        self.lock = threading.Lock()
        self.progress = Progress()
        self.stop_event = threading.Event()
        self.last_poll = time.monotonic()
        self.abandoned = False
        self.trainer = None  # the trainer it runs on, once its turn came
        self.training_since = None  # when its trainer began training it (time.monotonic()), after loading
        self.thread = threading.Thread(target=self.run, name="vaedemo-training-job", daemon=True)

    def start(self) -> "Job":
        self.line.enter(self)
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
        self.trainer = trainer = self.line.wait_for_turn(self)
        if trainer is None:
            self.update(status="stopped", parts=self.explain([("stopped_early", {})]))
            return
        try:
            self.train(trainer)
        except Exception as error:  # e.g. the trainer could not start: the page shows the message
            self.update(status="failed", parts=[("could_not_run", {"error": str(error)})])
        finally:
            self.line.done(self, trainer)

    def train(self, trainer: "Trainer"):
        self.update(status="loading", parts=[("starting", {})])
        trainer.begin(self.config, self.root)
        stopped_at = None
        while True:
            self.watchdog()  # on every message too: a fast trainer can keep the queue from ever falling quiet
            if self.stop_event.is_set():
                trainer.stop.set()
            try:
                message = trainer.messages.get(timeout=0.5)
            except queue.Empty:
                if self.stop_event.is_set():
                    stopped_at = stopped_at or time.monotonic()
                    if time.monotonic() - stopped_at > STOP_GRACE_S:
                        trainer.kill()
                        self.update(status="stopped", parts=self.explain([("stopped", {})]))
                        return
                if not trainer.alive():
                    self.update(status="failed", parts=[("crashed", {"code": trainer.exitcode()})])
                    return
                continue
            if self.handle(message):
                return

    def handle(self, message: dict) -> bool:
        """File one message from the child into the progress; True when it was the last one."""
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
        self.update(status=status, parts=parts, model=model, checkpoint=message["checkpoint"] if model else None)

    def estimate_s(self) -> float:
        """About how long this run takes from its start, or what is left of it once it trains."""
        config, progress = self.config, self.progress
        images = config.epochs * (config.train_size or 60_000)
        total = images / self.line.images_per_s + config.epochs * self.line.epoch_overhead_s
        return total * (1 - progress.fraction)


class Trainer:
    """A warm trainer process: started on the first run given to it, then kept for the next (torch imported, the
    data sets loaded); started again if it died. Its stop event ends the run it is training."""

    def __init__(self):
        self.process = None

    def begin(self, config: TrainConfig, root):
        """Start the run on this trainer (starting the trainer first, if it is not up)."""
        self.start()
        self.stop.clear()
        self.tasks.put(("run", config, root))

    def start(self, dataset: str | None = None, root=None):
        """Start the trainer process if it is not up, and with dataset, have it load that data set ahead of a run."""
        if not self.alive():
            self.tasks, self.messages, self.stop = CONTEXT.Queue(), CONTEXT.Queue(), CONTEXT.Event()
            self.process = CONTEXT.Process(target=serve, args=(self.tasks, self.messages, self.stop),
                                           name="vaedemo-trainer", daemon=True)
            self.process.start()
            # the server answering people's strokes comes first, from the trainer's start: its imports (torch) alone
            # take seconds of CPU, before a nice inside it could run
            os.setpriority(os.PRIO_PROCESS, self.process.pid, NICE)
            if dataset:
                self.tasks.put(("load", dataset, root))

    def alive(self) -> bool:
        return self.process is not None and self.process.is_alive()

    def exitcode(self):
        return self.process.exitcode

    def kill(self):
        self.process.kill()
        self.process.join(timeout=10)

    def close(self):
        """End the trainer after its run (it waits for its next one)."""
        if self.alive():
            self.tasks.put(None)
            self.process.join(timeout=30)


class TrainingQueue:
    """Runs in the order they were asked for, each on the first trainer free; a waiting run's place and estimate."""

    def __init__(self, trainers: int = TRAINERS):
        self.free = [Trainer() for _ in range(trainers)]
        self.trainers = trainers
        self.waiting: collections.deque[Job] = collections.deque()
        self.running: list[Job] = []
        self.turn = threading.Condition()
        self.images_per_s = IMAGES_PER_S  # both learned from the runs served (learn)
        self.epoch_overhead_s = EPOCH_OVERHEAD_S
        self.learned = False  # the guesses above are replaced by the first run's figures
        self.told = 0.0  # when the waiting runs were last told their places

    def enter(self, job: Job):
        with self.turn:
            self.waiting.append(job)
            self.tell_places()

    def wait_for_turn(self, job: Job) -> "Trainer | None":
        """Block until job is first in line and a trainer is free, and return that trainer; None when the job was
        stopped (or abandoned) while it waited: it leaves the line."""
        with self.turn:
            while not (self.waiting[0] is job and self.free):
                job.watchdog()
                if job.stop_event.is_set():
                    self.waiting.remove(job)
                    self.tell_places()
                    self.turn.notify_all()
                    return None
                if self.waiting[0] is job and time.monotonic() - self.told > 1:
                    self.tell_places()  # the runs ahead have trained on: a nearer start
                self.turn.wait(timeout=0.5)
            self.waiting.popleft()
            self.running.append(job)
            self.tell_places()
            return self.free.pop()

    def done(self, job: Job, trainer: Trainer):
        with self.turn:
            self.running.remove(job)
            self.free.append(trainer)
            self.learn(job)
            self.tell_places()
            self.turn.notify_all()

    def learn(self, job: Job):
        """A finished run's speed and its epochs' cost beyond training (from the start of its training to its end,
        less its epochs' training time), for the next estimates: the first run's replace the guesses, the next are
        averaged in. With the lock held."""
        epochs = job.progress.epochs
        if job.progress.status != "done" or job.training_since is None:
            return
        speed = float(np.median([epoch["images_per_s"] for epoch in epochs]))
        overhead = (time.monotonic() - job.training_since - sum(epoch["seconds"] for epoch in epochs)) / len(epochs)
        weight = 0.5 if self.learned else 0.0  # of what the line knew
        self.images_per_s = weight * self.images_per_s + (1 - weight) * speed
        self.epoch_overhead_s = weight * self.epoch_overhead_s + (1 - weight) * max(overhead, 0.0)
        self.learned = True

    def warm(self, dataset: str, root=None):
        """Start the free trainers that are not up, each loading dataset, so that the next runs find them warm."""
        with self.turn:
            for trainer in self.free:
                trainer.start(dataset, root)

    def close(self):
        """End the free trainers (a server's own line lives as long as the server)."""
        with self.turn:
            for trainer in self.free:
                trainer.close()

    def tell_places(self):
        """Each waiting job's message: its place in line and about when it starts (the runs ahead of it, shared
        among the trainers). Called with the lock held."""
        self.told = time.monotonic()
        ahead = sum(job.estimate_s() for job in self.running)
        for place, job in enumerate(self.waiting, start=1):
            job.update(parts=[("queued", {"place": place, "waiting": len(self.waiting),
                                          "seconds": round(ahead / self.trainers)})])
            ahead += job.estimate_s()


QUEUE = TrainingQueue()  # this server process's line of runs


# --- the trainer process --------------------------------------------------------------------------

def serve(tasks, messages, stop):
    """A trainer's life: one task after another until None comes, each ("run", config, root) or ("load", data set,
    root), the latter ahead of the runs."""
    torch.set_num_threads(1)
    while (task := tasks.get()) is not None:
        if task[0] == "run":
            train_in_child(*task[1:], messages, stop)
        else:
            with contextlib.suppress(Exception):  # a data set that cannot load says so in the run that needs it
                load_data(replace(TrainConfig(), dataset=task[1]), task[2], lambda *_: None)


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
                     train_labels=train[1], test_labels=test[1])
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


def reporter(messages, config: TrainConfig, test: tuple) -> "Reporter":
    """fit()'s callback, with one test image of each class for the pictures and the shipped sample for the map."""
    test_x, test_labels = test
    picks = torch.stack([torch.nonzero(test_labels == digit)[0, 0] for digit in range(10)])
    return Reporter(messages, test_x[picks], load_test_sample(config.dataset))


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


class Reporter:
    """fit()'s callback in the child: step figures at most every STEP_EVERY_S, every epoch with pictures and the
    map of the test sample's codes (its labels with the first epoch's)."""

    def __init__(self, messages, digits: torch.Tensor, sample: tuple[torch.Tensor, torch.Tensor]):
        self.messages, self.digits = messages, digits  # digits: (10, 1, 28, 28), one of each class
        self.sample = sample  # the shipped test sample: images (N, 1, 28, 28), labels (N,)
        self.axes = None  # (d, 2) the previous epoch's map plane
        self.last_sent = 0.0

    def __call__(self, step: int, epoch: int, figures: dict):
        if figures["event"] == "step":
            if time.monotonic() - self.last_sent < STEP_EVERY_S:
                return
            self.last_sent = time.monotonic()
            self.messages.put({**figures, "step": step, "epoch": epoch})
        else:
            model = figures.pop("model")
            points, self.axes = map_of_codes(model, self.sample[0], self.axes)
            labels = {} if epoch > 1 else {"map_labels": self.sample[1].numpy()}
            self.messages.put({**figures, "step": step, "pictures": pictures(model, self.digits),
                               "map": points, **labels})


@torch.inference_mode()
def pictures(model: AutoEncoder, digits: torch.Tensor) -> dict:
    """Rows of ten pictures by what they show: "test" images, their "reconstructions", a VAE's "prior" samples."""
    rows = {"test": digits, "reconstructions": model.decode(model.latent_mean(digits))}
    if model.kind == "vae":
        z = torch.randn(10, model.latent_dim, generator=torch.Generator().manual_seed(0))  # (10, d)
        rows["prior"] = model.decode(z)
    return {name: image_grid(images, ncol=10, scale=3) for name, images in rows.items()}


@torch.inference_mode()
def map_of_codes(model: AutoEncoder, images: torch.Tensor, previous: torch.Tensor | None = None):
    """The codes of images (N, 1, 28, 28) on the model's map plane, as (points (N, 2) float32, the plane's axes (d, 2)).
    Each principal axis points the way the previous epoch's did (previous: its axes), so that a replay of the maps
    does not flip from one epoch to the next."""
    codes = model.latent_mean(images)  # (N, d)
    centre, axes = latent_plane(codes)
    if previous is not None:
        axes = axes * torch.where((axes * previous).sum(0) < 0, -1.0, 1.0)  # (d, 2)
    return ((codes - centre) @ axes).numpy().astype(np.float32), axes
