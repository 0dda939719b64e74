import numpy as np
import streamlit as st

from vaedemo.rooms import RoomError
from vaedemo.viz import png_data_uri
from webapp import classroom, session, sidebar, ui
from webapp.components.latent_map import browser_model, latent_map, send_marks, send_models
from webapp.i18n import t

REFRESH_S = 1.0  # the class map asks the store this often: a stroke shows here within about a second
STRIP = 24  # the latest drawings shown under the map

sidebar.mnist_only("class")
if not session.room():  # opened without ?room=: a new room, this session its lecturer
    code, key = classroom.store().create_room()
    session.join_room(code, key)
    classroom.keep_in_address_bar()
code, lecturer = session.room(), session.room_key() is not None

st.title(t("class.title"))
join_column, map_column = st.columns([1, 2.4], gap="large")
with join_column:
    st.markdown(t("class.code", code=code))
    link = classroom.join_link(code)
    st.image(classroom.qr_code(link), caption=t("class.scan", link=link), width=260)

model = ui.shipped("vae", 2, "mnist")
shown = browser_model(model, ui.shipped_codes("vae", 2, "mnist"), ui.test_sample("mnist")[1])
send_models(shown)  # once per page load: the polls below rerun only the fragment


def as_lecturer(action):
    """Run a lecturer's action on the room (the store checks the key); a refusal is shown, never raised."""
    try:
        action(code, session.room_key())
    except RoomError as error:
        st.session_state["class_refused"] = classroom.room_message(error)


def close_room(code: str, key: str):
    classroom.store().close(code, key)
    classroom.leave()


def lecturer_controls():
    """Clear the drawings or close the room: the lecturer's alone."""
    clear_column, close_column = st.columns(2)
    clear_column.button(t("class.clear"), icon=":material/delete_sweep:", on_click=as_lecturer,
                        args=(classroom.store().clear,))
    close_column.button(t("class.close"), icon=":material/door_front:", on_click=as_lecturer, args=(close_room,))
    if "class_refused" in st.session_state:
        st.error(st.session_state.pop("class_refused"))


@st.fragment(run_every=REFRESH_S)
def class_map():
    """The room as it is now: the counts, every member's latest drawing as a star on the VAE's map, the latest
    drawings, and how many of each digit the CVAE reads."""
    if classroom.store().room(code) is None:
        st.warning(t("room.unknown", code=code))
        return
    drawings = classroom.store().drawings(code)
    latest = {}
    for drawing in drawings:  # newest first: the first of each member is its latest
        latest.setdefault(drawing.member, drawing)
    st.markdown(t("class.counts", drawings=len(drawings), students=len(latest)))
    send_marks(latent_map("class_map", shown, t("class.map_title"), sidebar.dataset("mnist").classes,
                          bounds=(-4, 4, -4, 4), stars=[drawing.vae for drawing in latest.values()], height=0.8,
                          text=20 if session.lecture_mode() else 12))
    if drawings:
        pictures = [np.frombuffer(d.image, np.uint8).reshape(28, 28) for d in drawings[:STRIP]]
        st.image([png_data_uri(picture) for picture in pictures], width=56,
                 caption=[t("class.read_as", digit=d.digit) for d in drawings[:STRIP]])
        counts = classroom.store().digit_counts(code)
        st.markdown("| " + t("class.digit") + " | " + " | ".join(map(str, range(10))) + " |\n|---|" + "---|" * 10 +
                    "\n| " + t("class.students") + " | " + " | ".join(map(str, counts)) + " |")
    else:
        st.info(t("class.empty"), icon=":material/draw:")


with map_column:
    class_map()
if lecturer:
    with join_column:
        lecturer_controls()
st.caption(t("class.note"))
