import random

import streamlit as st
import torch

from vaedemo.repair import REGIONS, damage
from webapp import figures, sidebar, ui
from webapp.components.canvas import last_drawing
from webapp.i18n import t

ERASE_OPTIONS = ["nothing", *REGIONS, "a block I place"]

data = sidebar.dataset()
noun = data.noun  # "digit" (MNIST) or "item" (Fashion-MNIST)
st.title(t("repair.title", noun=noun))
st.markdown(t("repair.intro", a="an" if noun[0] in "aeiou" else "a", noun=noun, title=data.title))

images, labels = ui.test_sample()
drawing = last_drawing() if data.name == "mnist" else None  # the Draw page draws digits
URL = "query-params"  # every setting lives in the address bar too: a bookmark or a shared link opens this view


def pick_random_test_image():
    row = random.randrange(len(labels))
    label = int(labels[row])
    st.session_state.update(repair_label=label, repair_index=int((labels[:row] == label).sum()) + 1,
                            repair_source="test")


def new_noise():
    st.session_state["repair_seed"] += 1


digit_column, damage_column, model_column = st.columns([2, 2, 1.2], gap="large")
with digit_column:
    st.header(t("repair.the_noun", noun=noun))
    source = "test"
    if drawing is not None:
        source = st.radio(t("repair.source"), ["test", "drawing"], key="repair_source", horizontal=True, bind=URL,
                          format_func=lambda source: t(f"repair.source_{source}"))
    if source == "test":
        label_column, index_column = st.columns(2)
        label = label_column.selectbox(
            t("repair.test_noun", noun=noun),
            range(10),
            index=7,
            format_func=data.classes.__getitem__,
            key="repair_label",
            bind=URL,
        )
        rows = torch.nonzero(labels == label)[:, 0]
        index = index_column.number_input(t("repair.which", count=len(rows)), min_value=1, max_value=len(rows), value=1,
                                          key="repair_index", bind=URL)
        st.button(t("repair.random", noun=noun), on_click=pick_random_test_image)
        clean = images[rows[index - 1]][None]  # (1, 1, 28, 28)
    else:
        clean = drawing
    if drawing is None and data.name == "mnist":
        st.caption(t("repair.draw_first"))
with damage_column:
    st.header(t("repair.damage"))
    noise = st.slider(t("repair.noise"), 0.0, 1.0, 0.4, 0.05, key="repair_noise",
                      bind=URL)
    erase = st.selectbox(t("repair.erase"), ERASE_OPTIONS, key="repair_erase", bind=URL,
                         format_func=lambda option: t(f"repair.erase_options.{option}"))
    block = REGIONS.get(erase)
    if erase == "a block I place":
        top_column, left_column, size_column = st.columns(3)
        top = top_column.slider(t("repair.top"), 0, 27, 8, key="repair_block_top", bind=URL)
        left = left_column.slider(t("repair.left"), 0, 27, 8, key="repair_block_left", bind=URL)
        size = size_column.slider(t("repair.size"), 1, 28, 10, key="repair_block_size", bind=URL)
        block = (top, left, size, size)
    fill_only = block is not None and st.toggle(
        t("repair.fill_only"), value=True, key="repair_fill_only", bind=URL, help=t("repair.fill_only_help"))
    seed_column, button_column = st.columns(2, vertical_alignment="bottom")
    seed = seed_column.number_input(
        t("repair.seed"), min_value=0, value=0, key="repair_seed", bind=URL, disabled=noise == 0
    )
    button_column.button(t("repair.new_noise"), on_click=new_noise, disabled=noise == 0)
with model_column:
    st.header(t("repair.models"))
    latent_dim = st.radio(
        t("home.latent_size"), [2, 16], format_func=lambda d: f"{d}-D", key="repair_latent_dim", bind=URL
    )
    conv = sidebar.conv_switch(latent_dim, "repair_conv")

damaged = damage(clean, noise, block, seed=seed)
st.divider()
figures.repairs(clean, damaged, figures.repair_models(latent_dim, conv), block, fill_only)
