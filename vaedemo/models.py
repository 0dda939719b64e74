"""The autoencoder and the variational autoencoder, with the same MLP shape so they compare fairly.

    encoder: 784 -> hidden -> latent_dim        (VAE: -> 2 * latent_dim, the mean and log-variance)
    decoder: latent_dim -> hidden -> 784 logits (decode() applies the sigmoid: Bernoulli means)

References:
- Kingma & Welling, "Auto-Encoding Variational Bayes", 2014 (the reparameterisation trick, appendix B).
- pytorch/examples vae/main.py (the same model family and the same test-set metric).
"""
from dataclasses import dataclass

import torch
from torch import nn

from .losses import elbo, gaussian_kl, reparameterise

PIXELS = 28 * 28


@dataclass(frozen=True)
class ModelConfig:
    kind: str = "vae"  # "ae" or "vae"
    latent_dim: int = 2
    hidden: int = 512

    def __post_init__(self):
        if self.kind not in ("ae", "vae"):
            raise ValueError(f"model kind must be 'ae' or 'vae', not {self.kind!r}")
        if self.latent_dim < 1 or self.hidden < 1:
            raise ValueError("latent size and hidden size must be at least 1")


def mlp(n_in: int, hidden: int, n_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, n_out))


class AutoEncoder(nn.Module):
    kind = "ae"

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        self.latent_dim = config.latent_dim
        self.encoder = mlp(PIXELS, config.hidden, self.code_size)
        self.decoder = mlp(config.latent_dim, config.hidden, PIXELS)

    @property
    def code_size(self) -> int:
        return self.latent_dim

    def encode(self, x):
        return self.encoder(x.flatten(1))  # (N, d)

    def latent_mean(self, x):
        """Where x lands in latent space: the code (AE) or the posterior mean (VAE)."""
        return self.encode(x)

    def decode_logits(self, z):
        return self.decoder(z).view(-1, 1, 28, 28)  # (N, 1, 28, 28)

    def decode(self, z):
        return torch.sigmoid(self.decode_logits(z))

    def sample_latent(self, x):
        """The code the decoder sees for x during training, and the KL term (0 for an AE)."""
        return self.encode(x), x.new_zeros(())

    def loss(self, x, beta: float = 1.0):
        """(loss, recon, kl), each summed over the batch, in nats."""
        z, kl = self.sample_latent(x)
        return elbo(self.decode_logits(z), x, kl, beta)


class VAE(AutoEncoder):
    kind = "vae"

    @property
    def code_size(self) -> int:
        return 2 * self.latent_dim  # mean and log-variance

    def encode(self, x):
        mu, logvar = super().encode(x).chunk(2, dim=1)  # (N, d) each
        return mu, logvar

    def latent_mean(self, x):
        return self.encode(x)[0]

    def sample_latent(self, x):
        mu, logvar = self.encode(x)
        return reparameterise(mu, logvar, torch.randn_like(mu)), gaussian_kl(mu, logvar)


def build_model(config: ModelConfig) -> AutoEncoder:
    return {"ae": AutoEncoder, "vae": VAE}[config.kind](config)
