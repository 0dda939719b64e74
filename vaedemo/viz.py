"""Pictures and plotly figures for the pages (no Streamlit here)."""
import base64
import functools
import io

import numpy as np
import plotly.graph_objects as go
import torch
from plotly.colors import qualitative
from plotly.subplots import make_subplots
from PIL import Image, ImageColor, ImageDraw, ImageFont


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


def latent_map(codes: torch.Tensor, labels: torch.Tensor, z: torch.Tensor | None = None,
               var: torch.Tensor | None = None) -> go.Figure:
    """Map of codes (N, d) coloured by label, with z (d,) marked and, given the posterior variance
    var (d,), its 2-sigma ellipse. Codes wider than 2-D are projected onto their first two principal
    components. The figure is redrawn on every stroke, so it is lean: the codes are one picture behind the
    axes (thousands of markers took a browser a quarter of a second), and the colours are named once for all
    maps by legend_picture (plotly's legend and title made the redraw twice as slow)."""
    centre, axes = latent_plane(codes)
    points = ((codes - centre) @ axes).numpy()  # (N, 2)
    x0, y0 = points.min(0)
    x1, y1 = points.max(0)
    fig = go.Figure()
    fig.add_layout_image(source=dots_picture(points.tobytes(), labels.numpy().tobytes()), xref="x", yref="y",
                         x=x0, y=y1, sizex=x1 - x0, sizey=y1 - y0, sizing="stretch", layer="below")
    shown = [points]
    if z is not None:
        here = ((z - centre) @ axes).numpy()  # (2,)
        if var is not None:
            scales, directions = torch.linalg.eigh(axes.T @ torch.diag(var) @ axes)  # of the (2, 2) covariance
            angle = torch.linspace(0, 2 * torch.pi, 73)
            circle = torch.stack([angle.cos(), angle.sin()])  # (2, 73)
            ellipse = here[:, None] + (2 * directions @ torch.diag(scales.clamp(min=0).sqrt()) @ circle).numpy()
            fig.add_scatter(x=ellipse[0], y=ellipse[1], mode="lines", name="2σ posterior",
                            line={"color": "black", "width": 2}, hoverinfo="name")
            shown.append(ellipse.T)
        fig.add_scatter(x=[here[0]], y=[here[1]], mode="markers", name="your drawing", hoverinfo="name",
                        marker={"symbol": "star", "size": 15, "color": "black", "line": {"color": "white", "width": 1.5}})
        shown.append(here[None])
    low, high = np.concatenate(shown).min(0), np.concatenate(shown).max(0)
    pad = 0.04 * (high - low).max()
    names = ("z₁", "z₂") if codes.shape[1] <= 2 else ("principal component 1", "principal component 2")
    fig.update_layout(height=420, margin={"l": 10, "r": 10, "t": 10, "b": 10}, showlegend=False,
                      xaxis_title=names[0], yaxis_title=names[1], plot_bgcolor="white")
    # fixed axes: zooming in would blow the picture's dots up into blurred discs
    fig.update_xaxes(range=[low[0] - pad, high[0] + pad], showgrid=False, zeroline=False, fixedrange=True)
    fig.update_yaxes(range=[low[1] - pad, high[1] + pad], showgrid=False, zeroline=False, fixedrange=True,
                     scaleanchor="x", scaleratio=1)
    return fig


@functools.lru_cache(maxsize=8)
def legend_picture(names: tuple[str, ...], height: int = 24) -> str:
    """A row of dots in the classes' colours (DIGIT_COLOURS), each followed by its class name, as a PNG data
    URI: the legend of every latent map on a page."""
    font = ImageFont.load_default(size=round(height * 0.6))
    radius, gap = height / 4, height / 2
    width = sum(2 * radius + gap / 2 + font.getlength(name) + gap for name in names)
    picture = Image.new("RGBA", (round(width), height))
    pen = ImageDraw.Draw(picture)
    x, middle = 0.0, height / 2
    for name, colour in zip(names, DIGIT_COLOURS):
        pen.ellipse((x, middle - radius, x + 2 * radius, middle + radius), fill=colour)
        x += 2 * radius + gap / 2
        pen.text((x, middle), name, font=font, fill="#31333f", anchor="lm")
        x += font.getlength(name) + gap
    return png_data_uri(picture)


@functools.lru_cache(maxsize=32)
def dots_picture(points: bytes, labels: bytes, size: int = 600, radius: float = 4.0) -> str:
    """Codes (N, 2) float32 as dots coloured by label (N,) int64 on a transparent PNG whose corners are the
    codes' extremes (the top edge is the largest y), as a data URI. Arguments are the arrays' bytes, so that
    the picture of the same codes is drawn once."""
    xy = np.frombuffer(points, dtype=np.float32).reshape(-1, 2)
    digits = np.frombuffer(labels, dtype=np.int64)
    low, high = xy.min(0), xy.max(0)
    width, height = (size * (high - low) / (high - low).max()).clip(min=1).round().astype(int)
    pixels = (xy - low) / np.where(high > low, high - low, 1) * [width - 1, height - 1]  # (N, 2)
    picture = Image.new("RGBA", (int(width), int(height)))
    pen = ImageDraw.Draw(picture)
    order = np.random.default_rng(0).permutation(len(xy))  # no digit always drawn on top of the others
    for (x, y), digit in zip(pixels[order], digits[order]):
        y = height - 1 - y
        pen.ellipse((x - radius, y - radius, x + radius, y + radius), fill=ImageColor.getrgb(DIGIT_COLOURS[digit]))
    return png_data_uri(picture)


def training_curves(steps: list, epochs: list, steps_per_epoch: float) -> go.Figure:
    """Reconstruction and KL in nats per image: train (batches, as they come) and test (after each epoch)."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Reconstruction (BCE)", "KL divergence"))
    for col, key in enumerate(("recon", "kl"), start=1):
        fig.add_scatter(x=[s["step"] / steps_per_epoch for s in steps], y=[s[f"train_{key}"] for s in steps],
                        mode="lines", name="train (batches)", legendgroup="train", showlegend=col == 1,
                        line={"color": "#1f77b4"}, row=1, col=col)
        fig.add_scatter(x=[e["epoch"] for e in epochs], y=[e[f"test_{key}"] for e in epochs],
                        mode="lines+markers", name="test (10,000 images)", legendgroup="test", showlegend=col == 1,
                        line={"color": "#d62728"}, marker={"size": 8}, row=1, col=col)
    fig.update_xaxes(title_text="epoch")
    fig.update_yaxes(title_text="nats per image", col=1)
    fig.update_layout(height=330, margin={"l": 10, "r": 10, "t": 40, "b": 10}, uirevision="training",
                      legend={"orientation": "h", "y": -0.25})
    return fig
