import streamlit as st
import torch

from vaedemo.latent import LIMIT, manifold_grid, manifold_picture, picked
from vaedemo.viz import enlarge, to_uint8
from webapp import session, sidebar, ui
from webapp.components.latent_map import browser_model, latent_map, send_marks, send_models
from webapp.i18n import t

data = sidebar.dataset()
st.title(t("latent.title"))
st.markdown(t("latent.intro", noun=data.noun, title=data.title))

mine = session.my_model()
if (
    mine is not None
    and session.using_mine(mine.kind, session.current_dataset())
    and (mine.kind, mine.latent_dim) != ("vae", 2)
):
    st.info(t("latent.not_2d_vae", latent_dim=mine.latent_dim, kind=mine.kind.upper()))
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
            clicked = t("latent.clicked", name=data.classes[labels[row]])
            st.image(enlarge(to_uint8(images[row : row + 1])[0], 4), caption=clicked, alt=clicked, width=112)
    with map_column:
        send_marks(latent_map("latent_map", shown, t("latent.map_title", count=len(codes), noun=data.noun),
                              data.classes, bounds=(-LIMIT, LIMIT, -LIMIT, LIMIT), z=torch.tensor([z1, z2]),
                              pick=True, on_pick=on_pick, height=0.8))
    with grid_column:
        st.image(manifold_picture(manifold_grid(model), (z1, z2)), caption=t("latent.manifold"), width="stretch",
                 alt=t("latent.alt_manifold", noun=data.noun, z1=z1, z2=z2))
        ui.prior_panel((z1, z2))


explore()
