"""A small drawing canvas of our own (Streamlit Components v2, no build step): white ink on black, drawn with a
mouse, pen or finger, with Undo and Clear. After every stroke the browser prepares the drawing as MNIST's digits were
(engine.js, the same steps as vaedemo.preprocess) and the page's components answer it there (components/answer.py):
a stroke costs the server nothing. In a room, the browser posts each drawing's 28x28 grey bytes to the room API
(hall/room_api.py) at pointer-up, with no debounce: still nothing for Streamlit."""
import base64
import binascii

import numpy as np
import streamlit as st

from webapp.components import asset
from webapp.i18n import t

_last = st.components.v2.component("vaedemo.last_drawing", js=asset("last_drawing.js"))
_canvas = st.components.v2.component("vaedemo.canvas", html=asset("canvas.html"), css=asset("canvas.css"),
                                     js=asset("engine.js", "decodes.js", "roomapi.js", "runs.js", "canvas.js"))


PIXELS = 28 * 28
WORDS = ("label", "undo", "undo_help", "clear", "clear_help")


def drawing_canvas(key: str, size: int = 280, stroke: int = 24):
    """The canvas; in a room, its drawings go to the room from the browser (classroom.drawing_room)."""
    from webapp import classroom

    words = {name: t(f"canvas.{name}") for name in WORDS}
    _canvas(key=key, data={"key": key, "size": size, "stroke": stroke, "words": words,
                           "room": classroom.drawing_room()}, width="content")


def digit(grey: str | None):
    """784 grey bytes in base64 (what the browser sends) as (1, 1, 28, 28) in [0, 1]; None for anything else."""
    try:
        pixels = base64.b64decode(grey or "", validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(pixels) != PIXELS:
        return None
    import torch

    return torch.from_numpy(np.frombuffer(pixels, np.uint8).astype(np.float32) / 255).view(1, 1, 28, 28)


def last_drawing():
    """The tab's latest drawing, from any page's canvas (the browser keeps it: canvas.js), sent by this call's hidden
    element when it differs from what the server has: it becomes the session's last drawing, which is returned,
    (1, 1, 28, 28) or None. A page that offers the last drawing calls it: the drawing reaches the server when it is
    needed, not with every stroke."""
    from webapp import session

    with st.container(key="last-drawing"):
        result = _last(key="tab_last_drawing", data={}, default={"digit": None}, on_digit_change=lambda: None)
    x = digit(result.digit)
    if x is not None and (session.last_drawing() is None or not (session.last_drawing() == x).all()):
        session.remember_drawing(x)
    return session.last_drawing()
