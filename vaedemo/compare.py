"""Why a VAE generates and an AE does not: decodes of samples from the prior N(0, I), straight-line interpolation
between two digits' codes, and the one scale of the latent maps beside each other.

Reference: Kingma & Welling, "Auto-Encoding Variational Bayes", 2014: the KL term pulls the VAE's
codes onto the prior, so a sample of the prior decodes to a digit; nothing does that for an AE.
"""
import torch


def prior_samples(n: int, latent_dim: int, seed: int) -> torch.Tensor:
    """n draws of z ~ N(0, I), the same ones for the same seed: (n, latent_dim)."""
    return torch.randn(n, latent_dim, generator=torch.Generator().manual_seed(seed))


def interpolate(start: torch.Tensor, end: torch.Tensor, steps: int = 10) -> torch.Tensor:
    """steps evenly spaced points on the straight line from start (d,) to end (d,), both included: (steps, d)."""
    t = torch.linspace(0, 1, steps)[:, None]  # (steps, 1)
    return torch.lerp(start, end, t)


@torch.inference_mode()
def interpolation(model, x_start: torch.Tensor, x_end: torch.Tensor, steps: int = 10) -> torch.Tensor:
    """Decodes along the straight line between the codes of two digits (1, 1, 28, 28) each: (steps, 1, 28, 28).
    The first and last are the two digits' own reconstructions."""
    codes = model.latent_mean(torch.cat([x_start, x_end]))  # (2, d)
    return model.decode(interpolate(codes[0], codes[1], steps))


def farthest_from_codes(codes: torch.Tensor, start: torch.Tensor, end: torch.Tensor, steps: int = 50) -> float:
    """How far the straight line from start (d,) to end (d,) strays from the codes (N, d): the distance from its
    loneliest point to the nearest code, in units of the codes' typical spacing (the median distance from a
    code to its nearest neighbour)."""
    between = torch.cdist(codes, codes).fill_diagonal_(torch.inf)  # (N, N)
    spacing = between.min(dim=1).values.median()
    return (torch.cdist(interpolate(start, end, steps), codes).min(dim=1).values.max() / spacing).item()


def shared_limit(*codes: torch.Tensor, share: float = 0.995) -> float:
    """Half the width of square axes that hold nearly all (share) of the 2-D codes of every map, and the
    prior's 2-sigma circle."""
    reach = [torch.quantile(c.abs().amax(dim=1), share).item() for c in codes]
    return 1.1 * max(reach + [2.0])


def checkpoint_figures(vae) -> dict:
    """A VAE's test figures as its checkpoint's metadata holds them, in nats per image: reconstruction, KL and
    the -ELBO, reconstruction + KL whatever beta weighted the KL in training."""
    recon, kl = float(vae.metadata["test_recon"]), float(vae.metadata["test_kl"])
    return {"reconstruction": recon, "KL": kl, "-ELBO": recon + kl}
