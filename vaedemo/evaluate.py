"""Test-set figures in nats per image: the same numbers as pytorch/examples' vae `Test set loss`, the
importance-weighted estimate of -log p(x) (Burda et al. 2016) that shows how far below log p(x) the ELBO lies,
and the active units: the latent dimensions a VAE uses (the others have collapsed onto the prior). A VQ-VAE's
codebook: the share of its codes in use on the test images and the perplexity of their frequencies."""
import torch

from .losses import gaussian_kl_per_dimension, importance_weighted
from .models import CLASSES, AutoEncoder

DECODES_PER_BATCH = 20_000  # K samples of each image of a batch: about 60 MB of logits at a time
ACTIVE_KL = 0.01  # nats per image: a latent dimension whose mean KL is above this carries information


def batches(images: torch.Tensor, labels: torch.Tensor | None, batch_size: int):
    """(images, *condition) batch by batch: the condition is a CVAE's labels, nothing for the other models."""
    for start in range(0, len(images), batch_size):
        yield (images[start:start + batch_size],) + (() if labels is None else (labels[start:start + batch_size],))


@torch.inference_mode()
def evaluate(model: AutoEncoder, images: torch.Tensor, beta: float = 1.0, batch_size: int = 1000,
             labels: torch.Tensor | None = None) -> dict:
    """Mean -ELBO (AE: recon BCE), recon and KL per image, one posterior sample per image (a CVAE: given labels);
    a VAE's active units from the same pass, a VQ-VAE's codebook figures."""
    was_training = model.training
    model.eval()
    totals, kl_sums = torch.zeros(3, dtype=torch.float64), 0.0  # kl_sums: a VAE's KL of each dimension (d,)
    for batch in batches(images, labels, batch_size):
        if model.kind == "vqvae":
            terms = model.loss(*batch, beta=beta)
        else:
            *terms, kl = model.objective_by_dimension(batch[0], *batch, beta=beta)
            kl_sums = kl_sums + kl
        totals += torch.tensor([t.item() for t in terms], dtype=torch.float64)
    loss, recon, kl = (totals / len(images)).tolist()
    figures = {"test_loss": loss, "test_recon": recon, "test_kl": kl}
    if model.kind == "vqvae":
        figures.update(codebook_figures(code_counts(model, images, batch_size)))
    elif model.kind != "ae":
        figures["active_units"] = active_units(kl_sums / len(images))
    model.train(was_training)
    return figures


@torch.inference_mode()
def code_counts(vqvae, images: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """How often each of a VQ-VAE's K codes is the code of a cell over the images' grids: (K,) int64."""
    return sum(torch.bincount(vqvae.encode(x).flatten(), minlength=vqvae.codebook_size)
               for x, in batches(images, None, batch_size))


def codebook_figures(counts: torch.Tensor) -> dict:
    """codebook_use: the share of the K codes used at least once; perplexity: exp of the entropy of the codes'
    frequencies, the number of equally used codes that would be as uncertain (K at most)."""
    p = counts.double() / counts.sum()
    entropy = -(p[p > 0] * p[p > 0].log()).sum()
    return {"codebook_use": (counts > 0).double().mean().item(), "perplexity": entropy.exp().item()}


@torch.inference_mode()
def kl_per_dimension(
    vae, images: torch.Tensor, batch_size: int = 1000, labels: torch.Tensor | None = None
) -> torch.Tensor:
    """Mean KL(q(z_j | x) || p(z_j)) per image of each latent dimension j over the images, in nats: (d,)."""
    total = sum(gaussian_kl_per_dimension(*vae.encode(*batch)) for batch in batches(images, labels, batch_size))
    return total / len(images)


def active_units(kl: torch.Tensor, threshold: float = ACTIVE_KL) -> int:
    """How many latent dimensions carry information: mean KL per image (kl_per_dimension) above threshold."""
    return int((kl > threshold).sum())


@torch.inference_mode()
def importance_weighted_nlls(vae, images: torch.Tensor, samples: int = 100, seed: int = 0,
                             labels: torch.Tensor | None = None) -> torch.Tensor:
    """-log p(x) of each image (a CVAE: -log p(x | y) given labels), estimated with `samples` importance samples
    per image (the IWAE bound: above -log p(x), closer as samples grows): (N,) float64, in nats."""
    generator = torch.Generator().manual_seed(seed)
    nlls = []
    for x, *condition in batches(images, labels, max(1, DECODES_PER_BATCH // samples)):
        eps = torch.randn(samples, len(x), vae.latent_dim, generator=generator)  # (K, N, d)
        nlls.append(-importance_weighted(vae, x, eps, *condition)[1].double())
    return torch.cat(nlls)


def importance_weighted_nll(vae, images: torch.Tensor, samples: int = 100, seed: int = 0,
                            labels: torch.Tensor | None = None) -> float:
    """The mean over the images of importance_weighted_nlls: -log p(x) in nats per image."""
    return importance_weighted_nlls(vae, images, samples, seed, labels).mean().item()


@torch.inference_mode()
def label_elbos(cvae, x: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """The ELBO of each image x (N, 1, 28, 28) given each label 0..9, estimated with the K posterior samples that
    eps (K, N, d) gives, the same noise for every label: (N, 10), in nats. The label with the highest ELBO is the
    CVAE's own classification of x (the label under which it explains x best)."""
    n = len(x)
    labels = torch.arange(CLASSES).repeat_interleave(n)  # (10 N,): label 0 for every image, then label 1, ...
    elbo, _ = importance_weighted(cvae, x.repeat(CLASSES, 1, 1, 1), eps.repeat(1, CLASSES, 1), labels)
    return elbo.view(CLASSES, n).T


@torch.inference_mode()
def classification_accuracy(
    cvae, images: torch.Tensor, labels: torch.Tensor, samples: int = 10, seed: int = 0
) -> float:
    """The share of the images whose best ELBO (label_elbos, `samples` samples) is their own label's."""
    generator = torch.Generator().manual_seed(seed)
    right = 0
    for x, y in batches(images, labels, max(1, DECODES_PER_BATCH // (samples * CLASSES))):
        eps = torch.randn(samples, len(x), cvae.latent_dim, generator=generator)  # (K, N, d)
        right += (label_elbos(cvae, x, eps).argmax(1) == y).sum().item()
    return right / len(images)
