import streamlit as st
import torch

from vaedemo.viz import enlarge, png_data_uri, to_uint8
from webapp import sidebar, ui
from webapp.components.codes import code_grid
from webapp.components.latent_map import browser_codes, send_models
from webapp.i18n import t

st.title(t("codes.title"))
sidebar.intro(t("codes.intro"))
sidebar.mnist_only("codes")
vqvae = ui.vqvae()
shown = browser_codes(vqvae)
send_models(shown)  # once per page load: a stroke reruns only the fragment below, and an edit not even that


@st.fragment
def codes_of_drawing():
    """A stroke reruns only this function (as on the Draw page)."""
    canvas_column, codes_column = st.columns([1, 2.4], gap="large")
    with canvas_column:
        x = ui.drawing_or_last("codes_canvas", t("codes.last_drawing"))
        if x is not None:
            st.image(png_data_uri(enlarge(to_uint8(x)[0], 4)), caption=t("draw.input"), width=112,
                     alt=t("draw.alt_input"))
    with codes_column:
        if x is None:
            st.info(t("codes.hint"), icon=":material/draw:")
            return
        with torch.inference_mode():
            codes = vqvae.encode(x)[0]  # (7, 7)
        code_grid("codes_grid", shown, codes.flatten().tolist(), ui.codebook_entries(vqvae))
        used = codes.unique()
        st.caption(t("codes.summary", cells=codes.numel(), used=len(used), size=vqvae.codebook_size,
                     rows="; ".join(" ".join(f"{code:2d}" for code in row) for row in codes.tolist())))


codes_of_drawing()
st.markdown(t("codes.explain", grid=vqvae.grid, size=vqvae.codebook_size, dim=vqvae.latent_dim,
              bits=vqvae.grid ** 2 * (vqvae.codebook_size - 1).bit_length()))
