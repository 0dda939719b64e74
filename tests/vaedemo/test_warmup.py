"""Posterior collapse and KL warm-up: the KL weight of each training step, and the active units (latent
dimensions whose mean KL per image is above 0.01 nats), against hand computations on tiny cases."""
import math

import pytest
import torch

from vaedemo.evaluate import active_units, evaluate, kl_per_dimension
from vaedemo.models import ModelConfig, build_model
from vaedemo.train import TrainConfig, fit


def test_the_kl_weight_rises_linearly_over_the_warm_up_epochs():
    config = TrainConfig(epochs=3, kl_warmup=2, beta=2.0, batch_size=16)
    assert config.steps_per_epoch(64) == 4
    weights = [config.kl_weight(step, 64) for step in range(12)]
    assert weights == pytest.approx([0, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2, 2, 2])  # 2 * min(1, step / 8)
    assert TrainConfig(beta=0.5).kl_weight(0, 64) == 0.5  # no warm-up: beta from the first step


def test_fit_trains_each_step_on_its_warmed_up_weight():
    torch.manual_seed(0)
    images = torch.rand(64, 1, 28, 28)
    steps = []
    config = TrainConfig(latent_dim=2, hidden=8, epochs=3, batch_size=16, beta=2.0, kl_warmup=2, threads=1)
    fit(
        config,
        images,
        callback=lambda step, epoch, figures: steps.append(figures) if figures["event"] == "step" else None,
    )
    assert [s["beta"] for s in steps] == pytest.approx([2 * min(1, step / 8) for step in range(12)])
    for s in steps:
        assert math.isclose(s["train_loss"], s["train_recon"] + s["beta"] * s["train_kl"], rel_tol=1e-5)


def test_a_bad_warm_up_is_refused():
    with pytest.raises(ValueError, match="invalid KL warm-up"):
        TrainConfig(kl_warmup=-1)


def vae_with_posterior(mu: list, logvar: list):
    """A 3-D VAE whose encoder ignores its input: q(z | x) = N(mu, exp(logvar)) for every image."""
    vae = build_model(ModelConfig("vae", latent_dim=3, hidden=4))
    with torch.no_grad():
        vae.encoder[2].weight.zero_()
        vae.encoder[2].bias.copy_(torch.tensor(mu + logvar))
    return vae


def test_active_units_by_hand():
    # KL of N(m, v) from N(0, 1) = (m^2 + v - 1 - log v) / 2 for each dimension:
    # (1 + 1 - 1 - 0) / 2 = 0.5, (0.01 + 1 - 1 - 0) / 2 = 0.005 and (0 + 0.5 - 1 - log 0.5) / 2 = 0.0966
    vae = vae_with_posterior([1.0, 0.1, 0.0], [0.0, 0.0, math.log(0.5)])
    images = torch.rand(5, 1, 28, 28)
    kl = kl_per_dimension(vae, images, batch_size=2)
    assert kl.tolist() == pytest.approx([0.5, 0.005, (0.5 - 1 - math.log(0.5)) / 2], rel=1e-5)
    assert active_units(kl) == 2  # the second dimension's 0.005 nats is under the 0.01 threshold
    assert evaluate(vae, images)["active_units"] == 2
    assert evaluate(vae, images)["test_kl"] == pytest.approx(kl.sum().item(), rel=1e-5)
    assert "active_units" not in evaluate(build_model(ModelConfig("ae", 2, 4)), images)
