import streamlit as st

from hall import learning
from hall.rooms import EXPERIMENT_SETTINGS, RoomError, Unreachable, hall_dataset
from vaedemo.handwriting import EPOCHS, MIN_DRAWINGS
from vaedemo.viz import rate_distortion
from webapp import classroom, figures, session, sidebar, ui
from webapp.components.latent_map import BrowserModel, browser_model, latent_map, send_models
from webapp.components.room import room_view
from webapp.i18n import t

REFRESH_S = 0.5  # the live view asks the room API this often: a drawing shows here within about a second
EXPERIMENT_REFRESH_S = 5.0  # the class experiment's runs (finished trainings) are read this often
LEARN_REFRESH_S = 1.0  # the page asks after the room's handwriting run this often while it runs
CLOSED = "class_closed"  # set when this session's lecturer closed its room
LEARNING = "class_learning"  # this lecturer's latest run of the room's handwriting (hall.learning.RoomRun)
LEARNING_SHOWN = "class_learning_shown"  # the id of the run whose end the page has shown
USE_MODEL = "class_use_model"  # the lecturer's "Use this room's model"
# The room's code large enough to read from the back of a hall; the strip's 28×28 drawings as crisp squares.
LAYOUT = """<style>
.st-key-room-code p { font-size: 3.2rem; font-weight: 700; letter-spacing: 0.12em; line-height: 1.2; margin: 0; }
.st-key-room-join [data-testid=stCaptionContainer] { opacity: 1; }
.st-key-room-join a { color: #1d4ed8; }
</style>"""

sidebar.mnist_only("class")
st.html(LAYOUT)  # our own constant style sheet
st.title(t("class.title"))
if st.session_state.pop(CLOSED, False):
    st.success(t("class.closed"), icon=":material/door_front:")
    st.button(t("class.new_room"), type="primary")  # its rerun opens a new room below
    st.stop()
if not session.room():  # opened without ?room=: a new room, this session its lecturer
    try:
        code, key = classroom.store().create_room()
    except Unreachable:  # the store does not answer: say so; a rerun (a reload) tries again
        classroom.unreachable()
        st.stop()
    session.join_room(code, key)
    classroom.keep_in_address_bar()
code, lecturer = session.room(), session.room_key() is not None
lecture = session.lecture_mode()

model = ui.shipped("vae", 2, "mnist")
shown = browser_model(model, ui.shipped_codes("vae", 2, "mnist"), ui.test_sample("mnist")[1])


def as_lecturer(action):
    """Run a lecturer's action on the room (the store checks the key); a refusal is shown, never raised."""
    try:
        action(code, session.room_key())
    except RoomError as error:
        st.session_state["class_refused"] = classroom.room_message(error)


def close_room(code: str, key: str):
    classroom.store().close(code, key)
    classroom.leave()
    st.session_state[CLOSED] = True


def join():
    """How to join: the code, large, and the QR code of the join link with the link under it."""
    st.markdown(t("class.join"))
    with st.container(key="room-code"):
        st.markdown(code)
    link = classroom.join_link(code)
    with st.container(key="room-join"):
        st.image(classroom.qr_code(link), caption=link, alt=t("class.alt_qr", code=code), width=420 if lecture else 260)
    if classroom.address()[1]:  # opened at localhost: phones get this machine's network address instead
        st.caption(t("class.network_address", public=classroom.PUBLIC_URL))


def lecturer_controls():
    """Download the room's drawings, clear them or close the room: the lecturer's alone."""
    st.download_button(t("class.download"), data=lambda: hall_dataset(classroom.store().drawings(code)),
                       file_name=f"hall-{code}.npz", mime="application/octet-stream", on_click="ignore",
                       icon=":material/download:", help=t("class.download_help"))
    st.button(t("class.clear"), icon=":material/delete_sweep:", on_click=as_lecturer, args=(classroom.store().clear,))
    st.button(t("class.close"), icon=":material/door_front:", on_click=as_lecturer, args=(close_room,))
    if "class_refused" in st.session_state:
        st.error(st.session_state.pop("class_refused"))


def choose_experiment():
    """The lecturer's choice of what the class experiment varies; members' Train pages say so."""
    choice = st.session_state["class_experiment"]
    as_lecturer(lambda code, key: classroom.store().set_experiment(code, key, None if choice == "none" else choice))


def experiment_control(varied: str | None):
    st.session_state.setdefault("class_experiment", varied or "none")
    st.segmented_control(t("class.experiment_varies"), ["none", *EXPERIMENT_SETTINGS], key="class_experiment",
                         format_func=lambda name: t("class.nothing") if name == "none" else t(f"train.setting.{name}"),
                         on_change=choose_experiment, required=True)


def experiment_plot(runs: list[dict], varied: str):
    """The class's finished runs, reconstruction against KL, beside the shipped beta-VAEs."""
    st.subheader(t("class.experiment_title"))
    references = [(f"β = {beta:g}", float(m.metadata["test_kl"]), float(m.metadata["test_recon"]))
                  for beta in ui.BETAS if (m := ui.shipped_beta(beta)) is not None]
    labels = {"x": t("class.rate"), "y": t("class.distortion"), "setting": t(f"train.setting.{varied}"),
              "shipped": t("class.shipped")}
    st.plotly_chart(rate_distortion(runs, varied, references, labels), key="class_experiment_plot")
    st.caption(t("class.experiment_note", runs=len(runs)))


