"""The sidebar every page shares and the choices a session makes there: the data set, its own model
instead of the shipped one, lecture mode, the language; and the session's training run while it goes on.

No torch here (nor anything that imports it): app.py draws the sidebar, and the Draw page its canvas,
before the models load, which is most of a cold start (ui.py loads them)."""
from dataclasses import replace

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from i18n import LANGUAGES, language, t
from vaedemo.datasets import DATASETS, checkpoint_path, dataset_info


def current_dataset() -> str:
    """The data set the pages show: "mnist" or "fashion" as the sidebar says, but always "mnist" on a page
    that called mnist_only."""
    if st.session_state.get("mnist_only_page") == get_script_run_ctx().page_script_hash:
        return "mnist"
    return st.session_state.get("dataset", "mnist")


def dataset(name: str | None = None):
    """The data set's name, title, class names and noun (vaedemo.datasets.Dataset), the last two in the session's
    language."""
    info = dataset_info(name or current_dataset())
    return replace(info, classes=tuple(t(f"classes.{info.name}")), noun=t(f"noun.{info.noun}"))


def mnist_only(page: str):
    """For a page that works on handwritten digits only (page: its name in app.py, "draw"): the ui and sidebar calls of
    this page use MNIST, and a note says so when the sidebar picked another data set."""
    st.session_state["mnist_only_page"] = get_script_run_ctx().page_script_hash
    if st.session_state.get("dataset", "mnist") != "mnist":
        st.info(t("sidebar.mnist_only", page=t(f"app.page.{page}")), icon=":material/info:")


def trained_on(model) -> str:
    """The data set a model learned from, as its checkpoint says (a model built in memory: MNIST)."""
    return getattr(model, "metadata", {}).get("dataset", "mnist")


def my_model():
    """The model this session trained or uploaded, or None."""
    return st.session_state.get("my_model")


def show():
    """The sidebar of every page, drawn by app.py before the page."""
    with st.sidebar:
        st.segmented_control(t("sidebar.language"), list(LANGUAGES), format_func=LANGUAGES.get, key="lang",
                             required=True)
        st.segmented_control(t("sidebar.dataset"), list(DATASETS), format_func=lambda name: DATASETS[name].title,
                             key="dataset", default="mnist", required=True, bind="query-params", persist_state="session",
                             help=t("sidebar.dataset_help"))
        mine = my_model()
        if mine is None:
            st.caption(t("sidebar.shipped"))
        else:
            st.toggle(t("sidebar.use_mine", kind=mine.kind.upper(), latent_dim=mine.latent_dim), key="use_mine")
            if trained_on(mine) != current_dataset():
                st.caption(t("sidebar.other_dataset", theirs=dataset(trained_on(mine)).title, shown=dataset().title))
        training_status()
        st.toggle(t("sidebar.lecture"), key="lecture", help=t("sidebar.lecture_help"))
    if language() == "en":  # the default: a link without lang= opens in English (or in the browser's language)
        st.query_params.pop("lang", None)
    else:
        st.query_params["lang"] = language()
    if lecture_mode():
        st.query_params["lecture"] = "1"
        st.markdown(LECTURE_CSS, unsafe_allow_html=True)  # our own constant style sheet, nothing a user typed
    else:
        st.query_params.pop("lecture", None)


# Streamlit sizes its type and widgets in rem: a larger root font scales the whole page for the back of a hall.
LECTURE_CSS = """<style>
html { font-size: 24px; }
[data-testid="stMainBlockContainer"] { max-width: 100%; padding: 2rem 2.5rem; }
</style>"""


def lecture_mode() -> bool:
    """Whether this session is in lecture mode: switched on in the sidebar, or opened with ?lecture=1."""
    if "lecture" not in st.session_state:
        st.session_state["lecture"] = st.query_params.get("lecture") in ("1", "true")
    return st.session_state["lecture"]


def conv_switch(latent_dim: int, key: str, where=st) -> bool:
    """The switch from the MLP pair to the shipped 16-D convolutional AE and VAE, where the data set has that pair
    and the page shows 16-D codes (in the address bar too, under key); True when it is on."""
    return (latent_dim == 16 and checkpoint_path("vae", 16, current_dataset(), arch="conv").is_file()
            and where.toggle(t("sidebar.conv"), key=key, bind="query-params", help=t("sidebar.conv_help")))


def job_message(progress) -> str:
    """What a training job says (vaedemo.jobs: a list of parts by kind), in the session's language."""
    return " ".join(t(f"jobs.{kind}", **values) for kind, values in progress.parts)


def training_status():
    """This session's training run, on every page while it goes on; polling it also keeps it alive."""
    job = st.session_state.get("train_job")
    if job is None:
        return
    progress = job.poll()
    if not progress.active:
        if progress.model is not None and progress.model is not my_model():
            st.page_link("views/train.py", label=t("sidebar.run_ended"), icon=":material/model_training:")
        return

    @st.fragment(run_every=2.0)
    def status():
        progress = job.poll()
        if not progress.active:
            st.rerun(scope="app")  # once, so that every page follows the ended run
        st.progress(progress.fraction, text=t("sidebar.training", message=job_message(progress)))

    status()
