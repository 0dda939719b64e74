"""The Draw page's reparameterisation part under AppTest: the graph's values for a fed drawing are the VAE's own
(model.encode, z = mu + exp(logvar / 2) * eps with the session's eps), the decoded z is the decoder's, Resample draws a
new eps and moves z, its picture, its star on the VAE's map and the ELBO panel's sample, and a new stroke keeps eps."""
import base64
import io
import re

import numpy as np
import pytest
import torch
from PIL import Image
from streamlit.testing.v1 import AppTest

from tests.harness.apptest import digit_on_canvas, seven_on_canvas
from tests.harness.latent_maps import maps
from tests.harness.server import ROOT
from vaedemo import load_checkpoint
from vaedemo.losses import posterior_noise
from vaedemo.preprocess import preprocess_drawing

NAMES = {"μ": "mu", "log σ²": "logvar", "σ": "sigma", "ε": "eps", "z = μ + σ ⊙ ε": "z"}


@pytest.fixture
def app():
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()


def numbers(text: str) -> list[float]:
    return [float(entry.replace("−", "-")) for entry in text.split(", ") if entry != "…"]


def shown(app) -> dict:
    """The part's values as its text alternative writes them (four decimals): {"mu": [...], ..., "seed": n}."""
    [line] = [caption.value for caption in app.caption if caption.value.startswith("μ = (")]
    found = re.findall(r"(z = μ \+ σ ⊙ ε|log σ²|μ|σ|ε) = \(([^)]*)\)", line)
    values = {NAMES[name]: numbers(entries) for name, entries in found}
    values["seed"] = int(re.search(r"\(seed (\d+)\)", line).group(1))
    return values


def graph_values(app) -> dict:
    """The graph's boxes' numbers (two decimals, sigma three), from its DOT source."""
    [chart] = app.get("graphviz_chart")
    return {name: numbers(entries) for name, entries in re.findall(r'(\w+) \[label="[^"\\]*\\n\(([^)]*)\)"',
                                                                    chart.proto.spec)}


def decoded_z(app) -> np.ndarray:
    """The part's picture of z, as the page sends it: (28, 28) in [0, 1]."""
    [url] = [picture.url for image in app.get("image") for picture in image.proto.imgs
             if picture.caption == "x̂ = decoder(z)"]
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("L")) / 255


def sample_star(app) -> list[float]:
    """Where the VAE's map draws its small star, the sample z (on a 2-D map, z itself)."""
    [star] = maps(app)[1]["stars"]
    return star


def vae_of(latent_dim: int, conv: bool = False):
    return load_checkpoint(ROOT / "checkpoints" / f"{'conv-' if conv else ''}vae-{latent_dim}d.safetensors")


def expected(vae, x, seed: int) -> dict:
    with torch.inference_mode():
        mu, logvar = (v[0] for v in vae.encode(x))
        eps = posterior_noise(vae.latent_dim, seed)[0]
        z = mu + torch.exp(logvar / 2) * eps
        x_hat = vae.decode(z[None])[0, 0].numpy()
    return {"mu": mu, "logvar": logvar, "sigma": torch.exp(logvar / 2), "eps": eps, "z": z, "x_hat": x_hat}


def entries_of(latent_dim: int) -> int:
    return min(latent_dim, 3)  # a 16-D code: the first three, and a note


def assert_shows(app, want: dict, latent_dim: int):
    values, graph = shown(app), graph_values(app)
    for name in ("mu", "logvar", "sigma", "eps", "z"):
        assert values[name] == pytest.approx(want[name][:entries_of(latent_dim)].tolist(), abs=1e-4), name
        assert graph[name] == pytest.approx(want[name][:3].tolist(), abs=0.0051 if name != "sigma" else 0.00051), name
    assert np.abs(decoded_z(app) - want["x_hat"]).max() <= 1 / 255


@pytest.mark.parametrize("latent_dim, conv", [(2, False), (16, False), (16, True)], ids=["2-D", "16-D", "16-D conv"])
def test_the_graph_shows_the_vaes_own_path_for_a_drawn_seven(app, latent_dim, conv):
    app.session_state["fed_drawing"] = seven_on_canvas()
    if latent_dim != 2:
        app.radio(key="draw_latent_dim").set_value(latent_dim).run()
    if conv:
        app.toggle(key="draw_conv").set_value(True).run()
    app.run()
    assert not app.exception
    want = expected(vae_of(latent_dim, conv), preprocess_drawing(seven_on_canvas()), seed=0)
    assert_shows(app, want, latent_dim)
    assert shown(app)["seed"] == 0
    note = f"The code has {latent_dim} numbers; the graph and this line show the first 3."
    assert (note in " ".join(caption.value for caption in app.caption)) == (latent_dim == 16)
    vae_map = maps(app)[1]
    assert vae_map["z"] == pytest.approx(want["mu"].tolist(), abs=1e-4)  # the large star stays mu
    if latent_dim == 2:
        assert sample_star(app) == pytest.approx(want["z"].tolist(), abs=1e-3)
    # the ELBO panel's one posterior sample is the same z
    panel = " ".join(latex.value for latex in app.latex)
    z_column = re.search(r"\\underset\{z\}\{\\begin\{pmatrix\}(.*?)\\end\{pmatrix\}\}", panel).group(1)
    assert [float(v) for v in z_column.split(r" \\ ")[:entries_of(latent_dim)]] == pytest.approx(
        want["z"][:entries_of(latent_dim)].tolist(), abs=0.0051)


def test_resample_draws_a_new_eps_and_a_stroke_keeps_it(app):
    vae, seven = vae_of(2), preprocess_drawing(seven_on_canvas())
    app.session_state["fed_drawing"] = seven_on_canvas()
    app.run()
    first = shown(app)
    star, picture = sample_star(app), decoded_z(app)

    app.button(key="reparam_resample").click().run()
    assert not app.exception
    again = shown(app)
    assert again["seed"] == 1
    assert_shows(app, expected(vae, seven, seed=1), 2)
    assert again["mu"] == first["mu"] and again["logvar"] == first["logvar"], "the same drawing, the same posterior"
    assert again["eps"] != first["eps"] and again["z"] != first["z"]
    assert sample_star(app) != pytest.approx(star, abs=1e-3) and sample_star(app) == pytest.approx(again["z"], abs=1e-3)
    assert np.abs(decoded_z(app) - picture).max() > 0  # z moved, so does its picture
    assert any("ε drawn with seed 1" in caption.value for caption in app.caption)  # the ELBO panel's sample too

    canvas = digit_on_canvas(1)  # another drawing
    app.session_state["fed_drawing"] = canvas
    app.run()
    stroke = shown(app)
    assert stroke["seed"] == 1 and stroke["eps"] == again["eps"], "a stroke keeps eps"
    assert stroke["mu"] != again["mu"] and stroke["z"] != again["z"], "mu moves, and z with it"
    assert_shows(app, expected(vae, preprocess_drawing(canvas), seed=1), 2)
