"""Why a VAE generates and an AE does not, as pictures: decodes of samples from the prior N(0, I),
straight-line interpolation between two digits' codes, and latent maps at one scale with the prior's
1-sigma and 2-sigma circles.

Reference: Kingma & Welling, "Auto-Encoding Variational Bayes", 2014: the KL term pulls the VAE's
codes onto the prior, so a sample of the prior decodes to a digit; nothing does that for an AE.
"""
import plotly.graph_objects as go
import torch

from .viz import DIGIT_COLOURS


def prior_samples(n: int, latent_dim: int, seed: int) -> torch.Tensor:
    """n draws of z ~ N(0, I), the same ones for the same seed: (n, latent_dim)."""
    return torch.randn(n, latent_dim, generator=torch.Generator().manual_seed(seed))


def interpolate(start: torch.Tensor, end: torch.Tensor, steps: int = 10) -> torch.Tensor:
    """steps evenly spaced points on the straight line from start (d,) to end (d,), both included: (steps, d)."""
    t = torch.linspace(0, 1, steps)[:, None]  # (steps, 1)
    return torch.lerp(start, end, t)


@torch.inference_mode()
def interpolation(model, x_start: torch.Tensor, x_end: torch.Tensor, steps: int = 10) -> torch.Tensor:
    """Decodes along the straight line between the codes of two digits (1, 1, 28, 28) each: (steps, 1, 28, 28).
    The first and last are the two digits' own reconstructions."""
    codes = model.latent_mean(torch.cat([x_start, x_end]))  # (2, d)
    return model.decode(interpolate(codes[0], codes[1], steps))


def farthest_from_codes(codes: torch.Tensor, start: torch.Tensor, end: torch.Tensor, steps: int = 50) -> float:
    """How far the straight line from start (d,) to end (d,) strays from the codes (N, d): the distance from its
    loneliest point to the nearest code, in units of the codes' typical spacing (the median distance from a
    code to its nearest neighbour)."""
    between = torch.cdist(codes, codes).fill_diagonal_(torch.inf)  # (N, N)
    spacing = between.min(dim=1).values.median()
    return (torch.cdist(interpolate(start, end, steps), codes).min(dim=1).values.max() / spacing).item()


def shared_limit(*codes: torch.Tensor, share: float = 0.995) -> float:
    """Half the width of square axes that hold nearly all (share) of the 2-D codes of every map, and the
    prior's 2-sigma circle."""
    reach = [torch.quantile(c.abs().amax(dim=1), share).item() for c in codes]
    return 1.1 * max(reach + [2.0])


def circle(radius: float, points: int = 73) -> tuple[list, list]:
    angle = torch.linspace(0, 2 * torch.pi, points)
    return (radius * angle.cos()).tolist(), (radius * angle.sin()).tolist()


def prior_map(codes: torch.Tensor, labels: torch.Tensor, title: str, limit: float, path: torch.Tensor | None = None,
              classes: tuple = tuple(map(str, range(10)))):
    """2-D codes (N, 2) coloured by label on square axes [-limit, limit], with the prior's 1-sigma and 2-sigma
    circles and, given path (2, 2), the straight line from its first code (A) to its second (B). The legend
    names each label's class. The codes are markers, not viz.latent_map's one picture, so that they stay dots
    at any scale."""
    fig = go.Figure()
    for label, name in enumerate(classes):
        xy = codes[labels == label].numpy()
        fig.add_scatter(x=xy[:, 0], y=xy[:, 1], mode="markers", name=name, hoverinfo="name",
                        marker={"size": 4, "opacity": 0.7, "color": DIGIT_COLOURS[label]})
    for radius in (1, 2):
        x, y = circle(radius)
        fig.add_scatter(x=x, y=y, mode="lines", name=f"prior {radius}σ", hoverinfo="name",
                        line={"color": "black", "width": 1.5, "dash": "solid" if radius == 1 else "dash"})
    if path is not None:
        fig.add_scatter(x=path[:, 0].tolist(), y=path[:, 1].tolist(), mode="lines+markers+text", name="A → B",
                        text=["A", "B"], textposition="top center", hoverinfo="name",
                        line={"color": "crimson", "width": 3}, marker={"size": 10, "color": "crimson"})
    fig.update_layout(title=title, height=440, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                      xaxis_title="z₁", yaxis_title="z₂", plot_bgcolor="white")
    fig.update_xaxes(range=[-limit, limit], showgrid=False, zeroline=False)
    fig.update_yaxes(range=[-limit, limit], showgrid=False, zeroline=False, scaleanchor="x", scaleratio=1)
    return fig


def checkpoint_figures(vae) -> dict:
    """A VAE's test figures as its checkpoint's metadata holds them, in nats per image: reconstruction, KL and
    the -ELBO, reconstruction + KL whatever beta weighted the KL in training."""
    recon, kl = float(vae.metadata["test_recon"]), float(vae.metadata["test_kl"])
    return {"reconstruction": recon, "KL": kl, "-ELBO": recon + kl}
