import streamlit as st

import sidebar
from components.canvas import drawing_canvas
from i18n import t

CANVAS = 280  # pixels: ten canvas pixels to an MNIST pixel
STROKE = 24  # a digit drawn across most of the canvas then carries as much ink as an MNIST digit
# The input and the reconstructions go out at 28x28 and the browser scales them up, each pixel a crisp square:
# sending them enlarged cost the server more CPU and sent 64 times the pixels. The three pictures are one image
# element (one message a stroke, where columns of single images took seven), at most 600 pixels wide, so that the maps
# under them fit the same screen.
LAYOUT = """<style>
.st-key-reconstructions { max-width: 600px; }
.st-key-reconstructions [data-testid=stFullScreenFrame] > div { width: 100%; }
.st-key-reconstructions [data-testid=stImage] { display: flex; gap: 1rem; width: 100%; }
.st-key-reconstructions [data-testid=stImageContainer] { flex: 1 1 0; min-width: 0; }
.st-key-reconstructions img, .st-key-reconstructions [data-testid=stImageCaption] { width: 100% !important; }
.st-key-reconstructions img { image-rendering: pixelated; }
</style>"""

title_column, size_column, arch_column = st.columns([3, 1, 1.2], vertical_alignment="bottom")
title_column.title(t("draw.title"))
latent_dim = size_column.radio(t("draw.latent_size"), [2, 16], horizontal=True, key="draw_latent_dim",
                               bind="query-params", format_func=lambda d: f"{d}-D")
conv = sidebar.conv_switch(latent_dim, "draw_conv", arch_column)
st.markdown(t("draw.intro"))
sidebar.mnist_only("draw")
st.html(LAYOUT)  # our own constant style sheet
lecture = sidebar.lecture_mode()  # a projector's one screen: a narrower canvas column, wider and flatter maps


def pair():
    """The AE and the VAE the page shows, each with its test codes packed for the browser's maps."""
    import ui
    from components.latent_map import browser_model

    labels = ui.test_sample()[1]
    arch = "conv" if conv else "mlp"
    models = {kind: ui.shipped(kind, 16, arch=arch) if conv else ui.model(kind, latent_dim) for kind in ("ae", "vae")}
    codes = {kind: ui.shipped_codes(kind, 16, arch=arch) if conv else ui.codes(kind, latent_dim) for kind in models}
    return models, {kind: browser_model(models[kind], codes[kind], labels) for kind in models}


@st.fragment
def draw_and_reconstruct():
    """A stroke reruns only this function, not the whole app: measured side by side, a whole rerun took the
    median stroke from 263 to 273-304 ms and its p95 from 365-504 to 498-550 ms."""
    left, right = st.columns([1, 4.2] if lecture else [1, 2], gap="large")
    with left:
        st.caption(t("draw.your_drawing"))
        drawing = drawing_canvas("canvas", size=CANVAS, stroke=STROKE)  # RGBA pixels (H, W, 4), None before a stroke
    # AppTest cannot draw on a canvas: a test puts its RGBA array in st.session_state["fed_drawing"].
    drawing = st.session_state.get("fed_drawing", drawing)

    # Only now torch and the models: loading them is most of a cold start (about 3 s on two cores), and with the
    # canvas already on screen a person can start drawing meanwhile. (Imported modules are kept, so a rerun
    # pays nothing here.)
    import torch

    import ui
    from components.latent_map import latent_map, send_marks
    from vaedemo.preprocess import preprocess_drawing
    from vaedemo.viz import map_bounds, png_data_uri, posterior_ellipse, to_uint8

    x = None if drawing is None else preprocess_drawing(drawing)  # (1, 1, 28, 28)
    if x is not None:
        st.session_state["last_drawing"] = x  # the Repair page offers it
    models, shown = pair()
    marks = {kind: {} for kind in models}
    with right:
        if x is None:
            st.info(t("draw.hint"), icon=":material/draw:")
        else:
            with torch.inference_mode():
                vae_mu, vae_logvar = models["vae"].encode(x)  # (1, d) each
                means = {"ae": models["ae"].encode(x)[0], "vae": vae_mu[0]}  # (d,) each
                conv_name = t("draw.conv_name") if conv else ""
                pictures = {t("draw.input"): x, t("draw.rebuilds", name=f"{conv_name}AE"): models["ae"].decode(means["ae"][None]),
                            t("draw.rebuilds", name=f"{conv_name}VAE"): models["vae"].decode(vae_mu)}
            with st.container(key="reconstructions"):  # one element: each element costs the server CPU on every stroke
                st.image([png_data_uri(picture) for picture in to_uint8(torch.cat(list(pictures.values())))],
                         caption=list(pictures), width="stretch")
            here = shown["vae"].project(means["vae"])
            marks = {"ae": {"z": means["ae"]},
                     "vae": {"z": means["vae"], "ellipse": posterior_ellipse(here, vae_logvar[0].exp(), shown["vae"].axes)}}
    with right if lecture else st.container():  # under the pictures on a projector's one screen, else the page wide
        text = 20 if lecture else 12  # pixels of the maps' labels: larger for the back of a hall
        wide = any(model.latent_dim > 2 for model in models.values())
        names = (t("map.pc", n=1), t("map.pc", n=2)) if wide else ("z₁", "z₂")
        stars = []
        for column, kind in zip(st.columns(2), models):
            with column:
                mark = marks[kind]
                extra = [shown[kind].project(mark["z"])] if mark else []
                stars.append(latent_map(f"map_{kind}", shown[kind], t("draw.map_title", name=f"{t('draw.conv_name') if conv else ''}{kind.upper()}"),
                           sidebar.dataset().classes, names=names, text=text,
                           bounds=map_bounds(shown[kind].points, extra, mark.get("ellipse", extra)),
                           height=0.6 if lecture else 0.75, **mark))
        send_marks(*stars)
        if wide:
            st.caption(t("draw.pca_note"))
    if x is not None:
        ui.elbo_panel(models["vae"], x)


draw_and_reconstruct()
from components.latent_map import send_models  # noqa: E402  after the canvas is on screen (see above)

send_models(*pair()[1].values())  # once per run of the page, outside the fragment: a stroke does not send them again
