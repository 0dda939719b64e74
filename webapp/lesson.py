"""The lesson (webapp/views/lesson.py): an ordered path through the app's ideas, one step a screen. Each step is a short
paragraph, the live figure of the page that shows it (the same function that page calls, webapp.figures, on the
shipped models) and one thing to try; its texts are the catalogues' lesson.<name> table. To add a step, add one entry
to STEPS and its table to en.toml and zh.toml.

The step is the address bar's ?step=N (1 to len(STEPS)), so that a shared link opens it; in a room, the lecturer's
step is the room's view, which members on the lesson follow on their own (webapp.classroom.follow_prompt).

Each step asks a question (webapp/questions.py has each one's right choice; the catalogues its words). Alone, a tap
on a choice says at once whether it was right, and why. In a room each phone's tap is its answer, posted to the room
API from the browser; the lecturer sees the room's answers come in and reveals the right choice, which is the room's
view too (?reveal=N, the step revealed), so the phones show it."""
from collections.abc import Callable
from typing import NamedTuple

import streamlit as st
import torch

from hall.learning import learned_model
from hall.rooms import RoomError
from vaedemo.compare import prior_samples
from vaedemo.repair import damage
from vaedemo.viz import enlarge, to_uint8
from webapp import classroom, figures, questions, session, ui
from webapp.components import answer
from webapp.components.codes import code_grid
from webapp.components.latent_map import BrowserModel, browser_codes
from webapp.components.room import answer_choices, answer_tally
from webapp.i18n import t

PAGE = "lesson"  # its name in app.py
STEP = "step"  # the address bar's ?step=N
REVEAL = "reveal"  # the address bar's ?reveal=N: the lecturer has revealed the right choice of step N
TALLY_S = 1.0  # the lecturer's tally asks the room API this often


def test_digit(label: int) -> torch.Tensor:
    """The shipped MNIST test sample's first image of this digit: (1, 1, 28, 28)."""
    images, labels = ui.test_sample("mnist")
    return images[torch.nonzero(labels == label)[0, 0]][None]


def show_digit(x: torch.Tensor, caption: str, where=st):
    where.image(enlarge(to_uint8(x)[0], 4), caption=caption, alt=caption, width=112)


def compress() -> list[BrowserModel]:
    figures.test_reconstructions(2)
    return []


def holes() -> list[BrowserModel]:
    figures.prior_samples_through([figures.chosen(kind, 2)[0] for kind in ("ae", "vae")], seed=0)
    return []


def prior() -> list[BrowserModel]:
    return [figures.latent_explorer("lesson_latent", bind=False, maths=False)]


def prior_holes() -> list[BrowserModel]:
    """The Latent page's map shaded where the prior has holes (its toggle on)."""
    return [figures.latent_explorer("lesson_holes", bind=False, maths=False, holes=True)]


def reparameterisation() -> list[BrowserModel]:
    """The Draw page's graph of the trick (components.answer) on a test 7: Resample draws a new eps."""
    x, vae = test_digit(7), ui.model("vae", 2)
    shown, name = ui.packed(vae), t("lesson.a_test_digit", digit=7)
    digit_column, graph_column = st.columns([1, 5], vertical_alignment="center")
    show_digit(x, name, digit_column)
    with graph_column, st.expander(t("reparam.title_of", name=name), expanded=True, icon=":material/shuffle:"):
        answer.reparam_graph("lesson_reparam", shown, vae.latent_dim, x=x, name=name, lecture=session.lecture_mode())
    return [shown]


def elbo_gap() -> list[BrowserModel]:
    x = test_digit(2)
    digit_column, panel_column = st.columns([1, 4])
    show_digit(x, t("lesson.a_test_digit", digit=2), digit_column)
    vae = ui.model("vae", 2)
    shown = ui.packed(vae)
    with panel_column:
        ui.elbo_panel(vae, shown, x=x, key="lesson_loss", wide=True)
    return [shown]


def beta() -> list[BrowserModel]:
    return figures.beta_trade_off("lesson_beta", prior_samples(16, 2, 0), t("lesson.beta_grid"))


def dimensions() -> list[BrowserModel]:
    """The Dimensions page's rows for the conv VAE-16D around a test 7: its three most used dimensions and one it does
    not use."""
    x = test_digit(7)
    digit_column, rows_column = st.columns([1, 7])
    show_digit(x, t("lesson.a_test_digit", digit=7), digit_column)
    with rows_column:
        return [figures.dimensions("lesson_dimensions", ui.shipped("vae", 16, arch="conv"), x, most=4)]


def walk() -> list[BrowserModel]:
    start_column, rows_column, end_column = st.columns([1, 6, 1])
    x_start, x_end = test_digit(7), test_digit(3)
    show_digit(x_start, "A", start_column)
    show_digit(x_end, "B", end_column)
    with rows_column:
        models = {kind: figures.chosen(kind, 2) for kind in ("ae", "vae")}
        return list(figures.walk("lesson_walk", models, x_start, x_end, "2-D").values())


