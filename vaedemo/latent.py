"""A latent space as pictures: on the Latent page a 2-D one, the learned manifold (a lattice over the prior, decoded)
and what a pick on the map of the test digits' encodings chose; on the Dimensions page each dimension of a larger
one, traversed alone.

References: Kingma & Welling, "Auto-Encoding Variational Bayes", 2014, figure 4: the MNIST manifold, decoded on a
lattice through the inverse CDF of the Gaussian prior, so each tile stands for an equally likely slice of the prior.
Higgins et al., "beta-VAE: Learning Basic Visual Concepts with a Constrained Variational Framework", 2017, figure 2:
latent traversals, one row per dimension, the others kept.
Hoffman & Johnson, "ELBO surgery: yet another way to carve up the variational evidence lower bound", 2016: the
aggregate posterior q(z) = mean over the data of q(z | x), and the prior's holes where it falls short of p(z).
"""
from typing import NamedTuple

import numpy as np
import torch

from .viz import image_grid

LIMIT = 4.0  # the sliders and the map span [-LIMIT, LIMIT] on both axes
STEPS, SPAN = 7, 3.0  # a traversal: 7 decodes of each dimension, from 3 below its code to 3 above
HOLE = 0.1  # a hole: where the codes' density is under a tenth of the prior's
PRIOR_PEAK = 1 / (2 * np.pi)  # the 2-D prior's density at its centre, N(0; 0, I)


def quantile_lattice(n: int) -> torch.Tensor:
    """The middles of n equally likely slices of the standard normal, ascending: (n,)."""
    return torch.special.ndtri((torch.arange(n) + 0.5) / n)


@torch.inference_mode()
def manifold_grid(model, n: int = 15, label: int | None = None) -> torch.Tensor:
    """Decode the n x n quantile lattice, row by row from the top (z2 high) left (z1 low): (n*n, 1, 28, 28).
    A CVAE decodes every code with the given label: the styles of that one digit."""
    q = quantile_lattice(n)
    z2, z1 = torch.meshgrid(q.flip(0), q, indexing="ij")  # (n, n) each
    condition = () if label is None else (torch.full((n * n,), label),)
    return model.decode(torch.stack([z1.flatten(), z2.flatten()], dim=1), *condition)  # z: (n*n, 2)


def manifold_picture(images: torch.Tensor, z, n: int = 15, scale: int = 2, pad: int = 1) -> np.ndarray:
    """The manifold grid as an RGB picture (H, W, 3) with a red frame, one tile in size, centred where z lies."""
    grey = image_grid(images, ncol=n, scale=scale, pad=pad)
    picture = np.repeat(grey[:, :, None], 3, axis=2)
    tile = 28 + pad
    # Tile coordinates of z (0 = middle of the first tile), through the prior's CDF like the lattice.
    col = float(torch.special.ndtr(torch.tensor(z[0]))) * n - 0.5
    row = (1 - float(torch.special.ndtr(torch.tensor(z[1])))) * n - 0.5
    size, thick = 28 * scale, 3 * scale
    h, w = grey.shape  # far out in the prior's tails the frame stops at the picture's edge
    y0 = min(max(round((pad + row * tile) * scale), 0), h - size)
    x0 = min(max(round((pad + col * tile) * scale), 0), w - size)
    y1, x1 = y0 + size, x0 + size
    red = (230, 30, 30)
    picture[y0:y0 + thick, x0:x1] = red
    picture[y1 - thick:y1, x0:x1] = red
    picture[y0:y1, x0:x0 + thick] = red
    picture[y0:y1, x1 - thick:x1] = red
    return picture


