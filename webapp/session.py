"""The session's state in one place: every st.session_state key that more than one page (or the sidebar) reads, and
the functions that read and change it. A widget's own value stays with its page, under a key that starts with the
page's name (draw_latent_dim, latent_z1, train_epochs, ...).

No torch here (nor anything that imports it): app.py draws the sidebar, and the Draw page its canvas, before the
models load, which is most of a cold start."""
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

LANGUAGES = {"en": "English", "zh": "简体中文"}

LANGUAGE = "lang"  # the sidebar's language switch; ?lang=zh in the address bar
DATASET = "dataset"  # the sidebar's data-set switch; ?dataset=fashion
LECTURE = "lecture"  # the sidebar's lecture-mode switch; ?lecture=1
USE_MINE = "use_mine"  # the sidebar's switch from the shipped models to the session's own
MY_MODEL = "my_model"  # the model this session trained or uploaded
TRAIN_JOB = "train_job"  # this session's training run (hall.line.Job), while it goes on and after
LAST_DRAWING = "last_drawing"  # the Draw page's latest input (1, 1, 28, 28), which the Repair page offers
MNIST_ONLY_PAGE = "mnist_only_page"  # the page (its script hash) that shows MNIST whatever the sidebar says


def language() -> str:
    """The session's language, "en" or "zh": as the sidebar says, or as a link asks (?lang=zh), or on a first visit
    as the browser prefers."""
    if st.session_state.get(LANGUAGE) not in LANGUAGES:
        asked = st.query_params.get("lang")
        if asked not in LANGUAGES:
            asked = "zh" if (st.context.locale or "").lower().startswith("zh") else "en"
        st.session_state[LANGUAGE] = asked
    return st.session_state[LANGUAGE]


def chosen_dataset() -> str:
    """The data set the sidebar picked: "mnist" or "fashion"."""
    return st.session_state.get(DATASET, "mnist")


def current_dataset() -> str:
    """The data set the pages show: the sidebar's, but always "mnist" on a page that called set_mnist_only."""
    if st.session_state.get(MNIST_ONLY_PAGE) == get_script_run_ctx().page_script_hash:
        return "mnist"
    return chosen_dataset()


def set_mnist_only():
    """The page now running works on handwritten digits only: current_dataset() is "mnist" there."""
    st.session_state[MNIST_ONLY_PAGE] = get_script_run_ctx().page_script_hash


def lecture_mode() -> bool:
    """Whether this session is in lecture mode: switched on in the sidebar, or opened with ?lecture=1."""
    if LECTURE not in st.session_state:
        st.session_state[LECTURE] = st.query_params.get("lecture") in ("1", "true")
    return st.session_state[LECTURE]


def trained_on(model) -> str:
    """The data set a model learned from, as its checkpoint says (a model built in memory: MNIST)."""
    return getattr(model, "metadata", {}).get("dataset", "mnist")


def my_model():
    """The model this session trained or uploaded, or None."""
    return st.session_state.get(MY_MODEL)


def adopt(model):
    """Make model the session's own and use it on every page (the sidebar can switch back)."""
    st.session_state[MY_MODEL] = model
    st.session_state[USE_MINE] = True


def using_mine(kind: str, dataset: str) -> bool:
    """Whether the pages show the session's own model for this kind and data set: it has one of that kind, trained
    on that data set, and the sidebar's switch is on."""
    mine = my_model()
    return (mine is not None and mine.kind == kind and trained_on(mine) == dataset
            and st.session_state.get(USE_MINE, False))


def training_job():
    """This session's training run (hall.line.Job), or None."""
    return st.session_state.get(TRAIN_JOB)


def set_training_job(job):
    st.session_state[TRAIN_JOB] = job


def last_drawing():
    """The latest drawing the server has heard of (1, 1, 28, 28) in [0, 1], or None: a canvas that sends its strokes
    (a room's member, the pages that answer on the server), or the tab's last drawing (components.canvas)."""
    return st.session_state.get(LAST_DRAWING)


def remember_drawing(x):
    st.session_state[LAST_DRAWING] = x


ROOM = "room"  # the code of the class room this session is in; ?room=CODE in the address bar
ROOM_KEY = "room_key"  # the room's lecturer key, held by the session that created it or opened its lecturer link
MEMBER = "room_member"  # (room code, this session's anonymous id in it): nothing that says who is drawing
FOLLOWED = "room_followed"  # the lecturer's latest view that this session has followed (or dismissed)


def room() -> str | None:
    """The code of the room this session is in, or None."""
    return st.session_state.get(ROOM)


def room_key() -> str | None:
    """The lecturer's key of this session's room, where this session is its lecturer; else None."""
    return st.session_state.get(ROOM_KEY)


def join_room(code: str, key: str | None = None):
    """Be in the room with this code from now on (its lecturer, given the key)."""
    if st.session_state.get(ROOM) != code:
        st.session_state[FOLLOWED] = None
    st.session_state[ROOM], st.session_state[ROOM_KEY] = code, key or (room_key() if room() == code else None)


def leave_room():
    for name in (ROOM, ROOM_KEY, FOLLOWED):
        st.session_state.pop(name, None)


def member(code: str, join) -> str:
    """This session's anonymous id in the room with this code, issued by join(code) once per room."""
    kept = st.session_state.get(MEMBER)
    if kept is None or kept[0] != code:
        kept = st.session_state[MEMBER] = (code, join(code))
    return kept[1]


def followed() -> float | None:
    return st.session_state.get(FOLLOWED)


def set_followed(view_id: float | None):
    st.session_state[FOLLOWED] = view_id


MODEL_TOKEN = "model_token"  # the secret under which the server keeps this session's own model (webapp.keeping)
BROWSER_NOTE = "model_token_note"  # what the browser's storage is to do next: ("keep", token) or ("forget", None)


def model_token() -> str | None:
    return st.session_state.get(MODEL_TOKEN)


def set_model_token(token: str | None, note: tuple | None = None):
    st.session_state[MODEL_TOKEN] = token
    st.session_state[BROWSER_NOTE] = note


def browser_note() -> tuple:
    return st.session_state.get(BROWSER_NOTE) or (None, None)


def forget_my_model():
    for name in (MY_MODEL, USE_MINE):
        st.session_state.pop(name, None)
