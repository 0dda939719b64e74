"""The Every digit page under AppTest: a drawn digit classified by the shipped CVAE from its ten ELBOs, its style
written as every digit, and the style space with its sliders. Drawings go in through st.session_state["fed_drawing"]
(AppTest cannot draw on the canvas), as on the Draw page."""
import re

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

import vaedemo
from tests.harness.apptest import seven_on_canvas
from tests.harness.server import ROOT
from vaedemo.checkpoints import checkpoint_bytes
from vaedemo.evaluate import label_elbos
from vaedemo.preprocess import preprocess_drawing

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


def test_before_a_stroke_a_hint_and_the_style_space(app):
    assert app.title[0].value == "Your handwriting in every digit"
    assert "Draw a digit on the black canvas" in app.info[0].value
    assert len(app.main.get("bidi_component")) == 1  # the canvas
    assert captions(app) == ["z = (0.00, 0.00) decoded with every label 0–9", captions(app)[1]]
    assert captions(app)[1].startswith("the CVAE's 7s: a 15×15 lattice")


def test_a_drawn_seven_is_read_as_a_seven_from_its_ten_elbos(app, cvae):
    app.session_state["fed_drawing"] = seven_on_canvas()
    app.run()
    assert not app.exception and not app.info
    [verdict] = [block.value for block in app.markdown if block.value.startswith("The CVAE reads it as")]
    assert verdict.startswith("The CVAE reads it as a **7**")
    [table] = [block.value for block in app.markdown if block.value.startswith("| y | 0 | 1 |")]
    shown = [float(cell.strip("* ")) for cell in table.splitlines()[2].split("|")[2:-1]]
    eps = torch.randn(16, 1, 2, generator=torch.Generator().manual_seed(0))
    expected = label_elbos(cvae, preprocess_drawing(seven_on_canvas()), eps)[0]
    assert shown == pytest.approx(expected.tolist(), abs=0.51)  # nats, rounded to whole ones
    assert f"**{expected[7]:.0f}**" in table and table.count("**") == 2  # the best one in bold
    style = cvae.latent_mean(preprocess_drawing(seven_on_canvas()), torch.tensor([7]))[0]
    assert f"Your style z = ({style[0]:.2f}, {style[1]:.2f}), the posterior mean given y = 7" in captions(app)[1]


def test_take_my_style_moves_the_sliders_to_the_drawings_z(app, cvae):
    app.session_state["fed_drawing"] = seven_on_canvas()
    app.run()
    [button] = [b for b in app.button if b.label == "Take my drawing's style"]
    button.click().run()
    assert not app.exception
    style = cvae.latent_mean(preprocess_drawing(seven_on_canvas()), torch.tensor([7]))[0]
    z1, z2 = app.slider(key="every_digit_z1").value, app.slider(key="every_digit_z2").value
    assert (z1, z2) == pytest.approx(style.tolist(), abs=0.006)
    assert f"z = ({z1:.2f}, {z2:.2f}) decoded with every label 0–9" in captions(app)


def test_the_style_map_follows_the_chosen_digit_and_a_blank_canvas_never_fails(app):
    app.segmented_control(key="every_digit_label").set_value(3).run()
    assert not app.exception and any(caption.startswith("the CVAE's 3s") for caption in captions(app))
    app.session_state["fed_drawing"] = np.zeros((280, 280, 4), dtype=np.uint8)  # transparent: nothing drawn
    app.run()
    assert not app.exception and "Draw a digit on the black canvas" in app.info[0].value


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
    at.session_state["fed_drawing"] = seven_on_canvas()
    at.run()
    assert not at.exception
    [table] = [block.value for block in at.markdown if block.value.startswith("| y | 0 | 1 |")]
    shown = [float(cell.strip("* ")) for cell in table.splitlines()[2].split("|")[2:-1]]
    eps = torch.randn(16, 1, 2, generator=torch.Generator().manual_seed(0))
    shipped = vaedemo.load_checkpoint(ROOT / "checkpoints" / "cvae-2d.safetensors")
    expected = label_elbos(shipped, preprocess_drawing(seven_on_canvas()), eps)[0]
    stands_in = any("Your CVAE has 3-D codes: the shipped 2-D one stands in here." in c.value for c in at.caption)
    assert stands_in == (latent_dim == 3)
    assert (shown == pytest.approx(expected.tolist(), abs=0.51)) == (latent_dim == 3)  # mine is used where it fits
