"""A small drawing canvas of our own (Streamlit Components v2, no build step): white ink on black, drawn with a
mouse, pen or finger, with Undo and Clear. It sends the picture once per stroke, on pointer-up, as a PNG: no
debounce (streamlit-drawable-canvas waits 200 ms after the last change), so reconstructions start at once."""
import base64
import io

import numpy as np
import streamlit as st
from PIL import Image

from components import asset
from i18n import t

_canvas = st.components.v2.component("vaedemo.canvas", html=asset("canvas.html"), css=asset("canvas.css"),
                                     js=asset("canvas.js"))


WORDS = ("label", "undo", "undo_help", "clear", "clear_help")


def drawing_canvas(key: str, size: int = 280, stroke: int = 24) -> np.ndarray | None:
    """The canvas; returns its RGBA pixels (size, size, 4) uint8, or None while nothing is drawn."""
    result = _canvas(key=key, data={"size": size, "stroke": stroke,
                                                "words": {name: t(f"canvas.{name}") for name in WORDS}}, default={"drawing": None},
                     on_drawing_change=lambda: None, width="content")
    if not result.drawing:
        return None
    try:  # the browser sends this string: anything but our own PNG of the right size counts as no drawing
        _, encoded = result.drawing.split(";base64,", 1)
        image = Image.open(io.BytesIO(base64.b64decode(encoded)), formats=["PNG"])
        if image.size != (size, size):
            return None
        return np.asarray(image.convert("RGBA"))
    except (ValueError, OSError):
        return None
