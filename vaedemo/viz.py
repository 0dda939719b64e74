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

from .evaluate import ACTIVE_KL


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


MAP_SIZE = (560, 420)  # pixels of a latent map, axes and their labels included
TEXT = 'font-family="Source Sans Pro, Source Sans 3, sans-serif" fill="#31333f"'


def latent_map(codes: torch.Tensor, labels: torch.Tensor, z: torch.Tensor | None = None,
               var: torch.Tensor | None = None, text: float = 12) -> str:
    """Map of codes (N, d) coloured by label, with z (d,) marked by a star and, given the posterior variance
    var (d,), its 2-sigma ellipse, as SVG text. Codes wider than 2-D are projected onto their first two
    principal components. Both axes have the same scale; tick labels are text pixels high (larger for a
    projector), the star and the axis titles in proportion. The map is redrawn on every stroke, so it is a
    picture, not a plotly chart (the two charts took a browser a quarter of a second to redraw, and seconds
    to load their library on a cold start); the codes themselves are one PNG inside it (dots_picture), and
    legend_picture names the colours once for all maps."""
    centre, axes = latent_plane(codes)
    points = ((codes - centre) @ axes).numpy()  # (N, 2)
    shown = [points]
    here = ellipse = None
    if z is not None:
        here = ((z - centre) @ axes).numpy()  # (2,)
        shown.append(here[None])
        if var is not None:
            scales, directions = torch.linalg.eigh(axes.T @ torch.diag(var) @ axes)  # of the (2, 2) covariance
            angle = torch.linspace(0, 2 * torch.pi, 73)
            circle = torch.stack([angle.cos(), angle.sin()])  # (2, 73)
            ellipse = here[:, None] + (2 * directions @ torch.diag(scales.clamp(min=0).sqrt()) @ circle).numpy()
            shown.append(ellipse.T)
    low, high = np.concatenate(shown).min(0), np.concatenate(shown).max(0)
    # a margin, and at least one unit across: codes collapsed onto one spot (say by a large beta) show as that spot
    margin = max(0.04 * (high - low).max(), 0.5 - (high - low).max() / 2)
    low, high = low - margin, high + margin
    (width, height), (left, top, right, bottom) = MAP_SIZE, (4.7 * text, 10, 10, 3.8 * text)  # room for the labels
    box = np.array([width - left - right, height - top - bottom])  # the plot area in pixels
    scale = (box / np.maximum(high - low, 1e-6)).min()  # pixels per unit on both axes
    slack = (box / scale - (high - low)) / 2  # the other axis shows more, centred
    low, high = low - slack, high + slack

    def to_pixels(xy: np.ndarray) -> np.ndarray:  # (..., 2) codes -> (..., 2) pixels, y upwards
        return np.stack([left + (xy[..., 0] - low[0]) * scale, top + (high[1] - xy[..., 1]) * scale], axis=-1)

    names = ("z₁", "z₂") if codes.shape[1] <= 2 else ("principal component 1", "principal component 2")
    sharper = 1.25  # the dots' picture has this many pixels to one of the map's, for large and sharp screens
    dots = ((to_pixels(points) - [left, top]) * sharper).astype(np.float32)  # (N, 2) in the picture
    picture = dots_picture(dots.tobytes(), labels.numpy().tobytes(), *(box * sharper).round().astype(int).tolist())
    parts = [f'<rect x="{left}" y="{top}" width="{box[0]}" height="{box[1]}" fill="white" stroke="#d0d0d8"/>',
             f'<image id="codes" href="{picture}" x="{left}" y="{top}" width="{box[0]}" height="{box[1]}"/>']
    for axis in (0, 1):
        for tick in nice_ticks(low[axis], high[axis]):
            x, y = to_pixels(np.array([tick, low[1]]) if axis == 0 else np.array([low[0], tick]))
            label = f"{tick:g}".replace("-", "−")
            parts.append(f'<text class="x-tick" x="{x:.1f}" y="{y + 4 * text / 3:.1f}" text-anchor="middle" '
                         f'font-size="{text}" {TEXT}>{label}</text>' if axis == 0 else
                         f'<text class="y-tick" x="{x - text / 2:.1f}" y="{y + text / 3:.1f}" text-anchor="end" '
                         f'font-size="{text}" {TEXT}>{label}</text>')
    parts += [f'<text class="axis" x="{left + box[0] / 2:.1f}" y="{height - 2 * text / 3:.1f}" text-anchor="middle" '
              f'font-size="{7 * text / 6:.1f}" {TEXT}>{names[0]}</text>',
              f'<text class="axis" transform="translate({4 * text / 3:.1f} {top + box[1] / 2:.1f}) rotate(-90)" '
              f'text-anchor="middle" font-size="{7 * text / 6:.1f}" {TEXT}>{names[1]}</text>']
    if ellipse is not None:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in to_pixels(ellipse.T))
        parts.append(f'<polyline id="posterior" points="{path}" fill="none" stroke="black" stroke-width="2"/>')
    if here is not None:
        x, y = to_pixels(here)
        angle = np.pi / 2 + np.arange(10) * np.pi / 5  # a five-pointed star, one point up
        radius = np.where(np.arange(10) % 2, text / 3, 5 * text / 6)
        star = " ".join(f"{x + r * np.cos(a):.1f},{y - r * np.sin(a):.1f}" for r, a in zip(radius, angle))
        parts.append(f'<polygon id="drawing" points="{star}" fill="black" stroke="white" stroke-width="1.5"/>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}">{"".join(parts)}</svg>')


