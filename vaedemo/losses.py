"""The negative ELBO of a Bernoulli decoder, as in Kingma & Welling (2014), appendix B.

Pixels are grey values in [0, 1] used as Bernoulli targets (not binarised); the reconstruction
term is the binary cross-entropy summed over the 784 pixels, computed from logits for stability.
"""
import torch
import torch.nn.functional as F


def gaussian_kl(mu, logvar):
    """KL(N(mu, exp(logvar)) || N(0, I)) in closed form, summed over latent dims and batch."""
    mu, logvar = mu.float(), logvar.float()  # fp32 even under bf16 autocast
    return -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())


def elbo(logits, x, kl, beta: float = 1.0):
    """Return (recon + beta * kl, recon, kl), each summed over the batch, in nats."""
    recon = F.binary_cross_entropy_with_logits(logits.float(), x, reduction="sum")
    return recon + beta * kl, recon, kl
