import streamlit as st
import torch

import sidebar
import ui
from vaedemo.viz import image_grid

data = sidebar.dataset()
st.title(f"What an autoencoder and a VAE make of {data.title} {data.noun}s")
st.markdown(
    f"An **autoencoder** squeezes each 28×28 {data.noun} through a tiny code and rebuilds it; a **variational "
    "autoencoder** does the same with a *distribution* over codes, which lets it generate new ones. "
    f"Below: real test {data.noun}s (top row) and how the shipped AE and VAE rebuild them. The sidebar "
    "switches between handwritten digits (MNIST) and clothes, shoes and bags (Fashion-MNIST)."
)
latent_dim = st.radio("Latent size", [2, 16], horizontal=True, format_func=lambda d: f"{d}-D", key="home_latent_dim")
images, labels = ui.test_sample()
picks = torch.stack([torch.nonzero(labels == label)[k, 0] for k in range(2) for label in range(10)])
x = images[picks]  # (20, 1, 28, 28)
rows = {f"Test {data.noun}s": x}
with torch.inference_mode():
    for kind in ("ae", "vae"):
        model = ui.model(kind, latent_dim)
        rows[f"{kind.upper()} ({model.latent_dim}-D)"] = model.decode(model.latent_mean(x))
for name, row in rows.items():
    st.caption(name)
    st.image(image_grid(row, ncol=20, scale=3), width="stretch")
