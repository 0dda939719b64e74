"""The Draw page's maths panel under AppTest: next to the ELBO, log p(x) estimated with importance samples and
the gap between them, KL(q(z|x) || p(z|x)), with the figures vaedemo.losses.importance_weighted computes."""
import re

import pytest
import torch
from streamlit.testing.v1 import AppTest

import vaedemo
from tests.harness.apptest import seven_on_canvas
from tests.harness.server import ROOT
from vaedemo.losses import importance_weighted
from vaedemo.preprocess import preprocess_drawing
from webapp import ui


@pytest.fixture
def app():
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()


def formula_lines(app) -> list[str]:
    """The maths panels' formulas, line by line (a panel writes its lines in one element)."""
    return [line for latex in app.latex for line in latex.value.split(ui.LINE_BREAK)]


def gap_figures(app) -> tuple[float, float, float]:
    """(log p(x), ELBO, gap) as the panel's gap line writes them."""
    [line] = [line for line in formula_lines(app) if "the gap" in line]
    figures = re.findall(r"(-?\d+\.\d+)\}", line)  # the three underbraces' subscripts, in order
    assert len(figures) == 3, line
    return tuple(float(value) for value in figures)


@pytest.mark.parametrize("latent_dim", [2, 16])
def test_the_panel_shows_log_p_x_and_the_gap_for_a_drawn_seven(app, latent_dim):
    app.session_state["fed_drawing"] = seven_on_canvas()
    app.radio(key="draw_latent_dim").set_value(latent_dim).run()
    assert not app.exception
    log_px, elbo, gap = gap_figures(app)

    vae = vaedemo.load_checkpoint(ROOT / "checkpoints" / f"vae-{latent_dim}d.safetensors")
    eps = torch.randn(ui.IMPORTANCE_SAMPLES, 1, latent_dim, generator=torch.Generator().manual_seed(0))
    expected_elbo, expected_log_px = importance_weighted(vae, preprocess_drawing(seven_on_canvas()), eps)
    assert log_px == pytest.approx(expected_log_px.item(), abs=0.06)
    assert elbo == pytest.approx(expected_elbo.item(), abs=0.06)
    assert gap == pytest.approx(log_px - elbo, abs=0.11) and 0 < gap < 15
    one_sample = [line for line in formula_lines(app) if r"\underbrace{\mathcal{L}(x)}" in line][0]
    assert abs(float(re.search(r"_\{(-?[\d.]+)\} =", one_sample).group(1)) - elbo) < 10  # the one-sample ELBO is near
    assert any("100 samples of q(z | x)" in caption.value for caption in app.caption)
