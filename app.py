"""vaedemo: draw a digit, see what an autoencoder and a VAE make of it. Run: streamlit run app.py

`streamlit run` finds `app` below and serves it: Streamlit's own routes, the room API (hall.room_api) and the
models' files (hall.model_files) beside them, and this file as the script of every page."""
from pathlib import Path

import streamlit as st

from webapp import session, sidebar
from webapp.i18n import t

PAGES = [("draw", ":material/draw:"), ("home", ":material/grid_view:"), ("latent", ":material/explore:"),
         ("dimensions", ":material/tune:"), ("train", ":material/model_training:"), ("compare", ":material/compare:"),
         ("repair", ":material/healing:"), ("every_digit", ":material/pin:"), ("class", ":material/groups:"),
         ("likelihood", ":material/query_stats:"), ("codes", ":material/apps:"), ("lesson", ":material/school:")]
# each is webapp/views/<name>.py at the address /<name>
# Streamlit runs this file as __main__ for every page; the server imports it as app; a training child process
# (multiprocessing spawn) imports it as __mp_main__ and must do neither.
if __name__ == "app":
    from starlette.middleware import Middleware

    from hall import compression, model_files, room_api
    from webapp import questions, startup

    app = st.App("app.py", routes=room_api.routes(questions.offered()) + model_files.ROUTES,
                 middleware=[Middleware(compression.StaticCompression)], lifespan=startup.lifespan)
elif __name__ == "__main__":
    session.language()  # before the first text: from the address bar or the browser on a first visit
    st.set_page_config(page_title=t("app.title"), page_icon="✏️", layout="wide",
                       initial_sidebar_state="collapsed" if session.lecture_mode() else "auto")
    page = st.navigation(
        [
            st.Page(f"webapp/views/{name}.py", title=t(f"app.page.{name}"), icon=icon, default=name == "draw")
            for name, icon in PAGES
        ]
    )
    st.html(Path(__file__).parent / "webapp" / "screens.css")  # phones' one screen; Streamlit makes it a <style>
    sidebar.show(page.url_path or "draw")
    page.run()