def nice_ticks(low: float, high: float, count: int = 6) -> list[float]:
    """About count round numbers between low and high, a step of 1, 2 or 5 times a power of ten apart."""
    rough = (high - low) / count
    power = 10 ** np.floor(np.log10(rough))
    step = power * min((1, 2, 5, 10), key=lambda m: abs(m * power - rough))
    first = np.ceil(low / step) * step
    return [round(float(tick), 10) + 0.0 for tick in np.arange(first, high + step * 1e-9, step)]


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
def dots_picture(pixels: bytes, labels: bytes, width: int, height: int, radius: float = 3.5) -> str:
    """Dots at pixels (N, 2) float32 (x right, y down), coloured by label (N,) int64, on a transparent PNG of
    width x height, as a data URI. Arguments are the arrays' bytes, so that the same picture is drawn once."""
    xy = np.frombuffer(pixels, dtype=np.float32).reshape(-1, 2)
    digits = np.frombuffer(labels, dtype=np.int64)
    # A palette picture: colour 0 transparent, 1 + label a class's colour. The dots have no antialiasing, so the
    # ten colours say it all, and the PNG (sent inside the map on every stroke) is about half an RGBA one's size.
    picture = Image.new("P", (width, height), 0)
    picture.putpalette([0, 0, 0] + [channel for colour in DIGIT_COLOURS for channel in ImageColor.getrgb(colour)])
    picture.info["transparency"] = 0
    pen = ImageDraw.Draw(picture)
    order = np.random.default_rng(0).permutation(len(xy))  # no digit always drawn on top of the others
    for (x, y), digit in zip(xy[order], digits[order]):
        pen.ellipse((x - radius, y - radius, x + radius, y + radius), fill=1 + int(digit))
    return png_data_uri(picture)


def training_curves(steps: list, epochs: list, steps_per_epoch: float, latent_dim: int | None = None) -> go.Figure:
    """Reconstruction and KL in nats per image: train (batches, as they come) and test (after each epoch); given
    a VAE's latent_dim, a third panel with its active units after each epoch (test figures)."""
    titles = ("Reconstruction (BCE)", "KL divergence") + ((f"Active units (of {latent_dim})",) if latent_dim else ())
    fig = make_subplots(rows=1, cols=len(titles), subplot_titles=titles)
    for col, key in enumerate(("recon", "kl"), start=1):
        fig.add_scatter(x=[s["step"] / steps_per_epoch for s in steps], y=[s[f"train_{key}"] for s in steps],
                        mode="lines", name="train (batches)", legendgroup="train", showlegend=col == 1,
                        line={"color": "#1f77b4"}, row=1, col=col)
        fig.add_scatter(x=[e["epoch"] for e in epochs], y=[e[f"test_{key}"] for e in epochs],
                        mode="lines+markers", name="test (10,000 images)", legendgroup="test", showlegend=col == 1,
                        line={"color": "#d62728"}, marker={"size": 8}, row=1, col=col)
    if latent_dim:
        fig.add_scatter(x=[e["epoch"] for e in epochs], y=[e["active_units"] for e in epochs], mode="lines+markers",
                        name="test (10,000 images)", legendgroup="test", showlegend=False, line={"color": "#d62728"},
                        marker={"size": 8}, row=1, col=3)
        fig.update_yaxes(range=[-0.3, latent_dim + 0.3], title_text=f"dimensions with KL > {ACTIVE_KL:g} nats", col=3)
    fig.update_xaxes(title_text="epoch")
    fig.update_yaxes(title_text="nats per image", col=1)
    fig.update_layout(height=330, margin={"l": 10, "r": 10, "t": 40, "b": 10}, uirevision="training",
                      legend={"orientation": "h", "y": -0.25})
    return fig
