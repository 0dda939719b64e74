import streamlit as st
import torch

import ui
from vaedemo.compare import farthest_from_codes, interpolation, prior_map, prior_samples, shared_limit
from vaedemo.viz import enlarge, image_grid, to_uint8

GRID = 8  # prior samples: GRID x GRID decodes for each model
STEPS = 10  # interpolation: decodes along the line, both ends included

st.title("Compare: why a VAE generates and an autoencoder does not")
st.markdown(
    "Both models rebuild digits well, but only the **VAE** was trained to keep its codes where the prior N(0, I) "
    "puts them. Decode random codes from that prior and compare, see where each model puts the test digits "
    "(at one scale, with the prior's 1σ and 2σ circles), and walk a straight line from one digit's code to "
    "another's: press **Resample**, pick other digits, switch to 16-D codes."
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
(ae, ae_codes), (vae, vae_codes) = chosen("ae", 2), chosen("vae", 2)

st.subheader("Decode random codes z ~ N(0, I)")
st.session_state.setdefault("compare_seed", 0)
seed = st.session_state["compare_seed"]
st.button("Resample", icon=":material/casino:", on_click=resample)
z = prior_samples(GRID * GRID, 2, seed)  # (GRID * GRID, 2): the same codes for both models
with torch.inference_mode():
    for column, model in zip(st.columns(2, gap="large"), (ae, vae)):
        column.image(image_grid(model.decode(z), ncol=GRID, scale=2), width="stretch",
                     caption=f"{model.kind.upper()} (2-D): {GRID * GRID} decodes of z ~ N(0, I), seed {seed}")
st.caption(f"The same {GRID * GRID} codes go into both decoders. The VAE's were trained to fill the prior, so most "
           "draws decode to a digit of some kind; the AE's codes spread far wider, so the prior covers a small patch "
           "near its origin and the draws come out as only a few kinds of digit, some of them blurred.")

maps_section = st.container()  # filled once the digits below are picked: the maps show their line

st.subheader("Walk a straight line from one digit to another")
latent_dim = st.radio("Models", [2, 16], horizontal=True, key="compare_latent_dim",
                      format_func=lambda d: f"{d}-D codes (AE and VAE)")
models = {kind: chosen(kind, latent_dim) for kind in ("ae", "vae")}


def digit_picker(end: str, default: tuple[int, int]) -> torch.Tensor:
    """A test digit picked by its label and which one of that label, shown; returns it (1, 1, 28, 28)."""
    digit = st.selectbox(f"Digit {end.upper()}", range(10), index=default[0], key=f"compare_{end}_label")
    rows = torch.nonzero(labels == digit)[:, 0]
    which = st.number_input(f"which {digit} (of {len(rows)})", 1, len(rows), default[1] + 1, key=f"compare_{end}_index")
    x = images[rows[which - 1]][None]  # (1, 1, 28, 28)
    st.image(enlarge(to_uint8(x)[0], 4), caption=f"{end.upper()}: test {digit} no. {which}", width=112)
    return x


start_column, rows_column, end_column = st.columns([1, 5, 1])
with start_column:
    x_start = digit_picker("a", (7, 0))
with end_column:
    x_end = digit_picker("b", (3, 0))
with rows_column:
    for model, codes in models.values():
        with torch.inference_mode():
            ends = model.latent_mean(torch.cat([x_start, x_end]))  # (2, d)
        st.image(image_grid(interpolation(model, x_start, x_end, STEPS), ncol=STEPS, scale=3), width="stretch",
                 caption=f"{model.kind.upper()} ({latent_dim}-D): {STEPS} decodes evenly spaced from A's code to B's "
                         f"(the first and last are A's and B's reconstructions). On the way the line strays "
                         f"{farthest_from_codes(codes, ends[0], ends[1]):.1f}× the typical gap between neighbouring "
                         "test codes from the nearest one.")
st.caption("Each row morphs from A to B through whatever lies on the line. In 2-D there is no room to go around: "
           "both lines cross other digits' clusters (the red lines on the maps above). Where a line strays far from "
           "every test code (the figure under each row), its decoder never saw a code in training and draws what its "
           "weights extrapolate to, often a blur. How far each model's line strays depends on the pair: try others.")
for column, x, end in zip(st.columns(2, gap="large"), (x_start, x_end), "AB"):
    with column:
        st.caption(f"Digit {end} under the {latent_dim}-D VAE")
        ui.elbo_panel(models["vae"][0], x)

with maps_section:
    st.subheader("Where the codes lie")
    zoom = st.toggle("Zoom both maps to the prior", key="compare_zoom")
    limit = 3.5 if zoom else shared_limit(ae_codes, vae_codes)
    for column, (model, codes) in zip(st.columns(2, gap="large"), ((ae, ae_codes), (vae, vae_codes))):
        with torch.inference_mode():
            path = model.latent_mean(torch.cat([x_start, x_end]))  # (2, 2): A's code and B's
        title = f"{model.kind.upper()} (2-D) codes of {len(codes):,} test digits"
        column.plotly_chart(prior_map(codes, labels, title, limit, path), key=f"compare_map_{model.kind}",
                            config={"displayModeBar": False})
    st.caption("Both maps share one scale. The AE's codes sprawl over a wide area, digit by digit along rays from "
               "the origin with empty stretches between them, and the prior covers only the few digits near the "
               "middle. The VAE's codes pack around the prior, most of them inside its 2σ circle (dashed), so a "
               "sample of the prior lands among the digits. The red line joins digits A and B, picked below.")
