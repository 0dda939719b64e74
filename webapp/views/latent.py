import streamlit as st

from webapp import figures, sidebar
from webapp.components.latent_map import send_models
from webapp.i18n import t

data = sidebar.dataset()
st.title(t("latent.title"))
st.markdown(t("latent.intro", noun=data.noun, title=data.title))
send_models(figures.latent_explorer("latent"))  # once per page load: the map's picks rerun only its fragment
