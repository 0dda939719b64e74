"""Pictures and plotly figures for the pages (no Streamlit here)."""
import base64
import io
import math

import numpy as np
import plotly.graph_objects as go
import torch
from PIL import Image
from plotly.colors import qualitative

from .evaluate import ACTIVE_KL
from .texts import CURVE_LABELS


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """(N, 1, 28, 28) in [0, 1] -> (N, 28, 28) uint8."""
    return (images.detach().clamp(0, 1).squeeze(1) * 255).round().to(torch.uint8).numpy()


def enlarge(image: np.ndarray, scale: int) -> np.ndarray:
    """Nearest-neighbour upscaling, so each MNIST pixel stays a crisp square."""
    return image.repeat(scale, axis=0).repeat(scale, axis=1)


def image_grid(images: torch.Tensor, ncol: int, scale: int = 1, pad: int = 1) -> np.ndarray:
    """(N, 1, 28, 28) in [0, 1] -> one uint8 picture with ncol images a row, pad grey pixels between."""
    pictures = to_uint8(images)
    nrow = -(-len(pictures) // ncol)
    h, w = pictures.shape[1:]
    grid = np.full((nrow * (h + pad) + pad, ncol * (w + pad) + pad), 128, dtype=np.uint8)
    for i, picture in enumerate(pictures):
        r, c = divmod(i, ncol)
        grid[pad + r * (h + pad): pad + r * (h + pad) + h, pad + c * (w + pad): pad + c * (w + pad) + w] = picture
    return enlarge(grid, scale)


def png_data_uri(picture: np.ndarray | Image.Image) -> str:
    """A picture (uint8 pixels or a PIL image) as a PNG data URI: a page can send it inside its message, with
    no request of its own for the browser to make."""
    buffer = io.BytesIO()
    (picture if isinstance(picture, Image.Image) else Image.fromarray(picture)).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


DIGIT_COLOURS = qualitative.T10  # Tableau's ten distinct colours, one per digit


def latent_plane(codes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The plane a latent map shows, as (centre (d,), axes (d, 2)): the code itself for a 2-D code,
    else the codes' first two principal components."""
    d = codes.shape[1]
    if d <= 2:
        return torch.zeros(d), torch.eye(d, 2)
    centre = codes.mean(0)
    _, _, directions = torch.linalg.svd(codes - centre, full_matrices=False)  # (d, d), one per row
    return centre, directions[:2].T


def posterior_ellipse(centre: np.ndarray, var: torch.Tensor, axes: torch.Tensor, points: int = 73) -> np.ndarray:
    """The 2-sigma ellipse of a Gaussian posterior with variances var (d,) on a map whose plane has axes (d, 2),
    around the posterior mean's place centre (2,) on it: (points, 2)."""
    scales, directions = torch.linalg.eigh(axes.T @ torch.diag(var) @ axes)  # of the (2, 2) covariance
    angle = torch.linspace(0, 2 * torch.pi, points)
    circle = torch.stack([angle.cos(), angle.sin()])  # (2, points)
    return (np.asarray(centre)[:, None] + (2 * directions @ torch.diag(scales.clamp(min=0).sqrt()) @ circle).numpy()).T


def map_bounds(*points: np.ndarray) -> tuple[float, float, float, float]:
    """(x0, x1, y0, y1) that hold all the points (each (N, 2)) with a margin, and at least one unit across: codes
    collapsed onto one spot (say by a large beta) show as that spot."""
    shown = np.concatenate([np.asarray(p, dtype=np.float64).reshape(-1, 2) for p in points])
    low, high = shown.min(0), shown.max(0)
    margin = max(0.04 * (high - low).max(), 0.5 - (high - low).max() / 2)
    (x0, y0), (x1, y1) = low - margin, high + margin
    return float(x0), float(x1), float(y0), float(y1)


def training_curves(steps: list, epochs: list, steps_per_epoch: float, latent_dim: int | None = None,
                    labels: dict = CURVE_LABELS) -> list[go.Figure]:
    """Reconstruction and KL in nats per image, each a figure: train (batches, as they come) and test (after each
    epoch); given a VAE's latent_dim, a third with its active units after each epoch (test figures). Figures of
    their own, so that a page can set them side by side on a wide screen and one under the other on a phone.
    labels: the titles, legends and axes, as CURVE_LABELS has them in English."""
    figures = []
    for key in ("recon", "kl"):
        fig = go.Figure()
        fig.add_scatter(x=[s["step"] / steps_per_epoch for s in steps], y=[s[f"train_{key}"] for s in steps],
                        mode="lines", name=labels["train"], line={"color": "#1f77b4"})
        fig.add_scatter(x=[e["epoch"] for e in epochs], y=[e[f"test_{key}"] for e in epochs],
                        mode="lines+markers", name=labels["test"], line={"color": "#d62728"}, marker={"size": 8})
        fig.update_layout(title={"text": labels[key]})
        fig.update_yaxes(title_text=labels["nats"])
        figures.append(fig)
    if latent_dim:
        fig = go.Figure()
        fig.add_scatter(x=[e["epoch"] for e in epochs], y=[e["active_units"] for e in epochs], mode="lines+markers",
                        name=labels["test"], line={"color": "#d62728"}, marker={"size": 8})
        fig.update_layout(title={"text": labels["active"].format(latent_dim=latent_dim)})
        fig.update_yaxes(range=[-0.3, latent_dim + 0.3],
                         title_text=labels["active_axis"].format(kl=f"{ACTIVE_KL:g}"))
        figures.append(fig)
    last = max([e["epoch"] for e in epochs] + [s["step"] / steps_per_epoch for s in steps], default=1)
    for fig in figures:
        fig.update_xaxes(title_text=labels["epoch"], dtick=max(1, math.ceil(last / 8)))  # whole epochs, 8 at most
        fig.update_layout(height=300, margin={"l": 10, "r": 10, "t": 40, "b": 10}, uirevision="training",
                          showlegend=len(fig.data) > 1, legend={"orientation": "h", "y": -0.3})
    return figures


def rate_distortion(runs: list[dict], varied: str, references: list[tuple[str, float, float]], labels: dict
                    ) -> go.Figure:
    """A class's runs as reconstruction (distortion, nats) against KL (rate, nats), each run a dot coloured by the
    setting varied (runs: dicts of setting and figures, as a room keeps them); references: (name, kl, recon) of
    the shipped models, as labelled crosses. labels: "x", "y", "setting", "shipped" (the axes, the colour bar's
    title, the reference's legend)."""
    fig = go.Figure()
    values = [run["setting"].get(varied) for run in runs]
    fig.add_scatter(
        x=[run["figures"]["kl"] for run in runs], y=[run["figures"]["recon"] for run in runs], mode="markers",
        marker={"size": 14, "color": [float(v or 0) for v in values], "colorscale": "Viridis", "showscale": True,
                "colorbar": {"title": {"text": labels["setting"]}}, "line": {"width": 1, "color": "#222"}},
        text=[f"{labels['setting']} = {v:g}" if isinstance(v, int | float) else "" for v in values],
        hovertemplate="%{text}<br>KL %{x:.2f}, recon %{y:.1f}<extra></extra>", showlegend=False)
    fig.add_scatter(x=[kl for _, kl, _ in references], y=[recon for _, _, recon in references],
                    mode="markers+text", text=[name for name, _, _ in references], textposition="top center",
                    marker={"symbol": "x", "size": 12, "color": "#444"}, name=labels["shipped"])
    fig.update_xaxes(title_text=labels["x"], rangemode="tozero")
    fig.update_yaxes(title_text=labels["y"])
    fig.update_layout(height=360, margin={"l": 10, "r": 10, "t": 20, "b": 10}, legend={"orientation": "h", "y": -0.25})
    return fig
