"""The Every digit page under AppTest: what it gives the browser, which reads each stroke itself (the CVAE's ten
ELBOs, the style as every digit: tests/webapp/test_browser_every_digit.py), the Take my style button's style reaching
the sliders, and the style space with its sliders."""
import re

import pytest
import torch
from streamlit.testing.v1 import AppTest

import vaedemo
from tests.harness.apptest import answer_parts
from tests.harness.latent_maps import elements, sent_models, trigger
from tests.harness.server import ROOT
from vaedemo.checkpoints import checkpoint_bytes
from vaedemo.data import load_test_sample
from webapp.components.latent_map import pack

PAGE = "webapp/views/every_digit.py"


@pytest.fixture
def app():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


@pytest.fixture(scope="module")
def cvae():
    return vaedemo.load_checkpoint(ROOT / "checkpoints" / "cvae-2d.safetensors")


def captions(app) -> list[str]:
    return [caption for image in app.get("image") for caption in image.captions]


def reading(app) -> dict:
    """What the page gives the browser to read a drawing with (components/answer.py, every_digit)."""
    [part] = answer_parts(app, "every_digit")
    return part


def test_before_a_stroke_the_browser_gets_the_cvae_and_the_style_space_shows(app, cvae):
    """The browser reads each stroke (tests/webapp/test_browser_every_digit.py checks its figures against vaedemo's):
    the page sends the CVAE and the samples' noise, the same for every label."""
    assert app.title[0].value == "Your handwriting in every digit"
    part = reading(app)
    assert part["words"]["hint"].startswith("Draw a digit on the black canvas")
    images, labels = load_test_sample()
    with torch.inference_mode():
        expected = pack(cvae, cvae.latent_mean(images, labels), labels).id
    assert part["model"] == expected and sent_models(app) == [expected]
    eps = torch.randn(16, 1, 2, generator=torch.Generator().manual_seed(0)).flatten()
    assert part["eps_k"] == pytest.approx(eps.tolist(), abs=1e-6)
    assert captions(app) == ["z = (0.00, 0.00) decoded with every label 0–9", captions(app)[1]]
    assert captions(app)[1].startswith("the CVAE's 7s: a 15×15 lattice")


def test_take_my_style_moves_the_sliders_to_the_drawings_z(app):
    [element] = elements(app, "vaedemo.answer")
    trigger(app, element, "style", [0.2198, -0.1309])  # what the browser sends with the press: the drawing's style
    assert not app.exception
    z1, z2 = app.slider(key="every_digit_z1").value, app.slider(key="every_digit_z2").value
    assert (z1, z2) == (0.22, -0.13)
    assert f"z = ({z1:.2f}, {z2:.2f}) decoded with every label 0–9" in captions(app)


def test_the_style_map_follows_the_chosen_digit(app):
    app.segmented_control(key="every_digit_label").set_value(3).run()
    assert not app.exception and any(caption.startswith("the CVAE's 3s") for caption in captions(app))


def test_on_fashion_mnist_the_page_says_it_stays_on_digits(app):
    app.session_state["dataset"] = "fashion"
    app.run()
    assert not app.exception
    assert any(re.search("Every digit page works on handwritten digits only", info.value) for info in app.info)


@pytest.mark.parametrize("latent_dim", [2, 3])
def test_an_uploaded_cvae_is_used_where_its_codes_fit(latent_dim):
    torch.manual_seed(0)
    mine = vaedemo.build_model(vaedemo.ModelConfig("cvae", latent_dim, hidden=16))  # untrained: blotches
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("webapp/views/train.py").run()
    at.file_uploader(key="train_upload").set_value(
        ("my-cvae.safetensors", checkpoint_bytes(mine), "application/octet-stream")
    ).run()
    assert at.success[0].value.startswith(f"Loaded my-cvae.safetensors: a CVAE with latent size {latent_dim}")
    at.switch_page(PAGE).run()
    assert not at.exception
    stands_in = any("Your CVAE has 3-D codes: the shipped 2-D one stands in here." in c.value for c in at.caption)
    assert stands_in == (latent_dim == 3)
    shipped = vaedemo.load_checkpoint(ROOT / "checkpoints" / "cvae-2d.safetensors")
    images, labels = load_test_sample()
    with torch.inference_mode():
        ids = {model: pack(model, model.latent_mean(images, labels), labels).id for model in (mine, shipped)}
    assert reading(at)["model"] == ids[mine if latent_dim == 2 else shipped]  # mine is used where it fits
