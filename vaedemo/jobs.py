"""Training jobs for the app: fit() in a child process, watched by a small reader thread.

Training inside the server process would compete with the app for the GIL and both cores (docs/benchmarks.md:
drawing got twice as slow). So each job starts a child process (spawn, one torch thread) that
loads the data set, runs fit() and sends messages over a queue: throttled step figures, epoch figures with
pictures and the map of the test codes, and at the end the weights as .safetensors bytes. A reader thread in the
server files them into a plain Job object (a lock and a Progress); the page only reads job.poll(). No Streamlit here.

One job trains at a time per server process (two CPU cores); the others wait, "queued". A job that
nobody polls for WATCHDOG_S seconds (its tab was closed) stops, so it frees the slot.
"""
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
SLOT = threading.Lock()  # held by the job that is training in this server process
WATCHDOG_S = 90  # a background tab still polls about once a minute
NICE = 10  # the training child's niceness: it takes what CPU the server leaves
STEP_EVERY_S = 0.25  # at most this often a step's figures go to the server
STOP_GRACE_S = 30  # a child that has not ended this long after a stop (stuck fetching data) is killed; on a busy
# machine the child can need seconds to hand back the model it has so far, which a shorter grace would lose


def english(parts: list) -> str:
    return " ".join(JOB_MESSAGES[kind].format(**values) for kind, values in parts)


@dataclass
class Progress:
    status: str = "queued"  # queued -> loading -> training -> done | stopped | diverged | failed
    parts: list = field(default_factory=lambda: [("queued", {})])  # the message: [(kind in JOB_MESSAGES, values)]
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
    """One training run. start() returns at once; poll() says how it is going (and keeps it alive)."""

    def __init__(self, config: TrainConfig, root=None):
        self.config, self.root = config, root
        self.lock = threading.Lock()
        self.progress = Progress()
        self.stop_event = CONTEXT.Event()
        self.last_poll = time.monotonic()
        self.abandoned = False
        self.thread = threading.Thread(target=self.run, name="vaedemo-training-job", daemon=True)

    def start(self) -> "Job":
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
        while not SLOT.acquire(timeout=0.2):
            self.watchdog()
            if self.stop_event.is_set():
                self.update(status="stopped", parts=self.explain([("stopped_early", {})]))
                return
        try:
            self.train()
        except Exception as error:  # e.g. the child could not start: the page shows the message
            self.update(status="failed", parts=[("could_not_run", {"error": str(error)})])
        finally:
            SLOT.release()

    def train(self):
        messages = CONTEXT.Queue()
        child = CONTEXT.Process(target=train_in_child, args=(self.config, self.root, messages, self.stop_event),
                                name="vaedemo-training", daemon=True)
        self.update(status="loading", parts=[("starting", {})])
        child.start()
        # the server answering people's strokes comes first, from the child's start: its imports (torch) alone
        # take seconds of CPU, before a nice inside the child could run
        os.setpriority(os.PRIO_PROCESS, child.pid, NICE)
        stopped_at = None
        while True:
            self.watchdog()  # on every message too: a fast child can keep the queue from ever falling quiet
            try:
                message = messages.get(timeout=0.5)
            except queue.Empty:
                if self.stop_event.is_set():
                    stopped_at = stopped_at or time.monotonic()
                    if time.monotonic() - stopped_at > STOP_GRACE_S:
                        child.kill()
                        self.update(status="stopped", parts=self.explain([("stopped", {})]))
                        break
                if not child.is_alive():
                    self.update(status="failed", parts=[("crashed", {"code": child.exitcode})])
                    break
                continue
            if self.handle(message):
                break
        child.join(timeout=10)
        if child.is_alive():
            child.kill()

    def handle(self, message: dict) -> bool:
        """File one message from the child into the progress; True when it was the last one."""
        event = message["event"]
        with self.lock:
            p = self.progress
            if event == "status":
                p.status, p.parts, p.total_steps = message["status"], message["parts"], message["total_steps"]
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


# --- the child process ----------------------------------------------------------------------------

def train_in_child(config: TrainConfig, root, messages, stop):
    """Runs in the spawned process: load the data set, fit, send figures, pictures and finally the weights."""
    torch.set_num_threads(1)
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
    """(train images, labels) and (test images, labels) of the run's data set, saying so while it loads."""
    status("loading", [("loading", {"title": dataset_info(config.dataset).title})])
    train = load_mnist(train=True, root=root, limit=config.train_size, dataset=config.dataset,
                       log=lambda text: status("loading", [("data_log", {"text": text})]))
    return train, load_mnist(train=False, root=root, dataset=config.dataset)


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
