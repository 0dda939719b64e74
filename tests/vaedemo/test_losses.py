"""The loss maths against hand computations (the seed blog got these wrong)."""
import math

import torch
import torch.nn.functional as F

from vaedemo.losses import elbo, gaussian_kl, importance_weighted
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


def log_sigmoid(v: float) -> float:
    return -math.log1p(math.exp(-v)) if v > 0 else v - math.log1p(math.exp(v))


def tiny_vae_by_hand(model, x):
    """The 1-D VAE's encoder and decoder written out with plain floats: x (784,) -> (mu, logvar), and
    z -> log p(x | z), the Bernoulli log-likelihood summed over the pixels."""
    w = {name: t.double().tolist() for name, t in model.state_dict().items()}
    h = [
        max(0.0, sum(wi * xi for wi, xi in zip(row, x)) + b)
        for row, b in zip(w["encoder.0.weight"], w["encoder.0.bias"])
    ]
    mu, logvar = (
        sum(wi * hi for wi, hi in zip(row, h)) + b for row, b in zip(w["encoder.2.weight"], w["encoder.2.bias"])
    )

    def log_px_given(z):
        g = [max(0.0, row[0] * z + b) for row, b in zip(w["decoder.0.weight"], w["decoder.0.bias"])]
        logits = [
            sum(wi * gi for wi, gi in zip(row, g)) + b for row, b in zip(w["decoder.2.weight"], w["decoder.2.bias"])
        ]
        return sum(t * log_sigmoid(logit) + (1 - t) * log_sigmoid(-logit) for t, logit in zip(x, logits))

    return mu, logvar, log_px_given


def log_normal(z: float, mean: float, var: float) -> float:
    return -0.5 * ((z - mean) ** 2 / var + math.log(2 * math.pi * var))


def test_importance_weighted_estimate_by_hand_on_a_tiny_vae():
    """Burda et al. (2016), eq. 8, with K = 3 samples: log p(x) ~ log (1/K) sum_k p(x|z_k) p(z_k) / q(z_k|x)."""
    torch.manual_seed(0)
    model = build_model(ModelConfig("vae", latent_dim=1, hidden=2))
    x = torch.rand(1, 1, 28, 28)
    eps = torch.tensor([[[0.3]], [[-1.2]], [[2.0]]])  # (K=3, N=1, d=1)
    mu, logvar, log_px_given = tiny_vae_by_hand(model, x.flatten().double().tolist())
    var = math.exp(logvar)
    log_w = []
    for e in (0.3, -1.2, 2.0):
        z = mu + math.sqrt(var) * e
        log_w.append(log_px_given(z) + log_normal(z, 0, 1) - log_normal(z, mu, var))
    top = max(log_w)
    log_px_by_hand = top + math.log(sum(math.exp(v - top) for v in log_w) / 3)

    elbo_estimate, log_px = importance_weighted(model, x, eps)
    assert elbo_estimate.shape == log_px.shape == (1,)
    assert math.isclose(log_px.item(), log_px_by_hand, rel_tol=1e-5)
    assert math.isclose(elbo_estimate.item(), sum(log_w) / 3, rel_tol=1e-5)
    assert elbo_estimate.item() < log_px.item()  # Jensen: the mean of the logs is below the log of the mean


def test_importance_weighted_estimate_reaches_log_p_x_by_quadrature():
    """With a 1-D latent, log p(x) = log of the integral of p(x | z) p(z) dz can be summed on a fine grid of z:
    the estimate with many samples lands on it, and the ELBO lies below it by the gap KL(q(z|x) || p(z|x))."""
    torch.manual_seed(1)
    model = build_model(ModelConfig("vae", latent_dim=1, hidden=4))
    x = torch.rand(2, 1, 28, 28)
    grid = torch.linspace(-12, 12, 24_001)  # (G,)
    with torch.inference_mode():
        logits = model.decode_logits(grid[:, None]).flatten(1).double()  # (G, 784)
        log_px_z = torch.stack([-F.binary_cross_entropy_with_logits(logits, image.double().expand_as(logits),
                                                                    reduction="none").sum(1)
                                for image in x.flatten(1)], dim=1)  # (G, 2)
    log_joint = log_px_z + torch.distributions.Normal(0.0, 1.0).log_prob(grid.double())[:, None]
    exact = torch.logsumexp(log_joint, 0) + math.log(grid[1] - grid[0])  # (2,)
    elbo_estimate, log_px = importance_weighted(
        model, x, torch.randn(20_000, 2, 1, generator=torch.Generator().manual_seed(2))
    )
    assert torch.allclose(log_px.double(), exact, atol=0.02)
    assert (elbo_estimate.double() < exact).all()
