"""viz.latent_map, the Draw page's maps: where the drawing's marker and posterior ellipse end up."""
import numpy as np
import pytest
import torch

from vaedemo.viz import latent_map, latent_plane


def trace(fig, name):
    return next(t for t in fig.data if t.name == name)


@pytest.fixture
def labels():
    return torch.arange(200) % 10


def test_2d_map_shows_codes_as_they_are_with_a_2_sigma_ellipse(labels):
    codes = torch.randn(200, 2)
    fig = latent_map(codes, labels, "VAE", z=torch.tensor([1.0, -2.0]), var=torch.tensor([0.25, 0.01]))
    assert [t.name for t in fig.data] == [str(d) for d in range(10)] + ["2σ posterior", "your drawing"]
    threes = trace(fig, "3")
    assert np.allclose(np.c_[threes.x, threes.y], codes[labels == 3].numpy())
    assert (trace(fig, "your drawing").x[0], trace(fig, "your drawing").y[0]) == pytest.approx((1.0, -2.0))
    ellipse = trace(fig, "2σ posterior")
    # semi-axes 2 sigma: 2 * 0.5 along z1, 2 * 0.1 along z2
    assert max(ellipse.x) - min(ellipse.x) == pytest.approx(2.0, rel=1e-3)
    assert max(ellipse.y) - min(ellipse.y) == pytest.approx(0.4, rel=1e-3)
    assert fig.layout.xaxis.title.text == "z₁"


def test_wide_codes_are_shown_on_their_principal_components(labels):
    torch.manual_seed(0)
    codes = torch.randn(200, 16) * torch.linspace(0.1, 1, 16)  # most spread along the last axes
    codes[:, 15] *= 5
    codes[:, 14] *= 3
    centre, axes = latent_plane(codes)
    assert torch.allclose(axes.T @ axes, torch.eye(2), atol=1e-5)
    assert abs(axes[15, 0]) > 0.99 and abs(axes[14, 1]) > 0.99
    z = codes[7]
    fig = latent_map(codes, labels, "AE", z=z)
    marker = trace(fig, "your drawing")
    assert np.allclose([marker.x[0], marker.y[0]], ((z - centre) @ axes).numpy(), atol=1e-5)
    assert "2σ posterior" not in [t.name for t in fig.data]
    assert fig.layout.xaxis.title.text == "principal component 1"


def test_map_without_a_drawing_has_only_the_test_codes(labels):
    fig = latent_map(torch.randn(200, 2), labels, "AE")
    assert len(fig.data) == 10
