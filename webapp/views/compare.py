import streamlit as st
import torch

from vaedemo.compare import shared_limit
from vaedemo.viz import enlarge, to_uint8
from webapp import figures, sidebar, ui
from webapp.components.latent_map import browser_model, latent_map, send_models
from webapp.i18n import t

URL = "query-params"  # every choice lives in the address bar too: a bookmark or a shared link opens this view

noun = sidebar.dataset().noun  # "digit" (MNIST) or "item" (Fashion-MNIST)
st.title(t("compare.title"))
st.markdown(t("compare.intro", noun=noun))


def resample():
    st.session_state["compare_seed"] += 1


images, labels = ui.test_sample()
classes = sidebar.dataset().classes
(ae, ae_codes), (vae, vae_codes) = figures.chosen("ae", 2), figures.chosen("vae", 2)

st.header(t("compare.prior_heading"))
seed_column, button_column = st.columns([1, 4], vertical_alignment="bottom")
seed = seed_column.number_input(t("compare.seed"), min_value=0, value=0, key="compare_seed", bind=URL)
button_column.button(t("compare.resample"), icon=":material/casino:", on_click=resample)
z = figures.prior_samples_through((ae, vae), seed)

maps_section = st.container()  # filled once the two test images below are picked: the maps show their line

st.header(t("compare.walk_heading", noun=noun))
size_column, arch_column = st.columns([1, 2], vertical_alignment="bottom")
latent_dim = size_column.radio(t("draw.latent_size"), [2, 16], horizontal=True,
                               key="compare_latent_dim", bind=URL, format_func=lambda d: f"{d}-D")
conv = sidebar.conv_switch(latent_dim, "compare_conv", arch_column)
if conv:
    models = {
        kind: (ui.shipped(kind, 16, arch="conv"), ui.shipped_codes(kind, 16, arch="conv")) for kind in ("ae", "vae")
    }
else:
    models = {kind: figures.chosen(kind, latent_dim) for kind in ("ae", "vae")}
size = t("compare.size_conv", latent_dim=latent_dim) if conv else f"{latent_dim}-D"


def test_image_picker(end: str, default: tuple[int, int]) -> torch.Tensor:
    """A test image picked by its class and which one of that class, shown; returns it (1, 1, 28, 28)."""
    label = st.selectbox(
        t("compare.end_label", Noun=noun.title(), end=end.upper()),
        range(len(classes)),
        index=default[0],
        format_func=classes.__getitem__,
        key=f"compare_{end}_label",
        bind=URL,
    )
    rows = torch.nonzero(labels == label)[:, 0]
    which = st.number_input(t("compare.which", name=classes[label], count=len(rows)), 1, len(rows), default[1] + 1,
                            key=f"compare_{end}_index", bind=URL)
    x = images[rows[which - 1]][None]  # (1, 1, 28, 28)
    caption = t("compare.end_caption", end=end.upper(), name=classes[label], which=which)
    st.image(enlarge(to_uint8(x)[0], 4), caption=caption, alt=caption, width=112)
    return x


start_column, rows_column, end_column = st.columns([1, 5, 1])
with start_column:
    x_start = test_image_picker("a", (7, 0))
with end_column:
    x_end = test_image_picker("b", (3, 0))
with rows_column:
    packed = figures.walk("compare_slider", models, x_start, x_end, size)
st.caption(t("compare.walk_note"))
for column, x, end in zip(st.columns(2, gap="large"), (x_start, x_end), "AB"):
    with column:
        st.caption(t("compare.end_under", Noun=noun.title(), end=end, size=size))
        ui.elbo_panel(models["vae"][0], packed["vae"], x=x, key=f"compare_loss_{end}")

with maps_section:
    st.header(t("compare.maps_heading"))
    zoom = st.toggle(t("compare.zoom"), key="compare_zoom", bind=URL)
    limit = 3.5 if zoom else shared_limit(ae_codes, vae_codes)
    for column, (model, codes) in zip(st.columns(2, gap="large"), ((ae, ae_codes), (vae, vae_codes))):
        with torch.inference_mode():
            path = model.latent_mean(torch.cat([x_start, x_end]))  # (2, 2): A's code and B's
        packed[f"{model.kind} 2-D"] = browser_model(model, codes, labels)
        with column:
            latent_map(f"compare_map_{model.kind}", packed[f"{model.kind} 2-D"],
                       t("compare.map_title", kind=model.kind.upper(), count=len(codes), noun=noun), classes,
                       bounds=(-limit, limit, -limit, limit), circles=(1, 2), path=list(path), height=0.85)
    st.caption(t("compare.maps_note", noun=noun))

st.header(t("compare.beta_heading"))
st.markdown(t("compare.beta_intro"))
beta_models = figures.beta_trade_off("compare_beta", z, t("compare.beta_grid"))
send_models(*packed.values(), *beta_models)
