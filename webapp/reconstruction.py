"""The Draw page's answer to a stroke, laid out: the pictures, both maps and their marks, the reparameterisation graph
and the loss's maths, all computed in the browser from the two models this sends (components/answer.py): a stroke
costs the server nothing. The page imports it once its canvas is on screen, since this module loads torch and the
models."""
import streamlit as st

from hall.learning import learned_model
from hall.rooms import RoomError
from vaedemo.viz import map_bounds
from webapp import classroom, session, sidebar, ui
from webapp.components import answer
from webapp.components.latent_map import BrowserModel, browser_model, latent_map
from webapp.i18n import t

KINDS = ("ae", "vae")
MAPS = [f"map_{kind}" for kind in KINDS]


def show(canvas: str, result_column, latent_dim: int, conv: bool, lecture: bool) -> list[BrowserModel]:
    """Everything right of and under the canvas (its key: canvas); returns the two models packed for the browser."""
    room_vae = room_model() if latent_dim == 2 and not conv else None
    models, shown = pair(latent_dim, conv, room_vae)
    names = [f"{t('draw.conv_name') if conv else ''}{kind.upper()}" for kind in KINDS]
    if room_vae is not None:
        st.caption(t("draw.room_model", code=session.room()))
    with result_column:
        answer.pictures("pictures", canvas, shown, MAPS, names, lecture)
    with result_column if lecture else st.container():  # under the pictures on a projector's one screen
        maps(models, shown, names, lecture)
    with st.expander(t("reparam.title"), expanded=True, icon=":material/shuffle:"):
        answer.reparam_graph("reparam", shown[1], latent_dim, canvas=canvas, vae_map=MAPS[1], lecture=lecture)
    ui.elbo_panel(models[1], shown[1], canvas=canvas)
    return shown


def pair(latent_dim: int, conv: bool, room_vae=None):
    """The AE and the VAE the page shows (room_vae: the room's own in place of the 2-D VAE), and each packed with its
    test codes for the browser."""
    arch = "conv" if conv else "mlp"
    models = [ui.shipped(kind, 16, arch=arch) if conv else ui.model(kind, latent_dim) for kind in KINDS]
    codes = [ui.shipped_codes(kind, 16, arch=arch) if conv else ui.codes(kind, latent_dim) for kind in KINDS]
    if room_vae is not None:
        models[1], codes[1] = room_vae, ui.codes_of(room_vae)
    labels = ui.test_sample()[1]
    return models, [browser_model(model, code, labels) for model, code in zip(models, codes)]


def room_model():
    """The room's own VAE where this session is in a room whose lecturer has its Draw pages use it (the Class page's
    "Use this room's model"), else None (also while the store does not answer)."""
    try:
        room = classroom.current_room()
        return learned_model(room.code, room.model) if room and room.model else None
    except RoomError:
        return None


def maps(models, shown: list[BrowserModel], names: list[str], lecture: bool):
    """Both latent maps side by side, over the test codes (the browser marks the drawing); a 16-D code on its first
    two principal axes."""
    wide = any(model.latent_dim > 2 for model in models)
    axes = (t("map.pc", n=1), t("map.pc", n=2)) if wide else ("z₁", "z₂")
    for column, key, model, name in zip(st.columns(2), MAPS, shown, names):
        with column:
            latent_map(key, model, t("draw.map_title", name=name), sidebar.dataset().classes, names=axes,
                       text=20 if lecture else 12, bounds=map_bounds(model.points), height=0.55 if lecture else 0.75)
    if wide:
        st.caption(t("draw.pca_note"))
