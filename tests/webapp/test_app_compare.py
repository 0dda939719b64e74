"""The Compare page in AppTest: resampling the prior, picking the two digits, 2-D / 16-D, the maths panels."""
import json
import math

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

import vaedemo
from tests.harness.apptest import answer_parts
from tests.harness.latent_maps import elements, maps, sent_models
from tests.harness.server import ROOT
from vaedemo.data import load_test_sample
from vaedemo.evaluate import kl_per_dimension
from webapp import ui


def open_page():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90).run()
    return at.switch_page("webapp/views/compare.py").run()


@pytest.fixture
def at():
    return open_page()


def grids(at) -> list[str]:
    """The URLs (hashes of the pictures' bytes) of the AE's and the VAE's grids of prior decodes."""
    return [image.value[0] for image in at.get("image") if "decodes of z ~ N(0, I)" in image.captions[0]]


def captions(at) -> list[str]:
    return [image.captions[0] for image in at.get("image")]


def test_page_shows_prior_grids_maps_interpolation_and_maths(at):
    assert not at.exception
    assert at.title[0].value == "Compare: why a VAE generates and an autoencoder does not"
    starts = ["AE (2-D): 64 decodes of z ~ N(0, I), seed 0", "VAE (2-D): 64 decodes of z ~ N(0, I), seed 0",
              "A: test 7 no. 1", "AE (2-D): 10 decodes evenly spaced", "VAE (2-D): 10 decodes evenly spaced",
              "B: test 3 no. 1"] + ["the first 16 codes of the prior grid above"] * 3  # the last: one for each beta
    assert len(captions(at)) == len(starts) and all(map(str.startswith, captions(at), starts))
    ae_map, vae_map, *beta_maps = maps(at)
    assert [m["title"] for m in maps(at)] == [
        "AE (2-D) codes of 2,000 test digits",
        "VAE (2-D) codes of 2,000 test digits",
        "β = 0.5",
        "β = 1",
        "β = 4",
    ]
    assert ae_map["bounds"] == vae_map["bounds"] and ae_map["bounds"][0] == -ae_map["bounds"][1]  # one square scale
    assert all(m["circles"] == [1, 2] for m in maps(at))  # the prior's 1-sigma and 2-sigma circles
    assert len({tuple(m["bounds"]) for m in beta_maps}) == 1
    images, labels = load_test_sample()
    ends = torch.cat([images[torch.nonzero(labels == digit)[0, 0]][None] for digit in (7, 3)])  # A and B
    with torch.inference_mode():
        for m, kind in ((ae_map, "ae"), (vae_map, "vae")):
            model = vaedemo.load_checkpoint(ROOT / "checkpoints" / f"{kind}-2d.safetensors")
            assert np.allclose(m["path"], model.latent_mean(ends), atol=1e-4)  # the line from A to B
    (slider,) = interpolations(at)
    assert slider["captions"] == ["AE (2-D)", "VAE (2-D)"] and np.allclose(
        slider["ends"][1], vae_map["path"], atol=1e-4
    )
    assert set(slider["models"]) | {m["model"] for m in maps(at)} == set(sent_models(at))  # every model sent once
    assert len(sent_models(at)) == len(set(sent_models(at))) == 4  # AE, VAE (also the beta = 1 one), beta 0.5 and 4
    assert len(at.get("expander")) == 2 and len(at.latex) == 2  # a panel for each of the two digits
    assert all(len(latex.value.split(ui.LINE_BREAK)) == 7 for latex in at.latex)  # of seven formulas each


def interpolations(at) -> list[dict]:
    return [json.loads(e.proto.json) for e in elements(at, "vaedemo.latent_map") if "interpolation" in e.proto.json]


def test_resample_draws_new_codes_reproducibly(at):
    before = grids(at)
    at.button[0].click().run()
    after = grids(at)
    assert not at.exception
    assert captions(at)[0].endswith("seed 1") and captions(at)[1].endswith("seed 1")
    assert len(after) == 2 and after[0] != before[0] and after[1] != before[1]
    other = open_page()  # another session's first click draws the same codes
    other.button[0].click().run()
    assert grids(other) == after


def rows(at) -> list[str]:
    return [image.value[0] for image in at.get("image") if "decodes evenly spaced" in image.captions[0]]


def test_picking_other_digits_changes_the_interpolation(at):
    start = rows(at)
    at.selectbox(key="compare_b_label").set_value(0).run()
    assert not at.exception
    assert captions(at)[5] == "B: test 0 no. 1" and at.number_input(key="compare_b_index").label == "which 0 (of 200)"
    picked_zero = rows(at)
    assert len(picked_zero) == 2 and all(a != b for a, b in zip(picked_zero, start))
    at.number_input(key="compare_a_index").set_value(5).run()
    assert captions(at)[2] == "A: test 7 no. 5"
    assert all(a != b for a, b in zip(rows(at), picked_zero))


def test_16d_models_interpolate_in_16d(at):
    two_d = rows(at)
    at.radio(key="compare_latent_dim").set_value(16).run()
    assert not at.exception
    assert [c.split(":")[0] for c in captions(at)[3:5]] == ["AE (16-D)", "VAE (16-D)"]
    assert all(a != b for a, b in zip(rows(at), two_d))
    assert any(r"\sum_{j=1}^{16}" in latex.value for latex in at.latex)
    assert "Digit A under the 16-D VAE" in [c.value for c in at.caption]