def picked(pick, codes: torch.Tensor) -> tuple[tuple[float, float], int | None] | None:
    """What a pick on the Latent page's map chose, as the browser sent it ({"z": [z1, z2], "row": test image or
    None}): (z clipped to the sliders' range, the test image's row or None), a picked test image at its own code.
    None for anything else the browser might send."""
    try:
        row = pick.get("row")
        if row is not None and not (isinstance(row, int) and 0 <= row < len(codes)):
            return None
        z = codes[row].tolist() if row is not None else [float(v) for v in pick["z"]]
        if len(z) != 2 or not all(np.isfinite(z)):
            return None
    except (AttributeError, KeyError, TypeError, ValueError):
        return None
    return tuple(float(np.clip(v, -LIMIT, LIMIT)) for v in z), row


class PriorHoles(NamedTuple):
    """Two densities of a 2-D latent space on one square grid of cells over [-extent, extent] on both axes, row by row
    from the top (z2 high) left (z1 low), each cell's mean density over it: (cells, cells) each, float64."""
    extent: float
    aggregate: torch.Tensor  # the aggregate posterior q(z): where the codes of the data lie
    prior: torch.Tensor  # the prior p(z) = N(0, I)

    def hole_share(self) -> float:
        """The share of the prior's samples that fall in a hole: in a cell where q(z) < HOLE * p(z)."""
        area = (2 * self.extent / len(self.prior)) ** 2
        return float((self.prior * (self.aggregate < HOLE * self.prior)).sum() * area)


def prior_holes(mu: torch.Tensor, logvar: torch.Tensor, extent: float = 6.0, cells: int = 80) -> PriorHoles:
    """The aggregate posterior of N codes, q(z) = 1/N sum_n N(z; mu_n, diag exp(logvar_n)) (mu, logvar: (N, 2) each,
    a 2-D VAE's encoder's outputs), and the prior N(0, I) on the grid of PriorHoles. A posterior's mass in a cell is
    the product of its two axes' Gaussian CDF differences across the cell's edges (its covariance is diagonal), so a
    narrow posterior counts in full wherever it lies in a cell, never missed between grid points."""
    edges = torch.linspace(-extent, extent, cells + 1, dtype=torch.float64)  # (cells + 1,)
    mu, sigma = mu.double(), (0.5 * logvar.double()).exp()  # (N, 2) each
    columns = torch.special.ndtr((edges - mu[:, :1]) / sigma[:, :1]).diff(dim=1)  # (N, cells): each code's mass by z1
    rows = torch.special.ndtr((edges - mu[:, 1:]) / sigma[:, 1:]).diff(dim=1).flip(1)  # (N, cells): by z2, top first
    area = (2 * extent / cells) ** 2
    standard = torch.special.ndtr(edges).diff()  # (cells,): N(0, 1)'s mass by either axis, symmetric
    return PriorHoles(extent, rows.T @ columns / (len(mu) * area), torch.outer(standard, standard) / area)


@torch.inference_mode()
def traversal(model, z, steps: int = STEPS, span: float = SPAN) -> torch.Tensor:
    """Each latent dimension i alone moved through `steps` even steps from z_i - span to z_i + span, the other
    coordinates of z (a code (d,) or (1, d)) kept, decoded: (d, steps, 1, 28, 28), row i for dimension i."""
    z = torch.as_tensor(z, dtype=torch.float32).reshape(-1)  # (d,)
    d = len(z)
    offsets = torch.linspace(-span, span, steps)  # (steps,)
    codes = z + offsets.view(1, steps, 1) * torch.eye(d).view(d, 1, d)  # (d, steps, d)
    return model.decode(codes.view(d * steps, d)).view(d, steps, 1, 28, 28)


@torch.inference_mode()
def codebook_pictures(vqvae) -> torch.Tensor:
    """What each code of a VQ-VAE stands for, decoded alone: the grid filled with that one code, for each of the K
    codes: (K, 1, 28, 28). A code draws ink or background, and strokes of some direction and thickness, repeated
    over the grid. (One code in the middle of an empty image's grid draws next to nothing with the shipped model: a
    code means something only beside its neighbours, which this page lets you try.)"""
    grids = torch.arange(vqvae.codebook_size).view(-1, 1, 1).expand(-1, vqvae.grid, vqvae.grid)  # (K, h, w)
    return vqvae.decode(grids.contiguous())
