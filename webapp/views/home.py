import streamlit as st
import torch

from vaedemo.viz import image_grid
from webapp import sidebar, ui
from webapp.i18n import t

data = sidebar.dataset()
st.title(t("home.title", title=data.title, noun=data.noun))
st.markdown(t("home.intro", noun=data.noun))
latent_dim = st.radio(
    t("home.latent_size"), [2, 16], horizontal=True, format_func=lambda d: f"{d}-D", key="home_latent_dim"
)
images, labels = ui.test_sample()
picks = torch.stack([torch.nonzero(labels == label)[k, 0] for k in range(2) for label in range(10)])
x = images[picks]  # (20, 1, 28, 28)
rows = {t("home.test_row", noun=data.noun): (x, t("home.alt_test", count=len(x), noun=data.noun))}
with torch.inference_mode():
    for kind in ("ae", "vae"):
        model = ui.model(kind, latent_dim)
        name = f"{kind.upper()} ({model.latent_dim}-D)"
        rows[name] = model.decode(model.latent_mean(x)), t("home.alt_rebuilt", name=name, count=len(x), noun=data.noun)
for name, (row, alt) in rows.items():
    st.caption(name)
    st.image(image_grid(row, ncol=20, scale=3), width="stretch", alt=alt)
