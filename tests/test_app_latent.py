"""The Latent page in AppTest: sliders and a (simulated) click on the map decode z."""
import json

import pytest
import torch
from streamlit.testing.v1 import AppTest

import vaedemo
from conftest import ROOT
from vaedemo.data import load_test_sample


@pytest.fixture
def at():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    return at.switch_page("views/latent.py").run()


def decoded(at):
    """(URL, caption) of the large decoded digit; the URL is a hash of the picture's bytes."""
    image = at.get("image")[0]
    return image.value[0], image.captions[0]


def click(at, point):
    """What the browser sends when a point of the map is clicked. AppTest cannot click a plotly chart,
    so this sends the chart's selection state itself (through AppTest's private run API)."""
    chart = at.get("plotly_chart")[0]
    states = at._tree.get_widget_states()
    state = states.widgets.add()
    state.id = chart.proto.id
    state.string_value = json.dumps({"selection": {"points": [point], "point_indices": [0], "box": [], "lasso": []}})
    return at._run(states)


def test_page_renders_sliders_map_digit_and_manifold(at):
    assert not at.exception
    assert at.title[0].value == "Walk through the 2-D latent space of a VAE"
    assert [s.label for s in at.slider] == ["z1", "z2"] and [s.value for s in at.slider] == [0, 0]
    assert len(at.get("plotly_chart")) == 1 and len(at.get("image")) == 2
    assert decoded(at)[1] == "decoded z = (0.00, 0.00)"


def test_moving_a_slider_decodes_the_new_z(at):
    before = decoded(at)
    at.slider(key="latent_z1").set_value(-2.0).run()
    assert not at.exception
    after = decoded(at)
    assert after[1] == "decoded z = (-2.00, 0.00)" and after[0] != before[0]
    at.slider(key="latent_z2").set_value(1.5).run()
    assert decoded(at)[1] == "decoded z = (-2.00, 1.50)" and decoded(at)[0] != after[0]


def test_clicking_a_test_digit_moves_the_sliders_to_its_mean(at):
    images, labels = load_test_sample()
    vae = vaedemo.load_checkpoint(ROOT / "checkpoints" / "vae-2d.safetensors")
    row = 3
    z = vae.latent_mean(images[row:row + 1])[0].tolist()
    click(at, {"x": z[0], "y": z[1], "curve_number": 1 + int(labels[row]), "point_index": 0, "customdata": row})
    assert not at.exception
    assert [s.value for s in at.slider] == pytest.approx(z, abs=0.006)
    assert decoded(at)[1] == f"decoded z = ({z[0]:.2f}, {z[1]:.2f})"
    clicked = at.get("image")[1]
    assert clicked.captions[0] == f"the test {labels[row]} you clicked, whose mean z this is"
    at.slider(key="latent_z2").set_value(0.0).run()  # sliding on forgets the clicked digit
    assert len(at.get("image")) == 2


def test_clicking_the_lattice_picks_that_z(at):
    click(at, {"x": 1.2, "y": -2.4, "curve_number": 0, "point_index": 500})
    assert [s.value for s in at.slider] == [1.2, -2.4]
    assert decoded(at)[1] == "decoded z = (1.20, -2.40)"


def use_my_model(at, mine):
    at.session_state["my_model"] = mine
    at.session_state["my_codes"] = mine.latent_mean(load_test_sample()[0]).detach()
    at.session_state["use_mine"] = True
    return at.run()


def test_own_2d_vae_is_the_one_decoded(at):
    shipped = decoded(at)[0]
    torch.manual_seed(0)
    use_my_model(at, vaedemo.build_model(vaedemo.ModelConfig("vae", 2, hidden=32)))  # untrained: blotches
    assert not at.exception and not at.info
    assert decoded(at)[0] != shipped


def test_own_model_that_is_not_a_2d_vae_falls_back_to_the_shipped_one(at):
    shipped = decoded(at)[0]
    use_my_model(at, vaedemo.load_checkpoint(ROOT / "checkpoints" / "vae-16d.safetensors"))
    assert not at.exception
    assert "Your own model is a 16-D VAE" in at.info[0].value
    assert decoded(at)[0] == shipped
