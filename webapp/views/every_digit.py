import streamlit as st
import torch

from vaedemo.latent import LIMIT, manifold_grid, manifold_picture
from vaedemo.viz import enlarge, image_grid, png_data_uri, to_uint8
from webapp import figures, sidebar, ui
from webapp.components.canvas import drawing_canvas
from webapp.i18n import t

st.title(t("every_digit.title"))
sidebar.intro(t("every_digit.intro"))
sidebar.mnist_only("every_digit")


@st.fragment
def classify_and_restyle(cvae):
    """A stroke reruns only this function (as on the Draw page)."""
    left, right = st.columns([1, 2], gap="large")
    with left:
        st.caption(t("draw.your_drawing"))
        x = drawing_canvas("every_digit_canvas", send=True)  # (1, 1, 28, 28), None before a stroke
    with right:
        if x is None:
            st.session_state.pop("every_digit_style", None)
            st.info(t("every_digit.hint"), icon=":material/draw:")
            return
        elbos = ui.elbos_by_label(cvae, x)  # (10,)
        best = int(elbos.argmax())
        runner_up = elbos.topk(2).values[1].item()
        with torch.inference_mode():
            style = cvae.latent_mean(x, torch.tensor([best]))  # (1, 2)
            every = cvae.decode_every_label(style[0])  # (10, 1, 28, 28)
        st.session_state["every_digit_style"] = style[0].tolist()
        with st.container(key="every_digit_result"):
            input_column, verdict_column = st.columns([1, 3], vertical_alignment="center")
            input_column.image(png_data_uri(enlarge(to_uint8(x)[0], 4)), caption=t("draw.input"), width=112,
                               alt=t("draw.alt_input"))
            verdict_column.markdown(
                t("every_digit.verdict", best=best, elbo=elbos[best], margin=elbos[best] - runner_up)
            )
            # Your style as every digit right under your drawing's verdict, the ELBOs after it: on a phone the
            # pictures then share the canvas's screen.
            st.image(png_data_uri(image_grid(every, ncol=10, scale=3)), width="stretch", alt=t("every_digit.alt_every"),
                     caption=t("every_digit.your_style", z1=style[0, 0], z2=style[0, 1], best=best))
            cells = [
                f"**{value:.0f}**" if label == best else f"{value:.0f}" for label, value in enumerate(elbos.tolist())
            ]
            st.markdown("| y | " + " | ".join(map(str, range(10))) + " |\n|---|" + "---|" * 10 +
                        "\n| ℒ(x, y) | " + " | ".join(cells) + " |")
            st.caption(t("every_digit.elbo_note", samples=ui.ELBO_SAMPLES))


cvae = figures.every_digit_cvae()
classify_and_restyle(cvae)

st.header(t("every_digit.space_heading"))
st.markdown(t("every_digit.space_intro"))


def take_my_style():
    style = st.session_state.get("every_digit_style")
    if style is not None:
        st.session_state.update(every_digit_z1=round(style[0], 2), every_digit_z2=round(style[1], 2))


controls, row_column = st.columns([1, 3], gap="large")
with controls:
    z1 = st.slider("z1", -LIMIT, LIMIT, 0.0, step=0.05, key="every_digit_z1", bind="query-params")
    z2 = st.slider("z2", -LIMIT, LIMIT, 0.0, step=0.05, key="every_digit_z2", bind="query-params")
    st.button(t("every_digit.take_style"), icon=":material/draw:", on_click=take_my_style,
              help=t("every_digit.take_style_help"))
figures.style_as_every_digit(cvae, z1, z2, row_column)
map_column, note_column = st.columns([3, 2], gap="large")
with map_column:
    label = st.segmented_control(t("every_digit.style_map"), list(range(10)), default=7, required=True,
                                 key="every_digit_label", bind="query-params")
    map_caption = t("every_digit.map_caption", label=label)
    st.image(manifold_picture(manifold_grid(cvae, label=label), (z1, z2)), width="stretch", caption=map_caption,
             alt=map_caption)
note_column.caption(t("every_digit.note"))
