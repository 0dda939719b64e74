import streamlit as st
import torch

import sidebar
import ui
from components.latent_map import browser_model, interpolation_slider, latent_map, send_models
from vaedemo.compare import checkpoint_figures, farthest_from_codes, interpolation, prior_samples, shared_limit
from vaedemo.evaluate import ACTIVE_KL, active_units
from vaedemo.viz import enlarge, image_grid, to_uint8

URL = "query-params"  # every choice lives in the address bar too: a bookmark or a shared link opens this view
GRID = 8  # prior samples: GRID x GRID decodes for each model
STEPS = 10  # interpolation: decodes along the line, both ends included

noun = sidebar.dataset().noun  # "digit" (MNIST) or "item" (Fashion-MNIST)
st.title("Compare: why a VAE generates and an autoencoder does not")
st.markdown(
    f"Both models rebuild {noun}s well, but only the **VAE** was trained to keep its codes where the prior N(0, I) "
    f"puts them. Decode random codes from that prior and compare, see where each model puts the test {noun}s "
    f"(at one scale, with the prior's 1σ and 2σ circles; point at a map to decode that spot), and walk a straight "
    f"line from one {noun}'s code to another's: press **Resample**, pick other {noun}s, switch to 16-D codes."
)


def chosen(kind: str, latent_dim: int):
    """(model, test-sample codes) of this kind and size: the session's own where the sidebar says so and its
    latent size fits, else the shipped one."""
    model = ui.model(kind, latent_dim)
    if model.latent_dim == latent_dim:
        return model, ui.codes(kind, latent_dim)
    st.caption(f"Your {kind.upper()} has {model.latent_dim}-D codes: the shipped {latent_dim}-D one stands in here.")
    return ui.shipped(kind, latent_dim), ui.shipped_codes(kind, latent_dim)


def resample():
    st.session_state["compare_seed"] += 1


images, labels = ui.test_sample()
classes = sidebar.dataset().classes
(ae, ae_codes), (vae, vae_codes) = chosen("ae", 2), chosen("vae", 2)

st.subheader("Decode random codes z ~ N(0, I)")
seed_column, button_column = st.columns([1, 4], vertical_alignment="bottom")
seed = seed_column.number_input("Seed", min_value=0, value=0, key="compare_seed", bind=URL)
button_column.button("Resample", icon=":material/casino:", on_click=resample)
z = prior_samples(GRID * GRID, 2, seed)  # (GRID * GRID, 2): the same codes for both models
with torch.inference_mode():
    for column, model in zip(st.columns(2, gap="large"), (ae, vae)):
        column.image(image_grid(model.decode(z), ncol=GRID, scale=2), width="stretch",
                     caption=f"{model.kind.upper()} (2-D): {GRID * GRID} decodes of z ~ N(0, I), seed {seed}")
st.caption(f"The same {GRID * GRID} codes go into both decoders. The VAE's were trained to fill the prior, so most "
           f"draws decode to a {noun} of some kind; the AE's codes spread far wider, so the prior covers a small patch "
           f"near its origin and the draws come out as only a few kinds of {noun}, some of them blurred.")

maps_section = st.container()  # filled once the two test images below are picked: the maps show their line

st.subheader(f"Walk a straight line from one {noun} to another")
size_column, arch_column = st.columns([1, 2], vertical_alignment="bottom")
latent_dim = size_column.radio("Size of the AE's and the VAE's codes", [2, 16], horizontal=True,
                               key="compare_latent_dim", bind=URL, format_func=lambda d: f"{d}-D")
conv = sidebar.conv_switch(latent_dim, "compare_conv", arch_column)
if conv:
    models = {kind: (ui.shipped(kind, 16, arch="conv"), ui.shipped_codes(kind, 16, arch="conv")) for kind in ("ae", "vae")}
else:
    models = {kind: chosen(kind, latent_dim) for kind in ("ae", "vae")}
size = f"{latent_dim}-D conv" if conv else f"{latent_dim}-D"


def test_image_picker(end: str, default: tuple[int, int]) -> torch.Tensor:
    """A test image picked by its class and which one of that class, shown; returns it (1, 1, 28, 28)."""
    label = st.selectbox(f"{noun.title()} {end.upper()}", range(len(classes)), index=default[0],
                         format_func=classes.__getitem__, key=f"compare_{end}_label", bind=URL)
    rows = torch.nonzero(labels == label)[:, 0]
    which = st.number_input(f"which {classes[label]} (of {len(rows)})", 1, len(rows), default[1] + 1,
                            key=f"compare_{end}_index", bind=URL)
    x = images[rows[which - 1]][None]  # (1, 1, 28, 28)
    st.image(enlarge(to_uint8(x)[0], 4), caption=f"{end.upper()}: test {classes[label]} no. {which}", width=112)
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
                 caption=f"{model.kind.upper()} ({size}): {STEPS} decodes evenly spaced from A's code to B's "
                         f"(the first and last are A's and B's reconstructions). On the way the line strays "
                         f"{farthest_from_codes(codes, *ends[kind]):.1f}× the typical gap between neighbouring "
                         "test codes from the nearest one.")
    st.caption("Drag the slider: your browser decodes the point that far along each line, every step of the way.")
    interpolation_slider("compare_slider", list(packed.values()), [f"{kind.upper()} ({size})" for kind in packed],
                         [tuple(ends[kind]) for kind in packed])
