"""The Latent page in AppTest: the sliders and a pick on the map (as the browser sends it) set z; the map gets the
VAE's decoder to decode in the browser; the holes toggle shades it by the prior's and the test codes' densities."""
import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

import vaedemo
from tests.harness.latent_maps import maps, pick, sent_models
from tests.harness.server import ROOT
from tests.harness.texts import assert_no_english
from vaedemo.data import load_test_sample
from vaedemo.latent import PRIOR_PEAK, prior_holes
from webapp.components.latent_map import pack
from webapp.i18n import CATALOGUES


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


def shading(latent: dict) -> dict[str, np.ndarray]:
    """A map's shading as the browser gets it: each density's levels (cells, cells), rows from the top, 255 at the
    prior's peak."""
    density, n = latent["density"], latent["density"]["cells"]
    return {name: np.array(density[name], float).reshape(n, n) for name in ("prior", "aggregate")}


def holes_notes(at, lang: str = "en") -> list[str]:
    first_words = CATALOGUES[lang]["latent.holes_note"][:10]
    return [caption.value for caption in at.caption if caption.value.startswith(first_words)]


def test_the_holes_toggle_shades_the_map_by_the_densities_vaedemo_computes(at):
    (latent,) = maps(at)
    assert "density" not in latent and not holes_notes(at)  # off at first: a page load sends nothing more
    at.toggle(key="latent_holes").set_value(True).run()
    assert not at.exception
    (latent,) = maps(at)
    assert latent["title"].startswith("The VAE's codes of 2,000 test digits over the prior N(0, I): blue where")
    shown = shading(latent)
    vae = vaedemo.load_checkpoint(ROOT / "checkpoints" / "vae-2d.safetensors")
    with torch.inference_mode():
        holes = prior_holes(*vae.encode(load_test_sample()[0]))
    assert latent["density"]["extent"] == holes.extent == 6.0 and shown["prior"].shape == (80, 80)
    for name, density in (("prior", holes.prior), ("aggregate", holes.aggregate)):
        expected = 255 * np.clip(density.numpy() / PRIOR_PEAK, 0, 1)
        assert np.abs(shown[name] - expected).max() <= 0.5 + 1e-9, name  # to the level
    # the prior by its formula at each cell's middle, at its peak in the four cells around the origin
    middles = np.linspace(-6 + 0.075, 6 - 0.075, 80)
    formula = 255 * np.exp(-(middles[None, :] ** 2 + middles[::-1, None] ** 2) / 2)
    assert np.abs(shown["prior"] - formula).max() <= 1.5
    assert (shown["prior"][39:41, 39:41] == shown["prior"].max()).all()
    # a hole: z = (0, -2), where the prior is dense enough and no test digit's code lies; then the densest codes
    row, column = int((6 + 2) / 0.15), int(6 / 0.15)
    assert shown["prior"][row, column] > 30 and shown["aggregate"][row, column] == 0
    assert shown["aggregate"].max() == 255
    (note,) = holes_notes(at)
    assert f"{100 * holes.hole_share():.0f}% of the prior's samples fall in a hole" in note
    assert "where the codes' density is under 10% of the prior's" in note
    at.toggle(key="latent_holes").set_value(False).run()
    assert "density" not in maps(at)[0] and not holes_notes(at)


def test_the_holes_toggle_in_chinese():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params.update({"lang": "zh", "latent_holes": "true"})  # opened from a shared link
    at.run()
    at.query_params.update({"lang": "zh", "latent_holes": "true"})
    at.switch_page("webapp/views/latent.py").run()
    assert not at.exception
    texts = CATALOGUES["zh"]
    assert at.toggle(key="latent_holes").label == texts["latent.holes"] and at.toggle(key="latent_holes").value
    (latent,) = maps(at)
    assert "density" in latent and latent["title"].startswith("VAE 对 2,000 个测试数字的编码，叠在先验 N(0, I) 上")
    assert (latent["words"]["prior_shade"], latent["words"]["codes_shade"]) == ("先验 N(0, I)", "编码所在之处")
    (note,) = holes_notes(at, "zh")
    assert "先验样本中有 41% 落在空洞里" in note
    assert_no_english(at)
