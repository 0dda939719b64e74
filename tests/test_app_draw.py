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

from tests.harness.apptest import seven_on_canvas
from tests.harness.latent_maps import maps, sent_models
from tests.harness.server import ROOT
from vaedemo import load_checkpoint
from vaedemo.data import load_test_sample
from vaedemo.preprocess import preprocess_drawing
from webapp.components.latent_map import pack


@pytest.fixture
def app():
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()


def reconstructions(app):
    """The page's first image element: the input and both reconstructions (the reparameterisation part's decoded z
    comes after the maps)."""
    return app.get("image")[0]


def test_the_sidebar_and_the_canvas_show_before_torch_loads():
    """Importing torch is most of a cold start: app.py's sidebar and the Draw page's canvas must not need it,
    so a person sees the page and can draw while the models load."""
    loaded = ("import sys, webapp.sidebar, webapp.components.canvas; "
              "print(sorted({'torch', 'pandas'} & set(sys.modules)))")
    result = subprocess.run([sys.executable, "-c", loaded], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_draw_is_the_default_page_and_starts_with_a_hint(app):
    assert not app.exception
    assert app.title[0].value == "Draw a digit"
    assert "Draw a digit on the black canvas" in app.info[0].value
    assert len(app.get("image")) == 0
    # before a stroke the maps show the codes alone, and a pointer on them decodes in the browser
    assert [(m["title"], "z" in m) for m in maps(app)] == [("AE codes of 2,000 test digits", False),
                                                           ("VAE codes of 2,000 test digits", False)]
    assert sent_models(app) == [m["model"] for m in maps(app)]


def test_a_drawing_gives_input_reconstructions_and_maps(app):
    app.session_state["fed_drawing"] = seven_on_canvas()
    app.run()
    assert not app.exception and not app.info
    assert reconstructions(app).captions == ["Input (28×28)", "AE rebuilds", "VAE rebuilds"]
    pictures = [picture.url for picture in app.get("image")[0].proto.imgs]  # sent at 28x28, the browser enlarges them
    assert [Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).size for url in pictures] == [(28, 28)] * 3
    ae_map, vae_map = maps(app)
    x = preprocess_drawing(seven_on_canvas())
    ae, vae = (load_checkpoint(ROOT / "checkpoints" / f"{kind}-2d.safetensors") for kind in ("ae", "vae"))
    with torch.inference_mode():
        ae_z, (vae_mu, vae_logvar) = ae.encode(x)[0], vae.encode(x)
    assert ae_map["z"] == pytest.approx(ae_z.tolist(), abs=1e-4) and ae_map["point"] == pytest.approx(ae_map["z"])
    assert "ellipse" not in ae_map  # an AE has no posterior
    assert vae_map["z"] == pytest.approx(vae_mu[0].tolist(), abs=1e-4)
    ellipse = np.array(vae_map["ellipse"])  # the 2-sigma ellipse around the star
    assert ellipse.mean(0) == pytest.approx(vae_mu[0].tolist(), abs=0.01)
    assert np.ptp(ellipse, axis=0) == pytest.approx((4 * (vae_logvar[0] / 2).exp()).tolist(), rel=0.01)
    for m in (ae_map, vae_map):  # the star inside the map
        x0, x1, y0, y1 = m["bounds"]
        assert x0 < m["point"][0] < x1 and y0 < m["point"][1] < y1
    assert [m["names"] for m in maps(app)] == [["z₁", "z₂"]] * 2 and maps(app)[0]["classes"] == list("0123456789")
    assert "principal components" not in " ".join(caption.value for caption in app.caption)


def test_lecture_mode_writes_the_maps_larger(app):
    app.session_state["fed_drawing"] = seven_on_canvas()
    app.run()
    assert [m["text"] for m in maps(app)] == [12, 12]
    app.toggle(key="lecture").set_value(True).run()
    assert not app.exception
    assert [m["text"] for m in maps(app)] == [20, 20]


def test_16d_pair_shows_pca_maps(app):
    app.session_state["fed_drawing"] = seven_on_canvas()
    app.radio(key="draw_latent_dim").set_value(16).run()
    assert not app.exception
    assert len(maps(app)) == 2
    assert all(
        m["names"] == ["principal component 1", "principal component 2"] and len(m["z"]) == 16 for m in maps(app)
    )
    assert any("first two principal components" in caption.value for caption in app.caption)


@pytest.mark.parametrize("canvas, expected", [
    (np.zeros((280, 280, 4), dtype=np.uint8), "hint"),  # transparent: nothing drawn
    (np.full((280, 280, 4), 255, dtype=np.uint8), "images"),  # all ink
])
def test_empty_and_full_canvas_never_fail(app, canvas, expected):
    app.session_state["fed_drawing"] = canvas
    app.run()
    assert not app.exception
    pictures = reconstructions(app).proto.imgs if app.get("image") else []
    assert len(pictures) == (3 if expected == "images" else 0)  # input, AE, VAE
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
    assert reconstructions(app).captions == ["Input (28×28)", "conv AE rebuilds", "conv VAE rebuilds"]
    assert [m["title"] for m in maps(app)] == [
        "conv AE codes of 2,000 test digits",
        "conv VAE codes of 2,000 test digits",
    ]
    x = preprocess_drawing(seven_on_canvas())
    conv_ae = load_checkpoint(ROOT / "checkpoints" / "conv-ae-16d.safetensors")
    with torch.inference_mode():
        expected = conv_ae.decode(conv_ae.encode(x))[0, 0].numpy()
    shown = app.get("image")[0].proto.imgs[1].url
    rebuilt = np.asarray(Image.open(io.BytesIO(base64.b64decode(shown.split(",", 1)[1]))).convert("L")) / 255
    assert np.abs(rebuilt - expected).max() <= 1 / 255
    assert all(m["names"][0] == "principal component 1" for m in maps(app))
    conv_vae = load_checkpoint(ROOT / "checkpoints" / "conv-vae-16d.safetensors")
    images, labels = load_test_sample()
    with torch.inference_mode():
        expected_models = [pack(model, model.latent_mean(images), labels).id for model in (conv_ae, conv_vae)]
    assert sent_models(app) == expected_models == [m["model"] for m in maps(app)]
