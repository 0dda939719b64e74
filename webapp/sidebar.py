"""The sidebar every page shares: the language, the data set, the session's own model instead of the shipped one,
lecture mode; and the session's training run while it goes on. The choices themselves live in webapp.session.

No torch here (nor anything that imports it): app.py draws the sidebar before the models load."""
from dataclasses import replace

import streamlit as st

from vaedemo.datasets import DATASETS, checkpoint_path, dataset_info
from webapp import classroom, keeping, session
from webapp.i18n import t
from webapp.session import LANGUAGES

SOON_S = 5  # a waiting run expected to start within this is asked after as often as a running one


def dataset(name: str | None = None):
    """The data set's name, title, class names and noun (vaedemo.datasets.Dataset), the last two in the session's
    language."""
    info = dataset_info(name or session.current_dataset())
    return replace(info, classes=tuple(t(f"classes.{info.name}")), noun=t(f"noun.{info.noun}"))


def intro(text: str):
    """A page's opening paragraph; on a phone folded behind a short line (webapp/screens.css), so that the page's canvas
    and its pictures fit the first screen."""
    with st.container(key="intro"):
        st.markdown(text)
    with st.container(key="intro_folded"):
        with st.expander(t("app.intro_folded")):
            st.markdown(text)


def mnist_only(page: str):
    """For a page that works on handwritten digits only (page: its name in app.py, "draw"): the page shows MNIST,
    and a note says so when the sidebar picked another data set."""
    session.set_mnist_only()
    if session.chosen_dataset() != "mnist":
        st.info(t("sidebar.mnist_only", page=t(f"app.page.{page}")), icon=":material/info:")


def show(page_name: str):
    """The sidebar of every page (page_name: the page's name in app.py), drawn by app.py before the page; and above
    the page, a room member's prompt to follow the lecturer."""
    classroom.follow_address_bar()
    with st.sidebar:
        keeping.restore()
        st.segmented_control(t("sidebar.language"), list(LANGUAGES), format_func=LANGUAGES.get, key=session.LANGUAGE,
                             required=True)
        st.segmented_control(
            t("sidebar.dataset"),
            list(DATASETS),
            format_func=lambda name: DATASETS[name].title,
            key=session.DATASET,
            default="mnist",
            required=True,
            bind="query-params",
            persist_state="session",
            help=t("sidebar.dataset_help"),
        )
        own_model()
        if page_name != "train":  # the Train page shows the run itself
            training_status()
        st.toggle(t("sidebar.lecture"), key=session.LECTURE, help=t("sidebar.lecture_help"))
        classroom.room_box(page_name)
    keep_in_address_bar()
    classroom.follow_prompt(page_name)


def own_model():
    """The switch to the session's own model, once it has one."""
    mine = session.my_model()
    if mine is None:
        st.caption(t("sidebar.shipped"))
        return
    st.toggle(t("sidebar.use_mine", kind=mine.kind.upper(), latent_dim=mine.latent_dim), key=session.USE_MINE)
    st.button(t("sidebar.forget_mine"), on_click=keeping.forget, icon=":material/delete:",
              help=t("sidebar.forget_mine_help"))
    if session.trained_on(mine) != session.current_dataset():
        st.caption(t("sidebar.other_dataset", theirs=dataset(session.trained_on(mine)).title, shown=dataset().title))


def keep_in_address_bar():
    """The language, lecture mode and room in the address bar, so that a shared link opens the same view."""
    if session.language() == "en":  # the default: a link without lang= opens in English (or in the browser's language)
        st.query_params.pop("lang", None)
    else:
        st.query_params["lang"] = session.language()
    if session.lecture_mode():
        st.query_params["lecture"] = "1"
        st.markdown(LECTURE_CSS, unsafe_allow_html=True)  # our own constant style sheet, nothing a user typed
    else:
        st.query_params.pop("lecture", None)
    classroom.keep_in_address_bar()


# Streamlit sizes its type and widgets in rem: a larger root font scales the whole page for the back of a hall.
# The top padding keeps the first row below Streamlit's header. A page's opening paragraph folds behind its
# short line, as on a phone (intro). (The Draw page's pictures grow in lecture mode too: components/answer.css.)
LECTURE_CSS = """<style>
html { font-size: 24px; }
[data-testid="stMainBlockContainer"] { max-width: 100%; padding: 4rem 2.5rem 2rem; }
[data-testid="stHeading"] h1 { font-size: 2rem; padding: 0 0 0.5rem; }
[data-testid="stMain"] .st-key-intro { display: none; }
[data-testid="stMain"] .st-key-intro_folded { display: flex; }
</style>"""


def conv_switch(latent_dim: int, key: str, where=st) -> bool:
    """The switch from the MLP pair to the shipped 16-D convolutional AE and VAE, where the data set has that pair
    and the page shows 16-D codes (in the address bar too, under key); True when it is on."""
    return (latent_dim == 16 and checkpoint_path("vae", 16, session.current_dataset(), arch="conv").is_file()
            and where.toggle(t("sidebar.conv"), key=key, bind="query-params", help=t("sidebar.conv_help")))


def job_message(progress) -> str:
    """What a training job says (hall.line: a list of parts by kind), in the session's language."""
    return " ".join(t(f"jobs.{kind}", **values) for kind, values in progress.parts)


def poll_s(progress) -> float:
    """How often a page asks after a run: every second while it runs or is about to start (someone alone at the
    Train page sees it start and end at once); every 5 s while it waits further back in line (its place changes
    slowly, and a hall of them waits at once)."""
    soon = progress.status != "queued" or progress.parts[0][1].get("seconds", 0) < SOON_S
    return 1.0 if soon else 5.0


def training_status():
    """This session's training run, on every page while it goes on; polling it also keeps it alive."""
    job = session.training_job()
    if job is None:
        return
    progress = job.poll()
    if not progress.active:
        if progress.model is not None and progress.model is not session.my_model():
            st.page_link("webapp/views/train.py", label=t("sidebar.run_ended"), icon=":material/model_training:")
        return

    @st.fragment(run_every=poll_s(progress))
    def status():
        progress = job.poll()
        if not progress.active:
            st.rerun(scope="app")  # once, so that every page follows the ended run
        st.progress(progress.fraction, text=t("sidebar.training", message=job_message(progress)))

    status()
