"""The Draw page's answer to a stroke, step by step: preprocess -> encode -> pictures -> marks -> maps -> maths.
The page imports it once its canvas is on screen, since this module loads torch and the models."""
from functools import partial

import streamlit as st
import torch

from vaedemo.losses import ElboTerms
from vaedemo.preprocess import preprocess_drawing
from vaedemo.viz import map_bounds, png_data_uri, posterior_ellipse, to_uint8
from webapp import classroom, reparam, session, sidebar, ui
from webapp.components.latent_map import BrowserModel, browser_model, latent_map, send_marks
from webapp.i18n import t

KINDS = ("ae", "vae")


def show(drawing, result_column, latent_dim: int, conv: bool, lecture: bool) -> dict[str, BrowserModel]:
    """Everything right of and under the canvas for this drawing (RGBA pixels, None before a stroke); returns the
    two models packed for the browser's maps."""
    models, shown = pair(latent_dim, conv)
    x = None if drawing is None else preprocess_drawing(drawing)  # (1, 1, 28, 28)
    marks = {kind: {} for kind in KINDS}
    with result_column:
        if x is None:
            st.info(t("draw.hint"), icon=":material/draw:")
        else:
            session.remember_drawing(x)  # the Repair page offers it
            means, vae_logvar = encode(models, x)
            if session.room():
                post_to_room(x)
            pictures(models, x, means, conv)
            marks = marks_of(means, vae_logvar, shown)
    with result_column if lecture else st.container():  # under the pictures on a projector's one screen
        ae_mark, vae_mark = maps(models, shown, marks, conv, lecture)
    if x is None:
        send_marks(ae_mark, vae_mark)
    else:  # the VAE's map also marks the sample z, which the reparameterisation part sends (Resample moves it alone)
        send_marks(ae_mark)
        reparam.show(models["vae"], x, lecture=lecture, then=partial(sample_shown, models["vae"], x, shown["vae"],
                                                                      vae_mark))
    return shown


def pair(latent_dim: int, conv: bool):
    """The AE and the VAE the page shows, and each packed with its test codes for the browser's maps."""
    arch = "conv" if conv else "mlp"
    models = {kind: ui.shipped(kind, 16, arch=arch) if conv else ui.model(kind, latent_dim) for kind in KINDS}
    codes = {kind: ui.shipped_codes(kind, 16, arch=arch) if conv else ui.codes(kind, latent_dim) for kind in KINDS}
    labels = ui.test_sample()[1]
    return models, {kind: browser_model(models[kind], codes[kind], labels) for kind in KINDS}


@torch.inference_mode()
def encode(models, x: torch.Tensor):
    """Each model's code for x: ({"ae": z (d,), "vae": mu (d,)}, the VAE's log-variance (d,))."""
    vae_mu, vae_logvar = models["vae"].encode(x)  # (1, d) each
    return {"ae": models["ae"].encode(x)[0], "vae": vae_mu[0]}, vae_logvar[0]


@torch.inference_mode()
def post_to_room(x: torch.Tensor):
    """A room member's stroke goes to the room: its input, the shipped 2-D AE's and VAE's codes (the Class page maps
    the VAE's) and the digit the shipped CVAE reads in it, whatever models this page shows."""
    ae = ui.shipped("ae", 2, "mnist").encode(x)[0]  # (2,)
    vae = ui.shipped("vae", 2, "mnist").encode(x)[0][0]  # (2,), the posterior mean
    digit = int(ui.elbos_by_label(ui.shipped("cvae", 2, "mnist"), x).argmax())
    classroom.post_drawing(to_uint8(x)[0].tobytes(), ae.tolist(), vae.tolist(), digit)


@torch.inference_mode()
def pictures(models, x: torch.Tensor, means: dict, conv: bool):
    """The input and both reconstructions, as one image element (the page's LAYOUT lays them out): each element
    costs the server CPU every stroke."""
    conv_name = t("draw.conv_name") if conv else ""
    rebuilt = {kind: models[kind].decode(means[kind][None]) for kind in KINDS}  # (1, 1, 28, 28) each
    names = [f"{conv_name}{kind.upper()}" for kind in KINDS]
    captions = [t("draw.input"), *(t("draw.rebuilds", name=name) for name in names)]
    alts = [t("draw.alt_input"), *(t("draw.alt_rebuilt", name=name) for name in names)]
    with st.container(key="reconstructions"):
        st.image([png_data_uri(picture) for picture in to_uint8(torch.cat([x, *rebuilt.values()]))],
                 caption=captions, alt=alts, width="stretch")


def marks_of(means: dict, vae_logvar: torch.Tensor, shown: dict) -> dict:
    """What each map marks: the code as a star, and around the VAE's its 2-sigma ellipse."""
    ellipse = posterior_ellipse(shown["vae"].project(means["vae"]), vae_logvar.exp(), shown["vae"].axes)
    return {"ae": {"z": means["ae"]}, "vae": {"z": means["vae"], "ellipse": ellipse}}


def maps(models, shown: dict, marks: dict, conv: bool, lecture: bool) -> list[dict]:
    """Both latent maps side by side with the drawing's marks; a 16-D code on its first two principal axes. Returns
    the maps' marks (AE's, VAE's), for send_marks."""
    wide = any(model.latent_dim > 2 for model in models.values())
    names = (t("map.pc", n=1), t("map.pc", n=2)) if wide else ("z₁", "z₂")
    conv_name = t("draw.conv_name") if conv else ""
    stars = []
    for column, kind in zip(st.columns(2), KINDS):
        mark = marks[kind]
        star = [shown[kind].project(mark["z"])] if mark else []
        bounds = map_bounds(shown[kind].points, star, mark.get("ellipse", star))
        with column:
            stars.append(latent_map(f"map_{kind}", shown[kind], t("draw.map_title", name=f"{conv_name}{kind.upper()}"),
                                    sidebar.dataset().classes, names=names, text=20 if lecture else 12,
                                    bounds=bounds, height=0.55 if lecture else 0.75, **mark))
    if wide:
        st.caption(t("draw.pca_note"))
    return stars


def sample_shown(vae, x: torch.Tensor, shown_vae: BrowserModel, vae_mark: dict, terms: ElboTerms):
    """What the posterior sample z = mu + sigma * eps moves besides the graph (webapp.reparam calls it with the
    terms, on a stroke and on Resample alike): a small star on the VAE's map, beside the large star of mu and
    the ellipse, and the ELBO panel's one-sample figures."""
    send_marks({**vae_mark, "stars": [[round(v, 3) for v in shown_vae.project(terms.z)]]}, key="marks-sample")
    ui.elbo_panel(vae, x, terms)
