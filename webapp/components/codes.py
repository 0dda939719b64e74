"""A VQ-VAE's codes you can edit: the drawing's grid of code numbers (a colour per code), encoded in the browser on
every stroke, its reconstruction and the reconstruction of the grid as edited, both decoded in the browser by
engine.js (the model goes to the browser once, with latent_map.send_models), and the codebook, each entry shown by the
picture it makes. A click on a cell (or the arrow keys and Enter) picks it, a click on an entry of the codebook (or
Enter on it) gives the cell that code, and the browser decodes the edited grid at once: no message to the server per
stroke or edit."""
import colorsys

import streamlit as st

from webapp.components import asset
from webapp.components.answer import digit
from webapp.components.latent_map import BrowserModel
from webapp.i18n import t

_codes = st.components.v2.component("vaedemo.codes", html=asset("codes.html"), css=asset("codes.css"),
                                    js=asset("engine.js", "decodes.js", "runs.js", "codes.js"))
WORDS = ("grid_label", "cell", "codebook_label", "entry", "reconstruction", "edited", "reset", "changed", "alt_digit",
         "picked", "keys")


def code_colours(codebook_size: int) -> list[str]:
    """A light colour for each code (hues a golden angle apart, three lightnesses), dark text readable on each."""
    colours = []
    for code in range(codebook_size):
        red, green, blue = colorsys.hls_to_rgb((code * 0.381966) % 1, (0.70, 0.80, 0.88)[code % 3], 0.75)
        colours.append(f"#{round(red * 255):02x}{round(green * 255):02x}{round(blue * 255):02x}")
    return colours


def code_grid(key: str, model: BrowserModel, entries: list[str], *, canvas: str | None = None, x=None,
              last: str = "", compact: bool = False):
    """The codes of the drawing on the canvas under the key canvas (after each stroke), else of x (1, 1, 28, 28) (a
    test digit, or the last drawing of another page, which last then names), encoded and decoded by model (sent with
    send_models in the same run), to see and edit; entries: a PNG data URI for each code, its picture in the
    codebook. Before a drawing, the hint. compact: the keyboard's help and the grid's text version for screen readers
    only, and a smaller codebook (a projector's one screen)."""
    words = {name: t(f"codes.component.{name}") for name in WORDS}
    words |= {"hint": t("codes.hint"), "summary": t("codes.summary"), "input": t("draw.input"),
              "alt_input": t("draw.alt_input"), "last": last}
    _codes(key=key, data={"model": model.id, "canvas": canvas, "x": digit(x), "entries": entries,
                          "colours": code_colours(len(entries)), "compact": compact, "words": words}, width="stretch")
