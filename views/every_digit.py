import streamlit as st
import torch

import sidebar
import ui
from components.canvas import drawing_canvas
from vaedemo.evaluate import label_elbos
from vaedemo.latent import LIMIT, manifold_grid, manifold_picture
from vaedemo.preprocess import preprocess_drawing
from vaedemo.viz import enlarge, image_grid, png_data_uri, to_uint8

ELBO_SAMPLES = 16  # posterior samples per label for the ten ELBOs: 160 decodes, about 2 ms on one thread

st.title("Your handwriting in every digit")
st.markdown(
    "A **conditional VAE** is told which digit it sees: its encoder q(z | x, y) and its decoder p(x | z, y) both "
    "get the label y, so its two-number code z needs to hold only what the label does not say, the **style**: "
    "slant, width, stroke. Draw a digit: the CVAE reads it by trying all ten labels and keeping the one under "
    "which it explains your drawing best (the highest ELBO), then writes your style as every digit from 0 to 9."
)
sidebar.mnist_only("Every digit")


def chosen_cvae():
    """The session's own CVAE where the sidebar says so and its codes are 2-D (the style space is a plane), else
    the shipped one."""
    cvae = ui.model("cvae", 2, "mnist")
    if cvae.latent_dim == 2:
        return cvae
    st.caption(f"Your CVAE has {cvae.latent_dim}-D codes: the shipped 2-D one stands in here.")
    return ui.shipped("cvae", 2, "mnist")


@st.fragment
def classify_and_restyle(cvae):
    """A stroke reruns only this function (as on the Draw page)."""
    left, right = st.columns([1, 2], gap="large")
    with left:
        st.caption("Your drawing")
        drawing = drawing_canvas("every_digit_canvas")  # RGBA pixels (H, W, 4), None before a stroke
    # AppTest cannot draw on a canvas: a test puts its RGBA array in st.session_state["fed_drawing"].
    drawing = st.session_state.get("fed_drawing", drawing)
    x = None if drawing is None else preprocess_drawing(drawing)  # (1, 1, 28, 28)
    with right:
        if x is None:
            st.session_state.pop("every_digit_style", None)
            st.info("Draw a digit on the black canvas: the CVAE reads it and writes it as every digit.",
                    icon=":material/draw:")
            return
        eps = torch.randn(ELBO_SAMPLES, 1, cvae.latent_dim, generator=torch.Generator().manual_seed(0))
        elbos = label_elbos(cvae, x, eps)[0]  # (10,)
        best = int(elbos.argmax())
        runner_up = elbos.topk(2).values[1].item()
        with torch.inference_mode():
            style = cvae.latent_mean(x, torch.tensor([best]))  # (1, 2)
            every = cvae.decode_every_label(style[0])  # (10, 1, 28, 28)
        st.session_state["every_digit_style"] = style[0].tolist()
        with st.container(key="every_digit_result"):
            input_column, verdict_column = st.columns([1, 3], vertical_alignment="center")
            input_column.image(png_data_uri(enlarge(to_uint8(x)[0], 4)), caption="Input (28×28)", width=112)
            verdict_column.markdown(f"The CVAE reads it as a **{best}**: its ELBO is {elbos[best]:.1f} nats, "
                                    f"{elbos[best] - runner_up:.1f} above the runner-up's.")
            cells = [f"**{value:.0f}**" if label == best else f"{value:.0f}" for label, value in enumerate(elbos.tolist())]
            st.markdown("| y | " + " | ".join(map(str, range(10))) + " |\n|---|" + "---|" * 10 +
                        "\n| ℒ(x, y) | " + " | ".join(cells) + " |")
            st.caption(f"ℒ(x, y) = E_q(z|x,y)[log p(x | z, y)] − KL(q(z | x, y) ‖ p(z)), in nats, estimated with "
                       f"{ELBO_SAMPLES} samples of z (the same noise for every label). It is a lower bound on log p(x | y): "
                       "the best label is the one that makes your drawing most likely. The CVAE was never trained to "
                       "classify, only to rebuild digits of a given label.")
            st.image(png_data_uri(image_grid(every, ncol=10, scale=3)), width="stretch",
                     caption=f"Your style z = ({style[0, 0]:.2f}, {style[0, 1]:.2f}), the posterior mean given y = {best}, "
                             "decoded with every label 0–9")


cvae = chosen_cvae()
classify_and_restyle(cvae)

st.subheader("The style space: one z, every digit")
st.markdown("Move z over the CVAE's two style dimensions: the same z decodes to the same style in every digit. "
            "Below, one digit's whole style map: a 15×15 lattice over the prior, the red frame at z.")


def take_my_style():
    style = st.session_state.get("every_digit_style")
    if style is not None:
        st.session_state.update(every_digit_z1=round(style[0], 2), every_digit_z2=round(style[1], 2))


controls, row_column = st.columns([1, 3], gap="large")
with controls:
    z1 = st.slider("z1", -LIMIT, LIMIT, 0.0, step=0.05, key="every_digit_z1", bind="query-params")
    z2 = st.slider("z2", -LIMIT, LIMIT, 0.0, step=0.05, key="every_digit_z2", bind="query-params")
    st.button("Take my drawing's style", icon=":material/draw:", on_click=take_my_style,
              help="Set z to the style of your last drawing above (after a stroke).")
with torch.inference_mode():
    row = cvae.decode_every_label(torch.tensor([z1, z2]))  # (10, 1, 28, 28)
row_column.image(image_grid(row, ncol=10, scale=3), width="stretch",
                 caption=f"z = ({z1:.2f}, {z2:.2f}) decoded with every label 0–9")
map_column, note_column = st.columns([3, 2], gap="large")
with map_column:
    label = st.segmented_control("Style map of the digit", list(range(10)), default=7, required=True,
                                 key="every_digit_label", bind="query-params")
    st.image(manifold_picture(manifold_grid(cvae, label=label), (z1, z2)), width="stretch",
             caption=f"the CVAE's {label}s: a 15×15 lattice through the Gaussian quantiles of the prior over z, "
                     f"decoded with y = {label}; the red frame is the current z")
note_column.caption("In a plain VAE the two numbers must tell the digits apart, so moving z changes which digit "
                    "you see (the Latent space page). Here the label says which digit; z is free to say how it is "
                    "written, and the same direction means the same change of style, a slant or a wider loop, in "
                    "every digit.")
