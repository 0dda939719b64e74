"""The Class page and rooms in AppTest: a room made by opening the page, joined from the address bar by students whose
drawing pads post into it (the browser posts through the room API: here its handler's work is called in this
process, and the API's answer read, as the Class page's browser reads it), the lecturer's link and actions, a clear
message for an unknown code. tests/webapp/test_browser_class.py watches the same in Chromium."""
import base64
import json

import pytest
import torch
from streamlit.testing.v1 import AppTest

import vaedemo
from hall import room_api
from hall.rooms import CODE_ALPHABET
from tests.harness.apptest import button, seven_on_canvas
from tests.harness.server import ROOT
from tests.harness.training import trained
from vaedemo.preprocess import preprocess_drawing
from vaedemo.viz import to_uint8
from webapp import classroom

CLASS, LATENT, TRAIN = "webapp/views/class.py", "webapp/views/latent.py", "webapp/views/train.py"


def app(**query) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params.update(query)
    return at.run()


def lecturer() -> AppTest:
    """A lecturer's session that opened the Class page: a new room."""
    at = app()
    at.switch_page(CLASS).run()
    assert not at.exception
    return at


def texts(at) -> list[str]:
    return [element.value for element in at.markdown]


SEVEN = to_uint8(preprocess_drawing(seven_on_canvas()))[0].tobytes()  # (784,) a drawn 7, as the canvas posts it


def pad(at: AppTest) -> dict:
    """What the page's drawing pad was told of the room: {"code", "member", "words"}, or None."""
    (canvas,) = [c for c in at.get("bidi_component") if c.proto.component_name == "vaedemo.canvas"]
    return json.loads(canvas.proto.json)["room"]


def draw_a_seven(code: str) -> AppTest:
    """A student who opened the room's link and drew a 7 on the Draw page: its pad posts it with the member id the
    room issued to this session."""
    student = app(room=code)
    room = pad(student)
    assert room["code"] == code and room["member"] == student.session_state["room_member"][1]
    [kept] = room_api.keep_drawings([(code, room["member"], SEVEN)])
    assert kept["drawings"] >= 1
    return student


def live(code: str, query: str = "?map=1") -> dict:
    """The room as the Class page's browser reads it from the room API."""
    answer = room_api.room_now(code)
    return json.loads(answer.with_map if query else answer.plain)


def live_view(at: AppTest) -> dict:
    (view,) = [c for c in at.get("bidi_component") if c.proto.component_name == "vaedemo.room"]
    return json.loads(view.proto.json)


def test_opening_the_class_page_makes_a_room_with_a_code_to_read_aloud_and_a_qr_code():
    at = lecturer()
    code = at.query_params["room"]
    assert len(code) == 5 and set(code) <= set(CODE_ALPHABET) and not set(code) & set("0O1I")
    assert at.title[0].value == "Class"
    assert code in texts(at)  # large, on its own
    view = live_view(at)  # the live view, which follows the room through the API
    assert view["part"] == "view" and view["code"] == code and view["map"] == "class_map"
    assert view["words"]["counts"] == "**{drawings} drawings from {students} students**"
    assert view["words"]["counts_one"] == "**1 drawing from 1 student**"  # English's singular (Chinese has none)
    assert view["words"]["counts_one_student"] == "**{drawings} drawings from 1 student**"
    assert (live(code)["drawings"], live(code)["students"]) == (0, 0)
    qr = at.get("image")[0].proto.imgs[0]
    assert qr.url.startswith("data:image/png;base64,") and qr.caption.endswith(f"/?room={code}")
    assert classroom.qr_code(qr.caption) == qr.url  # the QR code of the link under it
    assert [b.label for b in at.button if b.label in ("Clear the drawings", "Close the room")] == [
        "Clear the drawings", "Close the room"]
    [download] = at.get("download_button")  # the hall's drawings as a data set (hall.rooms.hall_dataset)
    assert download.proto.label == "Download the hall's drawings (.npz)"
    assert classroom.store().room(code) is not None


