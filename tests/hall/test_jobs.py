"""Training jobs: real child processes on tiny MNIST subsets (one core each, a few seconds)."""
import multiprocessing
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

import hall.line
import hall.trainer
from hall.line import Job, TrainingQueue
from hall.report import EPOCH_TEST_IMAGES, map_of_codes
from tests.harness.server import ROOT
from tests.harness.training import LONG, TINY, WAIT, finished, wait_until
from vaedemo.checkpoints import load_checkpoint_bytes
from vaedemo.data import load_test_sample
from vaedemo.models import ModelConfig, build_model
from vaedemo.train import TrainConfig


def test_a_run_ends_with_a_model_that_loads():
    job = Job(TrainConfig(epochs=2, **TINY)).start()
    progress = finished(job)
    assert progress.status == "done", progress.message
    assert progress.message == "Finished: 2 epochs trained."
    assert [e["epoch"] for e in progress.epochs] == [1, 2]
    assert progress.epochs[-1]["test_loss"] < progress.epochs[0]["test_loss"]
    assert all(0 <= e["active_units"] <= 2 for e in progress.epochs)  # the test set's active units, each epoch
    # the epochs before the last tested on the first test images, the last (and the checkpoint's figures) on all
    assert [e["test_images"] for e in progress.epochs] == [EPOCH_TEST_IMAGES, 10_000]
    assert progress.steps and progress.fraction == 1.0 and all(s["beta"] == 1.0 for s in progress.steps)
    assert set(progress.pictures) == {"test", "reconstructions", "prior"}  # the page captions them in its language
    assert progress.pictures["test"].dtype.name == "uint8"
    assert_one_map_per_epoch(progress, 2)
    model = load_checkpoint_bytes(progress.checkpoint, "download.safetensors")
    assert (model.kind, model.latent_dim, model.config.hidden) == ("vae", 2, 32)
    assert model.metadata["epochs"] == "2" and model.metadata["train_images"] == "500"
    assert model.metadata["test_images"] == "10000"
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, progress.model.state_dict()[name])


def assert_one_map_per_epoch(progress: hall.line.Progress, epochs: int):
    """The map of the shipped test sample's codes after each epoch, on a plane (N, 2), with the sample's labels."""
    _, labels = load_test_sample()
    assert [epoch for epoch, _ in progress.maps] == list(range(1, epochs + 1))
    for _, points in progress.maps:
        assert points.shape == (len(labels), 2) and points.dtype.name == "float32" and np.isfinite(points).all()
    assert np.array_equal(progress.map_labels, labels.numpy())


def test_a_conv_run_ends_with_a_conv_model():
    progress = finished(Job(TrainConfig(arch="conv", epochs=2, latent_dim=16, kind="ae", **TINY)).start())
    assert progress.status == "done", progress.message
    assert progress.model.config.arch == "conv" and progress.pictures["reconstructions"].dtype.name == "uint8"
    assert_one_map_per_epoch(progress, 2)  # 16-D codes: their first two principal components
    assert not np.array_equal(*(points for _, points in progress.maps))
    assert load_checkpoint_bytes(progress.checkpoint, "conv.safetensors").metadata["arch"] == "conv"


def test_the_map_keeps_the_direction_of_each_principal_axis_from_one_epoch_to_the_next():
    images, _ = load_test_sample()
    model = build_model(ModelConfig("vae", 8, 32)).eval()
    points, axes = map_of_codes(model, images)
    assert points.shape == (len(images), 2) and axes.shape == (8, 2)
    flipped_points, flipped_axes = map_of_codes(model, images, axes * torch.tensor([-1.0, 1.0]))
    assert torch.equal(flipped_axes, axes * torch.tensor([-1.0, 1.0]))
    assert np.allclose(flipped_points, points * [-1, 1], atol=1e-5)
    _, plain = map_of_codes(build_model(ModelConfig("ae", 2, 32)), images)
    assert torch.equal(plain, torch.eye(2))  # 2-D codes: the map shows z itself


