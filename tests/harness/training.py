"""Real training runs for tests: tiny ones, waited for as the page polls them."""
import time

from hall.line import Job, Progress
from vaedemo.train import TrainConfig

TINY = dict(hidden=32, train_size=500, batch_size=100)
LONG = dict(TINY, epochs=1000)  # a run that goes on until it is stopped (a tiny epoch takes 10 ms or more)
WAIT = 240  # s: each child imports torch, on two cores shared with other tests


def wait_until(condition, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def finished(job: Job) -> Progress:
    """Poll the job as the page does, until it ends."""
    wait_until(lambda: not job.poll().active)
    job.thread.join(30)
    return job.poll()


def trained(**config) -> Job:
    """A real training run of a tiny VAE, to its end."""
    job = Job(TrainConfig(hidden=32, batch_size=100, **config)).start()
    progress = finished(job)
    assert progress.status == "done", progress.message
    return job