def test_a_students_drawings_land_on_the_class_map_as_stars():
    teacher = lecturer()
    code = teacher.query_params["room"]
    student = draw_a_seven(code)
    assert not student.exception and student.query_params["room"] == code
    assert any(f"In room **{code}**" in text for text in [m.value for m in student.sidebar.markdown])
    student.switch_page(LATENT).run()
    student.switch_page("webapp/views/draw.py").run()
    assert pad(student)["member"] == student.session_state["room_member"][1]  # one member a session and room
    draw_a_seven(code)  # a second student
    room = live(code)
    assert (room["drawings"], room["students"], room["joined"]) == (2, 2, 2)
    vae = vaedemo.load_checkpoint(ROOT / "checkpoints" / "vae-2d.safetensors")
    with torch.inference_mode():
        mean = vae.encode(preprocess_drawing(seven_on_canvas()))[0][0].tolist()
    assert len(room["points"]) == 2
    for x, y, digit in room["points"]:  # where the VAE encodes the drawing, to the API's rounding
        assert abs(x - mean[0]) < 1e-3 and abs(y - mean[1]) < 1e-3 and digit == 7
    assert [d["digit"] for d in room["latest"]] == [7, 7] and room["digits"] == [0] * 7 + [2, 0, 0]
    assert base64.b64decode(room["latest"][0]["image"]) == SEVEN


def test_a_student_keeps_the_room_across_pages_and_can_leave_it():
    code = lecturer().query_params["room"]
    student = app(room=code.lower())  # typed in lower case: the same room
    student.switch_page(LATENT).run()
    assert student.query_params["room"] == code
    assert "Clear the drawings" not in [b.label for b in student.button]  # no key, no lecturer's buttons
    assert not student.get("download_button")
    button(student, "Leave the room").click().run()
    assert "room" not in student.query_params
    assert not [m for m in student.sidebar.markdown if "In room" in m.value]


def test_an_unknown_code_gets_a_clear_message():
    at = app(room="ZZZZZ")
    assert not at.exception
    assert [w.value for w in at.warning] == [
        "There is no room ZZZZZ: it was closed, or it expired after hours without activity. "
        "Ask your lecturer for the code again."]
    assert "room" not in at.query_params


def test_the_lecturer_link_gives_the_lecturers_buttons_and_leaves_the_address_bar():
    teacher = lecturer()
    code, key = teacher.query_params["room"], teacher.session_state["room_key"]
    assert classroom.join_link(code, key) not in "".join(texts(teacher))  # never on the projected page
    other = app(room=code, key=key)
    other.switch_page(CLASS).run()
    assert "key" not in other.query_params and other.session_state["room_key"] == key
    assert "Clear the drawings" in [b.label for b in other.button]
    guess = app(room=code, key="not-the-key")
    assert guess.session_state["room_key"] is None and "key" not in guess.query_params


def test_the_lecturer_clears_and_closes_the_room():
    teacher = lecturer()
    code = teacher.query_params["room"]
    draw_a_seven(code)
    button(teacher, "Clear the drawings").click().run()
    assert live(code)["drawings"] == 0 and live(code)["latest"] == []
    button(teacher, "Close the room").click().run()
    assert classroom.store().room(code) is None
    assert teacher.success[0].value == "The room is closed: its drawings are gone."
    button(teacher, "Open a new room").click().run()
    assert teacher.query_params["room"] != code and classroom.store().room(teacher.query_params["room"])
    student = app(room=code)
    assert "There is no room" in student.warning[0].value


def test_members_are_offered_the_lecturers_page_and_follow_it_with_one_tap():
    teacher = lecturer()
    code = teacher.query_params["room"]
    student = app(room=code)
    assert not [c for c in student.get("flex_container") if "follow" in str(c.proto)]
    teacher.switch_page(LATENT).run()
    teacher.query_params["latent_z1"] = "1.5"  # where the browser keeps the slider (AppTest has no address bar)
    teacher.run()
    button(teacher, "Send the class here").click().run()
    assert classroom.store().room(code).view["page"] == "latent"
    assert classroom.store().room(code).view["params"]["latent_z1"] == "1.5"
    sent = live(code, "")["view"]  # what the student's browser polls from the room API ...
    assert sent == classroom.store().room(code).view
    follow = [c for c in student.get("bidi_component") if c.proto.component_name == "vaedemo.room"]
    assert json.loads(follow[0].proto.json)["part"] == "follow"
    student.session_state[classroom.SENT] = sent["id"]  # ... and tells its page (a trigger, which AppTest cannot send)
    student.run()
    assert "Your lecturer is showing **Latent space**." in [m.value for m in student.markdown]
    button(student, "Follow").click().run()
    assert not student.exception
    assert student.slider(key="latent_z1").value == 1.5 and student.query_params["room"] == code
    student.run()
    assert "Your lecturer is showing **Latent space**." not in [m.value for m in student.markdown]


