import streamlit as st
import torch

import sidebar
import ui
from vaedemo.latent import LIMIT, latent_map, manifold_grid, manifold_picture, picked
from vaedemo.viz import enlarge, to_uint8

data = sidebar.dataset()
st.title("Walk through the 2-D latent space of a VAE")
st.markdown(
    f"Every test {data.noun} of {data.title} lands somewhere in the VAE's two-dimensional latent space (the "
    f"coloured dots); the decoder turns **any** point z = (z1, z2) back into a picture. Move the sliders or click "
    f"anywhere on the map and watch the {data.noun} morph as you cross from one cluster to the next. On the right, "
    "the decoder's whole manifold: a 15×15 lattice over the prior, with a red frame where your z is."
)

mine = sidebar.my_model()
if mine is not None and ui.using_mine(mine.kind) and (mine.kind, mine.latent_dim) != ("vae", 2):
    st.info(f"Your own model is a {mine.latent_dim}-D {mine.kind.upper()}; this page needs a 2-D VAE, "
            "so it shows the shipped one.")
    model, codes = ui.shipped("vae", 2), ui.shipped_codes("vae", 2)
else:
    model, codes = ui.model("vae", 2), ui.codes("vae", 2)
images, labels = ui.test_sample()

st.session_state.setdefault("latent_row", None)


def on_click():
    points = st.session_state["latent_map"].selection.points
    if points:
        (z1, z2), row = picked(points[0], codes)
        st.session_state.update(latent_z1=round(z1, 2), latent_z2=round(z2, 2), latent_row=row)


def on_slide():
    st.session_state["latent_row"] = None


controls, map_column, grid_column = st.columns([1, 2.2, 1.8])
with controls:
    z1 = st.slider("z1", -LIMIT, LIMIT, 0.0, step=0.05, key="latent_z1", on_change=on_slide, bind="query-params")
    z2 = st.slider("z2", -LIMIT, LIMIT, 0.0, step=0.05, key="latent_z2", on_change=on_slide, bind="query-params")
    with torch.inference_mode():
        digit = model.decode(torch.tensor([[z1, z2]]))  # (1, 1, 28, 28)
    st.image(enlarge(to_uint8(digit)[0], 10), caption=f"decoded z = ({z1:.2f}, {z2:.2f})", width="stretch")
    row = st.session_state["latent_row"]
    if row is not None:
        st.image(enlarge(to_uint8(images[row : row + 1])[0], 4),
                 caption=f"the test {data.classes[labels[row]]} you clicked, whose mean z this is", width=112)
with map_column:
    st.plotly_chart(latent_map(codes, labels, (z1, z2), data.name), on_select=on_click, selection_mode="points",
                    key="latent_map", width="stretch")
with grid_column:
    st.image(manifold_picture(manifold_grid(model), (z1, z2)), caption="decoded 15×15 lattice through the "
             "Gaussian quantiles of the prior; the red frame is the current z", width="stretch")
    ui.prior_panel((z1, z2))
