"""The autoencoder, the variational autoencoder and the conditional VAE, with the same MLP shape so they compare
fairly.

    encoder: 784 -> hidden -> latent_dim        (VAE: -> 2 * latent_dim, the mean and log-variance)
    decoder: latent_dim -> hidden -> 784 logits (decode() applies the sigmoid: Bernoulli means)
    arch "conv" (AE and VAE): two stride-2 4x4 convolutions 1 -> 32 -> 64 channels (28 -> 14 -> 7 pixels)
          before the hidden layer, mirrored by two transposed convolutions in the decoder
    CVAE: the label y as a one-hot vector of 10 appended to the encoder's input and to the decoder's code,
          q(z | x, y) and p(x | z, y): z keeps only what the label does not say, the style

References:
- Kingma & Welling, "Auto-Encoding Variational Bayes", 2014 (the reparameterisation trick, appendix B).
- Sohn, Lee & Yan, "Learning Structured Output Representation using Deep Conditional Generative Models", 2015;
  Kingma, Rezende, Mohamed & Welling, "Semi-Supervised Learning with Deep Generative Models", 2014 (M2).
- pytorch/examples vae/main.py (the same model family and the same test-set metric).
"""
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .losses import elbo, gaussian_kl, reparameterise

PIXELS = 28 * 28
CLASSES = 10  # the labels a CVAE is conditioned on


@dataclass(frozen=True)
class ModelConfig:
    kind: str = "vae"  # "ae", "vae" or "cvae"
    latent_dim: int = 2
    hidden: int = 512
    arch: str = "mlp"  # "mlp" or "conv" (AE and VAE only)

    def __post_init__(self):
        if self.kind not in ("ae", "vae", "cvae"):
            raise ValueError(f"model kind must be 'ae', 'vae' or 'cvae', not {self.kind!r}")
        if self.arch not in ("mlp", "conv"):
            raise ValueError(f"architecture must be 'mlp' or 'conv', not {self.arch!r}")
        if self.arch == "conv" and self.kind == "cvae":
            raise ValueError("the conv architecture is for the AE and the VAE; the CVAE is an MLP")
        if self.latent_dim < 1 or self.hidden < 1:
            raise ValueError("latent size and hidden size must be at least 1")


def mlp(n_in: int, hidden: int, n_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, n_out))


def conv_encoder(hidden: int, n_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, 32, 4, stride=2, padding=1), nn.ReLU(),  # (N, 32, 14, 14)
        nn.Conv2d(32, 64, 4, stride=2, padding=1), nn.ReLU(),  # (N, 64, 7, 7)
        nn.Flatten(), nn.Linear(64 * 7 * 7, hidden), nn.ReLU(), nn.Linear(hidden, n_out))  # (N, n_out)


def conv_decoder(n_in: int, hidden: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, 64 * 7 * 7), nn.ReLU(), nn.Unflatten(1, (64, 7, 7)),
        nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1), nn.ReLU(),  # (N, 32, 14, 14)
        nn.ConvTranspose2d(32, 1, 4, stride=2, padding=1))  # (N, 1, 28, 28) logits


class AutoEncoder(nn.Module):
    """The methods below pass `*condition` on to encode and decode_logits: nothing for an AE or a VAE, the
    labels y for a CVAE."""
    kind = "ae"
    condition_size = 0  # inputs the label adds to the encoder and the decoder (CVAE: its one-hot vector)

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        self.latent_dim = config.latent_dim
        if config.arch == "conv":
            self.encoder = conv_encoder(config.hidden, self.code_size)
            self.decoder = conv_decoder(config.latent_dim, config.hidden)
        else:
            self.encoder = mlp(PIXELS + self.condition_size, config.hidden, self.code_size)
            self.decoder = mlp(config.latent_dim + self.condition_size, config.hidden, PIXELS)

    @property
    def code_size(self) -> int:
        return self.latent_dim

    def encode(self, x):
        return self.encoder(x if self.config.arch == "conv" else x.flatten(1))  # (N, d)

    def latent_mean(self, x, *condition):
        """Where x lands in latent space: the code (AE) or the posterior mean (VAE)."""
        return self.encode(x, *condition)

    def decode_logits(self, z):
        return self.decoder(z).view(-1, 1, 28, 28)  # (N, 1, 28, 28)

    def decode(self, z, *condition):
        return torch.sigmoid(self.decode_logits(z, *condition))

    def sample_latent(self, x, *condition):
        """The code the decoder sees for x during training, and the KL term (0 for an AE)."""
        return self.encode(x, *condition), x.new_zeros(())

    def loss(self, x, *condition, beta: float = 1.0):
        """(loss, recon, kl), each summed over the batch, in nats."""
        z, kl = self.sample_latent(x, *condition)
        return elbo(self.decode_logits(z, *condition), x, kl, beta)


class VAE(AutoEncoder):
    kind = "vae"

    @property
    def code_size(self) -> int:
        return 2 * self.latent_dim  # mean and log-variance

    def encode(self, x):
        mu, logvar = super().encode(x).chunk(2, dim=1)  # (N, d) each
        return mu, logvar

    def latent_mean(self, x, *condition):
        return self.encode(x, *condition)[0]

    def sample_latent(self, x, *condition):
        mu, logvar = self.encode(x, *condition)
        return reparameterise(mu, logvar, torch.randn_like(mu)), gaussian_kl(mu, logvar)


class CVAE(VAE):
    """q(z | x, y) and p(x | z, y) for images x and their labels y, int64 (N,) in 0..9."""
    kind = "cvae"
    condition_size = CLASSES

    def encode(self, x, y):
        return super().encode(torch.cat([x.flatten(1), one_hot(y, x)], dim=1))  # (N, d) each

    def decode_logits(self, z, y):
        return super().decode_logits(torch.cat([z, one_hot(y, z)], dim=1))  # (N, 1, 28, 28)

    def decode_every_label(self, z):
        """One code z (d,) decoded with each label 0..9: one style written as every digit, (10, 1, 28, 28)."""
        return self.decode(z.expand(CLASSES, -1), torch.arange(CLASSES))


def one_hot(y: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """Labels (N,) as one-hot rows (N, CLASSES) of like's dtype; a clear error for anything else."""
    if y.dtype != torch.int64 or y.shape != like.shape[:1] or not ((0 <= y) & (y < CLASSES)).all():
        raise ValueError(f"a CVAE's labels must be int64 in 0..{CLASSES - 1}, one for each of the {len(like)} images")
    return F.one_hot(y, CLASSES).to(like.dtype)


def build_model(config: ModelConfig) -> AutoEncoder:
    return {"ae": AutoEncoder, "vae": VAE, "cvae": CVAE}[config.kind](config)
