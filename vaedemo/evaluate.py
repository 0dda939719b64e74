"""Test-set figures in nats per image: the same numbers as pytorch/examples' vae `Test set loss`, the
importance-weighted estimate of -log p(x) (Burda et al. 2016) that shows how far below log p(x) the ELBO lies,
and the active units: the latent dimensions a VAE uses (the others have collapsed onto the prior)."""
import torch

from .losses import gaussian_kl_per_dimension, importance_weighted
from .models import AutoEncoder

DECODES_PER_BATCH = 20_000  # K samples of each image of a batch: about 60 MB of logits at a time
ACTIVE_KL = 0.01  # nats per image: a latent dimension whose mean KL is above this carries information


@torch.inference_mode()
def evaluate(model: AutoEncoder, images: torch.Tensor, beta: float = 1.0, batch_size: int = 1000) -> dict:
    """Mean -ELBO (AE: recon BCE), recon and KL per image, one posterior sample per image."""
    was_training = model.training
    model.eval()
    totals = torch.zeros(3, dtype=torch.float64)
    for batch in images.split(batch_size):
        totals += torch.tensor([t.item() for t in model.loss(batch, beta)], dtype=torch.float64)
    loss, recon, kl = (totals / len(images)).tolist()
    figures = {"test_loss": loss, "test_recon": recon, "test_kl": kl}
    if model.kind != "ae":
        figures["active_units"] = active_units(kl_per_dimension(model, images, batch_size))
    model.train(was_training)
    return figures


@torch.inference_mode()
def kl_per_dimension(vae, images: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """Mean KL(q(z_j | x) || p(z_j)) per image of each latent dimension j over the images, in nats: (d,)."""
    total = sum(gaussian_kl_per_dimension(*vae.encode(batch)) for batch in images.split(batch_size))
    return total / len(images)


def active_units(kl: torch.Tensor, threshold: float = ACTIVE_KL) -> int:
    """How many latent dimensions carry information: mean KL per image (kl_per_dimension) above threshold."""
    return int((kl > threshold).sum())


@torch.inference_mode()
def importance_weighted_nll(vae, images: torch.Tensor, samples: int = 100, seed: int = 0) -> float:
    """Mean over the images of -log p(x), estimated with `samples` importance samples per image (the IWAE
    bound: an upper bound on -log p(x) that tightens as samples grows), in nats per image."""
    generator = torch.Generator().manual_seed(seed)
    total = 0.0
    for batch in images.split(max(1, DECODES_PER_BATCH // samples)):
        eps = torch.randn(samples, len(batch), vae.latent_dim, generator=generator)  # (K, N, d)
        total += importance_weighted(vae, batch, eps)[1].double().sum().item()
    return -total / len(images)
