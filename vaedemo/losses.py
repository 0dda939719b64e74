"""The negative ELBO of a Bernoulli decoder, as in Kingma & Welling (2014), appendix B, and the
importance-weighted estimate of log p(x) of Burda, Grosse & Salakhutdinov, "Importance Weighted
Autoencoders" (2016), which tightens towards log p(x) as the number of samples K grows.

For the VQ-VAE (van den Oord, Vinyals & Kavukcuoglu, "Neural Discrete Representation Learning", 2017, eq. 3):
the nearest-code assignment, the straight-through estimator and the codebook and commitment losses.

Pixels are grey values in [0, 1] used as Bernoulli targets (not binarised); the reconstruction
term is the binary cross-entropy summed over the 784 pixels, computed from logits for stability.
"""
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F


def reparameterise(mu, logvar, eps):
    """z = mu + sigma * eps with sigma = exp(logvar / 2) and eps ~ N(0, I): a sample of the posterior
    that gradients flow through (the reparameterisation trick)."""
    return mu + eps * torch.exp(0.5 * logvar)


def posterior_noise(latent_dim: int, seed: int) -> torch.Tensor:
    """The noise eps ~ N(0, I) of one posterior sample, (1, latent_dim), drawn from its own generator seeded with
    seed: the same seed gives the same eps whatever else has drawn random numbers."""
    return torch.randn(1, latent_dim, generator=torch.Generator().manual_seed(seed))


def gaussian_kl_per_dimension(mu, logvar):
    """KL(N(mu, exp(logvar)) || N(0, I)) in closed form for each latent dimension, summed over the batch: (d,)."""
    mu, logvar = mu.float(), logvar.float()  # fp32 even under bf16 autocast
    return -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=0)


def gaussian_kl(mu, logvar):
    """KL(N(mu, exp(logvar)) || N(0, I)) in closed form, summed over latent dims and batch."""
    return gaussian_kl_per_dimension(mu, logvar).sum()


def elbo(logits, x, kl, beta: float = 1.0):
    """Return (recon + beta * kl, recon, kl), each summed over the batch, in nats."""
    recon = F.binary_cross_entropy_with_logits(logits.float(), x, reduction="sum")
    return recon + beta * kl, recon, kl


def nearest_codes(z, codebook):
    """The index of the codebook entry (K, D) nearest to each vector z (..., D) in Euclidean distance: (...) int64."""
    distances = z.pow(2).sum(-1, keepdim=True) - 2 * z @ codebook.T + codebook.pow(2).sum(-1)  # (..., K)
    return distances.argmin(-1)


def straight_through(z_e, z_q):
    """z_q in the forward pass, with the gradient of z_q passed to z_e unchanged (the snap is skipped)."""
    return z_e + (z_q - z_e).detach()


def codebook_losses(z_e, z_q):
    """(codebook loss |sg(z_e) - z_q|^2, commitment loss |z_e - sg(z_q)|^2), each summed over all the vectors: the
    first moves the codes towards the encoder's outputs, the second the encoder's outputs towards their codes."""
    return (z_e.detach() - z_q).pow(2).sum(), (z_e - z_q.detach()).pow(2).sum()


@dataclass(frozen=True)
class ElboTerms:
    """One digit's ELBO, term by term, for one posterior sample, and the path to it: the encoder's mu and logvar,
    sigma = exp(logvar / 2), the noise eps, z = mu + sigma * eps and the decoder's x_hat (1, 28, 28) of z (Bernoulli
    means). Vectors are (d,), figures in nats."""
    mu: torch.Tensor
    logvar: torch.Tensor
    sigma: torch.Tensor
    eps: torch.Tensor
    z: torch.Tensor
    x_hat: torch.Tensor
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
    logits = vae.decode_logits(z)  # (1, 1, 28, 28)
    _, recon, kl = elbo(logits, x, gaussian_kl(mu, logvar))
    return ElboTerms(mu[0], logvar[0], torch.exp(0.5 * logvar[0]), eps[0], z[0], torch.sigmoid(logits[0]),
                     recon.item(), kl.item())


@torch.inference_mode()
def importance_weighted(vae, x, eps, *condition):
    """(ELBO, log p(x)) of each image x (N, 1, 28, 28), both estimated from the K posterior samples
    z_k = mu + sigma * eps_k that eps (K, N, d) gives, with the log importance weights
    log w_k = log p(x | z_k) + log p(z_k) - log q(z_k | x):
    ELBO = mean_k log w_k, log p(x) ~ log mean_k w_k (Burda et al. 2016, eq. 8). Each (N,), in nats;
    their difference estimates the ELBO's gap, KL(q(z | x) || p(z | x)). One batched decode of K * N codes.
    A CVAE takes the labels y (N,) as condition: then it is log p(x | y) and the ELBO of x given y."""
    mu, logvar = vae.encode(x, *condition)  # (N, d) each
    z = reparameterise(mu, logvar, eps)  # (K, N, d)
    k, n, d = z.shape
    repeated = (c.repeat(k) for c in condition)  # (K * N,): the labels of z.reshape(k * n, d)'s rows
    logits = vae.decode_logits(z.reshape(k * n, d), *repeated).float().view(k, n, -1)  # (K, N, 784)
    log_px_z = -F.binary_cross_entropy_with_logits(logits, x.flatten(1).expand(k, n, -1), reduction="none").sum(2)
    log_pz_over_qz = -0.5 * (z.pow(2) - eps.pow(2) - logvar).sum(2)  # log N(z; 0, I) - log N(z; mu, sigma^2)
    log_w = log_px_z + log_pz_over_qz  # (K, N)
    return log_w.mean(0), torch.logsumexp(log_w, 0) - math.log(k)


def prior_log_density(z) -> float:
    """log N(z; 0, I) of one code z (d,), in nats."""
    return torch.distributions.Normal(0.0, 1.0).log_prob(torch.as_tensor(z)).sum().item()


def prior_mass_within(z) -> float:
    """The share of the prior N(0, I) that lies closer to the origin than z (d,): the chi-square CDF of |z|^2."""
    z = torch.as_tensor(z, dtype=torch.float64)
    return torch.special.gammainc(torch.tensor(len(z) / 2, dtype=torch.float64), z.pow(2).sum() / 2).item()
