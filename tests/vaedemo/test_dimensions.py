"""What each dimension means (vaedemo.latent.traversal) on the shipped 16-D VAEs and real test digits: a row per
dimension, each moving that dimension alone; a dimension the model uses changes the picture, an unused one does not."""
import copy

import pytest
import torch

import vaedemo
from tests.harness.server import ROOT
from vaedemo.data import load_test_sample
from vaedemo.evaluate import ACTIVE_KL, kl_per_dimension
from vaedemo.latent import traversal


@pytest.fixture(scope="module")
def images():
    return load_test_sample()[0]


@pytest.fixture(scope="module")
def vae():
    return vaedemo.load_checkpoint(ROOT / "checkpoints" / "vae-16d.safetensors")


def code_of(model, x) -> torch.Tensor:
    with torch.inference_mode():
        return model.latent_mean(x)[0]  # (d,)


def test_each_row_moves_one_dimension_from_three_below_its_code_to_three_above(vae, images):
    z = code_of(vae, images[:1])
    rows = traversal(vae, z)
    assert rows.shape == (16, 7, 1, 28, 28) and 0 <= rows.min() and rows.max() <= 1
    assert torch.equal(traversal(vae, z[None]), rows)  # a (1, d) code too
    with torch.inference_mode():
        for i, k in ((0, 0), (5, 6), (15, 2)):
            moved = z.clone()
            moved[i] += k - 3  # steps at -3, -2, ..., +3
            assert torch.allclose(rows[i, k], vae.decode(moved[None])[0], atol=1e-6)
        assert torch.allclose(rows[:, 3], vae.decode(z[None]).expand(16, 1, 28, 28), atol=1e-6)  # the code itself
    assert traversal(vae, z, steps=5, span=1.0).shape == (16, 5, 1, 28, 28)


def change_along(rows: torch.Tensor) -> torch.Tensor:
    """Each row's largest change of a pixel from its middle picture (the code itself): (d,)."""
    middle = rows.shape[1] // 2
    return (rows - rows[:, middle : middle + 1]).abs().amax(dim=(1, 2, 3, 4))


def test_a_dimension_the_shipped_conv_vae_uses_changes_the_picture_and_an_unused_one_does_not(images):
    vae = vaedemo.load_checkpoint(ROOT / "checkpoints" / "conv-vae-16d.safetensors")
    kl = kl_per_dimension(vae, images)  # it left three of its 16 dimensions on the prior (KL 0.00 nats)
    used, unused = kl > 0.5, kl < ACTIVE_KL
    assert unused.sum() >= 1 and used.sum() >= 8
    for x in (images[:1], images[7:8]):
        change = change_along(traversal(vae, code_of(vae, x)))
        assert change[used].min() > 0.3, "a used dimension redraws strokes"
        assert change[unused].max() < 0.05, "an unused one moves no pixel by more than a twentieth"


def test_a_dimension_the_decoder_ignores_draws_one_picture_all_along_its_row(vae, images):
    ignored = copy.deepcopy(vae)
    with torch.no_grad():
        ignored.decoder[0].weight[:, 4] = 0  # the first layer no longer reads z5
    change = change_along(traversal(ignored, code_of(vae, images[:1])))
    assert change[4] == 0 and (change[torch.arange(16) != 4] > 0.05).all()
