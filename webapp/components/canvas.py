"""A small drawing canvas of our own (Streamlit Components v2, no build step): white ink on black, drawn with a
mouse, pen or finger, with Undo and Clear. It sends the picture once per stroke, on pointer-up, as a PNG: no
debounce (streamlit-drawable-canvas waits 200 ms after the last change), so reconstructions start at once."""
import base64
import io

import numpy as np
import streamlit as st
from PIL import Image

from webapp.components import asset
from webapp.i18n import t

_canvas = st.components.v2.component("vaedemo.canvas", html=asset("canvas.html"), css=asset("canvas.css"),
                                     js=asset("canvas.js"))


WORDS = ("label", "undo", "undo_help", "clear", "clear_help")
FED_DRAWING = (
    "fed_drawing"  # AppTest cannot draw on a component: a test puts RGBA pixels here, read in place of a drawing
)


def drawing_canvas(key: str, size: int = 280, stroke: int = 24) -> np.ndarray | None:
    """The canvas; returns its RGBA pixels (size, size, 4) uint8, or None while nothing is drawn."""
    words = {name: t(f"canvas.{name}") for name in WORDS}
    result = _canvas(key=key, data={"size": size, "stroke": stroke, "words": words}, default={"drawing": None},
                     on_drawing_change=lambda: None, width="content")
    if FED_DRAWING in st.session_state:
        return st.session_state[FED_DRAWING]
    return decoded(result.drawing, size)


def decoded(drawing: str | None, size: int) -> np.ndarray | None:
    """The canvas's PNG data URI as RGBA pixels (size, size, 4), or None."""
    if not drawing:
        return None
    try:  # the browser sends this string: anything but our own PNG of the right size counts as no drawing
        _, encoded = drawing.split(";base64,", 1)
        image = Image.open(io.BytesIO(base64.b64decode(encoded)), formats=["PNG"])
        if image.size != (size, size):
            return None
        return np.asarray(image.convert("RGBA"))
    except (ValueError, OSError):
        return None
