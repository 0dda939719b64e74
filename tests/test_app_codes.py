"""The Discrete codes page under AppTest: before a stroke a hint; a drawn digit's grid of codes (the shipped VQ-VAE's
encoding of the drawing), the codebook's pictures and the model sent to the browser, with the grid as text; the last
drawing of another page prefills it. Drawings go in through st.session_state["fed_drawing"] (AppTest cannot draw on
the canvas), as on the Draw page. The browser's decode and the edits are tested in tests/test_browser_codes.py."""
import base64
import io
import json

import numpy as np
import pytest
import torch
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


def test_before_a_stroke_a_hint_and_the_model_goes_to_the_browser(vqvae):
    at = open_page(PAGE)
    assert at.title[0].value == "Discrete codes: a VQ-VAE"
    assert "Draw a digit on the black canvas" in at.info[0].value
    assert sent_models(at) == [pack_codes(vqvae).id]  # the decoder and codebook the browser decodes with
    assert not elements(at, "vaedemo.codes")
    assert "7×7 grid of 16-number vectors" in at.markdown[-1].value


def test_a_drawing_shows_its_codes_and_the_codebook_pictures(vqvae):
    at = open_page(PAGE)
    seven = seven_on_canvas()
    at.session_state["fed_drawing"] = seven
    at.run()
    assert not at.exception
    data = grid_data(at)
    with torch.inference_mode():
        expected = vqvae.encode(preprocess_drawing(seven))[0]  # (7, 7)
    assert data["codes"] == expected.flatten().tolist() and data["model"] == pack_codes(vqvae).id
    assert len(data["entries"]) == len(data["colours"]) == vqvae.codebook_size == len(set(data["colours"]))
    pictures = to_uint8(codebook_pictures(vqvae))
    for code in (0, 17, vqvae.codebook_size - 1):
        png = Image.open(io.BytesIO(base64.b64decode(data["entries"][code].split(",", 1)[1])))
        assert np.array_equal(np.asarray(png.convert("L")), pictures[code])
    rows = "; ".join(" ".join(f"{code:2d}" for code in row) for row in expected.tolist())
    [summary] = [caption.value for caption in at.caption if caption.value.startswith("Text version of the grid")]
    assert rows in summary and f"use {len(expected.unique())} of the {vqvae.codebook_size} codes" in summary
    assert torch.equal(at.session_state["last_drawing"], preprocess_drawing(seven))  # the Repair page offers it


def test_the_last_drawing_of_another_page_prefills_the_grid(vqvae):
    at = open_page(PAGE)
    x = preprocess_drawing(seven_on_canvas())
    at.session_state["last_drawing"] = x
    at.run()
    with torch.inference_mode():
        assert grid_data(at)["codes"] == vqvae.encode(x)[0].flatten().tolist()
    assert any("Your last drawing" in caption.value for caption in at.caption)