st.caption("Each row morphs from A to B through whatever lies on the line. In 2-D there is no room to go around: "
           "both lines cross other classes' clusters (the red lines on the maps above). Where a line strays far from "
           "every test code (the figure under each row), its decoder never saw a code in training and draws what its "
           "weights extrapolate to, often a blur. How far each model's line strays depends on the pair: try others.")
for column, x, end in zip(st.columns(2, gap="large"), (x_start, x_end), "AB"):
    with column:
        st.caption(f"{noun.title()} {end} under the {size} VAE")
        ui.elbo_panel(models["vae"][0], x)

with maps_section:
    st.subheader("Where the codes lie")
    zoom = st.toggle("Zoom both maps to the prior", key="compare_zoom", bind=URL)
    limit = 3.5 if zoom else shared_limit(ae_codes, vae_codes)
    for column, (model, codes) in zip(st.columns(2, gap="large"), ((ae, ae_codes), (vae, vae_codes))):
        with torch.inference_mode():
            path = model.latent_mean(torch.cat([x_start, x_end]))  # (2, 2): A's code and B's
        packed[f"{model.kind} 2-D"] = browser_model(model, codes, labels)
        with column:
            latent_map(f"compare_map_{model.kind}", packed[f"{model.kind} 2-D"],
                       f"{model.kind.upper()} (2-D) codes of {len(codes):,} test {noun}s", classes,
                       bounds=(-limit, limit, -limit, limit), circles=(1, 2), path=list(path), height=0.85)
    st.caption("Both maps share one scale. The AE's codes sprawl over a wide area, class by class along rays from "
               "the origin with empty stretches between them, and the prior covers only the few classes near the "
               "middle. The VAE's codes pack around the prior, most of them inside its 2σ circle (dashed), so a "
               f"sample of the prior lands among the {noun}s. The red line joins {noun}s A and B, picked below.")

st.subheader("β: how hard the KL term pulls (MNIST)")
st.markdown(
    r"A β-VAE trains on $\text{reconstruction} + \beta \cdot \text{KL}$. A small β lets the codes spread out and "
    "keep more detail; a large β packs them onto the prior at the cost of blurrier digits. The shipped 2-D VAEs "
    "with β = 0.5, 1 and 4, their maps at one scale and their test figures (nats per image, 10,000 test digits):"
)
betas = {beta: vae for beta in ui.BETAS if (vae := ui.shipped_beta(beta)) is not None}
if len(betas) < len(ui.BETAS):
    st.info(f"Not shipped: the VAE with β = {', '.join(f'{b:g}' for b in ui.BETAS if b not in betas)}.")
beta_codes = {beta: ui.shipped_beta_codes(beta) for beta in betas}
limit = shared_limit(*beta_codes.values())
mnist_labels = ui.test_sample("mnist")[1]
for column, (beta, vae) in zip(st.columns(len(betas)), betas.items()):
    figures = checkpoint_figures(vae)
    packed[f"beta {beta:g}"] = browser_model(vae, beta_codes[beta], mnist_labels)
    with column:
        latent_map(f"compare_beta_{beta:g}", packed[f"beta {beta:g}"], f"β = {beta:g}", sidebar.dataset("mnist").classes,
                   bounds=(-limit, limit, -limit, limit), circles=(1, 2), height=0.85)
    column.markdown(f"reconstruction **{figures['reconstruction']:.1f}**, KL **{figures['KL']:.2f}**, "
                    f"−ELBO {figures['-ELBO']:.1f} ({vae.metadata['epochs']} epochs)")
    kl = ui.shipped_beta_kl_per_dimension(beta)
    column.markdown(f"uses **{active_units(kl)} of its {vae.latent_dim}** latent units (KL per dimension: "
                    f"{', '.join(f'{value:.2f}' for value in kl.tolist())} nats)")
    with torch.inference_mode():
        column.image(image_grid(vae.decode(z[:16]), ncol=8, scale=2), width="stretch",
                     caption="the first 16 codes of the prior grid above, decoded")
st.caption(f"A latent unit is active when its mean KL per digit over the {len(mnist_labels):,} test digits exceeds "
           f"{ACTIVE_KL:g} nats: a dimension below that says almost nothing about the digit (its posterior is the prior "
           "whatever the digit), which is posterior collapse. With two dimensions even β = 4 keeps both; train a "
           "32-D VAE with β = 4 on the Train page and watch units switch off (on all 60,000 images, 6 epochs: 10 of "
           "the 32 stayed active), then again with a KL warm-up.")
epochs = {vae.metadata["epochs"] for vae in betas.values()}
if len(epochs) > 1:
    st.caption(f"These were trained for different numbers of epochs ({', '.join(sorted(epochs, key=int))}), which "
               "moves their reconstruction figures too: the KL figures and the maps show β's effect most clearly.")
send_models(*packed.values())
