"""The Latent page's pictures (vaedemo/latent.py) on the shipped 2-D VAE and real MNIST test digits."""
import numpy as np
import pytest
import torch

import vaedemo
from tests.harness.server import ROOT
from vaedemo.data import load_test_sample
from vaedemo.latent import HOLE, LIMIT, manifold_grid, manifold_picture, picked, prior_holes, quantile_lattice


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


def test_one_posterior_at_the_origin_of_unit_variance_is_the_prior_itself():
    holes = prior_holes(torch.zeros(1, 2), torch.zeros(1, 2), extent=3.0, cells=12)
    assert torch.allclose(holes.aggregate, holes.prior) and holes.hole_share() == 0
    # the cell just up and right of the origin, [0, 0.5]²: (Φ(0.5) - 1/2)² over its area 0.25, by hand
    assert holes.prior[5, 6].item() == pytest.approx((0.691462 - 0.5) ** 2 / 0.25, rel=1e-5)


def test_the_aggregate_posterior_is_each_cells_mean_of_the_mixtures_density():
    """Against the mixture's density summed point by point on a fine lattice of each cell (40x40 midpoints): codes
    placed anywhere, posteriors wide and narrow, one off the grid's edge."""
    generator = torch.Generator().manual_seed(0)
    mu = torch.rand(30, 2, generator=generator) * 5 - 2.5  # (30, 2)
    mu[0] = torch.tensor([2.9, -2.9])  # its posterior spills over the grid's corner
    logvar = 2 * torch.log(torch.rand(30, 2, generator=generator) * 0.5 + 0.1)  # σ from 0.1 to 0.6
    holes = prior_holes(mu, logvar, extent=3.0, cells=24)
    h = 6.0 / 24
    fine = torch.linspace(-3 + h / 80, 3 - h / 80, 960, dtype=torch.float64)  # (960,): 40 midpoints per cell
    normal = torch.distributions.Normal(mu.double(), (0.5 * logvar.double()).exp())
    along = normal.log_prob(fine[:, None, None]).exp()  # (960, 30, 2): each posterior's density along each axis
    density = along[:, :, 1].flip(0) @ along[:, :, 0].T / len(mu)  # (960, 960): the mixture, rows from the top
    assert torch.allclose(holes.aggregate, density.reshape(24, 40, 24, 40).mean((1, 3)), rtol=1e-3, atol=1e-9)
    standard = torch.distributions.Normal(0.0, 1.0).log_prob(fine).exp()  # (960,)
    prior = torch.outer(standard, standard).reshape(24, 40, 24, 40).mean((1, 3))
    assert torch.allclose(holes.prior, prior, rtol=1e-3, atol=1e-9)
    assert holes.aggregate[-1, -1] > 100 * holes.aggregate[0, 0]  # code 0 is at the bottom right, not the top left


def test_the_shipped_vaes_aggregate_posterior_is_where_its_test_codes_lie(vae, sample):
    """Its posteriors are narrower than a cell, so each cell's density is the share of the test codes in it over the
    cell's area: a histogram of the codes, rows from the top. And the hole share is the share of prior samples that
    land in a hole."""
    images = sample[0]
    with torch.inference_mode():
        mu, logvar = vae.encode(images)
    holes = prior_holes(mu, logvar)
    h = 12 / 80
    counts, _, _ = np.histogram2d(mu[:, 1].numpy(), mu[:, 0].numpy(), bins=80, range=[[-6, 6], [-6, 6]])
    shares = np.flipud(counts) / len(mu)  # (80, 80): rows from the top
    masses = holes.aggregate.numpy() * h * h
    assert np.abs(masses - shares).sum() / 2 < 0.15  # total variation: codes near a cell's edge spill into the next
    blocks = [m.reshape(20, 4, 20, 4).sum((1, 3)) for m in (masses, shares)]  # cells 0.6 wide: less edge to spill over
    assert np.abs(blocks[0] - blocks[1]).sum() / 2 < 0.05
    assert holes.aggregate.sum().item() * h * h == pytest.approx(1, abs=1e-3)
    z = torch.randn(100_000, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    row, column = ((6 - z[:, 1]) / h).long().clamp(0, 79), ((z[:, 0] + 6) / h).long().clamp(0, 79)
    in_a_hole = holes.aggregate[row, column] < HOLE * holes.prior[row, column]
    assert holes.hole_share() == pytest.approx(in_a_hole.double().mean().item(), abs=0.005)
    assert 0.2 < holes.hole_share() < 0.6  # the shipped VAE-2D leaves most of the prior's lower half empty