def test_a_trainer_is_niced_from_its_start(line):
    """The server answering strokes comes first: a new trainer runs at a lower priority at once, not only after
    its imports (torch takes seconds of CPU)."""
    job = Job(TrainConfig(epochs=1, **TINY), line=line).start()  # its own trainer, started now
    wait_until(lambda: any(child.name == "vaedemo-trainer" for child in multiprocessing.active_children()), 30)
    child = next(child for child in multiprocessing.active_children() if child.name == "vaedemo-trainer")
    wait_until(lambda: os.getpriority(os.PRIO_PROCESS, child.pid) == hall.trainer.NICE, 1)
    assert finished(job).status == "done"


def test_stop_ends_a_run_mid_epoch_and_keeps_the_model():
    job = Job(TrainConfig(kind="ae", epochs=100, hidden=64, train_size=5000, batch_size=50)).start()
    wait_until(lambda: len(job.poll().steps) >= 2)
    job.stop()
    progress = finished(job)
    assert progress.status == "stopped"
    assert progress.message.startswith("Stopped during epoch")
    assert progress.fraction < 1.0
    assert progress.model.kind == "ae"


def test_a_learning_rate_that_blows_up_stops_with_a_message_and_keeps_the_last_good_model():
    # One step per epoch: epoch 1 ends with finite weights, the step of epoch 2 blows up.
    job = Job(TrainConfig(epochs=5, lr=10.0, hidden=32, train_size=200, batch_size=200)).start()
    progress = finished(job)
    assert progress.status == "diverged"
    assert "learning rate is too high" in progress.message
    assert "Kept the model from the end of epoch 1" in progress.message
    assert len(progress.epochs) == 1
    model = load_checkpoint_bytes(progress.checkpoint, "last good")  # finite weights, or this raises
    assert model.metadata["epochs"] == "1"


@pytest.fixture
def line(tmp_path):
    """A line of runs of its own (its own file), with one trainer, ended after the test."""
    line = TrainingQueue(trainers=1, path=tmp_path / "training.sqlite3")
    yield line
    line.close()


@pytest.fixture
def busy_line(tmp_path):
    """A line of runs without a free trainer (as if another server's run kept the machine's trainers busy)."""
    line = TrainingQueue(trainers=0, path=tmp_path / "training.sqlite3")
    yield line
    line.close()


def test_a_second_job_is_queued_until_the_first_ends():
    first = Job(TrainConfig(**LONG)).start()
    wait_until(lambda: first.poll().status in ("loading", "training"))
    second = Job(TrainConfig(epochs=1, **TINY)).start()
    time.sleep(1)
    assert second.poll().status == "queued"
    assert second.poll().message.startswith("Waiting in line: 1 of 1, starting in about ")
    first.stop()
    assert finished(first).status == "stopped"
    assert finished(second).status == "done"


def test_runs_start_in_the_order_they_were_asked_for_and_each_knows_its_place(line):
    first = Job(TrainConfig(**LONG), line=line).start()
    wait_until(lambda: first.poll().status == "training")
    # three runs, each guessed at over 1 s: their rounded estimates differ
    waiting = [Job(TrainConfig(epochs=3, seed=n, **TINY), line=line).start() for n in range(3)]
    places = [f"Waiting in line: {n} of 3" for n in (1, 2, 3)]
    wait_until(lambda: [job.poll().message.split(",")[0] for job in waiting] == places, 10)  # read every second
    messages = [job.poll().message for job in waiting]
    seconds = [int(m.split("about ")[1].split(" s")[0]) for m in messages]
    assert 0 < seconds[0] < seconds[1] < seconds[2]  # each waits for the runs ahead of it
    waiting[1].stop()  # the middle one leaves the line; the last moves up
    wait_until(lambda: waiting[2].poll().message.startswith("Waiting in line: 2 of 2"))
    first.stop()
    assert [finished(job).status for job in waiting] == ["done", "stopped", "done"]
    assert line.started(waiting[0].ticket) < line.started(waiting[2].ticket)  # when the trainer took each
    assert waiting[1].poll().message == "Stopped before it started."