def test_maths_panel_gets_each_digit_and_the_vae_that_the_browser_computes_its_figures_with(at):
    """The browser computes the figures (tests/webapp/test_browser_answer.py checks them against vaedemo's): the page
    sends digit A's and digit B's pixels, the VAE the walk decodes with, and the noise."""
    images, labels = load_test_sample()
    a, b = (images[torch.nonzero(labels == digit)[0, 0]].flatten() for digit in (7, 3))
    panels = answer_parts(at, "maths")
    assert [panel["x"] for panel in panels] == [pytest.approx(end.tolist(), abs=1e-6) for end in (a, b)]
    assert {panel["model"] for panel in panels} == {interpolations(at)[0]["models"][1]} <= set(sent_models(at))
    assert panels[0]["eps"] == pytest.approx(torch.randn(1, 2, generator=torch.Generator().manual_seed(0))[0].tolist())
    assert any(r"\mathcal{L}(x) \le \log p(x)" in latex.value for latex in at.latex)


def test_own_16d_vae_stands_in_only_where_16d_codes_are_shown(at):
    at.radio(key="compare_latent_dim").set_value(16).run()
    shipped_rows = rows(at)
    torch.manual_seed(0)
    mine = vaedemo.build_model(vaedemo.ModelConfig("vae", 16, hidden=32))  # untrained: blotches
    at.session_state["my_model"] = mine
    at.session_state["use_mine"] = True
    at.run()
    assert not at.exception
    assert rows(at)[0] == shipped_rows[0] and rows(at)[1] != shipped_rows[1]  # the AE stays shipped
    assert any("Your VAE has 16-D codes: the shipped 2-D one stands in here." == c.value for c in at.caption)


def test_latent_page_prior_panel_follows_the_sliders():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90).run()
    at.switch_page("webapp/views/latent.py").run()
    at.slider(key="latent_z1").set_value(1.0).run()
    at.slider(key="latent_z2").set_value(-2.0).run()
    assert not at.exception
    panel = " ".join(latex.value for latex in at.latex)
    assert f"= {-2.5 - math.log(2 * math.pi):.2f}" in panel  # log N((1, -2); 0, I) = -|z|^2 / 2 - log 2 pi
    assert f"= {100 * (1 - math.exp(-2.5)):.0f}\\,\\%" in panel  # the prior's mass within |z|: 92 %


def test_beta_vaes_show_their_checkpoints_test_figures(at):
    shown = [block.value for block in at.markdown if block.value.startswith("reconstruction **")]
    assert len(shown) == 3
    for beta, text in zip(("0.5", "", "4"), shown):
        path = ROOT / "checkpoints" / (f"vae-2d-beta{beta}.safetensors" if beta else "vae-2d.safetensors")
        meta = vaedemo.load_checkpoint(path).metadata
        recon, kl = float(meta["test_recon"]), float(meta["test_kl"])
        assert text == (f"reconstruction **{recon:.1f}**, KL **{kl:.2f}**, −ELBO {recon + kl:.1f} "
                        f"({meta['epochs']} epochs)")
    kls = [float(text.split("KL **")[1].split("**")[0]) for text in shown]
    assert kls[0] > kls[1] > kls[2]  # the larger beta, the closer the codes to the prior


def test_beta_vaes_say_how_many_latent_units_they_use(at):
    shown = [block.value for block in at.markdown if block.value.startswith("uses **")]
    images = load_test_sample()[0]
    for beta, text in zip(("0.5", "", "4"), shown, strict=True):
        vae = vaedemo.load_checkpoint(
            ROOT / "checkpoints" / (f"vae-2d-beta{beta}.safetensors" if beta else "vae-2d.safetensors")
        )
        kl = kl_per_dimension(vae, images)  # mean KL per test digit of each dimension: between 1.9 and 3.7 nats
        assert text == f"uses **2 of its 2** latent units (KL per dimension: {kl[0]:.2f}, {kl[1]:.2f} nats)"
        assert kl.min() > 1
    assert any("posterior collapse" in caption.value for caption in at.caption)


def test_fashion_mnist_pictures_are_picked_by_class_name(at):
    at.session_state["dataset"] = "fashion"
    at.run()
    assert not at.exception
    assert [box.label for box in at.selectbox] == ["Item A", "Item B"]
    assert "Walk a straight line from one item to another" in [header.value for header in at.header]
    assert "rebuild items well" in at.markdown[0].value
    assert at.selectbox(key="compare_a_label").options[:2] == ["T-shirt/top", "Trouser"]
    assert captions(at)[2] == "A: test Sneaker no. 1" and captions(at)[5] == "B: test Dress no. 1"


def test_the_convolutional_pair_walks_the_line_in_16d(at):
    assert not [t for t in at.toggle if t.key == "compare_conv"]  # offered with 16-D codes only
    at.radio(key="compare_latent_dim").set_value(16).run()
    mlp_rows = rows(at)
    at.toggle(key="compare_conv").set_value(True).run()
    assert not at.exception
    walk = [c for c in captions(at) if "decodes evenly spaced" in c]
    assert [c.split(":")[0] for c in walk] == ["AE (16-D conv)", "VAE (16-D conv)"]
    assert rows(at) != mlp_rows
    (slider,) = interpolations(at)
    assert slider["captions"] == ["AE (16-D conv)", "VAE (16-D conv)"] and len(slider["ends"][0][0]) == 16
    assert set(slider["models"]) <= set(sent_models(at))
    assert {panel["model"] for panel in answer_parts(at, "maths")} == {slider["models"][1]}  # the conv VAE's
