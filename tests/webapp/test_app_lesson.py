"""The Lesson page in AppTest: every step renders its live figure in English and Chinese, Next and Previous walk
through them, ?step=N opens step N (anything else is clamped), and in a room the lecturer's step reaches a member's
lesson through the room store (and a member elsewhere is offered the lesson)."""
import json

import pytest
from streamlit.testing.v1 import AppTest

from tests.harness.apptest import button
from tests.harness.latent_maps import elements, maps, sent_models
from tests.harness.server import ROOT
from tests.harness.texts import assert_no_english
from webapp import classroom, lesson, questions
from webapp.i18n import CATALOGUES

LESSON, CLASS = "webapp/views/lesson.py", "webapp/views/class.py"
COUNT = len(lesson.STEPS)


def open_lesson(**query) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params.update(query)
    at.run()
    at.query_params.update(query)  # as the address bar keeps them across the switch
    return at.switch_page(LESSON).run()


def heard(member: AppTest, code: str):
    """The member's page as its browser's poll of the room API tells it of the lecturer's latest view (a trigger,
    which AppTest cannot send: the test_app_class tests check that the poll is on the page and what it hears)."""
    member.session_state[classroom.SENT] = classroom.store().room(code).view["id"]
    member.run()


def figure(at) -> dict:
    """What the step's figure shows: its pictures (their alternative texts), its latent maps and its formulas."""
    pictures = [image.alt for element in at.get("image") for image in element.proto.imgs]
    sliders = [data for element in elements(at, "vaedemo.latent_map")
               if "interpolation" in (data := json.loads(element.proto.json))]
    grids = [json.loads(element.proto.json) for element in elements(at, "vaedemo.codes")]
    rows = [json.loads(element.proto.json) for element in elements(at, "vaedemo.dimensions")]
    answers = [json.loads(element.proto.json) for element in elements(at, "vaedemo.answer")]  # in the browser
    graphs = [json.dumps(data, ensure_ascii=False) for data in answers if data["part"] == "reparam"]
    return {"pictures": pictures, "maps": maps(at), "sliders": sliders, "grids": grids, "answers": answers,
            "rows": rows, "formulas": [latex.value for latex in at.latex] + graphs}


# What each step's figure has at least: (pictures, maps, formulas); a walk's slider is no map, its rows are pictures.
EXPECTED = {"compress": (3, 0, 0), "holes": (2, 0, 0), "prior": (1, 1, 0), "prior_holes": (1, 1, 0),
            "reparameterisation": (1, 0, 1),
            "elbo_gap": (1, 0, 1), "beta": (3, 3, 0), "dimensions": (1, 0, 0),
            "walk": (4, 0, 0), "repair": (8, 0, 0), "style": (2, 0, 0),
            "codes": (1, 0, 0), "handwriting": (0, 0, 0)}  # handwriting: the room's, once it learned


FORMULA = {"reparameterisation": "z = μ + σ ⊙ ε",  # the trick's graph (components/answer.py), figures in the browser
           "elbo_gap": r"\mathrm{KL}\big(q(z \mid x) \,\|\, p(z \mid x)\big)"}  # the ELBO panel's gap


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_next_walks_through_every_step_and_each_shows_its_live_figure(lang):
    texts = CATALOGUES[lang]
    at = open_lesson(lang=lang)
    assert set(EXPECTED) == {step.name for step in lesson.STEPS}
    for number, step in enumerate(lesson.STEPS, start=1):
        assert not at.exception, (step.name, at.exception)
        assert at.query_params["step"] == str(number)
        assert at.title[0].value == texts[f"lesson.{step.name}.title"]
        assert texts[f"lesson.{step.name}.text"] in [m.value for m in at.markdown]
        assert at.info[0].value == texts[f"lesson.{step.name}.try"]
        if lang == "zh":
            assert_no_english(at)
        assert at.get("progress")[0].proto.text == texts["lesson.progress"].format(step=number, count=COUNT)
        shown = figure(at)
        pictures, map_count, formulas = EXPECTED[step.name]
        assert len(shown["pictures"]) >= pictures and all(shown["pictures"]), (step.name, shown["pictures"])
        assert len(shown["maps"]) == map_count and len(shown["formulas"]) >= formulas, step.name
        decoded = ({m["model"] for m in shown["maps"]} | {model for s in shown["sliders"] for model in s["models"]}
                   | {grid["model"] for grid in shown["grids"]} | {data["model"] for data in shown["answers"]}
                   | {data["model"] for data in shown["rows"]})
        assert set(sent_models(at)) == decoded  # each map's, slider's, code grid's and answer's model, once
        assert len(shown["sliders"]) == (step.name == "walk")
        assert all(("density" in m) == (step.name == "prior_holes") for m in shown["maps"])  # shaded: its holes
        assert [len(grid["x"]) for grid in shown["grids"]] == ([784] if step.name == "codes" else [])  # a test 5
        if step.name == "dimensions":  # the conv VAE-16D's three most used dimensions and one it does not use
            [rows] = shown["rows"]
            assert [row["unused"] for row in rows["rows"]] == [False, False, False, True]
        if step.name in FORMULA:
            assert FORMULA[step.name] in shown["formulas"][0]
        next_button = button(at, texts["lesson.next"])
        if number == COUNT:
            assert next_button.disabled
        else:
            next_button.click().run()
    button(at, texts["lesson.previous"]).click().run()
    assert at.query_params["step"] == str(COUNT - 1)