def live_view():
    """The room as it is now, from the browser through the room API: the counts, every member's latest drawing as a
    star on the VAE's map, the newest drawings, and how many of each digit the CVAE reads."""
    try:
        room = classroom.current_room()
    except Unreachable:
        room = None  # the page goes on; the live view says whether the store answers
    join_column, map_column = st.columns([1, 2.4], gap="large")
    with join_column:
        join()
        if lecturer:
            lecturer_controls()
            experiment_control(room.experiment if room else None)
    with map_column:
        latent_map("class_map", shown, t("class.map_title"), sidebar.dataset("mnist").classes, bounds=(-4, 4, -4, 4),
                   height=0.6 if lecture else 0.8, text=20 if lecture else 12)
        room_view("class_live", code, "class_map", REFRESH_S)
        experiment()


@st.fragment(run_every=EXPERIMENT_REFRESH_S)
def experiment():
    """The class experiment's finished runs, once the lecturer chose what it varies or a run came."""
    if session.room() != code:  # closed, or left, since the page ran
        st.rerun(scope="app")
    try:
        room, runs = classroom.current_room(), classroom.store().runs(code)
    except (Unreachable, RoomError):
        return  # the live view above says what is wrong
    if room and (room.experiment or runs):
        experiment_plot(runs, room.experiment or "beta")


def start_learning():
    try:
        st.session_state[LEARNING] = learning.learn(code, session.room_key())
    except RoomError as error:  # a room gone, or a store that does not answer
        st.session_state["class_learn_refused"] = classroom.room_message(error)
    except ValueError:  # fewer drawings than it takes by now (the lecturer cleared them)
        st.session_state["class_learn_refused"] = t("class.learn_too_few", needed=MIN_DRAWINGS)


def learning_controls(every_s: float):
    """The lecturer's button, or what the room's run says while it runs; asked again every every_s. When the run ends,
    the whole page runs again, to show what it learned."""
    if session.room() != code:
        st.rerun(scope="app")
    run = st.session_state.get(LEARNING)
    if run is not None and run.code == code:
        progress = run.poll()
        if progress.active:
            if every_s != LEARN_REFRESH_S:
                st.rerun(scope="app")  # asked after every second from now on
            st.info(f"{t('class.learning')} {sidebar.job_message(progress)}", icon=":material/model_training:")
            st.progress(progress.fraction)
            return
        if st.session_state.get(LEARNING_SHOWN) != id(run):
            st.session_state[LEARNING_SHOWN] = id(run)
            st.rerun(scope="app")
        if progress.status != "done":
            st.error(sidebar.job_message(progress), icon=":material/error:")
    try:
        drawings, _ = classroom.store().counts(code)
    except RoomError:
        return  # the live view says what is wrong
    st.button(t("class.learn"), type="primary", icon=":material/model_training:", disabled=drawings < MIN_DRAWINGS,
              on_click=start_learning, help=t("class.learn_help", epochs=EPOCHS), key="class_learn")
    if drawings < MIN_DRAWINGS:
        st.caption(t("class.learn_waits", needed=MIN_DRAWINGS, drawings=drawings))
    if "class_learn_refused" in st.session_state:
        st.error(st.session_state.pop("class_learn_refused"))


def use_room_model():
    as_lecturer(lambda code, key: classroom.store().use_learned(code, key, st.session_state[USE_MODEL]))


def learned_view(room) -> list[BrowserModel]:
    """What the room learned of its handwriting: its drawings on both maps, -log p(x) under both models, and the
    lecturer's choice of the model the room's Draw pages use. Returns the room's model packed, for send_models."""
    try:
        learned = classroom.store().learned(code)
        vae = learned and learning.learned_model(code, learned.id)
    except RoomError:
        return []
    if not vae:
        return []
    models = figures.room_handwriting("learned", learned, vae, height=0.6 if lecture else 0.8,
                                      text=20 if lecture else 12)
    if lecturer:
        st.session_state.setdefault(USE_MODEL, room is not None and room.model == learned.id)
        st.toggle(t("class.use_model"), key=USE_MODEL, on_change=use_room_model, help=t("class.use_model_help"))
    return models


def handwriting() -> list[BrowserModel]:
    """The room's handwriting: the lecturer's button (and the run while it runs), then what the room learned; the
    room's model packed, where it learned one."""
    st.subheader(t("class.learn_title"))
    st.caption(t("class.learn_note", needed=MIN_DRAWINGS, epochs=EPOCHS, most=learning.MOST_DRAWINGS))
    if lecturer:
        run = st.session_state.get(LEARNING)
        running = run is not None and run.code == code and run.poll().active
        every_s = LEARN_REFRESH_S if running else EXPERIMENT_REFRESH_S
        st.fragment(run_every=every_s)(learning_controls)(every_s)
    try:
        room = classroom.current_room()
    except Unreachable:
        room = None
    return learned_view(room)


live_view()
send_models(shown, *handwriting())  # once per page load
st.caption(t("class.note"))
