"""The Draw page in Streamlit's AppTest (no browser): what the page lays out and sends to the browser, which answers
every stroke itself (components/answer.js; tests/webapp/test_browser_answer.py checks its numbers against vaedemo's)."""
import subprocess
import sys

import pytest
import torch
from streamlit.testing.v1 import AppTest

from tests.harness.apptest import answer_parts
from tests.harness.latent_maps import elements, maps, sent_models
from tests.harness.server import ROOT
from vaedemo import load_checkpoint
from vaedemo.data import load_test_sample
from webapp.components.latent_map import pack


@pytest.fixture
def app():
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()


def answer_parts_by_name(app) -> dict:
    """The page's one part of each name: {"pictures": data, "reparam": data, "maths": data}."""
    return {part: only for part in ("pictures", "reparam", "maths") for [only] in [answer_parts(app, part)]}


def canvas_data(app) -> dict:
    import json

    [canvas] = elements(app, "vaedemo.canvas")
    return json.loads(canvas.proto.json)


def test_the_sidebar_and_the_canvas_show_before_torch_loads():
    """Importing torch is most of a cold start: app.py's sidebar and the Draw page's canvas must not need it,
    so a person sees the page and can draw while the models load."""
    loaded = ("import sys, webapp.sidebar, webapp.components.canvas; "
              "print(sorted({'torch', 'pandas'} & set(sys.modules)))")
    result = subprocess.run([sys.executable, "-c", loaded], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_draw_is_the_default_page_and_the_browser_gets_all_a_stroke_needs(app):
    assert not app.exception
    assert app.title[0].value == "Draw a digit"
    assert canvas_data(app)["room"] is None  # outside a room a drawing stays in the browser
    parts = answer_parts_by_name(app)
    assert parts["pictures"]["hint"].startswith("Draw a digit on the black canvas")
    assert parts["pictures"]["captions"] == ["Input (28×28)", "AE rebuilds", "VAE rebuilds"]
    assert parts["pictures"]["maps"] == [m["key"] for m in maps(app)]
    assert [(m["title"], "z" in m) for m in maps(app)] == [("AE codes of 2,000 test digits", False),
                                                           ("VAE codes of 2,000 test digits", False)]
    ae, vae = (load_checkpoint(ROOT / "checkpoints" / f"{kind}-2d.safetensors") for kind in ("ae", "vae"))
    images, labels = load_test_sample()
    with torch.inference_mode():
        ids = [pack(model, model.latent_mean(images), labels).id for model in (ae, vae)]
    assert sent_models(app) == ids == [m["model"] for m in maps(app)] == parts["pictures"]["models"]
    # the graph's and the maths' eps is vaedemo's seeded noise; the maths' importance samples are losses.py's draw
    assert parts["reparam"]["model"] == parts["maths"]["model"] == ids[1]
    assert parts["reparam"]["eps"] == parts["maths"]["eps"] == pytest.approx(
        torch.randn(1, 2, generator=torch.Generator().manual_seed(0))[0].tolist())
    eps_k = torch.randn(100, 1, 2, generator=torch.Generator().manual_seed(0)).flatten()
    assert parts["maths"]["eps_k"] == pytest.approx(eps_k.tolist(), abs=1e-6)
    assert parts["reparam"]["map"] == maps(app)[1]["key"]
    assert any(latex.value.count(r"\mathcal{L}(x)") >= 2 for latex in app.latex)  # the formulas, without figures


def test_lecture_mode_writes_the_maps_larger(app):
    assert [m["text"] for m in maps(app)] == [12, 12]
    app.toggle(key="lecture").set_value(True).run()
    assert not app.exception
    assert [m["text"] for m in maps(app)] == [20, 20]
    assert answer_parts_by_name(app)["reparam"]["lecture"]


def test_16d_pair_shows_pca_maps(app):
    app.radio(key="draw_latent_dim").set_value(16).run()
    assert not app.exception
    assert len(maps(app)) == 2
    assert all(m["names"] == ["principal component 1", "principal component 2"] for m in maps(app))
    assert any("first two principal components" in caption.value for caption in app.caption)
    assert len(answer_parts_by_name(app)["reparam"]["eps"]) == 16


def test_the_convolutional_pair_stands_in_for_the_16d_mlps(app):
    """In 16-D the switch puts the shipped convolutional AE and VAE in the MLPs' place: the browser gets them, with
    their encoders, and answers with them."""
    assert "draw_conv" not in [toggle.key for toggle in app.toggle]  # 2-D codes: no switch
    app.radio(key="draw_latent_dim").set_value(16).run()
    app.toggle(key="draw_conv").set_value(True).run()
    assert not app.exception
    captions = answer_parts_by_name(app)["pictures"]["captions"]
    assert captions == ["Input (28×28)", "conv AE rebuilds", "conv VAE rebuilds"]
    assert [m["title"] for m in maps(app)] == [f"conv {kind} codes of 2,000 test digits" for kind in ("AE", "VAE")]
    conv_ae, conv_vae = (load_checkpoint(ROOT / "checkpoints" / f"conv-{kind}-16d.safetensors")
                         for kind in ("ae", "vae"))
    images, labels = load_test_sample()
    with torch.inference_mode():
        expected_models = [pack(model, model.latent_mean(images), labels).id for model in (conv_ae, conv_vae)]
    assert sent_models(app) == expected_models == [m["model"] for m in maps(app)]
    assert answer_parts_by_name(app)["pictures"]["models"] == expected_models

