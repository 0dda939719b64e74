"""A drawing's answer, computed in the browser (answer.js, with engine.js) from the models that send_models put there:
a stroke costs the server nothing. Each function draws one part where the page calls it; every part follows the
canvas under the key `canvas` (its drawing, after each stroke) or, given `x`, answers that digit (a test digit the
page shows). The server sends, once per run of the page, what the browser cannot make up: the models' ids, the
session's posterior noise eps and the importance samples' noise, and the texts in the session's language."""
import streamlit as st
import torch

from vaedemo.losses import posterior_noise
from webapp.components import asset
from webapp.components.latent_map import BrowserModel
from webapp.i18n import t

_answer = st.components.v2.component("vaedemo.answer", html=asset("answer.html"), css=asset("answer.css"),
                                     js=asset("engine.js", "decodes.js", "runs.js", "answer.js"))
ENGINE = asset("engine.js")  # the text a part's Web Worker runs (answer.js, offMainThread)
IMPORTANCE_SAMPLES = 100  # the CLI's default too; one batch of decodes, in the browser after the pictures
IMPORTANCE_SEED = 0
EPSILON_SEED = 0  # the page's first eps (vaedemo.losses.posterior_noise); Resample draws the next in the browser
SAMPLE = "page"  # the "eps" channel the reparameterisation graph and the maths of a page share


def numbers(values: torch.Tensor) -> list[float]:
    """A tensor's values, flat, rounded to 6 decimals: how a part's data carries a digit or noise."""
    return [round(v, 6) for v in values.flatten().tolist()]


def digit(x: torch.Tensor | None) -> list[float] | None:
    """A digit (1, 1, 28, 28) as the 784 numbers a part answers, or None (then the part follows the canvas)."""
    return None if x is None else numbers(x)


def sample_noise(samples: int, latent_dim: int, seed: int = 0) -> torch.Tensor:
    """(samples, 1, d) eps ~ N(0, I), drawn as vaedemo draws one image's importance samples (seeded generator)."""
    return torch.randn(samples, 1, latent_dim, generator=torch.Generator().manual_seed(seed))


def source(canvas: str | None, x: torch.Tensor | None) -> dict:
    return {"canvas": canvas} if x is None else {"x": digit(x)}


def pictures(key: str, canvas: str, models: list[BrowserModel], maps: list[str], names: list[str],
             lecture: bool = False):
    """The 28x28 input and each model's reconstruction of its code (named by names), as one row of pictures with
    captions and text alternatives, and the code's marks on each model's map (maps: their keys): a star, and around a
    VAE's mean its 2-sigma ellipse. Before a drawing, the hint. lecture: larger pictures, for a projector."""
    captions = [t("draw.input"), *(t("draw.rebuilds", name=name) for name in names)]
    alts = [t("draw.alt_input"), *(t("draw.alt_rebuilt", name=name) for name in names)]
    _answer(key=key, data={"part": "pictures", "canvas": canvas, "models": [model.id for model in models],
                           "maps": maps, "captions": captions, "alts": alts, "hint": t("draw.hint"),
                           "lecture": lecture}, width="stretch")


def noise(latent_dim: int) -> list[float]:
    """The page's first eps (d,): it stays while the reader draws, until Resample draws another in the browser."""
    return posterior_noise(latent_dim, EPSILON_SEED)[0].tolist()


def reparam_graph(key: str, vae: BrowserModel, latent_dim: int, *, canvas: str | None = None,
                  x: torch.Tensor | None = None, vae_map: str | None = None, name: str | None = None,
                  lecture: bool = False):
    """The reparameterisation trick you can poke (Kingma & Welling, 2014, section 2.4): the VAE's path from the
    digit to the decode of its sample z = mu + sigma * eps as a graph with the digit's numbers, the picture of z, the
    Resample button (a new eps, drawn in the browser) and the values in words. vae_map: the key of the VAE's map,
    which then marks z with a small star. name: what x is when it is not the reader's drawing."""
    words = {word: t(f"reparam.{word}") for word in ("encoder", "decoder", "decoded_z", "x_hat", "alt_graph",
                                                     "alt_x_hat", "resample", "resample_help", "values",
                                                     "first_entries")}
    words |= {"x_name": name or t("reparam.your_drawing"),
              "explain": t("reparam.explain") if name is None else t("reparam.explain_resample")}
    _answer(key=key, data={"part": "reparam", **source(canvas, x), "model": vae.id, "map": vae_map,
                           "eps": noise(latent_dim), "sample": SAMPLE, "lecture": lecture, "words": words},
            width="stretch")


