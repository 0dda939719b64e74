"""Pictures and plotly figures for the pages (no Streamlit here)."""
import numpy as np
import plotly.graph_objects as go
import torch
from plotly.colors import qualitative
from plotly.subplots import make_subplots


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


def latent_map(codes: torch.Tensor, labels: torch.Tensor, title: str, z: torch.Tensor | None = None,
               var: torch.Tensor | None = None) -> go.Figure:
    """Scatter of codes (N, d) coloured by label, with z (d,) marked and, given the posterior variance
    var (d,), its 2-sigma ellipse. Codes wider than 2-D are projected onto their first two principal
    components."""
    centre, axes = latent_plane(codes)
    points = ((codes - centre) @ axes).numpy()  # (N, 2)
    labels = labels.numpy()
    fig = go.Figure()
    for digit in range(10):
        xy = points[labels == digit]
        fig.add_scattergl(x=xy[:, 0], y=xy[:, 1], mode="markers", name=str(digit),
                        marker={"size": 4, "opacity": 0.6, "color": DIGIT_COLOURS[digit]}, hoverinfo="name")
    if z is not None:
        here = ((z - centre) @ axes).numpy()  # (2,)
        if var is not None:
            scales, directions = torch.linalg.eigh(axes.T @ torch.diag(var) @ axes)  # of the (2, 2) covariance
            angle = torch.linspace(0, 2 * torch.pi, 73)
            circle = torch.stack([angle.cos(), angle.sin()])  # (2, 73)
            ellipse = here[:, None] + (2 * directions @ torch.diag(scales.clamp(min=0).sqrt()) @ circle).numpy()
            fig.add_scatter(x=ellipse[0], y=ellipse[1], mode="lines", name="2σ posterior",
                            line={"color": "black", "width": 2}, hoverinfo="name")
        fig.add_scatter(x=[here[0]], y=[here[1]], mode="markers", name="your drawing", hoverinfo="name",
                        marker={"symbol": "star", "size": 15, "color": "black", "line": {"color": "white", "width": 1.5}})
    names = ("z₁", "z₂") if codes.shape[1] <= 2 else ("principal component 1", "principal component 2")
    fig.update_layout(title=title, height=440, margin={"l": 10, "r": 10, "t": 40, "b": 10}, legend_title_text="digit",
                      xaxis_title=names[0], yaxis_title=names[1], uirevision=title)
    fig.update_yaxes(scaleanchor="x", scaleratio=1)
    return fig


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
