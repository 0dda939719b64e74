"""The negative ELBO of a Bernoulli decoder, as in Kingma & Welling (2014), appendix B.

Pixels are grey values in [0, 1] used as Bernoulli targets (not binarised); the reconstruction
term is the binary cross-entropy summed over the 784 pixels, computed from logits for stability.
"""
from dataclasses import dataclass

import torch
import torch.nn.functional as F


def reparameterise(mu, logvar, eps):
    """z = mu + sigma * eps with sigma = exp(logvar / 2) and eps ~ N(0, I): a sample of the posterior
    that gradients flow through (the reparameterisation trick)."""
    return mu + eps * torch.exp(0.5 * logvar)


def gaussian_kl(mu, logvar):
    """KL(N(mu, exp(logvar)) || N(0, I)) in closed form, summed over latent dims and batch."""
    mu, logvar = mu.float(), logvar.float()  # fp32 even under bf16 autocast
    return -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())


def elbo(logits, x, kl, beta: float = 1.0):
    """Return (recon + beta * kl, recon, kl), each summed over the batch, in nats."""
    recon = F.binary_cross_entropy_with_logits(logits.float(), x, reduction="sum")
    return recon + beta * kl, recon, kl


@dataclass(frozen=True)
class ElboTerms:
    """One digit's ELBO, term by term, for one posterior sample; vectors are (d,), figures in nats."""
    mu: torch.Tensor
    sigma: torch.Tensor
    eps: torch.Tensor
    z: torch.Tensor
    recon: float
    kl: float

    @property
    def elbo(self) -> float:
        return -(self.recon + self.kl)


@torch.inference_mode()
def elbo_terms(vae, x, eps) -> ElboTerms:
    """The training loss of the VAE for one digit x (1, 1, 28, 28), with the posterior sample taken from the
    noise eps (1, d): the same functions as VAE.loss, so the figures are the trainer's."""
    mu, logvar = vae.encode(x)  # (1, d) each
    z = reparameterise(mu, logvar, eps)
    _, recon, kl = elbo(vae.decode_logits(z), x, gaussian_kl(mu, logvar))
    return ElboTerms(mu[0], torch.exp(0.5 * logvar[0]), eps[0], z[0], recon.item(), kl.item())


def prior_log_density(z) -> float:
    """log N(z; 0, I) of one code z (d,), in nats."""
    return torch.distributions.Normal(0.0, 1.0).log_prob(torch.as_tensor(z)).sum().item()


def prior_mass_within(z) -> float:
    """The share of the prior N(0, I) that lies closer to the origin than z (d,): the chi-square CDF of |z|^2."""
    z = torch.as_tensor(z, dtype=torch.float64)
    return torch.special.gammainc(torch.tensor(len(z) / 2, dtype=torch.float64), z.pow(2).sum() / 2).item()
