import streamlit as st

from webapp import figures, sidebar
from webapp.i18n import t

data = sidebar.dataset()
st.title(t("home.title", title=data.title, noun=data.noun))
st.markdown(t("home.intro", noun=data.noun))
latent_dim = st.radio(
    t("home.latent_size"), [2, 16], horizontal=True, format_func=lambda d: f"{d}-D", key="home_latent_dim"
)
figures.test_reconstructions(latent_dim)
