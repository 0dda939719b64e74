"""The Discrete codes page under AppTest: what the browser gets to encode each stroke with (the shipped VQ-VAE, the
codebook's pictures, the canvas to follow); the last drawing of another page prefills the grid. The browser's
encoding, its decode and the edits are tested in tests/webapp/test_browser_codes.py."""
import base64
import io
import json

import numpy as np
import pytest
from PIL import Image

import vaedemo
from tests.harness.apptest import open_page, seven_on_canvas
from tests.harness.latent_maps import elements, sent_models
from tests.harness.server import ROOT
from vaedemo.latent import codebook_pictures
from vaedemo.preprocess import preprocess_drawing
from vaedemo.viz import to_uint8
from webapp.components.latent_map import pack_codes

PAGE = "webapp/views/codes.py"


@pytest.fixture(scope="module")
def vqvae():
    return vaedemo.load_checkpoint(ROOT / "checkpoints" / "vq-vae.safetensors")


def grid_data(at) -> dict:
    [element] = elements(at, "vaedemo.codes")
    return json.loads(element.proto.json)


def test_the_browser_gets_the_vqvae_the_codebook_and_the_canvas_to_encode(vqvae):
    at = open_page(PAGE)
    assert at.title[0].value == "Discrete codes: a VQ-VAE"
    assert sent_models(at) == [pack_codes(vqvae).id]  # the encoder, decoder and codebook the browser works with
    data = grid_data(at)
    assert data["model"] == pack_codes(vqvae).id and data["canvas"] == "codes_canvas" and data["x"] is None
    assert data["words"]["hint"].startswith("Draw a digit on the black canvas")
    assert len(data["entries"]) == len(data["colours"]) == vqvae.codebook_size == len(set(data["colours"]))
    pictures = to_uint8(codebook_pictures(vqvae))
    for code in (0, 17, vqvae.codebook_size - 1):
        png = Image.open(io.BytesIO(base64.b64decode(data["entries"][code].split(",", 1)[1])))
        assert np.array_equal(np.asarray(png.convert("L")), pictures[code])
    assert "7×7 grid of 16-number vectors" in at.markdown[-1].value


def test_the_last_drawing_of_another_page_prefills_the_grid():
    at = open_page(PAGE)
    x = preprocess_drawing(seven_on_canvas())
    at.session_state["last_drawing"] = x
    at.run()
    data = grid_data(at)
    assert data["x"] == pytest.approx(x.flatten().tolist(), abs=1e-6)
    assert data["words"]["last"].startswith("Your last drawing")
