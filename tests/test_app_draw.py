"""The Draw page in Streamlit's AppTest (no browser). AppTest cannot draw on the Components v2 canvas, so
drawings go in through st.session_state["fed_drawing"], which the page reads in place of the canvas."""
import base64
import io
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image
from streamlit.testing.v1 import AppTest

from conftest import ROOT
from vaedemo import load_checkpoint
from vaedemo.data import load_test_sample
from vaedemo.preprocess import preprocess_drawing


@pytest.fixture
def app():
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()


def seven_on_canvas() -> np.ndarray:
    """A test-set 7, enlarged ten times, white on an opaque black 280x280 canvas."""
    images, labels = load_test_sample()
    grey = (images[torch.nonzero(labels == 7)[0, 0], 0] * 255).to(torch.uint8).numpy()  # (28, 28)
    canvas = np.zeros((280, 280, 4), dtype=np.uint8)
    canvas[..., :3] = grey.repeat(10, 0).repeat(10, 1)[..., None]
    canvas[..., 3] = 255
    return canvas


def maps(app) -> list[str]:
    """The SVG of each latent map on the page, its codes layer and its marks layer one after the other (pictures
    sent as SVG data URIs)."""
    svg = "data:image/svg+xml;base64,"
    sources = [picture.url for image in app.get("image") for picture in image.proto.imgs]
    layers = [base64.b64decode(source[len(svg):]).decode() for source in sources if source.startswith(svg)]
    return [codes + marks for codes, marks in zip(layers[:len(layers) // 2], layers[len(layers) // 2:])]


def test_the_sidebar_and_the_canvas_show_before_torch_loads():
    """Importing torch is most of a cold start: app.py's sidebar and the Draw page's canvas must not need it,
    so a person sees the page and can draw while the models load."""
    loaded = "import sys, sidebar, canvas; print(sorted({'torch', 'pandas'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", loaded], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_draw_is_the_default_page_and_starts_with_a_hint(app):
    assert not app.exception
    assert app.title[0].value == "Draw a digit"
    assert "Draw a digit on the black canvas" in app.info[0].value
    assert len(app.get("image")) == 0 and maps(app) == []
    assert len(app.get("bidi_component")) == 1  # the canvas


def test_a_drawing_gives_input_reconstructions_and_maps(app):
    app.session_state["fed_drawing"] = seven_on_canvas()
    app.run()
    assert not app.exception and not app.info
    captions = [caption for image in app.get("image") for caption in image.captions]
    assert captions[:5] == ["Input (28×28)", "AE rebuilds", "VAE rebuilds", "AE codes of 2,000 test digits",
                            "VAE codes of 2,000 test digits"]  # then the marks over the maps
    pictures = [picture.url for picture in app.get("image")[0].proto.imgs]  # sent at 28x28, the browser enlarges them
    assert [Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).size for url in pictures] == [(28, 28)] * 3
    ae_map, vae_map = maps(app)
    assert 'id="drawing"' in ae_map and 'id="posterior"' not in ae_map  # a star; an AE has no posterior
    assert 'id="drawing"' in vae_map and 'id="posterior"' in vae_map
    assert "![The colours of the digits](data:image/png;base64," in " ".join(text.value for text in app.markdown)
    assert "principal components" not in " ".join(caption.value for caption in app.caption)


def test_lecture_mode_writes_the_maps_larger(app):
    app.session_state["fed_drawing"] = seven_on_canvas()
    app.run()
    assert all('font-size="12"' in svg for svg in maps(app))
    app.toggle(key="lecture").set_value(True).run()
    assert not app.exception
    assert all('font-size="20"' in svg and 'font-size="12"' not in svg for svg in maps(app))


def test_16d_pair_shows_pca_maps(app):
    app.session_state["fed_drawing"] = seven_on_canvas()
    app.radio(key="draw_latent_dim").set_value(16).run()
    assert not app.exception
    assert len(maps(app)) == 2
    assert all(">principal component 1<" in svg for svg in maps(app))
    assert any("first two principal components" in caption.value for caption in app.caption)


@pytest.mark.parametrize("canvas, expected", [
    (np.zeros((280, 280, 4), dtype=np.uint8), "hint"),  # transparent: nothing drawn
    (np.full((280, 280, 4), 255, dtype=np.uint8), "images"),  # all ink
])
def test_empty_and_full_canvas_never_fail(app, canvas, expected):
    app.session_state["fed_drawing"] = canvas
    app.run()
    assert not app.exception
    pictures = [picture for image in app.get("image") for picture in image.proto.imgs]
    assert len(pictures) == (7 if expected == "images" else 0)  # input, AE, VAE, the two maps and their marks
    assert bool(app.info) == (expected == "hint")


def test_the_convolutional_pair_stands_in_for_the_16d_mlps(app):
    """In 16-D the switch puts the shipped convolutional AE and VAE in the MLPs' place: their reconstructions of
    the drawing, their maps."""
    app.session_state["fed_drawing"] = seven_on_canvas()
    app.run()
    assert "draw_conv" not in [toggle.key for toggle in app.toggle]  # 2-D codes: no switch
    app.radio(key="draw_latent_dim").set_value(16).run()
    app.toggle(key="draw_conv").set_value(True).run()
    assert not app.exception
    captions = [caption for image in app.get("image") for caption in image.captions]
    assert captions[:5] == ["Input (28×28)", "conv AE rebuilds", "conv VAE rebuilds", "conv AE codes of 2,000 test digits",
                            "conv VAE codes of 2,000 test digits"]
    x = preprocess_drawing(seven_on_canvas())
    conv_ae = load_checkpoint(ROOT / "checkpoints" / "conv-ae-16d.safetensors")
    with torch.inference_mode():
        expected = conv_ae.decode(conv_ae.encode(x))[0, 0].numpy()
    shown = app.get("image")[0].proto.imgs[1].url
    rebuilt = np.asarray(Image.open(io.BytesIO(base64.b64decode(shown.split(",", 1)[1]))).convert("L")) / 255
    assert np.abs(rebuilt - expected).max() <= 1 / 255
    assert all(">principal component 1<" in svg for svg in maps(app))
