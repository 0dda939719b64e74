"""The Compare page's library: prior samples, straight-line interpolation, the maps at one scale, and the
ELBO figures its maths panels show (the trainer's own loss)."""
import math

import pytest
import torch

import vaedemo
from tests.harness.server import ROOT
from vaedemo.compare import (
    checkpoint_figures,
    farthest_from_codes,
    interpolate,
    interpolation,
    prior_samples,
    shared_limit,
)
from vaedemo.data import load_test_sample
from vaedemo.losses import elbo_terms, gaussian_kl, prior_log_density, prior_mass_within


def shipped(kind: str, latent_dim: int):
    return vaedemo.load_checkpoint(ROOT / "checkpoints" / f"{kind}-{latent_dim}d.safetensors")


@pytest.fixture(scope="module")
def sample():
    return load_test_sample()


def first(sample, digit: int) -> torch.Tensor:
    images, labels = sample
    return images[torch.nonzero(labels == digit)[0, 0]][None]  # (1, 1, 28, 28)


def test_prior_samples_are_standard_normal_and_the_same_for_a_seed():
    z = prior_samples(10_000, 2, seed=3)
    assert z.shape == (10_000, 2)
    assert z.mean(0).abs().max() < 0.05 and (z.std(0) - 1).abs().max() < 0.05
    assert torch.equal(prior_samples(64, 2, seed=3), z[:64])  # one stream per seed: reproducible
    assert not torch.equal(prior_samples(64, 2, seed=4), z[:64])


def test_interpolation_runs_evenly_from_one_code_to_the_other():
    start, end = torch.tensor([1.0, -2.0, 0.5]), torch.tensor([-3.0, 2.0, 0.5])
    line = interpolate(start, end, 10)
    assert line.shape == (10, 3)
    assert torch.equal(line[0], start) and torch.allclose(line[-1], end)
    steps = line.diff(dim=0)  # (9, 3)
    assert torch.allclose(steps, (end - start) / 9, atol=1e-6)


@pytest.mark.parametrize("kind, latent_dim", [("ae", 2), ("vae", 2), ("ae", 16), ("vae", 16)])
def test_interpolation_decodes_start_at_one_digit_and_end_at_the_other(sample, kind, latent_dim):
    model = shipped(kind, latent_dim)
    x_start, x_end = first(sample, 7), first(sample, 3)
    row = interpolation(model, x_start, x_end, 10)
    assert row.shape == (10, 1, 28, 28) and 0 <= row.min() and row.max() <= 1
    with torch.inference_mode():
        own = model.decode(model.latent_mean(torch.cat([x_start, x_end])))
    assert torch.allclose(row[0], own[0], atol=1e-5) and torch.allclose(row[-1], own[1], atol=1e-5)
    # The ends look like their digits: each closer (in pixels) to its own digit than to the other one.
    assert (row[0] - x_start).norm() < (row[0] - x_end).norm()
    assert (row[-1] - x_end).norm() < (row[-1] - x_start).norm()


def test_prior_decodes_are_digits_for_the_vae_and_a_few_kinds_for_the_ae(sample):
    """The page's first claim, on the shipped 2-D weights: decoded prior samples of the VAE look like test digits
    of every kind; those of the AE like fewer kinds, and less like digits."""
    images, labels = sample
    z = prior_samples(256, 2, seed=0)
    nearest = {}
    for kind in ("ae", "vae"):
        with torch.inference_mode():
            distances = torch.cdist(shipped(kind, 2).decode(z).flatten(1), images.flatten(1))  # (256, 2000)
        nearest[kind] = (distances.min(1).values.mean().item(), len(labels[distances.argmin(1)].unique()))
    assert nearest["vae"][1] == 10 and nearest["ae"][1] <= 8
    assert nearest["vae"][0] < 0.92 * nearest["ae"][0]


