"""The Class page's "Learn this room's handwriting" in AppTest: the button waits for 50 drawings and says so; pressed,
one real run on the training line; its end shows both -log p(x) and both maps, and the lecturer's "Use this room's
model" moves the room's Draw pages to the room's own VAE and back. tests/webapp/test_browser_handwriting.py watches the
same in Chromium, with phones."""
import json
import re

import torch.nn.functional as F
from streamlit.testing.v1 import AppTest

from hall.rooms import store
from tests.harness.apptest import button
from tests.harness.server import ROOT
from tests.harness.training import finished
from vaedemo.data import load_test_sample
from vaedemo.viz import to_uint8
from webapp import lesson

CLASS = "webapp/views/class.py"
LEARN = "Learn this room's handwriting"


def lecturer(**query) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params.update(query)
    at.run()
    at.switch_page(CLASS).run()
    assert not at.exception
    return at


def thick_drawings(code: str, n: int):
    """n test digits drawn with a thicker pen, posted by n // 10 students of the room (as the room API keeps them)."""
    images, labels = load_test_sample("mnist")
    grey = to_uint8(F.max_pool2d(images[:n], 3, stride=1, padding=1))
    for start in range(0, n, 10):
        member = store().join(code)
        for image, label in zip(grey[start:start + 10], labels[start:start + 10]):
            store().add_drawing(code, member, image.tobytes(), (0.0, 0.0), int(label))


def vae_map_model(at: AppTest) -> str:
    """The id of the model the Draw page's VAE map shows."""
    (vae_map,) = [c for c in at.get("bidi_component") if c.proto.component_name == "vaedemo.latent_map"
                  and json.loads(c.proto.json)["key"] == "map_vae"]
    return json.loads(vae_map.proto.json)["model"]


def test_fewer_than_50_drawings_the_button_waits_and_says_why_in_both_languages():
    at = lecturer()
    code = at.session_state["room"]
    thick_drawings(code, 10)
    at.run()
    assert button(at, LEARN).disabled
    assert "The button waits for 50 drawings: the room has 10 so far." in " ".join(c.value for c in at.caption)
    zh = lecturer(lang="zh")
    thick_drawings(zh.session_state["room"], 10)
    zh.run()
    assert button(zh, "学习本教室的笔迹").disabled
    assert "按钮要等到有 50 幅画：教室目前有 10 幅。" in " ".join(c.value for c in zh.caption)


def test_the_room_learns_its_handwriting_and_its_draw_pages_use_it_and_back():
    at = lecturer()
    code = at.session_state["room"]
    thick_drawings(code, 60)
    at.run()
    button(at, LEARN).click().run()
    said = " ".join(info.value for info in at.info)  # while it runs, the page says so, with the run's own words
    assert "Learning this room's handwriting." in said and ("Waiting in line" in said or "60 drawings" in said), said
    progress = finished(at.session_state["class_learning"])
    assert progress.status == "done", progress.message
    at.run()
    assert not at.exception
    [sentence] = [m.value for m in at.markdown if m.value.startswith("−log p(x)")]
    a, b = map(float, re.fullmatch(r"−log p\(x\): (\d+\.\d) nats under the MNIST VAE, (\d+\.\d) under this room's",
                                   sentence).groups())
    assert b < a - 20  # thick strokes: far more likely under the room's own VAE
    titles = [json.loads(c.proto.json)["title"] for c in at.get("bidi_component")
              if c.proto.component_name == "vaedemo.latent_map"]
    assert "The room's 60 drawings on the MNIST VAE's map" in titles
    assert "The room's 60 drawings on this room's VAE's map" in titles

    student = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    student.query_params["room"] = code
    student.run()
    shipped = vae_map_model(student)
    [toggle] = [t for t in at.toggle if t.label == "Use this room's model"]
    toggle.set_value(True).run()
    assert store().room(code).model == store().learned(code).id
    student.run()
    assert vae_map_model(student) != shipped
    assert f"The VAE here is room {code}'s own, learned from its drawings: its lecturer chose it for the room." in [
        c.value for c in student.caption]
    [toggle] = [t for t in at.toggle if t.label == "Use this room's model"]
    toggle.set_value(False).run()
    student.run()
    assert vae_map_model(student) == shipped and store().room(code).model is None


    # the lesson's last step, on a phone of the room: the same two maps and the same two numbers, with its question
    phone = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    phone.query_params.update(room=code, step=str(len(lesson.STEPS)))
    phone.run()
    phone.switch_page("webapp/views/lesson.py").run()
    assert not phone.exception
    assert sentence in [m.value for m in phone.markdown]
    assert "Why is −log p(x) of the room's drawings lower under the room's own VAE?" in " ".join(
        m.value for m in phone.markdown)
    lesson_titles = [json.loads(c.proto.json)["title"] for c in phone.get("bidi_component")
                     if c.proto.component_name == "vaedemo.latent_map"]
    assert lesson_titles == ["The room's 60 drawings on the MNIST VAE's map",
                             "The room's 60 drawings on this room's VAE's map"]
