"""The latent map's Python side: the model packed for the browser (components.latent_map.pack, read back here as
components/model.js reads it), the plane of a map, the drawing's posterior ellipse on it and the map's bounds.
The browser's decode itself is checked against torch in tests/webapp/test_browser_latent.py."""

import numpy as np
import pytest
import torch

from tests.harness.latent_maps import decode, unpack
from tests.harness.server import ROOT
from vaedemo import load_checkpoint
from vaedemo.viz import latent_plane, map_bounds, posterior_ellipse
from webapp.components.latent_map import browser_model, pack


@pytest.mark.parametrize("name", ["vae-2d", "ae-16d", "conv-vae-16d"])
def test_a_packed_decoder_decodes_as_the_model_does(name):
    """Weights go as float16: the decode of the packed weights is the model's to within a grey level."""
    model = load_checkpoint(ROOT / "checkpoints" / f"{name}.safetensors")
    codes = torch.randn(300, model.latent_dim)
    labels = torch.arange(300) % 10
    packed = pack(model, codes, labels)
    name_in_blob, header, arrays = unpack(packed.blob)
    assert name_in_blob == packed.id and header["latent_dim"] == model.latent_dim
    assert np.array_equal(arrays[header["labels"]], labels.numpy())
    assert np.allclose(arrays[header["points"]].reshape(-1, 2), packed.points)
    z = torch.randn(5, model.latent_dim)
    with torch.inference_mode():
        expected = model.decode(z).flatten(1).numpy()
    decoder_name, decoder, weights = unpack(packed.decoder)
    assert decoder_name == header["decoder_file"] and unpack(packed.encoder)[0] == header["encoder_file"]
    for row, code in enumerate(z.numpy()):
        assert np.abs(decode(decoder, weights, code) - expected[row]).max() < 1.5 / 255


def test_a_model_is_packed_once_and_each_model_has_its_own_id():
    vae = load_checkpoint(ROOT / "checkpoints" / "vae-2d.safetensors")
    ae = load_checkpoint(ROOT / "checkpoints" / "ae-2d.safetensors")
    codes, labels = torch.randn(100, 2), torch.arange(100) % 10
    assert browser_model(vae, codes, labels) is browser_model(vae, codes, labels)
    assert browser_model(ae, codes, labels).id != browser_model(vae, codes, labels).id
    assert pack(vae, codes, labels).id == browser_model(vae, codes, labels).id  # the id is the content's


def test_wide_codes_are_shown_on_their_principal_components():
    torch.manual_seed(0)
    codes = torch.randn(200, 16) * torch.linspace(0.1, 1, 16)  # most spread along the last axes
    codes[:, 15] *= 5
    codes[:, 14] *= 3
    centre, axes = latent_plane(codes)
    assert torch.allclose(axes.T @ axes, torch.eye(2), atol=1e-5)
    assert abs(axes[15, 0]) > 0.99 and abs(axes[14, 1]) > 0.99
    packed = pack(load_checkpoint(ROOT / "checkpoints" / "vae-16d.safetensors"), codes, torch.arange(200) % 10)
    assert packed.project(codes[7]) == pytest.approx(((codes[7] - centre) @ axes).tolist(), abs=1e-5)
    assert np.allclose(packed.points, ((codes - centre) @ axes).numpy(), atol=1e-5)


def test_2d_codes_are_their_own_map():
    centre, axes = latent_plane(torch.randn(50, 2))
    assert torch.equal(centre, torch.zeros(2)) and torch.equal(axes, torch.eye(2))


def test_the_posterior_ellipse_is_2_sigma_along_each_axis():
    ellipse = posterior_ellipse(np.array([1.0, -2.0]), torch.tensor([0.25, 0.01]), torch.eye(2))
    assert ellipse.mean(0) == pytest.approx([1.0, -2.0], abs=0.02)
    assert np.ptp(ellipse[:, 0]) == pytest.approx(2.0, abs=0.01)  # 2 * 0.5 each side
    assert np.ptp(ellipse[:, 1]) == pytest.approx(0.4, abs=0.01)  # 2 * 0.1 each side


def test_bounds_hold_every_point_with_a_margin_and_a_collapsed_map_one_unit():
    points = np.array([[-3.0, 1.0], [5.0, 2.0]])
    x0, x1, y0, y1 = map_bounds(points, [[0.0, 9.0]])
    assert x0 < -3 and x1 > 5 and y0 < 1 and y1 > 9
    x0, x1, y0, y1 = map_bounds(np.zeros((50, 2)), np.empty((0, 2)))
    assert x1 - x0 == pytest.approx(1.0) and y1 - y0 == pytest.approx(1.0)
