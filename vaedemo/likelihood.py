"""What a VAE's likelihood knows, and what it does not: a model trained on one data set may give another data set's
images a *higher* likelihood than its own (Nalisnick, Matsukawa, Teh, Gorur & Lakshminarayanan, "Do deep generative
models know what they don't know?", ICLR 2019). Measured on our shipped weights (100 importance samples, the first
1,000 test images of each data set): the Fashion-MNIST VAE-16D gives MNIST digits -log p(x) = 180 nats against 236
for its own test images, the 2-D one 238 against 259. Simple images are likely under any model, so likelihood alone
is no test of belonging (AUROC 0.28 and 0.42 for telling digits from clothes there, below chance).

What people do instead, measured here on the same images (AUROC of telling the other data set from the model's
own; Fashion-MNIST VAE 16-D / 2-D, MNIST VAE 16-D / 2-D):

- Serra et al., "Input complexity and out-of-distribution detection with likelihood-based generative models"
  (ICLR 2020): S(x) = -log p(x) - L(x), with L(x) the length of x under a generic lossless compressor (PNG or
  zlib of the 8-bit pixels, in nats). 0.99 / 0.99 for the Fashion VAEs, but 0.28 / 0.09 (PNG), 0.16 / 0.03 (zlib)
  for the MNIST ones: our likelihood is a Bernoulli one of grey values (about 100-1,000 nats an image), a compressor
  codes 256 levels a pixel (1,000-3,000 nats), so L(x) swamps it.
- The typicality test of Nalisnick, Matsukawa, Teh & Lakshminarayanan, "Detecting out-of-distribution inputs to
  deep generative models using typicality" (2019), with one image at a time: |-log p(x) - its mean over the model's
  own images|: 0.47 / 0.42 for the Fashion VAEs (MNIST's digits fall on both sides of the typical value).
- A likelihood ratio (Ren et al., "Likelihood ratios for out-of-distribution detection", NeurIPS 2019) needs a
  background model trained on perturbed images, which we do not ship.

So the score here is Serra's idea with the complexity measured in the likelihood's own currency: excess_nats(x) =
-log p(x) - H(x), where H(x) = sum_i h(x_i), h the binary entropy of pixel i's grey value, is the fewest nats any
Bernoulli decoder can pay for x (a decoder that predicts every pixel exactly, p_i = x_i; binary cross-entropy is
h(x_i) plus KL(Bern(x_i) || Bern(p_i))). Since p(x) = E_z p(x | z) <= max_z p(x | z) <= exp(-H(x)), the score is
never below 0; it is what the model fails to explain, with the cost of the image's own greyness taken out.
Clothes have many mid-grey pixels (H about 181 nats against MNIST's 46), so their raw -log p(x) is high under any
model. AUROC: 0.985 / 0.967 for the Fashion VAEs, 1.000 / 0.998 for the MNIST ones (plain likelihood: 0.28 / 0.42,
1.000 / 0.999). Figures: `python -m benchmarks.likelihood_ood`, docs/models.md.
"""
from dataclasses import dataclass

import numpy as np
import torch

from .evaluate import importance_weighted_nlls


def pixel_entropy(images: torch.Tensor) -> torch.Tensor:
    """H(x) = sum_i h(x_i) of each image (N, 1, 28, 28) in [0, 1], h(p) = -p log p - (1 - p) log(1 - p): the
    binary cross-entropy of a perfect prediction, the floor of -log p(x) for a Bernoulli decoder: (N,) float64,
    in nats. A blank (all 0 or 1) image: 0; an all-grey (0.5) one: 784 log 2."""
    p = images.flatten(1).double()
    return -(torch.special.xlogy(p, p) + torch.special.xlogy(1 - p, 1 - p)).sum(1)


def excess_nats(nlls: torch.Tensor, images: torch.Tensor) -> torch.Tensor:
    """The out-of-distribution score: -log p(x) - H(x) of each image (nlls: importance_weighted_nlls of images),
    (N,) in nats; high means the model does not explain the image (see the module's docstring)."""
    return nlls.double() - pixel_entropy(images)


def auroc(outside: torch.Tensor, inside: torch.Tensor) -> float:
    """The area under the ROC curve of a score that should be higher on the images outside the model's data set:
    the chance that a random outside image scores above a random inside one (ties count a half; Mann-Whitney U).
    0.5 is chance, 1 a perfect separation, below 0.5 the score points the wrong way."""
    above = (outside.double()[:, None] > inside.double()[None, :]).double().mean()
    ties = (outside.double()[:, None] == inside.double()[None, :]).double().mean()
    return (above + ties / 2).item()


@dataclass(frozen=True)
class Separation:
    """A model's -log p(x) and excess_nats on its own data set's images and on another's, each (N,) in nats."""
    own: str
    other: str
    nll: dict[str, torch.Tensor]  # data set name -> (N,)
    excess: dict[str, torch.Tensor]

    def auroc_nll(self) -> float:
        """How well a high -log p(x) flags the other data set's images (below 0.5: it flags the model's own)."""
        return auroc(self.nll[self.other], self.nll[self.own])

    def auroc_excess(self) -> float:
        return auroc(self.excess[self.other], self.excess[self.own])

    def medians(self) -> dict[str, dict[str, float]]:
        """{"nll" or "excess": {data set: median}}, in nats."""
        return {name: {d: values.median().item() for d, values in figures.items()}
                for name, figures in (("nll", self.nll), ("excess", self.excess))}


def separation(vae, images: dict[str, torch.Tensor], own: str, samples: int = 100, seed: int = 0) -> Separation:
    """-log p(x) (importance_weighted_nlls, `samples` samples) and excess_nats of a VAE on the images of two data
    sets (images: {name: (N, 1, 28, 28)}), own naming the one it was trained on."""
    (other,) = (name for name in images if name != own)
    nll = {name: importance_weighted_nlls(vae, x, samples, seed) for name, x in images.items()}
    return Separation(own, other, nll, {name: excess_nats(nll[name], x) for name, x in images.items()})


def histogram_counts(values: torch.Tensor, edges: np.ndarray) -> np.ndarray:
    """How many values fall in each bin [edges[i], edges[i + 1]) (the last bin closed), values outside the edges
    counted in the first or last bin: what a histogram of them shows."""
    clipped = np.clip(values.numpy(), edges[0], edges[-1])
    return np.histogram(clipped, bins=edges)[0]


def shared_edges(*values: torch.Tensor, bins: int = 40, quantile: float = 0.99) -> np.ndarray:
    """Bin edges common to several sets of values, from the lowest value to the given quantile of the highest (the
    few far above it go to the last bin): bins + 1 edges."""
    low = min(v.min().item() for v in values)
    high = max(torch.quantile(v.double(), quantile).item() for v in values)
    return np.linspace(low, max(high, low + 1), bins + 1)
