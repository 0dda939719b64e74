"""AppTest's side of the app: a drawing put on the canvas (AppTest cannot draw on a component), the app opened on a
page, a button by its label, and a training run seen at one moment."""
import json
from dataclasses import replace

import numpy as np
import torch
from streamlit.testing.v1 import AppTest

from hall.line import Job
from tests.harness.server import ROOT
from vaedemo.data import load_test_sample


def seven_on_canvas() -> np.ndarray:
    """A test-set 7, enlarged ten times, white on an opaque black 280x280 canvas."""
    return digit_on_canvas(7)


def digit_on_canvas(digit: int) -> np.ndarray:
    """The first test-set image of this digit, enlarged ten times, white on an opaque black 280x280 canvas."""
    images, labels = load_test_sample()
    grey = (images[torch.nonzero(labels == digit)[0, 0], 0] * 255).to(torch.uint8).numpy()  # (28, 28)
    canvas = np.zeros((280, 280, 4), dtype=np.uint8)
    canvas[..., :3] = grey.repeat(10, 0).repeat(10, 1)[..., None]
    canvas[..., 3] = 255
    return canvas


def open_page(page: str | None = None, timeout: int = 120) -> AppTest:
    """The app run once, then switched to page (its path, "webapp/views/train.py"), without an exception."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception
    return at


def button(at, label):
    [found] = [b for b in at.button if b.label == label]
    return found


class Moment:
    """A job seen at one moment of its run: its real progress, changed (AppTest fires no timers)."""

    def __init__(self, job: Job, **changes):
        self.config, self.progress = job.config, replace(job.poll(), **changes)

    def poll(self):
        return self.progress

    def stop(self):
        pass


def train_page() -> AppTest:
    return open_page("webapp/views/train.py")


def answer_parts(at, part: str) -> list[dict]:
    """The data of each answer's part of this name on the page (components/answer.py: "pictures", "reparam" or
    "maths"), in order: what the browser computes from (AppTest cannot run it)."""
    from tests.harness.latent_maps import elements

    return [data for e in elements(at, "vaedemo.answer") if (data := json.loads(e.proto.json))["part"] == part]
