"""Pictures and plotly figures for the pages (no Streamlit here)."""
import base64
import functools
import io
from typing import NamedTuple

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


class LatentMap(NamedTuple):
    """A latent map as two SVG pictures of one size, meant to be shown one over the other."""
    codes: str  # the frame, the ticks and the codes' dots: the same picture whatever lands inside it
    marks: str  # the drawing's star and its posterior ellipse, see-through elsewhere


def latent_map(codes: torch.Tensor, labels: torch.Tensor, z: torch.Tensor | None = None,
               var: torch.Tensor | None = None, text: float = 12) -> LatentMap:
    """Map of codes (N, d) coloured by label, with z (d,) marked by a star and, given the posterior variance
    var (d,), its 2-sigma ellipse. Codes wider than 2-D are projected onto their first two principal
    components. Both axes have the same scale; tick labels are text pixels high (larger for a projector),
    the star and the axis titles in proportion. The map is redrawn on every stroke, so it is a picture,
    not a plotly chart (the two charts took a browser a quarter of a second to redraw, and seconds to load
    their library on a cold start). Its codes layer stays the same while the marks land inside the codes'
    range: it is drawn once (codes_layer) and the page sends it again as a reference to the same message,
    so a stroke costs the server and the network only the small marks layer."""
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
    frame = Frame.around(low - margin, high + margin, text)
    names = ("z₁", "z₂") if codes.shape[1] <= 2 else ("principal component 1", "principal component 2")
    layer = codes_layer(points.astype(np.float32).tobytes(), labels.numpy().tobytes(), frame, names)
    marks = []
    if ellipse is not None:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in frame.pixels(ellipse.T))
        marks.append(f'<polyline id="posterior" points="{path}" fill="none" stroke="black" stroke-width="2"/>')
    if here is not None:
        x, y = frame.pixels(here)
        angle = np.pi / 2 + np.arange(10) * np.pi / 5  # a five-pointed star, one point up
        radius = np.where(np.arange(10) % 2, text / 3, 5 * text / 6)
        star = " ".join(f"{x + r * np.cos(a):.1f},{y - r * np.sin(a):.1f}" for r, a in zip(radius, angle))
        marks.append(f'<polygon id="drawing" points="{star}" fill="black" stroke="white" stroke-width="1.5"/>')
    return LatentMap(layer, svg(marks))


class Frame(NamedTuple):
    """Where a map's plot area sits in its picture and which codes it shows: pixels = left/top + (code - low)
    * scale, y upwards. Hashable, so that codes_layer can be cached by it."""
    low: tuple[float, float]
    high: tuple[float, float]
    left: float
    top: float
    scale: float  # pixels per unit, on both axes
    text: float

    @classmethod
    def around(cls, low: np.ndarray, high: np.ndarray, text: float) -> "Frame":
        """The frame that shows low..high (2,) whole: one scale for both axes, the other axis showing more."""
        (width, height), (left, top, right, bottom) = MAP_SIZE, (4.7 * text, 10, 10, 3.8 * text)  # room for labels
        box = np.array([width - left - right, height - top - bottom])  # the plot area in pixels
        scale = (box / np.maximum(high - low, 1e-6)).min()
        slack = (box / scale - (high - low)) / 2  # the other axis shows more, centred
        return cls(tuple((low - slack).tolist()), tuple((high + slack).tolist()), left, top, float(scale), text)

    @property
    def box(self) -> np.ndarray:
        return (np.array(self.high) - self.low) * self.scale  # (2,) the plot area's width and height in pixels

    def pixels(self, xy: np.ndarray) -> np.ndarray:
        """(..., 2) codes -> (..., 2) pixels of the picture."""
        return np.stack([self.left + (xy[..., 0] - self.low[0]) * self.scale,
                         self.top + (self.high[1] - xy[..., 1]) * self.scale], axis=-1)


def svg(parts: list[str]) -> str:
    width, height = MAP_SIZE
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}">{"".join(parts)}</svg>')


@functools.lru_cache(maxsize=32)
def codes_layer(points: bytes, labels: bytes, frame: Frame, names: tuple[str, str]) -> str:
    """The map's frame, ticks, axis titles and the codes (N, 2) float32 as dots coloured by label (N,) int64, as
    SVG; the arguments are the arrays' bytes, so that the same layer is drawn once."""
    xy = np.frombuffer(points, dtype=np.float32).reshape(-1, 2)
    left, top, text, box = frame.left, frame.top, frame.text, frame.box
    sharper = 1.25  # the dots' picture has this many pixels to one of the map's, for large and sharp screens
    dots = ((frame.pixels(xy) - [left, top]) * sharper).astype(np.float32)  # (N, 2) in the picture
    picture = dots_picture(dots, np.frombuffer(labels, dtype=np.int64), *(box * sharper).round().astype(int).tolist())
    size = f'x="{left:.2f}" y="{top:.2f}" width="{box[0]:.2f}" height="{box[1]:.2f}"'
    parts = [f'<rect {size} fill="white" stroke="#d0d0d8"/>', f'<image id="codes" href="{picture}" {size}/>']
    for axis in (0, 1):
        for tick in nice_ticks(frame.low[axis], frame.high[axis]):
            x, y = frame.pixels(np.array([tick, frame.low[1]]) if axis == 0 else np.array([frame.low[0], tick]))
            label = f"{tick:g}".replace("-", "−")
            parts.append(f'<text class="x-tick" x="{x:.1f}" y="{y + 4 * text / 3:.1f}" text-anchor="middle" '
                         f'font-size="{text}" {TEXT}>{label}</text>' if axis == 0 else
                         f'<text class="y-tick" x="{x - text / 2:.1f}" y="{y + text / 3:.1f}" text-anchor="end" '
                         f'font-size="{text}" {TEXT}>{label}</text>')
    width, height = MAP_SIZE
    parts += [f'<text class="axis" x="{left + box[0] / 2:.1f}" y="{height - 2 * text / 3:.1f}" text-anchor="middle" '
              f'font-size="{7 * text / 6:.1f}" {TEXT}>{names[0]}</text>',
              f'<text class="axis" transform="translate({4 * text / 3:.1f} {top + box[1] / 2:.1f}) rotate(-90)" '
              f'text-anchor="middle" font-size="{7 * text / 6:.1f}" {TEXT}>{names[1]}</text>']
    return svg(parts)


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


def dots_picture(xy: np.ndarray, digits: np.ndarray, width: int, height: int, radius: float = 3.5) -> str:
    """Dots at pixels xy (N, 2) (x right, y down), coloured by label digits (N,), on a transparent PNG of
    width x height, as a data URI."""
    # A palette picture: colour 0 transparent, 1 + label a class's colour. The dots have no antialiasing, so the
    # ten colours say it all, and the PNG is about half an RGBA one's size.
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
