import streamlit as st

import sidebar
from canvas import drawing_canvas

CANVAS = 280  # pixels: ten canvas pixels to an MNIST pixel
STROKE = 24  # a digit drawn across most of the canvas then carries as much ink as an MNIST digit
# The input and the reconstructions go out at 28x28 and the browser scales them up, each pixel a crisp square:
# sending them enlarged cost the server more CPU and sent 64 times the pixels.
# The three pictures share the column and the two maps the page, each row one image element (one message a
# stroke, where columns of single images took seven); each map's marks lie over its codes (a grid cell for both
# layers); on a phone the maps stack.
LAYOUT = """<style>
.st-key-reconstructions [data-testid=stFullScreenFrame] > div, .st-key-maps [data-testid=stFullScreenFrame] > div {
    width: 100%; }
.st-key-reconstructions [data-testid=stImage], .st-key-maps [data-testid=stImage] { display: flex; gap: 1rem; width: 100%; }
.st-key-reconstructions [data-testid=stImageContainer], .st-key-maps [data-testid=stImageContainer] {
    flex: 1 1 0; min-width: 0; }
.st-key-reconstructions img, .st-key-maps img, [data-testid=stImageCaption] { width: 100% !important; }
.st-key-reconstructions img { image-rendering: pixelated; }
.st-key-maps p img { max-width: 100%; }
.st-key-map-layers { display: grid !important; }
.st-key-map-layers > div { grid-area: 1 / 1; }
.st-key-map-marks { pointer-events: none; }
.st-key-map-marks [data-testid=stImageCaption] { visibility: hidden; }
@media (max-width: 640px) { .st-key-maps [data-testid=stImage] { flex-wrap: wrap; }
    .st-key-maps [data-testid=stImageContainer] { flex-basis: 100%; } }
</style>"""

st.title("Draw a digit")
st.markdown(
    "Draw a digit from 0 to 9 in the black square. After every stroke you see the 28×28 picture the models "
    "get, what the **autoencoder** and the **variational autoencoder** rebuild from their tiny codes, and where "
    "your drawing lands among the test digits' codes. Try a sloppy 4, a 7 with a bar, or a digit half finished."
)
sidebar.mnist_only("Draw")
st.html(LAYOUT)  # our own constant style sheet


@st.fragment
def draw_and_reconstruct():
    """A stroke reruns only this function, not the whole app: measured side by side, a whole rerun took the
    median stroke from 263 to 273-304 ms and its p95 from 365-504 to 498-550 ms."""
    left, right = st.columns([1, 2], gap="large")
    with left:
        st.caption("Your drawing")
        drawing = drawing_canvas("canvas", size=CANVAS, stroke=STROKE)  # RGBA pixels (H, W, 4), None before a stroke
    # AppTest cannot draw on a canvas: a test puts its RGBA array in st.session_state["fed_drawing"].
    drawing = st.session_state.get("fed_drawing", drawing)

    # Only now torch and the models: loading them is most of a cold start (about 3 s on two cores), and with the
    # canvas already on screen a person can start drawing meanwhile. (Imported modules are kept, so a rerun
    # pays nothing here.)
    import torch

    import ui
    from vaedemo.preprocess import preprocess_drawing
    from vaedemo.viz import latent_map, legend_picture, png_data_uri, to_uint8

    x = None if drawing is None else preprocess_drawing(drawing)  # (1, 1, 28, 28)
    if x is not None:
        st.session_state["last_drawing"] = x  # the Repair page offers it
    with right:
        size_column, arch_column = st.columns([1, 2], vertical_alignment="bottom")
        latent_dim = size_column.radio("Size of the AE's and the VAE's codes", [2, 16], horizontal=True,
                                       key="draw_latent_dim", bind="query-params", format_func=lambda d: f"{d}-D")
        conv = ui.conv_switch(latent_dim, "draw_conv", arch_column)
        models = {kind: ui.shipped(kind, 16, arch="conv") if conv else ui.model(kind, latent_dim) for kind in ("ae", "vae")}
        codes = {kind: ui.shipped_codes(kind, 16, arch="conv") if conv else ui.codes(kind, latent_dim)
                 for kind in ("ae", "vae")}
        if x is None:
            st.info("Draw a digit on the black canvas: its reconstructions and codes appear here after each stroke.",
                    icon=":material/draw:")
            return
        with torch.inference_mode():
            vae_mu, vae_logvar = models["vae"].encode(x)  # (1, d) each
            means = {"ae": models["ae"].encode(x), "vae": vae_mu}  # (1, d) each
            pair = "conv " if conv else ""
            pictures = {"Input (28×28)": x, f"{pair}AE rebuilds": models["ae"].decode(means["ae"]),
                        f"{pair}VAE rebuilds": models["vae"].decode(vae_mu)}
        with st.container(key="reconstructions"):  # one element: each element costs the server CPU on every stroke
            st.image([png_data_uri(picture) for picture in to_uint8(torch.cat(list(pictures.values())))],
                     caption=list(pictures), width="stretch")
    labels = ui.test_sample()[1]
    text = 20 if sidebar.lecture_mode() else 12  # pixels of the maps' labels: larger for the back of a hall
    with st.container(key="maps"):
        st.markdown(f"![The colours of the digits]({legend_picture(sidebar.dataset().classes, height=2 * text)})")
        maps = [latent_map(codes[kind], labels, means[kind][0],
                           vae_logvar[0].exp() if kind == "vae" else None, text) for kind in ("ae", "vae")]
        with st.container(key="map-layers"):  # the marks over the codes (LAYOUT)
            captions = [f"{'conv ' if conv else ''}{kind.upper()} codes of 2,000 test digits" for kind in ("ae", "vae")]
            with st.container(key="map-codes"):  # the same message on most strokes: sent as a reference to it
                st.image([layers.codes for layers in maps], caption=captions, width="stretch")
            with st.container(key="map-marks"):  # its captions hidden, there so that both layers line up
                st.image([layers.marks for layers in maps], caption=captions, width="stretch")
    if any(model.latent_dim > 2 for model in models.values()):
        st.caption("Codes of more than two numbers cannot be drawn flat: the maps show them projected onto their "
                   "first two principal components (PCA of the test codes), so digits that overlap here may lie "
                   "apart in the full code space.")
    ui.elbo_panel(models["vae"], x)


draw_and_reconstruct()
