import random

import streamlit as st
import torch

import sidebar
import ui
from vaedemo.repair import (REGIONS, damage, error_picture, error_scale_picture, fill_in, mean_abs_error, model_label,
                            repair)
from vaedemo.viz import enlarge, to_uint8

SCALE = 8  # each MNIST pixel as an 8x8 square
ERASE_OPTIONS = ["nothing", *REGIONS, "a block I place"]

data = sidebar.dataset()
noun = data.noun  # "digit" (MNIST) or "item" (Fashion-MNIST)
clean_name = f"Clean {noun}"
st.title(f"Repair a damaged {noun}")
st.markdown(
    f"Take {'an' if noun[0] in 'aeiou' else 'a'} {noun}, damage it with noise or by erasing part of it, and see how the autoencoder and the VAE "
    f"rebuild it: a model that has only ever learned to draw {data.title} {noun}s redraws the damaged picture as "
    f"the nearest {noun} it knows. Under each picture, its error against the clean {noun}, pixel by pixel (black: "
    "exact) and on average. Try a noise level of 0.6, then erase the top half; train a denoising model on the "
    "**Train** page and it shows here too."
)

images, labels = ui.test_sample()
drawing = st.session_state.get("last_drawing") if data.name == "mnist" else None  # the Draw page draws digits
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
    st.subheader(f"The {noun}")
    source = "test"
    if drawing is not None:
        source = st.radio("Repair", ["test", "drawing"], key="repair_source", horizontal=True, bind=URL,
                          format_func={"test": "a test digit", "drawing": "my last drawing from the Draw page"}.get)
    if source == "test":
        label_column, index_column = st.columns(2)
        label = label_column.selectbox(f"Test {noun}", range(10), index=7, format_func=data.classes.__getitem__,
                                       key="repair_label", bind=URL)
        rows = torch.nonzero(labels == label)[:, 0]
        index = index_column.number_input(f"Which one (1 to {len(rows)})", min_value=1, max_value=len(rows), value=1,
                                          key="repair_index", bind=URL)
        st.button(f"Random test {noun}", on_click=pick_random_test_image)
        clean = images[rows[index - 1]][None]  # (1, 1, 28, 28)
    else:
        clean = drawing
    if drawing is None and data.name == "mnist":
        st.caption("Draw a digit on the **Draw** page to repair your own.")
with damage_column:
    st.subheader("The damage")
    noise = st.slider("Noise level (std of the Gaussian noise on each pixel)", 0.0, 1.0, 0.4, 0.05, key="repair_noise",
                      bind=URL)
    erase = st.selectbox("Erase", ERASE_OPTIONS, key="repair_erase", bind=URL)
    block = REGIONS.get(erase)
    if erase == "a block I place":
        top_column, left_column, size_column = st.columns(3)
        top = top_column.slider("Top row", 0, 27, 8, key="repair_block_top", bind=URL)
        left = left_column.slider("Left column", 0, 27, 8, key="repair_block_left", bind=URL)
        size = size_column.slider("Size", 1, 28, 10, key="repair_block_size", bind=URL)
        block = (top, left, size, size)
    fill_only = block is not None and st.toggle(
        "Fill in only the erased block", value=True, key="repair_fill_only", bind=URL,
        help="Keep every pixel outside the block as it is and let the model redraw the block, ten times over, each "
             "time from the picture with its last guess filled in. Off: the model redraws the whole picture.")
    seed_column, button_column = st.columns(2, vertical_alignment="bottom")
    seed = seed_column.number_input("Noise seed", min_value=0, value=0, key="repair_seed", bind=URL, disabled=noise == 0)
    button_column.button("New noise", on_click=new_noise, disabled=noise == 0)
with model_column:
    st.subheader("The models")
    latent_dim = st.radio("Latent size", [2, 16], format_func=lambda d: f"{d}-D", key="repair_latent_dim", bind=URL)
    conv = sidebar.conv_switch(latent_dim, "repair_conv")

damaged = damage(clean, noise, block, seed=seed)
mine = sidebar.my_model()
if mine is not None and sidebar.trained_on(mine) != data.name:
    mine = None  # trained on the other data set
models = []  # each model once: with "use my model" on, ui.model already is the session's own
pair = [ui.shipped(kind, 16, arch="conv") if conv else ui.model(kind, latent_dim) for kind in ("ae", "vae")]
for model in (*pair, ui.shipped_denoising(latent_dim), mine):
    if model is not None and all(model is not other for other in models):
        models.append(model)
pictures = {clean_name: clean, "Damaged": damaged}
for model in models:
    repaired = fill_in(model, damaged, block) if fill_only else repair(model, damaged)
    pictures[model_label(model, "Your" if model is sidebar.my_model() else "")] = repaired
errors = {name: float(mean_abs_error(picture, clean)) for name, picture in pictures.items()}

st.divider()
# Three rows of columns, so that the pictures, the figures and the error maps each line up across the models.
for column, (name, picture) in zip(st.columns(len(pictures)), pictures.items()):
    column.image(enlarge(to_uint8(picture)[0], SCALE), caption=name, width="stretch")
for column, name in zip(st.columns(len(pictures)), pictures):
    if name == clean_name:
        column.caption(f"Mean |error| per pixel against the clean {noun}; the arrow: change from the damaged picture.")
    else:
        delta = None if name == "Damaged" else f"{errors[name] - errors['Damaged']:+.3f}"
        column.metric("mean |error|", f"{errors[name]:.3f}", delta=delta, delta_color="inverse")
for column, (name, picture) in zip(st.columns(len(pictures)), pictures.items()):
    if name == clean_name:
        column.image(error_scale_picture(), caption="error map colours: 0 (exact) to 1", width="stretch")
    else:
        column.image(error_picture(picture, clean, SCALE), caption="error map", width="stretch")

best = min((name for name in pictures if name not in (clean_name, "Damaged")), key=errors.get)
verdict = "closer to" if errors[best] < errors["Damaged"] else "no closer to"
st.caption(f"Best repair here: {best} with a mean error of {errors[best]:.3f} per pixel, {verdict} the clean "
           f"{noun} than the damaged picture ({errors['Damaged']:.3f}).")
