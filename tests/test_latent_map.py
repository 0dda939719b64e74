"""viz.latent_map, the Draw page's maps (two SVG layers, the codes and the marks): where the codes, the
drawing's star and its posterior ellipse end up, read back through the map's own tick labels."""
import base64
import io
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import torch
from PIL import Image, ImageColor

from vaedemo.viz import DIGIT_COLOURS, LatentMap, latent_map, latent_plane, legend_picture, nice_ticks

SVG = "{http://www.w3.org/2000/svg}"


def decoded(uri: str) -> bytes:
    return base64.b64decode(uri.split(",", 1)[1])


class Map:
    """A latent map taken apart: its elements (of both layers), and pixels -> codes through its tick labels."""

    def __init__(self, layers: LatentMap):
        self.layers = [ET.fromstring(layer) for layer in layers]
        assert {layer.get("viewBox") for layer in self.layers} == {"0 0 560 420"}, "layers of one size, one over the other"
        ticks = {kind: [(float(text.text.replace("−", "-")), float(text.get(kind[0]))) for text in self.texts(kind)]
                 for kind in ("x-tick", "y-tick")}
        self.x_ticks, self.y_ticks = ([value for value, _ in ticks[kind]] for kind in ("x-tick", "y-tick"))
        (v0, x0), (v1, x1) = ticks["x-tick"][0], ticks["x-tick"][-1]
        (w0, y0), (w1, y1) = ticks["y-tick"][0], ticks["y-tick"][-1]
        y0, y1 = y0 - 4, y1 - 4  # a y label sits 4 px below its tick
        self.x_scale, self.y_scale = (x1 - x0) / (v1 - v0), (y1 - y0) / (w1 - w0)  # pixels per unit
        self.origin = (x0 - v0 * self.x_scale, y0 - w0 * self.y_scale)  # the pixel of code (0, 0)

    def texts(self, kind: str) -> list:
        return [text for layer in self.layers for text in layer.iter(f"{SVG}text") if text.get("class") == kind]

    def find(self, tag: str, id: str):
        return next((e for layer in self.layers for e in layer.iter(f"{SVG}{tag}") if e.get("id") == id), None)

    def to_code(self, x: float, y: float) -> tuple[float, float]:
        return (x - self.origin[0]) / self.x_scale, (y - self.origin[1]) / self.y_scale

    def points(self, tag: str, id: str) -> np.ndarray:
        """The element's points in code units, (K, 2)."""
        pixels = [tuple(map(float, pair.split(","))) for pair in self.find(tag, id).get("points").split()]
        return np.array([self.to_code(x, y) for x, y in pixels])


@pytest.fixture
def labels():
    return torch.arange(200) % 10


def test_2d_map_marks_the_drawing_with_a_star_and_a_2_sigma_ellipse(labels):
    fig = Map(latent_map(torch.randn(200, 2), labels, z=torch.tensor([1.0, -2.0]), var=torch.tensor([0.25, 0.01])))
    assert fig.x_scale == pytest.approx(-fig.y_scale, rel=1e-3)  # one unit is as long on both axes (y points down)
    assert fig.points("polygon", "drawing").mean(0) == pytest.approx([1.0, -2.0], abs=0.02)
    ellipse = fig.points("polyline", "posterior")
    # semi-axes 2 sigma: 2 * 0.5 along z1, 2 * 0.1 along z2
    assert np.ptp(ellipse[:, 0]) == pytest.approx(2.0, abs=0.02)
    assert np.ptp(ellipse[:, 1]) == pytest.approx(0.4, abs=0.02)
    assert [text.text for text in fig.texts("axis")] == ["z₁", "z₂"]