def test_farthest_from_codes_in_units_of_the_codes_spacing():
    # Codes one apart along both axes, an L; the line between its ends passes (5, 5), 5 from the nearest.
    arm = torch.arange(11.0)
    codes = torch.cat([torch.stack([arm, torch.zeros(11)], 1), torch.stack([torch.zeros(10), arm[1:]], 1)])
    assert farthest_from_codes(codes, codes[10], codes[20], steps=11) == pytest.approx(5.0)
    assert farthest_from_codes(codes, codes[0], codes[10], steps=11) == pytest.approx(0.0)
    assert farthest_from_codes(codes * 3, codes[10] * 3, codes[20] * 3, steps=11) == pytest.approx(5.0)  # no unit


def test_shipped_ae_line_strays_further_from_its_codes_than_the_vae_line(sample):
    images, labels = sample
    x = torch.cat([first(sample, 7), first(sample, 3)])
    gap = {}
    for kind in ("ae", "vae"):
        model = shipped(kind, 2)
        with torch.inference_mode():
            codes, ends = model.latent_mean(images), model.latent_mean(x)
        gap[kind] = farthest_from_codes(codes, ends[0], ends[1])
    assert gap["ae"] > 2 * gap["vae"]


def test_maps_share_one_scale_that_holds_the_codes_and_the_prior():
    torch.manual_seed(0)
    wide, narrow = torch.randn(500, 2) * 10, torch.randn(500, 2)
    limit = shared_limit(wide, narrow)
    assert (wide.abs().amax(1) <= limit).float().mean() >= 0.995
    assert shared_limit(narrow * 0.1) == pytest.approx(2.2)  # never less than the prior's 2-sigma circle


def test_elbo_terms_are_the_trainers_loss_for_the_same_noise(sample):
    vae, x = shipped("vae", 2), first(sample, 7)
    torch.manual_seed(5)
    with torch.inference_mode():
        loss, recon, kl = vae.loss(x)  # what training and `evaluate` compute
    torch.manual_seed(5)
    eps = torch.randn(1, 2)  # the noise VAE.loss drew
    terms = elbo_terms(vae, x, eps)
    assert terms.recon == pytest.approx(recon.item(), rel=1e-6) and terms.kl == pytest.approx(kl.item(), rel=1e-6)
    assert terms.elbo == pytest.approx(-loss.item(), rel=1e-6)
    with torch.inference_mode():
        mu, logvar = vae.encode(x)
    assert torch.allclose(terms.mu, mu[0]) and torch.allclose(terms.sigma ** 2, logvar[0].exp())
    assert torch.allclose(terms.z, mu[0] + terms.sigma * eps[0])
    assert terms.kl == pytest.approx(gaussian_kl(mu, logvar).item())
    assert 50 < terms.recon < 300 and 0 < terms.kl < 30  # nats, as for the test set (142 and 6.3 on average)


def test_prior_density_and_mass_by_hand():
    assert prior_log_density([1.0, 2.0]) == pytest.approx(-2.5 - math.log(2 * math.pi))
    assert prior_log_density(torch.zeros(16)) == pytest.approx(-8 * math.log(2 * math.pi))
    assert prior_mass_within([0.0, 1.0]) == pytest.approx(1 - math.exp(-0.5))  # 2-D: 1 - exp(-r^2 / 2)
    assert prior_mass_within([0.0, 2.0]) == pytest.approx(0.8647, abs=1e-4)
    assert prior_mass_within([1.0]) == pytest.approx(0.6827, abs=1e-4)  # 1-D: the 1-sigma interval


def test_beta_vaes_trade_reconstruction_for_kl_as_their_checkpoints_say():
    figures = {beta: checkpoint_figures(vaedemo.load_checkpoint(ROOT / "checkpoints" / name)) for beta, name in
               ((0.5, "vae-2d-beta0.5.safetensors"), (1, "vae-2d.safetensors"), (4, "vae-2d-beta4.safetensors"))}
    for f in figures.values():
        assert f["-ELBO"] == pytest.approx(f["reconstruction"] + f["KL"])
    assert figures[0.5]["KL"] > figures[1]["KL"] > figures[4]["KL"]
    assert figures[4]["reconstruction"] > max(figures[0.5]["reconstruction"], figures[1]["reconstruction"]) + 1.5