def test_the_app_processes_share_one_line_in_the_order_asked_and_any_free_trainer_serves_it(line, tmp_path):
    """Two app processes' lines on one file (webapp/serve.py's processes): a run asked on the process without a free
    trainer waits in the one line with the other's runs, is told its place among them, and is trained in its turn by
    the other process's trainer."""
    other = TrainingQueue(trainers=0, path=line.path)  # the other process: its trainers all busy
    try:
        first = Job(TrainConfig(**LONG), line=line).start()
        wait_until(lambda: first.poll().status == "training")
        waiting = [Job(TrainConfig(epochs=1, seed=n, **TINY), line=(other, line)[n % 2]).start() for n in range(3)]
        places = [f"Waiting in line: {n} of 3" for n in (1, 2, 3)]
        wait_until(lambda: [job.poll().message.split(",")[0] for job in waiting] == places, 10)
        first.stop()
        assert [finished(job).status for job in waiting] == ["done"] * 3
        assert sorted(waiting, key=lambda job: line.started(job.ticket)) == waiting
        assert {line.trainer_pid(job.ticket) for job in waiting} == {line.trainers[0].process.pid}
        assert other.waiting() == other.running() == []
    finally:
        other.close()


def test_a_waiting_run_is_told_about_when_it_starts_from_what_the_runs_before_cost(line):
    """The line starts from guesses of a run's cost (here absurd ones: a waiting run would be told of hours) and
    replaces them with what the first run it served cost: the next waiting run's estimate is that run's time."""
    line.images_per_s, line.epoch_overhead_s = 1, 1000
    config = TrainConfig(epochs=3, hidden=64, train_size=6000, batch_size=50)
    assert Job(config, line=line).estimate_s() > 3600
    job = Job(config, line=line).start()
    wait_until(lambda: job.poll().status == "training")
    began = time.monotonic()
    assert finished(job).status == "done"
    took = time.monotonic() - began  # from its training's start, as its page saw it, to its model
    assert took / 2 < Job(replace(config, seed=1), line=line).estimate_s() < took * 2


def test_a_queued_job_can_be_stopped(busy_line):
    job = Job(TrainConfig(epochs=1, **TINY), line=busy_line).start()
    time.sleep(0.5)
    job.stop()
    progress = finished(job)
    assert (progress.status, progress.message) == ("stopped", "Stopped before it started.")
    assert progress.model is None


def test_a_waiting_job_nobody_polls_leaves_the_line(monkeypatch, busy_line):
    monkeypatch.setattr(hall.line, "WATCHDOG_S", 1)
    job = Job(TrainConfig(epochs=1, **TINY), line=busy_line).start()
    job.thread.join(WAIT)  # no poll() while waiting: like a closed tab
    assert busy_line.waiting() == []
    assert job.poll().message == "Nobody looked at this run for 1 s (was its tab closed?), so it was stopped. " \
                                 "Stopped before it started."


def test_the_trainer_stays_warm_and_survives_a_failed_run(tmp_path, line):
    first = finished(Job(TrainConfig(epochs=1, **TINY), line=line).start())
    assert first.status == "done"
    (trainer,) = line.trainers
    pid = trainer.process.pid
    (tmp_path / "a-file").write_text("not a folder")
    bad = finished(Job(TrainConfig(epochs=1, **TINY), root=tmp_path / "a-file", line=line).start())
    assert bad.status == "failed"  # no data can go there: the run fails, its trainer lives on
    again = finished(Job(TrainConfig(epochs=1, seed=1, **TINY), line=line).start())
    assert again.status == "done" and trainer.process.pid == pid  # the same process: torch and the data loaded


def test_a_trainer_that_dies_is_reported_and_started_again(line):
    job = Job(TrainConfig(**LONG), line=line).start()
    wait_until(lambda: job.poll().status == "training")
    os.kill(line.trainer_pid(job.ticket), 9)
    progress = finished(job)
    assert progress.status == "failed" and progress.message.startswith("The training process ended unexpectedly")
    assert finished(Job(TrainConfig(epochs=1, **TINY), line=line).start()).status == "done"


def test_a_job_nobody_polls_stops(monkeypatch):
    monkeypatch.setattr(hall.line, "WATCHDOG_S", 2)
    job = Job(TrainConfig(**LONG)).start()
    job.thread.join(WAIT)  # no poll() while waiting: like a closed tab
    assert not job.thread.is_alive()
    progress = job.poll()
    assert progress.status == "stopped"
    assert progress.message.startswith("Nobody looked at this run for 2 s")


