"""vaedemo: draw a digit, see what an autoencoder and a VAE make of it. Run: streamlit run app.py"""
import streamlit as st

import sidebar

pages = [
    st.Page("views/draw.py", title="Draw", icon=":material/draw:", default=True),
    st.Page("views/home.py", title="Test digits", icon=":material/grid_view:"),
    st.Page("views/latent.py", title="Latent space", icon=":material/explore:"),
    st.Page("views/train.py", title="Train", icon=":material/model_training:"),
    st.Page("views/compare.py", title="Compare AE vs VAE", icon=":material/compare:"),
    st.Page("views/repair.py", title="Repair", icon=":material/healing:"),
    st.Page("views/every_digit.py", title="Every digit", icon=":material/pin:"),
]
# Streamlit runs this file as __main__; a training child process (multiprocessing spawn) imports it
# as __mp_main__ and must not draw the app.
if __name__ == "__main__":
    st.set_page_config(page_title="vaedemo: autoencoders you can draw on", page_icon="✏️", layout="wide",
                       initial_sidebar_state="collapsed" if sidebar.lecture_mode() else "auto")
    page = st.navigation(pages)
    sidebar.show()
    page.run()
