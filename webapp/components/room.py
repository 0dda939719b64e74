"""A room followed from the browser through the room API (room.js): the Class page's live view, a member's hidden
poll for where the lecturer sends the class, and the lesson's questions: the lecturer's tally of the room's answers
and the choices a phone answers with (alone, they say at once whether a choice was right). None reruns a script to
learn what changed or to answer: a hall of phones costs the server a cached JSON answer a poll and a store write an
answer (hall/room_api.py), not a script run."""
import streamlit as st

from webapp.components import asset
from webapp.i18n import t

_room = st.components.v2.component("vaedemo.room", css=asset("room.css"),
                                   js=asset("decodes.js", "roomapi.js", "runs.js", "room.js"))


def troubles() -> dict:
    return {"unreachable": t("room.error.Unreachable"), "gone": t("room.error.NoSuchRoom")}


def room_view(key: str, code: str, map_key: str, every_s: float):
    """The room's counts, digits and newest drawings, asked every every_s, and each student's latest drawing as a
    star on the latent map under map_key (a 2-D VAE's: its codes are the map's plane)."""
    words = {name: t(f"class.{name}") for name in ("counts", "counts_one", "counts_one_student", "strip", "digit",
                                                   "students", "empty", "alt_drawing")}
    _room(key=key, data={"part": "view", "code": code, "map": map_key, "every_s": every_s,
                         "words": words | troubles()}, width="stretch")


def room_follow(key: str, code: str, followed: float | None, every_s: float, model: str | None = None,
                watch_model: bool = False) -> tuple[float | None, bool]:
    """Asks every every_s where the lecturer sends the room; returns the view's id when it differs from followed
    (one rerun of the caller's fragment each time the lecturer sends the class somewhere), else None. With watch_model,
    also whether the model the room's Draw pages use has changed from model (the id of the room's own that the page
    shows, or None), once a change."""
    result = _room(key=key, data={"part": "follow", "code": code, "followed": followed, "every_s": every_s,
                                  "model": model, "watch_model": watch_model, "words": troubles()},
                   on_view_change=lambda: None, on_model_change=lambda: None)
    return result.view, result.model is not None


def question_words() -> dict:
    return {name: t(f"lesson.{name}") for name in ("answered", "right", "wrong", "the_answer", "your_choice",
                                                     "tally_label")} | troubles()


def answer_tally(key: str, code: str, step: int, choices: list[str], right: int | None, every_s: float):
    """The room's answers to the step's question, asked every every_s: a bar a choice, "{answered} of {joined}
    answered"; the right choice marked once revealed (right, else None)."""
    _room(key=key, data={"part": "tally", "code": code, "step": step, "choices": choices, "right": right,
                         "every_s": every_s, "words": question_words()}, width="stretch")


def answer_choices(key: str, room: dict | None, step: int, question: str, choices: list[str], right: int | None,
                   why: str, compact: bool = False):
    """The step's choices as buttons. room (classroom.drawing_room()): each tap posts the answer, and the right
    choice and why show once the lecturer reveals them (right given); None: alone, a tap says at once. compact: smaller
    buttons, for a projector's one screen."""
    _room(key=key, data={"part": "choices", "room": room, "step": step, "question": question, "choices": choices,
                         "right": right, "why": why, "compact": compact, "words": question_words()}, width="stretch")
