"""The loss maths against hand computations (the seed blog got these wrong)."""
import math

import torch

from vaedemo.losses import elbo, gaussian_kl
from vaedemo.models import ModelConfig, build_model


def test_bce_is_summed_over_pixels_from_logits():
    logits = torch.tensor([[2.0, -1.0, 0.0]])
    x = torch.tensor([[1.0, 0.25, 0.5]])  # grey targets, not binarised
    p = [1 / (1 + math.exp(-v)) for v in (2.0, -1.0, 0.0)]
    by_hand = -sum(t * math.log(q) + (1 - t) * math.log(1 - q) for t, q in zip((1.0, 0.25, 0.5), p))
    loss, recon, kl = elbo(logits, x, torch.tensor(0.0))
    assert math.isclose(recon.item(), by_hand, rel_tol=1e-6)
    assert math.isclose(loss.item(), by_hand, rel_tol=1e-6)


def test_kl_is_the_closed_form_with_log_variance():
    mu = torch.tensor([[0.5, -1.0]])
    logvar = torch.tensor([[0.0, math.log(4.0)]])  # variances 1 and 4
    by_hand = 0.5 * ((1 + 0.25 - 1 - 0) + (4 + 1 - 1 - math.log(4)))
    assert math.isclose(gaussian_kl(mu, logvar).item(), by_hand, rel_tol=1e-6)
    assert gaussian_kl(torch.zeros(3, 5), torch.zeros(3, 5)).item() == 0  # the prior itself


def test_beta_weights_only_the_kl():
    logits, x, kl = torch.zeros(1, 4), torch.full((1, 4), 0.5), torch.tensor(3.0)
    loss, recon, _ = elbo(logits, x, kl, beta=4.0)
    assert math.isclose(loss.item(), recon.item() + 12.0, rel_tol=1e-6)


def test_vae_loss_matches_a_hand_computed_forward_pass():
    torch.manual_seed(0)
    model = build_model(ModelConfig("vae", latent_dim=3, hidden=8))
    x = torch.rand(2, 1, 28, 28)
    torch.manual_seed(1)
    loss, recon, kl = model.loss(x, beta=2.0)

    torch.manual_seed(1)
    h = model.encoder(x.view(2, 784))
    mu, logvar = h[:, :3], h[:, 3:]
    z = mu + torch.randn_like(mu) * torch.sqrt(torch.exp(logvar))  # sigma = sqrt(variance)
    p = torch.sigmoid(model.decoder(z))
    recon_by_hand = -(x.view(2, 784) * torch.log(p) + (1 - x.view(2, 784)) * torch.log(1 - p)).sum()
    kl_by_hand = 0.5 * (torch.exp(logvar) + mu**2 - 1 - logvar).sum()
    assert torch.allclose(recon, recon_by_hand, rtol=1e-4)
    assert torch.allclose(kl, kl_by_hand, rtol=1e-5)
    assert torch.allclose(loss, recon_by_hand + 2.0 * kl_by_hand, rtol=1e-4)


def test_autoencoder_loss_is_reconstruction_only():
    model = build_model(ModelConfig("ae", latent_dim=2, hidden=8))
    x = torch.rand(4, 1, 28, 28)
    loss, recon, kl = model.loss(x, beta=5.0)
    assert kl.item() == 0 and torch.equal(loss, recon)
