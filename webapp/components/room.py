"""A room followed from the browser through the room API (room.js): the Class page's live view, and a member's
hidden poll for where the lecturer sends the class. Neither reruns a script to learn what changed: a hall of phones
polling costs the server a cached JSON answer each (webapp/room_api.py), not a script run."""
import streamlit as st

from webapp.components import asset
from webapp.i18n import t

_room = st.components.v2.component("vaedemo.room", css=asset("room.css"),
                                   js=asset("decodes.js", "room.js"))


def troubles() -> dict:
    return {"unreachable": t("room.error.Unreachable"), "gone": t("room.error.NoSuchRoom")}


def room_view(key: str, code: str, map_key: str, every_s: float):
    """The room's counts, digits and newest drawings, asked every every_s, and each student's latest drawing as a
    star on the latent map under map_key (a 2-D VAE's: its codes are the map's plane)."""
    words = {name: t(f"class.{name}") for name in ("counts", "strip", "digit", "students", "empty", "alt_drawing")}
    _room(key=key, data={"part": "view", "code": code, "map": map_key, "every_s": every_s,
                         "words": words | troubles()}, width="stretch")


def room_follow(key: str, code: str, followed: float | None, every_s: float) -> float | None:
    """Asks every every_s where the lecturer sends the room; returns the view's id when it differs from followed
    (one rerun of the caller's fragment each time the lecturer sends the class somewhere), else None."""
    result = _room(key=key, data={"part": "follow", "code": code, "followed": followed, "every_s": every_s,
                                  "words": troubles()}, on_view_change=lambda: None)
    return result.view
