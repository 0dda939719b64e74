import streamlit as st
import torch

from vaedemo.compare import checkpoint_figures, farthest_from_codes, interpolation, prior_samples, shared_limit
from vaedemo.evaluate import ACTIVE_KL, active_units
from vaedemo.viz import enlarge, image_grid, to_uint8
from webapp import sidebar, ui
from webapp.components.latent_map import browser_model, interpolation_slider, latent_map, send_models
from webapp.i18n import t

URL = "query-params"  # every choice lives in the address bar too: a bookmark or a shared link opens this view
GRID = 8  # prior samples: GRID x GRID decodes for each model
STEPS = 10  # interpolation: decodes along the line, both ends included

noun = sidebar.dataset().noun  # "digit" (MNIST) or "item" (Fashion-MNIST)
st.title(t("compare.title"))
st.markdown(t("compare.intro", noun=noun))


def chosen(kind: str, latent_dim: int):
    """(model, test-sample codes) of this kind and size: the session's own where the sidebar says so and its
    latent size fits, else the shipped one."""
    model = ui.model(kind, latent_dim)
    if model.latent_dim == latent_dim:
        return model, ui.codes(kind, latent_dim)
    st.caption(t("compare.stands_in", kind=kind.upper(), theirs=model.latent_dim, latent_dim=latent_dim))
    return ui.shipped(kind, latent_dim), ui.shipped_codes(kind, latent_dim)


def resample():
    st.session_state["compare_seed"] += 1


images, labels = ui.test_sample()
classes = sidebar.dataset().classes
(ae, ae_codes), (vae, vae_codes) = chosen("ae", 2), chosen("vae", 2)

st.header(t("compare.prior_heading"))
seed_column, button_column = st.columns([1, 4], vertical_alignment="bottom")
seed = seed_column.number_input(t("compare.seed"), min_value=0, value=0, key="compare_seed", bind=URL)
button_column.button(t("compare.resample"), icon=":material/casino:", on_click=resample)
z = prior_samples(GRID * GRID, 2, seed)  # (GRID * GRID, 2): the same codes for both models
with torch.inference_mode():
    for column, model in zip(st.columns(2, gap="large"), (ae, vae)):
        grid = t("compare.prior_grid", kind=model.kind.upper(), count=GRID * GRID, seed=seed)
        column.image(image_grid(model.decode(z), ncol=GRID, scale=2), width="stretch", caption=grid, alt=grid)
st.caption(t("compare.prior_note", count=GRID * GRID, noun=noun))

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
    models = {kind: chosen(kind, latent_dim) for kind in ("ae", "vae")}
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
packed = {kind: browser_model(model, codes, labels) for kind, (model, codes) in models.items()}
with rows_column:
    ends = {}
    for kind, (model, codes) in models.items():
        with torch.inference_mode():
            ends[kind] = model.latent_mean(torch.cat([x_start, x_end]))  # (2, d)
        st.image(image_grid(interpolation(model, x_start, x_end, STEPS), ncol=STEPS, scale=3), width="stretch",
                 caption=t("compare.walk_row", kind=model.kind.upper(), size=size, steps=STEPS,
                           strays=farthest_from_codes(codes, *ends[kind])),
                 alt=t("compare.alt_walk", kind=model.kind.upper(), steps=STEPS))
    st.caption(t("compare.slider_note"))
    interpolation_slider("compare_slider", list(packed.values()), [f"{kind.upper()} ({size})" for kind in packed],
                         [tuple(ends[kind]) for kind in packed])
st.caption(t("compare.walk_note"))
for column, x, end in zip(st.columns(2, gap="large"), (x_start, x_end), "AB"):
    with column:
        st.caption(t("compare.end_under", Noun=noun.title(), end=end, size=size))
        ui.elbo_panel(models["vae"][0], x)

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
betas = {beta: vae for beta in ui.BETAS if (vae := ui.shipped_beta(beta)) is not None}
if len(betas) < len(ui.BETAS):
    st.info(t("compare.not_shipped", betas=", ".join(f"{b:g}" for b in ui.BETAS if b not in betas)))
beta_codes = {beta: ui.shipped_beta_codes(beta) for beta in betas}
limit = shared_limit(*beta_codes.values())
mnist_labels = ui.test_sample("mnist")[1]
for column, (beta, vae) in zip(st.columns(len(betas)), betas.items()):
    figures = checkpoint_figures(vae)
    packed[f"beta {beta:g}"] = browser_model(vae, beta_codes[beta], mnist_labels)
    with column:
        latent_map(
            f"compare_beta_{beta:g}",
            packed[f"beta {beta:g}"],
            f"β = {beta:g}",
            sidebar.dataset("mnist").classes,
            bounds=(-limit, limit, -limit, limit),
            circles=(1, 2),
            height=0.85,
        )
    column.markdown(t("compare.beta_figures", recon=figures["reconstruction"], kl=figures["KL"], elbo=figures["-ELBO"],
                      epochs=vae.metadata["epochs"]))
    kl = ui.shipped_beta_kl_per_dimension(beta)
    column.markdown(t("compare.units", active=active_units(kl), latent_dim=vae.latent_dim,
                      kl=", ".join(f"{value:.2f}" for value in kl.tolist())))
    with torch.inference_mode():
        column.image(image_grid(vae.decode(z[:16]), ncol=8, scale=2), width="stretch",
                     caption=t("compare.beta_grid"), alt=t("compare.alt_beta_grid", beta=f"{beta:g}"))
st.caption(t("compare.units_note", count=len(mnist_labels), kl=f"{ACTIVE_KL:g}"))
epochs = {vae.metadata["epochs"] for vae in betas.values()}
if len(epochs) > 1:
    st.caption(t("compare.epochs_differ", epochs=", ".join(sorted(epochs, key=int))))
send_models(*packed.values())