def test_a_line_file_locked_by_another_process_holds_the_run_back_and_it_goes_on_once_free(monkeypatch, line):
    """Another process holds the line's file (a backup, a stuck server): the run waits, the page says that the line
    does not answer (never a failed run, never an exception), and once the file is free the run goes on by itself."""
    import sqlite3

    monkeypatch.setattr(hall.line, "READ_S", 2.5)  # the trainer's messages wait in the file between reads
    job = Job(TrainConfig(**LONG), line=line).start()
    wait_until(lambda: job.poll().status == "training" and job.poll().epochs)
    lock = sqlite3.connect(line.path, isolation_level=None)

    def unread() -> bool:  # messages the job has still to read (and delete, a write the lock holds back)
        return lock.execute("SELECT COUNT(*) FROM messages WHERE ticket = ?", (job.ticket,)).fetchone()[0] > 0

    while True:  # locked with a message waiting: a trainer starved by a busy machine may have posted none for a while
        wait_until(unread)
        lock.execute("BEGIN EXCLUSIVE")
        if unread():
            break
        lock.execute("ROLLBACK")
    try:
        wait_until(lambda: "The training line does not answer just now" in job.poll().message, timeout=20)
        assert job.poll().status == "training" and "The run goes on" in job.poll().message
        held = len(job.poll().epochs)
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    wait_until(lambda: len(job.poll().epochs) > held + 2 and job.poll().message.startswith("Training on 500 "))
    job.stop()
    progress = finished(job)
    assert progress.status == "stopped" and progress.model is not None


def test_start_on_a_locked_line_file_says_to_press_start_again_and_then_runs(line):
    import sqlite3

    line.db()  # the file exists, as on a server that has trained before
    lock = sqlite3.connect(line.path, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        refused = Job(TrainConfig(epochs=1, **TINY), line=line).start()
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    assert refused.poll().status == "failed"
    assert refused.poll().message.startswith("The training line does not answer just now (database is locked): "
                                             "press Start again in a moment.")
    assert finished(Job(TrainConfig(epochs=1, **TINY), line=line).start()).status == "done"


def test_missing_data_without_network_says_what_to_do(tmp_path, monkeypatch, line):
    # Nothing in tmp_path, every download goes to a closed local port, and no npm on the PATH.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent))
    job = Job(TrainConfig(epochs=1, **TINY), root=tmp_path, line=line).start()  # a trainer started in this env
    progress = finished(job)
    assert progress.status == "failed"
    assert progress.message.startswith(f"Could not get MNIST into {tmp_path / 'MNIST' / 'raw'}")
    assert "Place the four uncompressed IDX files" in progress.message
    assert progress.model is None


@pytest.fixture(autouse=True)
def the_line_is_empty_after_each_test():
    yield
    wait_until(lambda: not hall.line.QUEUE.running() and not hall.line.QUEUE.waiting(), timeout=30)


ORPHAN = """import sys, time
from hall.line import TrainingQueue
line = TrainingQueue(trainers=1, path=sys.argv[1])
line.begin("mnist")  # the trainer starts, loading MNIST first
print(line.trainers[0].process.pid, flush=True)
time.sleep(60)
"""


def test_a_trainer_whose_server_is_killed_while_it_starts_ends_too(tmp_path):
    """A server killed (SIGKILL: no exit handlers) while its trainer still imports torch and loads MNIST: the trainer
    ends by itself once it finds its server gone, rather than live on as an orphan of 900 MB."""
    server = subprocess.Popen([sys.executable, "-c", ORPHAN, str(tmp_path / "training.sqlite3")],
                              stdout=subprocess.PIPE, text=True, cwd=ROOT)
    trainer = int(server.stdout.readline())
    server.kill()
    server.wait()
    wait_until(lambda: not Path(f"/proc/{trainer}").exists() or "Z" in Path(f"/proc/{trainer}/stat").read_text()
               .split()[2], timeout=60)
