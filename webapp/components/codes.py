"""A VQ-VAE's codes you can edit: the drawing's grid of code numbers (a colour per code), its reconstruction and the
reconstruction of the grid as edited, both decoded in the browser by model.js (the model goes to the browser once,
with latent_map.send_models), and the codebook, each entry shown by the picture it makes. A click on a cell (or the
arrow keys and Enter) picks it, a click on an entry of the codebook (or Enter on it) gives the cell that code, and
the browser decodes the edited grid at once: no message to the server per edit."""
import colorsys

import streamlit as st

from webapp.components import asset
from webapp.components.latent_map import BrowserModel
from webapp.i18n import t

_codes = st.components.v2.component("vaedemo.codes", html=asset("codes.html"), css=asset("codes.css"),
                                    js=asset("decodes.js", "codes.js"))
WORDS = ("grid_label", "cell", "codebook_label", "entry", "reconstruction", "edited", "reset", "changed", "alt_digit",
         "picked", "keys")


def code_colours(codebook_size: int) -> list[str]:
    """A light colour for each code (hues a golden angle apart, three lightnesses), dark text readable on each."""
    colours = []
    for code in range(codebook_size):
        red, green, blue = colorsys.hls_to_rgb((code * 0.381966) % 1, (0.70, 0.80, 0.88)[code % 3], 0.75)
        colours.append(f"#{round(red * 255):02x}{round(green * 255):02x}{round(blue * 255):02x}")
    return colours


def code_grid(key: str, model: BrowserModel, codes: list[int], entries: list[str]):
    """The drawing's codes (grid * grid numbers, row by row) to see and edit, decoded by model (sent with
    send_models in the same run); entries: a PNG data URI for each code, its picture in the codebook."""
    words = {name: t(f"codes.component.{name}") for name in WORDS}
    _codes(key=key, data={"model": model.id, "codes": list(codes), "entries": entries,
                          "colours": code_colours(len(entries)), "words": words}, width="stretch")
