"""What each dimension of a VAE does, decoded in the browser: one row per latent dimension, that dimension alone moved
in even steps from z_i - span to z_i + span around a code z, the others kept (vaedemo.latent.traversal is the
reference, which the browser test checks), and under each row a slider (or the pointer, or a finger dragged along the
row) that moves it continuously, the picture at the row's end decoded at every move. The decoder goes to the browser
once, with latent_map.send_models; the rows cost the server one element."""
import streamlit as st
import torch

from webapp.components import asset
from webapp.components.latent_map import BrowserModel
from webapp.i18n import t

_rows = st.components.v2.component("vaedemo.dimensions", html=asset("dimensions.html"), css=asset("dimensions.css"),
                                   js=asset("decodes.js", "runs.js", "dimensions.js"))
WORDS = ("unused", "step", "slider", "live")  # the browser fills in {name}, {offset} and {moved}


def dimension_rows(key: str, model: BrowserModel, z: torch.Tensor, rows: list[dict], *, steps: int, span: float):
    """The rows of model (sent with send_models in the same run) around the code z (d,), in the order of rows: each
    {"index": the dimension's index in z, "name": "z1", "label": the row's heading, "unused": greyed}; each row
    `steps` decodes from z_i - span to z_i + span."""
    words = {name: t(f"dimensions.{name}") for name in WORDS}
    _rows(key=key, data={"model": model.id, "z": z.tolist(), "rows": rows, "steps": steps, "span": span,
                         "words": words}, width="stretch")
