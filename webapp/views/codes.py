import streamlit as st

from webapp import sidebar, ui
from webapp.components.canvas import drawing_canvas, last_drawing
from webapp.components.codes import code_grid
from webapp.components.latent_map import browser_codes, send_models
from webapp.i18n import t

st.title(t("codes.title"))
sidebar.intro(t("codes.intro"))
sidebar.mnist_only("codes")
vqvae = ui.vqvae()
shown = browser_codes(vqvae)

canvas_column, codes_column = st.columns([1, 2.4], gap="large")
with canvas_column:  # each stroke is encoded, shown and decoded in the browser: no message to the server
    st.caption(t("draw.your_drawing"))
    drawing_canvas("codes_canvas")
with codes_column:
    code_grid("codes_grid", shown, ui.codebook_entries(vqvae), canvas="codes_canvas", x=last_drawing(),
              last=t("codes.last_drawing"))
send_models(shown)
st.markdown(t("codes.explain", grid=vqvae.grid, size=vqvae.codebook_size, dim=vqvae.latent_dim,
              bits=vqvae.grid ** 2 * (vqvae.codebook_size - 1).bit_length()))
