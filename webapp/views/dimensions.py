import streamlit as st
import torch

from vaedemo.evaluate import ACTIVE_KL, active_units
from vaedemo.viz import enlarge, to_uint8
from webapp import figures, session, sidebar, ui
from webapp.components.canvas import last_drawing
from webapp.components.latent_map import send_models
from webapp.i18n import t

URL = "query-params"  # the settings live in the address bar too: a shared link opens the same view

data = sidebar.dataset()
st.title(t("dimensions.title"))
sidebar.intro(t("dimensions.intro", noun=data.noun))

model_column, digit_column, picture_column = st.columns([2, 2, 1], gap="medium")
with model_column:
    conv = sidebar.conv_switch(16, "dimensions_conv")
    vae = ui.shipped("vae", 16, arch="conv") if conv else ui.model("vae", 16)
    mine = session.my_model()
    if vae is mine:
        st.caption(t("dimensions.model_yours", latent_dim=vae.latent_dim))
    else:
        if mine is not None and mine.kind != "vae" and session.using_mine(mine.kind, data.name):
            st.info(t("dimensions.not_vae", kind=mine.kind.upper()))
        name = f"{t('draw.conv_name') if conv else ''}VAE-16D"
        st.caption(t("dimensions.model_shipped", name=name, title=data.title))
with digit_column:
    images, labels = ui.test_sample()
    drawing = last_drawing() if data.name == "mnist" else None  # a drawing is a digit
    source = "test"
    if drawing is not None:
        source = st.radio(t("dimensions.source"), ["drawing", "test"], key="dimensions_source", horizontal=True,
                          bind=URL, format_func=lambda source: t(f"dimensions.source_{source}", noun=data.noun))
    if source == "test":
        label = st.selectbox(t("dimensions.test_noun", noun=data.noun), range(10), index=7,
                             format_func=data.classes.__getitem__, key="dimensions_label", bind=URL)
        x = images[torch.nonzero(labels == label)[0, 0]][None]  # the sample's first of that class: (1, 1, 28, 28)
    else:
        x = drawing
with picture_column:
    st.image(enlarge(to_uint8(x)[0], 4), caption=t("dimensions.digit_caption", noun=data.noun),
             alt=t("dimensions.digit", noun=data.noun), width=112)

st.caption(t("dimensions.how", noun=data.noun, kl=f"{ACTIVE_KL:g}"))
shown = figures.dimensions("dimensions_rows", vae, x)
send_models(shown)
st.markdown(t("dimensions.explain", count=len(images), kl=f"{ACTIVE_KL:g}", latent_dim=vae.latent_dim,
              active=active_units(ui.kl_by_dimension(vae))))