def test_a_class_experiment_plots_each_students_finished_run_beside_the_shipped_beta_vaes():
    teacher = lecturer()
    code = teacher.query_params["room"]
    teacher.segmented_control(key="class_experiment").set_value("beta").run()
    assert classroom.store().room(code).experiment == "beta"
    student = app(room=code)
    student.switch_page(TRAIN).run()
    says = "Your class's experiment varies **β, the weight of the KL term"
    assert [i.value for i in student.info if i.value.startswith(says)]
    job = trained(epochs=1, train_size=500, beta=2.0)  # a real tiny run, as the student's Start would give
    student.session_state["train_job"] = job
    student.run()
    student.run()  # posted once, however often the page looks
    (run,) = classroom.store().runs(code)
    last = job.poll().epochs[-1]
    assert run["setting"]["beta"] == 2.0 and run["figures"]["kl"] == last["test_kl"]
    assert run["figures"]["recon"] == last["test_recon"]
    teacher.run()
    plot = json.loads(teacher.get("plotly_chart")[0].proto.spec)
    runs, shipped = plot["data"]
    assert (runs["x"], runs["y"]) == ([last["test_kl"]], [last["test_recon"]])
    assert shipped["text"] == ["β = 0.5", "β = 1", "β = 4"]
    assert all(100 < recon < 160 and 3 < kl < 9 for kl, recon in zip(shipped["x"], shipped["y"]))


@pytest.mark.parametrize("page_url, public_url, network_ip, expected", [
    ("http://localhost:8501/class", None, "192.168.1.20", ("http://192.168.1.20:8501", True)),
    ("http://127.0.0.1:8501/class", None, "10.0.0.7", ("http://10.0.0.7:8501", True)),
    ("http://[::1]:8501/class", None, "10.0.0.7", ("http://10.0.0.7:8501", True)),
    ("http://192.168.1.20:8501/class", None, "192.168.1.20", ("http://192.168.1.20:8501", False)),
    ("https://lecture.example.org/vae/class", None, "10.0.0.7", ("https://lecture.example.org/vae", False)),
    ("http://localhost:8501/class", "https://someone-vaedemo.hf.space/", "10.0.0.7",
     ("https://someone-vaedemo.hf.space", False)),
    ("http://localhost:8501/class", None, None, ("http://localhost:8501", False)),  # not on the network: as opened
])
def test_the_join_link_is_one_a_phone_can_open(page_url, public_url, network_ip, expected):
    """A lecturer who opened the app at localhost projects a link with this machine's network address (what
    Streamlit prints as "Network URL"); VAEDEMO_PUBLIC_URL, where set, wins; any other address stays as opened."""
    assert classroom.app_address(page_url, public_url, network_ip) == expected


def test_vaedemo_public_url_is_the_join_link_and_its_qr_code(monkeypatch):
    monkeypatch.setenv("VAEDEMO_PUBLIC_URL", "https://someone-vaedemo.hf.space")
    at = lecturer()
    code = at.query_params["room"]
    qr = at.get("image")[0].proto.imgs[0]
    assert qr.caption == f"https://someone-vaedemo.hf.space/?room={code}" and classroom.qr_code(qr.caption) == qr.url
    assert not any("network address" in text for text in texts(at))


UNREACHABLE = "The room cannot be reached just now"


def test_a_store_that_does_not_answer_costs_the_room_its_live_view_and_nothing_else(monkeypatch):
    """Redis down: the Class page and a member's pages go on with no exception (the live view and the pad's posts
    say so in the browser: the API answers 503), a new Class page says that the room cannot be reached; once the
    store answers again, the pages show the room by themselves."""
    from hall.rooms import Unreachable, open_store

    teacher = lecturer()
    code = teacher.query_params["room"]
    student = app(room=code)
    member = pad(student)["member"]
    working, down = classroom.store, lambda: open_store("redis://127.0.0.1:1/0")  # nothing listens there
    monkeypatch.setattr(classroom, "store", down)  # the pages' store
    monkeypatch.setattr(room_api, "store", down)  # the room API's
    teacher.run()
    assert not teacher.exception and live_view(teacher)["code"] == code
    student.run()
    assert not student.exception and pad(student)["member"] == member  # the pad posts on, to a 503
    [down] = room_api.keep_drawings([(code, member, SEVEN)])
    assert isinstance(down, Unreachable) and room_api.refusal(down).status == 503
    fresh = app()  # a lecturer opening a new Class page
    fresh.switch_page(CLASS).run()
    assert not fresh.exception and any(UNREACHABLE in w.value for w in fresh.warning)
    monkeypatch.setattr(classroom, "store", working)  # the store answers again
    monkeypatch.setattr(room_api, "store", working)
    teacher.run()
    assert not teacher.exception and not any(UNREACHABLE in w.value for w in teacher.warning)
    assert code in texts(teacher)