def repair() -> list[BrowserModel]:
    clean = test_digit(7)
    figures.repairs(clean, damage(clean, 0.4, seed=0), figures.repair_models(16, conv=False))
    return []


def style() -> list[BrowserModel]:
    cvae, x = figures.every_digit_cvae(), test_digit(4)
    with torch.inference_mode():
        z1, z2 = (round(v, 2) for v in cvae.latent_mean(x, torch.tensor([4]))[0].tolist())
    digit_column, row_column = st.columns([1, 5], vertical_alignment="center")
    show_digit(x, t("lesson.a_test_digit", digit=4), digit_column)
    figures.style_as_every_digit(cvae, z1, z2, row_column)
    return []


def codes() -> list[BrowserModel]:
    vqvae, x = ui.vqvae(), test_digit(5)
    shown = browser_codes(vqvae)
    digit_column, grid_column = st.columns([1, 8])  # the grid's component as wide as can be: one screen high
    show_digit(x, t("lesson.a_test_digit", digit=5), digit_column)
    with grid_column:
        code_grid("lesson_codes", shown, ui.codebook_entries(vqvae), x=x, compact=session.lecture_mode())
    return [shown]


def handwriting() -> list[BrowserModel]:
    """The Class page's figure of the room's own VAE (figures.room_handwriting), once this session's room has learned
    its handwriting; before, what it takes."""
    code = session.room()
    try:
        learned = code and classroom.store().learned(code)
        vae = learned and learned_model(code, learned.id)
    except RoomError:  # a room gone, or a store that does not answer: as before it learned
        vae = None
    if not vae:
        st.markdown(t("lesson.handwriting.waiting"))
        return []
    return figures.room_handwriting("lesson_handwriting", learned, vae, height=0.45, text=16)


class Step(NamedTuple):
    name: str  # its texts: the catalogues' lesson.<name>.title, .text and .try
    figure: Callable[[], list[BrowserModel]]  # draws the figure; returns the models its maps need in the browser


STEPS = [Step("compress", compress), Step("holes", holes), Step("prior", prior), Step("prior_holes", prior_holes),
         Step("reparameterisation", reparameterisation), Step("elbo_gap", elbo_gap), Step("beta", beta),
         Step("dimensions", dimensions), Step("walk", walk), Step("repair", repair), Step("style", style),
         Step("codes", codes), Step("handwriting", handwriting)]


def clamped(asked) -> int:
    """A step number as the address bar has it (text, or anything else) as 1 to len(STEPS): 1 when unreadable."""
    try:
        step = int(str(asked).strip())
    except ValueError:
        return 1
    return min(max(step, 1), len(STEPS))


def current_step() -> int:
    """The step in the address bar, clamped (and written back so) to 1..len(STEPS)."""
    step = clamped(st.query_params.get(STEP, 1))
    st.query_params[STEP] = str(step)
    return step


def move(by: int):
    """Go by steps (the buttons and the arrow keys), within the lesson."""
    st.query_params[STEP] = str(clamped(current_step() + by))


def revealed(step: int) -> bool:
    return st.query_params.get(REVEAL) == str(step)


def reveal(step: int):
    st.query_params[REVEAL] = str(step)


def view_params(step: int) -> dict[str, str]:
    """The address-bar settings that the room follows: the step, and whether its answer is revealed."""
    return {STEP: str(step)} | ({REVEAL: str(step)} if revealed(step) else {})


def question(step: int, name: str):
    """The step's question: for the room's lecturer, the room's answers as they come and a button that reveals the
    right choice on every phone; for everyone else, the choices (in a room, each tap the phone's answer)."""
    right, choices, why = questions.RIGHT[name], t(f"lesson.{name}.choices"), t(f"lesson.{name}.why")
    asked, shown = t(f"lesson.{name}.question"), revealed(step)
    with st.container(key="lesson-question"):
        st.markdown(f"**{asked}**")
    if session.room_key():
        answer_tally("lesson_tally", session.room(), step, choices, right if shown else None, TALLY_S)
        if shown:
            st.success(f"{t('lesson.the_answer', choice=choices[right])} {why}", icon=":material/check_circle:")
        else:
            st.button(t("lesson.reveal"), on_click=reveal, args=(step,), icon=":material/visibility:",
                      help=t("lesson.reveal_help"))
        return
    room = classroom.drawing_room()
    told = room is None or shown  # alone, the browser tells at once; in a room, once the lecturer reveals
    answer_choices("lesson_choices", room, step, asked, choices, right if told else None, why if told else "",
                   compact=session.lecture_mode())