def test_each_code_is_a_dot_of_its_digits_colour_where_the_axes_put_it():
    angle = torch.arange(10) * 2 * torch.pi / 10
    codes = torch.stack([3 * angle.cos() + 1, 2 * angle.sin() - 5], dim=1)  # ten codes far apart, one per digit
    fig = Map(latent_map(codes, torch.arange(10)))
    backdrop = fig.find("image", "codes")  # the dots' picture, over the whole plot area
    left, top, width, height = (float(backdrop.get(key)) for key in ("x", "y", "width", "height"))
    picture = np.asarray(Image.open(io.BytesIO(decoded(backdrop.get("href")))).convert("RGBA"))
    rows, columns = picture.shape[:2]
    for digit, (x, y) in enumerate(codes.tolist()):
        column = round((fig.origin[0] + x * fig.x_scale - left) / width * columns)
        row = round((fig.origin[1] + y * fig.y_scale - top) / height * rows)
        assert tuple(picture[row, column]) == ImageColor.getrgb(DIGIT_COLOURS[digit]) + (255,), digit
    assert picture[rows // 2, columns // 2, 3] == 0  # see-through between the dots
    assert fig.x_ticks[0] <= -1 and fig.x_ticks[-1] >= 3  # the axes span the codes, -2..4 and -7..-3
    assert min(fig.y_ticks) <= -6 and max(fig.y_ticks) >= -4


def test_codes_collapsed_onto_one_spot_show_as_that_spot():
    """A model whose codes all coincide (a VAE with a huge beta, a 1-D model) still gets a readable map."""
    for codes in (torch.zeros(50, 2), torch.randn(50, 1)):
        fig = Map(latent_map(codes, torch.arange(50) % 10, z=codes[0], var=torch.full((codes.shape[1],), 1e-4)))
        assert 1 <= fig.x_ticks[-1] - fig.x_ticks[0] < 20 and len(fig.y_ticks) >= 2
        assert fig.points("polygon", "drawing").mean(0) == pytest.approx([codes[0, 0].item(), 0.0], abs=0.05)


def test_wide_codes_are_shown_on_their_principal_components(labels):
    torch.manual_seed(0)
    codes = torch.randn(200, 16) * torch.linspace(0.1, 1, 16)  # most spread along the last axes
    codes[:, 15] *= 5
    codes[:, 14] *= 3
    centre, axes = latent_plane(codes)
    assert torch.allclose(axes.T @ axes, torch.eye(2), atol=1e-5)
    assert abs(axes[15, 0]) > 0.99 and abs(axes[14, 1]) > 0.99
    z = codes[7]
    fig = Map(latent_map(codes, labels, z=z))
    assert fig.points("polygon", "drawing").mean(0) == pytest.approx(((z - centre) @ axes).tolist(), abs=0.05)
    assert fig.find("polyline", "posterior") is None
    assert [text.text for text in fig.texts("axis")] == ["principal component 1", "principal component 2"]


def test_map_without_a_drawing_has_only_the_test_codes(labels):
    fig = Map(latent_map(torch.randn(200, 2), labels))
    assert fig.find("image", "codes") is not None
    assert fig.find("polygon", "drawing") is None and fig.find("polyline", "posterior") is None


@pytest.mark.parametrize("low, high, expected", [(-3.2, 3.9, [-3, -2, -1, 0, 1, 2, 3]),
                                                  (-38, 42, [-30, -20, -10, 0, 10, 20, 30, 40]),
                                                  (0.13, 0.61, [0.2, 0.3, 0.4, 0.5, 0.6])])
def test_ticks_are_round_numbers_inside_the_range(low, high, expected):
    assert nice_ticks(low, high) == pytest.approx(expected)


def test_the_legend_names_each_colour_once_for_all_maps():
    """One legend above the maps, in the dots' colours, in the order of the class names."""
    picture = Image.open(io.BytesIO(decoded(legend_picture(tuple("0123456789")))))
    pixels = np.asarray(picture.convert("RGBA"))
    middle = pixels[pixels.shape[0] // 2]  # (W, 4): the row through the dots and the names
    colours = [ImageColor.getrgb(colour) for colour in DIGIT_COLOURS]
    found = [colours.index(tuple(pixel[:3])) for pixel in middle if tuple(pixel[:3]) in colours and pixel[3] == 255]
    assert [digit for i, digit in enumerate(found) if i == 0 or found[i - 1] != digit] == list(range(10))
    assert picture.width > 10 * picture.height  # one row, with room for the names


def test_the_codes_layer_stays_the_same_while_the_drawing_lands_inside_it(labels):
    """The page sends an unchanged layer as a reference to the message the browser already has: a stroke whose
    star and ellipse fall among the codes must leave the codes layer exactly as it was, and only the marks change."""
    codes = torch.randn(200, 2) * 2
    first, second = (latent_map(codes, labels, z=torch.tensor(z), var=torch.tensor([0.01, 0.01])) for z in
                     ([0.5, -0.5], [-1.0, 1.0]))
    assert first.codes == second.codes and first.marks != second.marks
    assert 'id="drawing"' not in first.codes and 'id="codes"' not in first.marks
    outside = latent_map(codes, labels, z=torch.tensor([30.0, 0.0]))  # far out: the frame grows to show it
    assert outside.codes != first.codes and Map(outside).x_ticks[-1] >= 30