def loss_figures(key: str, model: BrowserModel, kind: str, latent_dim: int, *, canvas: str | None = None,
                 x: torch.Tensor | None = None):
    """The loss's figures for the digit, in nats: an AE's reconstruction; a VAE's ELBO with its reconstruction and KL
    for the page's one posterior sample (the graph's eps), then log p(x) and the ELBO's gap from IMPORTANCE_SAMPLES
    samples drawn with IMPORTANCE_SEED, which Resample leaves alone (webapp.ui.elbo_panel writes the formulas)."""
    data = {"part": "maths", **source(canvas, x), "model": model.id, "engine": ENGINE,
            "words": {word: t(f"maths.figure.{word}") for word in ("ae_loss", "elbo", "recon", "kl", "logpx",
                                                                   "iw_elbo", "gap")}}
    if kind != "ae":
        eps_k = sample_noise(IMPORTANCE_SAMPLES, latent_dim, IMPORTANCE_SEED)
        data |= {"eps": noise(latent_dim), "sample": SAMPLE, "eps_k": numbers(eps_k)}
    _answer(key=key, data=data, width="stretch")


ELBO_SAMPLES = 16  # posterior samples per label for a CVAE's ten ELBOs in the browser's reading


def label_noise(latent_dim: int) -> torch.Tensor:
    """The noise of a CVAE's reading, (ELBO_SAMPLES, 1, d), seed 0: the same for every label and every drawing."""
    return sample_noise(ELBO_SAMPLES, latent_dim)


def every_digit(key: str, cvae: BrowserModel, latent_dim: int, *, canvas: str, on_style):
    """A CVAE's reading of the drawing (the label of its best ELBO, label_noise's samples of z for each label) and
    the drawing's style written as every digit, with the ten ELBOs; its "Take my style" button calls on_style, which
    finds the style (z1, z2) under st.session_state[key].style."""
    words = {word: t(f"every_digit.{word}")
             for word in ("hint", "verdict", "your_style", "alt_every", "take_style", "take_style_help")}
    words |= {"elbo_note": t("every_digit.elbo_note", samples=ELBO_SAMPLES), "input": t("draw.input"),
              "alt_input": t("draw.alt_input")}
    _answer(key=key, data={"part": "every_digit", "canvas": canvas, "model": cvae.id, "words": words,
                           "engine": ENGINE, "eps_k": numbers(label_noise(latent_dim))},
            on_style_change=on_style, width="stretch")


def likelihood(key: str, vae: BrowserModel, latent_dim: int, samples: int, histograms: list[dict], *, canvas: str,
               x: torch.Tensor | None = None, last: str = ""):
    """The drawing's -log p(x) under the VAE, estimated with `samples` importance samples (seed 0, as
    vaedemo.evaluate.importance_weighted_nlls draws them), and its excess over its pixels' entropy, in words and as a
    dashed line on each histogram: {"score": "nll" or "excess", "title", "axis", "count_axis", "edges": bins + 1,
    "series": [{"name", "colour", "counts": bins}], "caption", "alt"}. The drawing on the canvas under the key canvas,
    else x (the last drawing of another page, which last then names)."""
    words = {word: t(f"likelihood.{word}") for word in ("hint", "yours", "marker", "alt_marker")} | {"last": last}
    _answer(key=key, data={"part": "likelihood", "canvas": canvas, "x": digit(x), "model": vae.id, "words": words,
                           "engine": ENGINE,
                           "eps_k": numbers(sample_noise(samples, latent_dim)), "histograms": histograms},
            width="stretch")
