"""What a training run reports while it trains (fit()'s callback, in the trainer process): step figures, and every
epoch the pictures (test digits, their reconstructions, a VAE's prior samples) and the map of the test sample's
codes."""
import time

import numpy as np
import torch

from vaedemo.data import load_test_sample
from vaedemo.models import AutoEncoder
from vaedemo.train import TrainConfig
from vaedemo.viz import image_grid, latent_plane

STEP_EVERY_S = 0.25  # at most this often a step's figures go to the server
EPOCH_TEST_IMAGES = 2_000  # a run's epochs before its last are tested on this many test images, its last on all of
# them: on all, a class run's three tests cost as much as its training (docs/benchmarks.md)


def reporter(messages, config: TrainConfig, test: tuple) -> "Reporter":
    """fit()'s callback, with one test image of each class for the pictures and the shipped sample for the map."""
    test_x, test_labels = test
    picks = torch.stack([torch.nonzero(test_labels == digit)[0, 0] for digit in range(10)])
    return Reporter(messages, test_x[picks], load_test_sample(config.dataset))


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
