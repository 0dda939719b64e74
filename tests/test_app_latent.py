"""The Latent page in AppTest: the sliders and a pick on the map (as the browser sends it) set z; the map gets the
VAE's decoder to decode in the browser."""
import pytest
import torch
from streamlit.testing.v1 import AppTest

import vaedemo
from tests.harness.latent_maps import maps, pick, sent_models
from tests.harness.server import ROOT
from vaedemo.data import load_test_sample
from webapp.components.latent_map import pack


@pytest.fixture
def at():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    return at.switch_page("webapp/views/latent.py").run()


def shown_z(at) -> list[float]:
    (latent,) = maps(at)
    return latent["z"]


def test_page_renders_sliders_map_and_manifold(at):
    assert not at.exception
    assert at.title[0].value == "Walk through the 2-D latent space of a VAE"
    assert [s.label for s in at.slider] == ["z1", "z2"] and [s.value for s in at.slider] == [0, 0]
    (latent,) = maps(at)
    assert latent["pick"] and latent["z"] == [0, 0] and latent["bounds"] == [-4, 4, -4, 4]
    vae = vaedemo.load_checkpoint(ROOT / "checkpoints" / "vae-2d.safetensors")
    images, labels = load_test_sample()
    with torch.inference_mode():
        expected = pack(vae, vae.latent_mean(images), labels).id
    assert sent_models(at) == [expected] == [latent["model"]]  # the shipped 2-D VAE's decoder and codes
    assert len(at.get("image")) == 1  # the manifold


def test_moving_a_slider_moves_z(at):
    at.slider(key="latent_z1").set_value(-2.0).run()
    assert not at.exception and shown_z(at) == [-2.0, 0.0]
    at.slider(key="latent_z2").set_value(1.5).run()
    assert shown_z(at) == [-2.0, 1.5]


def test_picking_a_test_digit_moves_the_sliders_to_its_mean(at):
    images, labels = load_test_sample()
    vae = vaedemo.load_checkpoint(ROOT / "checkpoints" / "vae-2d.safetensors")
    row = 3
    z = vae.latent_mean(images[row:row + 1])[0].tolist()
    pick(at, {"z": [0.0, 0.0], "row": row})
    assert not at.exception
    assert [s.value for s in at.slider] == pytest.approx(z, abs=0.006) and shown_z(at) == pytest.approx(z, abs=0.006)
    clicked = at.get("image")[0]
    assert clicked.captions[0] == f"the test {labels[row]} you clicked, whose mean z this is"
    at.slider(key="latent_z2").set_value(0.0).run()  # sliding on forgets the clicked digit
    assert len(at.get("image")) == 1


def test_picking_anywhere_else_picks_that_z(at):
    pick(at, {"z": [1.2, -2.4], "row": None})
    assert [s.value for s in at.slider] == [1.2, -2.4] and shown_z(at) == [1.2, -2.4]


def test_a_pick_that_is_not_a_point_changes_nothing(at):
    pick(at, {"z": "somewhere"})
    assert not at.exception and [s.value for s in at.slider] == [0, 0]


def use_my_model(at, mine):
    at.session_state["my_model"] = mine
    at.session_state["use_mine"] = True
    return at.run()


def test_own_2d_vae_is_the_one_decoded(at):
    shipped = sent_models(at)
    torch.manual_seed(0)
    use_my_model(at, vaedemo.build_model(vaedemo.ModelConfig("vae", 2, hidden=32)))  # untrained: blotches
    assert not at.exception and not at.info
    assert sent_models(at) != shipped and sent_models(at) == [maps(at)[0]["model"]]


def test_own_model_that_is_not_a_2d_vae_falls_back_to_the_shipped_one(at):
    shipped = sent_models(at)
    use_my_model(at, vaedemo.load_checkpoint(ROOT / "checkpoints" / "vae-16d.safetensors"))
    assert not at.exception
    assert "Your own model is a 16-D VAE" in at.info[0].value
    assert sent_models(at) == shipped
