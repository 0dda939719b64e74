"""The Likelihood page under AppTest: the histograms of -log p(x) over both data sets' shipped test samples, their
figures in the captions (the charts' text alternative), a drawing's own value, and the excess score's AUROC."""
import json
import re

import pytest
import torch

import vaedemo
from tests.harness.apptest import open_page, seven_on_canvas
from tests.harness.server import ROOT
from vaedemo.data import load_test_sample
from vaedemo.evaluate import importance_weighted_nlls
from vaedemo.likelihood import excess_nats
from vaedemo.preprocess import preprocess_drawing
from webapp import session

PAGE = "webapp/views/likelihood.py"


@pytest.fixture
def app():
    return open_page(PAGE)


def figures(text: str) -> list[float]:
    return [float(number) for number in re.findall(r"\d+\.?\d*", text)]


def test_it_opens_on_the_fashion_vae_that_finds_digits_more_likely_than_clothes(app):
    assert app.title[0].value == "What likelihood knows"
    assert len(app.get("plotly_chart")) == 2
    nll_caption, excess_caption = (c.value for c in app.caption if c.value.startswith("Histograms"))
    # Medians over the 2,000-image samples, 20 importance samples (measured: 229 and 182; AUROC 0.29, excess 0.986)
    own, other, auroc = figures(nll_caption)[:3]
    assert "Fashion-MNIST (its own data set)" in nll_caption and 215 < own < 245 and 170 < other < 195
    assert auroc < 0.4
    assert figures(excess_caption)[-1] > 0.95
    assert "Draw a digit or a piece of clothing" in app.info[0].value
    meaning = next(m.value for m in app.markdown if m.value.startswith("Under this VAE"))
    assert "is not an out-of-distribution detector" in meaning


def test_a_drawn_seven_gets_its_own_value_as_evaluate_would_compute_it(app):
    app.session_state["fed_drawing"] = seven_on_canvas()
    app.run()
    assert not app.exception and not app.info
    [yours] = [m.value for m in app.markdown if m.value.startswith("Your drawing:")]
    vae = vaedemo.load_checkpoint(ROOT / "checkpoints" / "fashion-vae-16d.safetensors")
    x = preprocess_drawing(seven_on_canvas())
    nll = importance_weighted_nlls(vae, x, 20)
    excess = excess_nats(nll, x).item()
    assert figures(yours) == [pytest.approx(nll.item(), abs=0.051), pytest.approx(excess, abs=0.051)]
    nll_chart, excess_chart = (json.loads(chart.proto.spec) for chart in app.get("plotly_chart"))
    assert [shape["x0"] for shape in nll_chart["layout"]["shapes"]] == [pytest.approx(nll.item())]
    assert [shape["x0"] for shape in excess_chart["layout"]["shapes"]] == [pytest.approx(excess)]


def test_the_mnist_vae_tells_clothes_apart_by_likelihood_alone_and_the_draw_pages_drawing_prefills(app):
    images, _ = load_test_sample("mnist")
    app.session_state[session.LAST_DRAWING] = images[:1]
    app.segmented_control(key="likelihood_dataset").set_value("mnist")
    app.radio(key="likelihood_latent_dim").set_value(2)
    app.run()
    assert not app.exception
    nll_caption = next(c.value for c in app.caption if c.value.startswith("Histograms"))
    assert "MNIST (its own data set)" in nll_caption and figures(nll_caption)[2] > 0.99
    assert any(c.value.startswith("Your latest drawing from the Draw page") for c in app.caption)
    [yours] = [m.value for m in app.markdown if m.value.startswith("Your drawing:")]
    assert 20 < figures(yours)[0] < 200 and torch.is_tensor(app.session_state[session.LAST_DRAWING])


def test_the_sessions_own_vae_takes_the_shipped_ones_place(app):
    """An uploaded checkpoint is the session's own model: the Fashion-MNIST VAE-2D, while the page asks for 16-D."""
    app.session_state[session.MY_MODEL] = vaedemo.load_checkpoint(ROOT / "checkpoints" / "fashion-vae-2d.safetensors")
    app.session_state[session.USE_MINE] = True
    app.run()
    assert not app.exception
    assert any(c.value.startswith("Your own VAE (latent size 2), trained on Fashion-MNIST") for c in app.caption)
    nll_caption = next(c.value for c in app.caption if c.value.startswith("Histograms"))
    own, other, auroc = figures(nll_caption)[:3]  # the 2-D one's (measured: 257, 242, 0.439), not the 16-D's
    assert 250 < own < 265 and 235 < other < 250 and 0.4 < auroc < 0.5
