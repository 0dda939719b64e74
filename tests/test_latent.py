"""The Latent page's pictures (vaedemo/latent.py) on the shipped 2-D VAE and real MNIST test digits."""
import numpy as np
import pytest
import torch

import vaedemo
from tests.harness.server import ROOT
from vaedemo.data import load_test_sample
from vaedemo.latent import LIMIT, manifold_grid, manifold_picture, picked, quantile_lattice


@pytest.fixture(scope="module")
def vae():
    return vaedemo.load_checkpoint(ROOT / "checkpoints" / "vae-2d.safetensors")


@pytest.fixture(scope="module")
def sample(vae):
    images, labels = load_test_sample()
    with torch.inference_mode():
        return images, labels, vae.latent_mean(images)


def test_quantile_lattice_cuts_the_prior_into_equally_likely_slices():
    q = quantile_lattice(15)
    assert torch.allclose(q, -q.flip(0), atol=1e-6)  # symmetric about 0
    assert q[7] == 0 and (q.diff() > 0).all()
    assert torch.allclose(torch.special.ndtr(q), (torch.arange(15) + 0.5) / 15, atol=1e-6)
    assert q[-1] == pytest.approx(1.834, abs=1e-3)  # the 29/30 quantile of N(0, 1)


def test_manifold_grid_decodes_the_lattice_row_by_row_from_the_top_left(vae):
    grid = manifold_grid(vae)
    assert grid.shape == (225, 1, 28, 28) and 0 <= grid.min() and grid.max() <= 1
    q = quantile_lattice(15)
    with torch.inference_mode():
        corners = vae.decode(torch.tensor([[q[0], q[-1]], [q[-1], q[-1]], [q[0], q[0]]]))
    assert torch.allclose(grid[[0, 14, 210]], corners, atol=1e-5)  # top left, top right, bottom left


def red_box(picture):
    rows, cols = np.nonzero((picture[:, :, 0] == 230) & (picture[:, :, 1] == 30))
    return rows.min(), rows.max(), cols.min(), cols.max()


def test_manifold_picture_frames_the_tile_where_z_lies(vae):
    grid = manifold_grid(vae)
    picture = manifold_picture(grid, (0.0, 0.0), scale=2)
    assert picture.shape == (2 * (15 * 29 + 1), 2 * (15 * 29 + 1), 3) and picture.dtype == np.uint8
    top = left = 2 * (1 + 7 * 29)  # the middle tile (7, 7) is z = (0, 0)
    assert red_box(picture) == (top, top + 55, left, left + 55)
    # far out in the tails the frame stops at the picture's edge: z1 high, z2 low is the bottom right
    assert red_box(manifold_picture(grid, (LIMIT, -LIMIT), scale=2)) == (816, 871, 816, 871)
    assert red_box(manifold_picture(grid, (-LIMIT, LIMIT), scale=2)) == (0, 55, 0, 55)


def test_a_pick_chooses_a_test_digits_mean_or_the_point_itself(sample):
    _, _, codes = sample
    row = int(codes.abs().max(1).values.argmin())  # a digit well inside the sliders' range
    z, picked_row = picked({"z": [9.0, 9.0], "row": row}, codes)
    assert picked_row == row and z == pytest.approx(codes[row].tolist())
    assert picked({"z": [1.2, -0.4], "row": None}, codes) == ((1.2, -0.4), None)
    outlier = int(codes[:, 0].argmin())
    assert codes[outlier, 0] < -LIMIT and picked({"z": [0, 0], "row": outlier}, codes)[0][0] == -LIMIT
    assert picked({"z": [30.0, -30.0]}, codes)[0] == (LIMIT, -LIMIT)


@pytest.mark.parametrize("pick", [None, "z", {"z": [1.0]}, {"z": ["a", 1]}, {"z": [float("nan"), 0]},
                                  {"z": [0, 0], "row": 10**6}, {"z": [0, 0], "row": -1}, {"z": [0, 0], "row": 1.5},
                                  {"row": None}])
def test_anything_else_a_browser_sends_picks_nothing(sample, pick):
    assert picked(pick, sample[2]) is None


def test_decoding_a_test_digits_mean_looks_like_that_digit(vae, sample):
    images, labels, codes = sample
    class_means = torch.stack([images[labels == d].mean(0) for d in range(10)]).flatten(1)  # (10, 784)
    with torch.inference_mode():
        decoded = vae.decode(codes).flatten(1)  # (N, 784)
    guess = torch.cdist(decoded, class_means).argmin(1)  # nearest class mean of real digits
    assert (guess == labels).float().mean() > 0.3  # chance is 0.1; a 2-D latent mixes 3, 5 and 8
    for digit in (0, 1):  # clusters of their own in every 2-D VAE we trained
        assert (guess[labels == digit] == digit).float().mean() > 0.75
