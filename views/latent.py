import streamlit as st
import torch

import sidebar
import ui
from components.latent_map import browser_model, latent_map, send_models
from vaedemo.latent import LIMIT, manifold_grid, manifold_picture, picked
from vaedemo.viz import enlarge, to_uint8

data = sidebar.dataset()
st.title("Walk through the 2-D latent space of a VAE")
st.markdown(
    f"Every test {data.noun} of {data.title} lands somewhere in the VAE's two-dimensional latent space (the "
    f"coloured dots); the decoder turns **any** point z = (z1, z2) back into a picture. Move the pointer over the "
    f"map, or drag a finger across it: your browser decodes every point you pass, and the {data.noun} morphs as you "
    "cross from one cluster to the next. Click or let go to choose z (the sliders set it from the keyboard). On the "
    "right, the decoder's whole manifold: a 15×15 lattice over the prior, with a red frame where your z is."
)

mine = sidebar.my_model()
if mine is not None and ui.using_mine(mine.kind) and (mine.kind, mine.latent_dim) != ("vae", 2):
    st.info(f"Your own model is a {mine.latent_dim}-D {mine.kind.upper()}; this page needs a 2-D VAE, "
            "so it shows the shipped one.")
    model, codes = ui.shipped("vae", 2), ui.shipped_codes("vae", 2)
else:
    model, codes = ui.model("vae", 2), ui.codes("vae", 2)
images, labels = ui.test_sample()
shown = browser_model(model, codes, labels)
send_models(shown)  # once per page load: the map's picks rerun only the fragment below
st.session_state.setdefault("latent_row", None)


def on_pick():
    choice = picked(st.session_state["latent_map"].pick, codes)
    if choice is not None:
        (z1, z2), row = choice
        st.session_state.update(latent_z1=round(z1, 2), latent_z2=round(z2, 2), latent_row=row)


def on_slide():
    st.session_state["latent_row"] = None


@st.fragment
def explore():
    controls, map_column, grid_column = st.columns([1, 3, 2])
    with controls:
        z1 = st.slider("z1", -LIMIT, LIMIT, 0.0, step=0.05, key="latent_z1", on_change=on_slide, bind="query-params")
        z2 = st.slider("z2", -LIMIT, LIMIT, 0.0, step=0.05, key="latent_z2", on_change=on_slide, bind="query-params")
        row = st.session_state["latent_row"]
        if row is not None:
            st.image(enlarge(to_uint8(images[row : row + 1])[0], 4),
                     caption=f"the test {data.classes[labels[row]]} you clicked, whose mean z this is", width=112)
    with map_column:
        latent_map("latent_map", shown, f"The VAE's codes of {len(codes):,} test {data.noun}s; the star is z",
                   data.classes, bounds=(-LIMIT, LIMIT, -LIMIT, LIMIT), z=torch.tensor([z1, z2]), pick=True,
                   on_pick=on_pick, height=0.8)
    with grid_column:
        st.image(manifold_picture(manifold_grid(model), (z1, z2)), caption="decoded 15×15 lattice through the "
                 "Gaussian quantiles of the prior; the red frame is the current z", width="stretch")
        ui.prior_panel((z1, z2))


explore()
