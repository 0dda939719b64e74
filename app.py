"""vaedemo: draw a digit, see what an autoencoder and a VAE make of it. Run: streamlit run app.py"""
import streamlit as st

import sidebar
from i18n import language, t

PAGES = [("views/draw.py", "draw", ":material/draw:"), ("views/home.py", "home", ":material/grid_view:"),
         ("views/latent.py", "latent", ":material/explore:"), ("views/train.py", "train", ":material/model_training:"),
         ("views/compare.py", "compare", ":material/compare:"), ("views/repair.py", "repair", ":material/healing:"),
         ("views/every_digit.py", "every_digit", ":material/pin:")]
# Streamlit runs this file as __main__; a training child process (multiprocessing spawn) imports it
# as __mp_main__ and must not draw the app.
if __name__ == "__main__":
    language()  # before the first text: from the address bar or the browser on a first visit
    st.set_page_config(page_title=t("app.title"), page_icon="✏️", layout="wide",
                       initial_sidebar_state="collapsed" if sidebar.lecture_mode() else "auto")
    page = st.navigation([st.Page(path, title=t(f"app.page.{name}"), icon=icon, default=path == PAGES[0][0])
                          for path, name, icon in PAGES])
    sidebar.show()
    page.run()
