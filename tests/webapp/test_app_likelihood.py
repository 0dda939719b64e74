"""The Likelihood page under AppTest: the histograms of -log p(x) over both data sets' shipped test samples, their
figures in the captions, and the excess score's AUROC; what the browser gets to place a drawing on them (it estimates
the drawing's value itself: tests/webapp/test_browser_likelihood.py checks it against vaedemo's)."""
import re

import pytest
import torch

import vaedemo
from tests.harness.apptest import answer_parts, open_page
from tests.harness.latent_maps import sent_models
from tests.harness.server import ROOT
from vaedemo.data import load_test_sample
from webapp import session
from webapp.components.latent_map import pack

PAGE = "webapp/views/likelihood.py"


@pytest.fixture
def app():
    return open_page(PAGE)


def figures(text: str) -> list[float]:
    return [float(number) for number in re.findall(r"\d+\.?\d*", text)]


def shown(app) -> dict:
    """What the page gives the browser: the VAE, the samples' noise, both histograms with their captions."""
    [part] = answer_parts(app, "likelihood")
    return part


def captions(app) -> list[str]:
    return [histogram["caption"] for histogram in shown(app)["histograms"]]


def test_it_opens_on_the_fashion_vae_that_finds_digits_more_likely_than_clothes(app):
    assert app.title[0].value == "What likelihood knows"
    nll, excess = shown(app)["histograms"]
    assert (nll["score"], excess["score"]) == ("nll", "excess")
    assert [sum(series["counts"]) for series in nll["series"]] == [2000, 2000] and len(nll["edges"]) == 41
    nll_caption, excess_caption = captions(app)
    # Medians over the 2,000-image samples, 20 importance samples (measured: 229 and 182; AUROC 0.29, excess 0.986)
    own, other, auroc = figures(nll_caption)[:3]
    assert "Fashion-MNIST (its own data set)" in nll_caption and 215 < own < 245 and 170 < other < 195
    assert auroc < 0.4
    assert figures(excess_caption)[-1] > 0.95
    assert shown(app)["words"]["hint"].startswith("Draw a digit or a piece of clothing")
    meaning = next(m.value for m in app.markdown if m.value.startswith("Under this VAE"))
    assert "is not an out-of-distribution detector" in meaning


def test_the_browser_gets_the_vae_and_the_noise_evaluate_would_use(app):
    vae = vaedemo.load_checkpoint(ROOT / "checkpoints" / "fashion-vae-16d.safetensors")
    images, labels = load_test_sample("fashion")
    with torch.inference_mode():
        expected = pack(vae, vae.latent_mean(images), labels).id
    part = shown(app)
    assert part["model"] == expected and sent_models(app) == [expected]
    eps = torch.randn(20, 1, 16, generator=torch.Generator().manual_seed(0)).flatten()  # importance_weighted_nlls's
    assert part["eps_k"] == pytest.approx(eps.tolist(), abs=1e-6) and part["canvas"] == "likelihood_canvas"


def test_the_mnist_vae_tells_clothes_apart_by_likelihood_alone_and_the_draw_pages_drawing_prefills(app):
    images, _ = load_test_sample("mnist")
    app.session_state[session.LAST_DRAWING] = images[:1]
    app.segmented_control(key="likelihood_dataset").set_value("mnist")
    app.radio(key="likelihood_latent_dim").set_value(2)
    app.run()
    assert not app.exception
    nll_caption = captions(app)[0]
    assert "MNIST (its own data set)" in nll_caption and figures(nll_caption)[2] > 0.99
    assert shown(app)["words"]["last"].startswith("Your latest drawing from the Draw page")
    assert shown(app)["x"] == pytest.approx(images[0].flatten().tolist(), abs=1e-6)


def test_the_sessions_own_vae_takes_the_shipped_ones_place(app):
    """An uploaded checkpoint is the session's own model: the Fashion-MNIST VAE-2D, while the page asks for 16-D."""
    app.session_state[session.MY_MODEL] = vaedemo.load_checkpoint(ROOT / "checkpoints" / "fashion-vae-2d.safetensors")
    app.session_state[session.USE_MINE] = True
    app.run()
    assert not app.exception
    assert any(c.value.startswith("Your own VAE (latent size 2), trained on Fashion-MNIST") for c in app.caption)
    nll_caption = captions(app)[0]
    own, other, auroc = figures(nll_caption)[:3]  # the 2-D one's (measured: 257, 242, 0.439), not the 16-D's
    assert 250 < own < 265 and 235 < other < 250 and 0.4 < auroc < 0.5
