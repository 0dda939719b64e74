"""viz.latent_map, the Draw page's maps: where the drawing's marker and posterior ellipse end up."""
import base64
import io

import numpy as np
import pytest
import torch
from PIL import Image, ImageColor

from vaedemo.viz import DIGIT_COLOURS, latent_map, latent_plane, legend_picture


def trace(fig, name):
    return next(t for t in fig.data if t.name == name)


@pytest.fixture
def labels():
    return torch.arange(200) % 10


def test_2d_map_shows_codes_as_they_are_with_a_2_sigma_ellipse(labels):
    codes = torch.randn(200, 2)
    fig = latent_map(codes, labels, z=torch.tensor([1.0, -2.0]), var=torch.tensor([0.25, 0.01]))
    assert [t.name for t in fig.data] == ["2σ posterior", "your drawing"]
    assert (trace(fig, "your drawing").x[0], trace(fig, "your drawing").y[0]) == pytest.approx((1.0, -2.0))
    ellipse = trace(fig, "2σ posterior")
    # semi-axes 2 sigma: 2 * 0.5 along z1, 2 * 0.1 along z2
    assert max(ellipse.x) - min(ellipse.x) == pytest.approx(2.0, rel=1e-3)
    assert max(ellipse.y) - min(ellipse.y) == pytest.approx(0.4, rel=1e-3)
    assert fig.layout.xaxis.title.text == "z₁"


def test_each_code_is_a_dot_of_its_digits_colour_where_the_axes_put_it():
    angle = torch.arange(10) * 2 * torch.pi / 10
    codes = torch.stack([3 * angle.cos() + 1, 2 * angle.sin() - 5], dim=1)  # ten codes far apart, one per digit
    fig = latent_map(codes, torch.arange(10))
    [backdrop] = fig.layout.images
    assert (backdrop.xref, backdrop.yref, backdrop.sizing) == ("x", "y", "stretch")
    picture = np.asarray(Image.open(io.BytesIO(base64.b64decode(backdrop.source.split(",", 1)[1]))).convert("RGBA"))
    height, width = picture.shape[:2]
    for digit, (x, y) in enumerate(codes.tolist()):
        column = round((x - backdrop.x) / backdrop.sizex * (width - 1))
        row = round((backdrop.y - y) / backdrop.sizey * (height - 1))  # the picture's top edge is the largest y
        assert tuple(picture[row, column]) == ImageColor.getrgb(DIGIT_COLOURS[digit]) + (255,), digit
    assert picture[height // 2, width // 2, 3] == 0  # see-through between the dots
    xaxis, yaxis = fig.layout.xaxis.range, fig.layout.yaxis.range
    assert xaxis[0] < -2 < 4 < xaxis[1] and yaxis[0] < -7 < -3 < yaxis[1]


def test_wide_codes_are_shown_on_their_principal_components(labels):
    torch.manual_seed(0)
    codes = torch.randn(200, 16) * torch.linspace(0.1, 1, 16)  # most spread along the last axes
    codes[:, 15] *= 5
    codes[:, 14] *= 3
    centre, axes = latent_plane(codes)
    assert torch.allclose(axes.T @ axes, torch.eye(2), atol=1e-5)
    assert abs(axes[15, 0]) > 0.99 and abs(axes[14, 1]) > 0.99
    z = codes[7]
    fig = latent_map(codes, labels, z=z)
    marker = trace(fig, "your drawing")
    assert np.allclose([marker.x[0], marker.y[0]], ((z - centre) @ axes).numpy(), atol=1e-5)
    assert "2σ posterior" not in [t.name for t in fig.data]
    assert fig.layout.xaxis.title.text == "principal component 1"


def test_map_without_a_drawing_has_only_the_test_codes(labels):
    fig = latent_map(torch.randn(200, 2), labels)
    assert len(fig.data) == 0


def test_the_legend_names_each_colour_once_for_all_maps():
    """One legend above the maps, in the dots' colours, in the order of the class names."""
    picture = Image.open(io.BytesIO(base64.b64decode(legend_picture(tuple("0123456789")).split(",", 1)[1])))
    pixels = np.asarray(picture.convert("RGBA"))
    middle = pixels[pixels.shape[0] // 2]  # (W, 4): the row through the dots and the names
    colours = [ImageColor.getrgb(colour) for colour in DIGIT_COLOURS]
    found = [colours.index(tuple(pixel[:3])) for pixel in middle if tuple(pixel[:3]) in colours and pixel[3] == 255]
    assert [digit for i, digit in enumerate(found) if i == 0 or found[i - 1] != digit] == list(range(10))
    assert picture.width > 10 * picture.height  # one row, with room for the names