@pytest.mark.parametrize(("asked", "opened"), [("4", 4), ("1", 1), (str(COUNT), COUNT), ("0", 1), ("-3", 1),
                                                ("99", COUNT), ("abc", 1), ("", 1), ("2.5", 1)])
def test_the_address_bar_opens_its_step_and_anything_out_of_range_is_clamped(asked, opened):
    at = open_lesson(step=asked)
    assert not at.exception
    assert at.query_params["step"] == str(opened)  # written back, so that the link shared next is right
    assert at.title[0].value == CATALOGUES["en"][f"lesson.{lesson.STEPS[opened - 1].name}.title"]


def test_a_lecturers_step_reaches_a_members_lesson_through_the_room_store():
    teacher = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    teacher.switch_page(CLASS).run()  # opens a room: this session holds its key
    code = teacher.query_params["room"]
    teacher.query_params["step"] = "3"
    teacher.switch_page(LESSON).run()
    assert classroom.store().room(code).view["page"] == "lesson"
    assert classroom.store().room(code).view["params"] == {"step": "3"}

    member = open_lesson(room=code)  # a phone that joined the room and opened the lesson: it is on the lecturer's step
    assert not member.exception and member.query_params["step"] == "3"
    elsewhere = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    elsewhere.query_params["room"] = code
    elsewhere.run()  # a member on the Draw page is offered the lesson, one tap away
    assert "Your lecturer is showing **Lesson**." in [m.value for m in elsewhere.markdown]

    button(teacher, "Next").click().run()
    assert classroom.store().room(code).view["params"] == {"step": "4"}
    heard(member, code)  # what the browser's poll of the room API tells the page: no tap
    assert member.query_params["step"] == "4"
    assert member.title[0].value == CATALOGUES["en"]["lesson.prior_holes.title"]
    button(member, "Next").click().run()  # a member may read ahead ...
    member.run()
    assert member.query_params["step"] == "5"
    button(teacher, "Previous").click().run()  # ... and follows the lecturer's next move
    heard(member, code)
    assert member.query_params["step"] == "3"
    assert not [m for m in member.markdown if "Your lecturer is showing" in m.value]  # no prompt on the lesson


def question_of(at, part: str) -> dict:
    (data,) = [data for e in elements(at, "vaedemo.room") if (data := json.loads(e.proto.json))["part"] == part]
    return data


def test_every_step_asks_a_question_of_two_to_four_choices_in_both_languages():
    assert [step.name for step in lesson.STEPS] == list(questions.RIGHT)  # one list of steps
    for step in lesson.STEPS:
        for texts in CATALOGUES.values():
            choices = texts[f"lesson.{step.name}.choices"]
            assert 2 <= len(choices) <= 4 and questions.RIGHT[step.name] < len(choices)
            assert texts[f"lesson.{step.name}.question"] and texts[f"lesson.{step.name}.why"]
        assert len({len(texts[f"lesson.{step.name}.choices"]) for texts in CATALOGUES.values()}) == 1


def test_alone_the_choices_say_at_once_which_is_right():
    at = open_lesson(step="6")
    data = question_of(at, "choices")
    assert data["room"] is None and data["question"] == "Which is larger: the ELBO or log p(x)?"
    assert data["choices"][data["right"]] == "log p(x) (or they are equal)" and "lower bound" in data["why"]
    assert "**Which is larger: the ELBO or log p(x)?**" in [m.value for m in at.markdown]


def test_in_a_room_the_lecturer_reveals_the_answer_and_the_phones_follow_to_it():
    teacher = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    teacher.switch_page(CLASS).run()
    code = teacher.query_params["room"]
    teacher.query_params["step"] = "9"
    teacher.switch_page(LESSON).run()
    tally = question_of(teacher, "tally")
    assert (tally["code"], tally["step"], tally["right"]) == (code, 9, None)
    assert tally["words"]["answered"] == "{answered} of {joined} answered"  # room.js fills it from the room API
    assert not [e for e in elements(teacher, "vaedemo.room") if json.loads(e.proto.json)["part"] == "choices"]

    member = open_lesson(room=code)  # on the lecturer's step, its choices posting to the room: no answer shown yet
    choices = question_of(member, "choices")
    assert member.query_params["step"] == "9" and choices["room"]["code"] == code and choices["room"]["member"]
    assert (choices["right"], choices["why"]) == (None, "")
    classroom.store().answer(code, choices["room"]["member"], 9, 1)  # as room.js posts the tap

    button(teacher, "Reveal the answer").click().run()
    assert classroom.store().room(code).view["params"] == {"step": "9", "reveal": "9"}
    assert question_of(teacher, "tally")["right"] == 0
    assert any("The answer: Usually the AE." in s.value for s in teacher.success)
    heard(member, code)
    choices = question_of(member, "choices")
    assert member.query_params["reveal"] == "9" and choices["right"] == 0 and "holes" in choices["why"]
    button(teacher, "Next").click().run()  # the next step's answer is not revealed
    heard(member, code)
    assert member.query_params["step"] == "10" and question_of(member, "choices")["right"] is None
    assert classroom.store().answers(code) == {9: [0, 1, 0, 0]}
