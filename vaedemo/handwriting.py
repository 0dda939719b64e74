"""A room's own handwriting: the shipped VAE-2D fine-tuned on a room's drawings, and how much more likely the drawings
are under it.

Why fine-tune rather than train afresh: a room has 50 to a few hundred drawings. A fresh VAE on so few learns them
by heart in a few epochs (its -log p(x) on them falls while its map turns into a scatter no test digit fits), and its
map has a layout of its own, which a class cannot compare with the one it has watched all lecture. A copy of the
shipped VAE-2D, trained a few epochs more on the drawings at a small learning rate, starts from MNIST's layout and
moves it towards the room's strokes: the same clusters, shifted where the room writes differently, and a likelihood
that says how much of the room's style MNIST did not have.

The two figures are the importance-weighted estimate of -log p(x) (Burda et al. 2016; vaedemo.evaluate) over the
drawings, under the shipped model and under the room's, with the same samples: the difference is what the room's
handwriting costs a model that learned MNIST's, in nats per drawing. Both are measured on the drawings the room's
model learned from, so the difference also holds what it learned by heart of these very drawings: few epochs and a
small learning rate keep that part small (tests/vaedemo/test_handwriting.py).
"""
from dataclasses import dataclass, replace

import torch

from .evaluate import importance_weighted_nll
from .models import AutoEncoder
from .train import FitResult, TrainConfig, fit

MIN_DRAWINGS = 50  # fewer drawings than this teach a model nothing a class could see
EPOCHS = 8
BATCH_SIZE = 32
LR = 1e-3  # the shipped VAE-2D's own learning rate: enough to move its map, not to tear it
SAMPLES = 20  # importance samples per drawing: within a nat or so of 100 on a 2-D VAE, five times cheaper


@dataclass
class Learned:
    """What a room's run learned: its model, -log p(x) over the drawings (nats per drawing) under the shipped model
    and under the room's, and the drawings' codes (posterior means) on each model's map, (N, 2) each."""
    model: AutoEncoder
    nll_shipped: float
    nll_room: float
    codes_shipped: torch.Tensor
    codes_room: torch.Tensor


def room_config(shipped: AutoEncoder, drawings: int, seed: int = 0) -> TrainConfig:
    """The run that fine-tunes the shipped model on a room's drawings: the shipped model's shape, EPOCHS epochs."""
    shape = shipped.config
    return TrainConfig(kind=shape.kind, latent_dim=shape.latent_dim, hidden=shape.hidden, arch=shape.arch,
                       channels=shape.channels, weights=shape.weights, epochs=EPOCHS, batch_size=BATCH_SIZE, lr=LR,
                       seed=seed, train_size=drawings, precision="fp32")


def learn_handwriting(shipped: AutoEncoder, drawings: torch.Tensor, config: TrainConfig | None = None, callback=None,
                      stop=None) -> tuple[FitResult, Learned | None]:
    """Fine-tune a copy of the shipped VAE on the drawings (N, 1, 28, 28) in [0, 1] (room_config unless config says
    otherwise) and measure both models on them. The fit's result, and what was learned (None when the run was stopped
    or diverged before its end)."""
    if len(drawings) < MIN_DRAWINGS:
        raise ValueError(f"a room's handwriting needs {MIN_DRAWINGS} drawings at least, not {len(drawings)}")
    config = replace(config or room_config(shipped, len(drawings)), train_size=len(drawings))
    result = fit(config, drawings, callback=callback, stop=stop, start=shipped)
    if result.stopped or result.diverged:
        return result, None
    model = result.model.eval()
    with torch.inference_mode():
        nlls = [importance_weighted_nll(m, drawings, samples=SAMPLES) for m in (shipped, model)]
        codes = [m.latent_mean(drawings) for m in (shipped, model)]
    return result, Learned(model, *nlls, *codes)
