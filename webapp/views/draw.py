import streamlit as st

from webapp import session, sidebar
from webapp.components.canvas import drawing_canvas
from webapp.i18n import t

CANVAS = 280  # pixels: ten canvas pixels to an MNIST pixel
STROKE = 24  # a digit drawn across most of the canvas then carries as much ink as an MNIST digit

with st.container(key="draw_head"):  # on a phone its columns pack by their content (webapp/screens.css)
    title_column, size_column, arch_column = st.columns([3, 1, 1.2], vertical_alignment="bottom")
title_column.title(t("draw.title"))
latent_dim = size_column.radio(t("draw.latent_size"), [2, 16], horizontal=True, key="draw_latent_dim",
                               bind="query-params", format_func=lambda d: f"{d}-D")
conv = sidebar.conv_switch(latent_dim, "draw_conv", arch_column)
sidebar.intro(t("draw.intro"))
sidebar.mnist_only("draw")
lecture = session.lecture_mode()  # a projector's one screen: a narrower canvas column, wider and flatter maps


canvas_column, result_column = st.columns([1, 4.2] if lecture else [1, 2], gap="large")
with canvas_column:
    st.caption(t("draw.your_drawing"))
    drawing_canvas("canvas", size=CANVAS, stroke=STROKE)  # the browser answers its strokes
# Only now torch and the models, which are most of a cold start: with the canvas on screen, a person can start
# drawing meanwhile, and the browser answers the strokes once the models arrive.
from webapp import reconstruction  # noqa: E402
from webapp.components.latent_map import send_models  # noqa: E402

send_models(*reconstruction.show("canvas", result_column, latent_dim, conv, lecture))
