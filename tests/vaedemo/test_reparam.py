"""The reparameterisation trick's maths (vaedemo.losses), checked by hand on a tiny VAE whose every number is known:
the noise eps, sigma = exp(logvar / 2), z = mu + sigma * eps, the decoder's x_hat of z and the sample's ELBO terms."""
import math

import pytest
import torch

from vaedemo.losses import elbo_terms, posterior_noise, reparameterise
from vaedemo.models import ModelConfig, build_model


def test_reparameterise_by_hand():
    mu, logvar, eps = torch.tensor([1.0, -2.0]), torch.tensor([0.0, math.log(4.0)]), torch.tensor([0.5, -1.0])
    assert reparameterise(mu, logvar, eps).tolist() == pytest.approx([1.0 + 1.0 * 0.5, -2.0 + 2.0 * -1.0])


def test_posterior_noise_is_one_draw_per_seed_whatever_else_was_drawn():
    eps = posterior_noise(16, 3)
    assert eps.shape == (1, 16)
    torch.manual_seed(123)
    torch.randn(1000)  # the global generator moves; the seeded noise must not
    assert torch.equal(posterior_noise(16, 3), eps)
    assert not torch.equal(posterior_noise(16, 4), eps)
    # seed 0 is the noise the ELBO panel drew before the session had its own: the same numbers
    assert torch.equal(posterior_noise(2, 0), torch.randn(1, 2, generator=torch.Generator().manual_seed(0)))
    many = torch.cat([posterior_noise(2, seed) for seed in range(2000)])  # (2000, 2): N(0, I)
    assert many.mean(0).abs().max() < 0.1 and (many.std(0) - 1).abs().max() < 0.1


@pytest.fixture
def tiny_vae():
    """A 2-D VAE with one hidden unit whose encoder ignores x: mu = (0.5, -1), log sigma^2 = (log 0.25, 0); its
    decoder's one hidden unit is relu(z1 + z2), and every pixel's logit that unit minus 2."""
    vae = build_model(ModelConfig(kind="vae", latent_dim=2, hidden=1))
    with torch.no_grad():
        for layer in (*vae.encoder, *vae.decoder):
            for weight in layer.parameters():
                weight.zero_()
        vae.encoder[2].bias.copy_(torch.tensor([0.5, -1.0, math.log(0.25), 0.0]))
        vae.decoder[0].weight.fill_(1.0)
        vae.decoder[2].weight.fill_(1.0)
        vae.decoder[2].bias.fill_(-2.0)
    return vae.eval()


def test_the_path_of_a_tiny_vae_by_hand(tiny_vae):
    x = torch.full((1, 1, 28, 28), 0.5)
    terms = elbo_terms(tiny_vae, x, torch.tensor([[2.0, 3.0]]))
    assert terms.mu.tolist() == pytest.approx([0.5, -1.0])
    assert terms.logvar.tolist() == pytest.approx([math.log(0.25), 0.0])
    assert terms.sigma.tolist() == pytest.approx([0.5, 1.0])
    assert terms.eps.tolist() == [2.0, 3.0]
    assert terms.z.tolist() == pytest.approx([0.5 + 0.5 * 2.0, -1.0 + 1.0 * 3.0])  # (1.5, 2)
    logit = (1.5 + 2.0) - 2.0  # relu(z1 + z2) - 2
    assert terms.x_hat.shape == (1, 28, 28)
    assert terms.x_hat.flatten().tolist() == pytest.approx([1 / (1 + math.exp(-logit))] * 784)
    # a pixel's Bernoulli cross-entropy against 0.5 is softplus(logit) - 0.5 logit; the KL by its formula
    assert terms.recon == pytest.approx(784 * (math.log1p(math.exp(logit)) - 0.5 * logit), rel=1e-5)
    kl = 0.5 * ((0.25 + 0.25 - 1 - math.log(0.25)) + (1 + 1 - 1 - 0))
    assert terms.kl == pytest.approx(kl, rel=1e-5)
    assert terms.elbo == pytest.approx(-(terms.recon + kl), rel=1e-5)


def test_the_same_eps_moves_z_only_through_mu_and_sigma(tiny_vae):
    """With eps held fixed, a change of the encoder's outputs moves z by exactly the change of mu + sigma * eps."""
    eps = torch.tensor([[1.0, -0.5]])
    x = torch.zeros(1, 1, 28, 28)
    before = elbo_terms(tiny_vae, x, eps)
    with torch.no_grad():
        tiny_vae.encoder[2].bias.add_(torch.tensor([0.25, 0.0, 0.0, math.log(4.0)]))  # mu1 + 0.25, sigma2 x 2
    after = elbo_terms(tiny_vae, x, eps)
    assert torch.equal(after.eps, before.eps)
    assert (after.z - before.z).tolist() == pytest.approx([0.25, (2.0 - 1.0) * -0.5])
