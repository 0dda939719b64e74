import streamlit as st

from webapp import session, sidebar
from webapp.components.canvas import drawing_canvas
from webapp.i18n import t

CANVAS = 280  # pixels: ten canvas pixels to an MNIST pixel
STROKE = 24  # a digit drawn across most of the canvas then carries as much ink as an MNIST digit
# The input and the reconstructions go out at 28x28 and the browser scales them up, each pixel a crisp square; the
# three are one image element, at most 600 pixels wide, so that the maps under them fit the same screen.
LAYOUT = """<style>
.st-key-reconstructions { max-width: 600px; }
.st-key-reconstructions [data-testid=stFullScreenFrame] > div { width: 100%; }
.st-key-reconstructions [data-testid=stImage] { display: flex; gap: 1rem; width: 100%; }
.st-key-reconstructions [data-testid=stImageContainer] { flex: 1 1 0; min-width: 0; }
.st-key-reconstructions img, .st-key-reconstructions [data-testid=stImageCaption] { width: 100% !important; }
.st-key-reconstructions img { image-rendering: pixelated; }
</style>"""

with st.container(key="draw_head"):  # on a phone its columns pack by their content (webapp/screens.css)
    title_column, size_column, arch_column = st.columns([3, 1, 1.2], vertical_alignment="bottom")
title_column.title(t("draw.title"))
latent_dim = size_column.radio(t("draw.latent_size"), [2, 16], horizontal=True, key="draw_latent_dim",
                               bind="query-params", format_func=lambda d: f"{d}-D")
conv = sidebar.conv_switch(latent_dim, "draw_conv", arch_column)
sidebar.intro(t("draw.intro"))
sidebar.mnist_only("draw")
st.html(LAYOUT)  # our own constant style sheet
lecture = session.lecture_mode()  # a projector's one screen: a narrower canvas column, wider and flatter maps


@st.fragment
def draw_and_reconstruct():
    """A stroke reruns only this function, not the whole app. Returns the two models packed for the maps."""
    canvas_column, result_column = st.columns([1, 4.2] if lecture else [1, 2], gap="large")
    with canvas_column:
        st.caption(t("draw.your_drawing"))
        drawing = drawing_canvas("canvas", size=CANVAS, stroke=STROKE)  # RGBA pixels (H, W, 4), None before a stroke
    # Only now torch and the models, which are most of a cold start: with the canvas on screen, a person can start
    # drawing meanwhile.
    from webapp import reconstruction

    return reconstruction.show(drawing, result_column, latent_dim, conv, lecture)


shown = draw_and_reconstruct()
from webapp.components.latent_map import send_models  # noqa: E402  after the canvas is on screen (see above)

send_models(*shown.values())  # once per run of the page, outside the fragment: a stroke does not send them again
