"""A 2-D latent space as pictures: the learned manifold (a lattice over the prior, decoded) and the
clickable map of the test digits' encodings, as on the Latent page.

Reference: Kingma & Welling, "Auto-Encoding Variational Bayes", 2014, figure 4: the MNIST manifold,
decoded on a lattice through the inverse CDF of the Gaussian prior, so each tile stands for an
equally likely slice of the prior.
"""
import numpy as np
import plotly.graph_objects as go
import torch

from .datasets import dataset_info
from .viz import DIGIT_COLOURS, image_grid

LIMIT = 4.0  # the sliders and the map span [-LIMIT, LIMIT] on both axes
CLICK_STEP = 0.2  # spacing of the faint clickable markers that let a click pick any z


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


def latent_map(codes: torch.Tensor, labels: torch.Tensor, z, dataset: str = "mnist") -> go.Figure:
    """The test images' encodings (N, 2) coloured by label and named by the data set's classes, over a
    faint lattice of clickable markers, with the current z marked. Each image's row in codes is its custom
    data (a plain list: a typed array comes back from the browser's click as a JSON object, not a number)."""
    fig = go.Figure()
    ticks = np.linspace(-LIMIT, LIMIT, round(2 * LIMIT / CLICK_STEP) + 1, dtype=np.float32)
    g1, g2 = np.meshgrid(ticks, ticks)
    fig.add_scatter(x=g1.ravel(), y=g2.ravel(), mode="markers", showlegend=False, hoverinfo="none",
                    marker=dict(size=6, color="rgba(127, 127, 127, 0.12)"))
    codes, labels = codes.numpy(), labels.numpy()
    info = dataset_info(dataset)
    for label, name in enumerate(info.classes):
        rows = np.flatnonzero(labels == label)
        fig.add_scatter(x=codes[rows, 0], y=codes[rows, 1], customdata=rows.tolist(), mode="markers",
                        name=name, marker=dict(size=5, color=DIGIT_COLOURS[label]),
                        hovertemplate=f"a test {name} at (%{{x:.2f}}, %{{y:.2f}})<extra></extra>")
    fig.add_scatter(x=[z[0]], y=[z[1]], mode="markers", name="z", hoverinfo="skip",
                    marker=dict(size=16, symbol="x", color="black", line=dict(width=1, color="white")))
    fig.update_layout(height=540, margin=dict(l=10, r=10, t=40, b=10), hovermode="closest", clickmode="event+select",
                      legend=dict(title=info.noun, orientation="h", x=0, y=1.02, yanchor="bottom", itemsizing="constant"))
    fig.update_xaxes(title="z1", range=[-LIMIT - 0.2, LIMIT + 0.2], zeroline=False, constrain="domain")
    fig.update_yaxes(title="z2", range=[-LIMIT - 0.2, LIMIT + 0.2], zeroline=False, constrain="domain", constraintoward="top",
                     scaleanchor="x")
    return fig


def picked(point: dict, codes: torch.Tensor) -> tuple[tuple[float, float], int | None]:
    """What a click on latent_map picked: (z clipped to the sliders' range, the test digit's row or None)."""
    row = point.get("customdata")
    z = codes[row].tolist() if row is not None else (point["x"], point["y"])
    return tuple(float(np.clip(v, -LIMIT, LIMIT)) for v in z), row
