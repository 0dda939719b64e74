"""The lesson's arrow keys: a hidden component of our own that listens for Left and Right (and Page Up and Page Down,
a presenter's clicker) on the whole page, except in controls that take keys themselves."""
import streamlit as st

from webapp.components import asset

_keys = st.components.v2.component("vaedemo.arrow_keys", js=asset("runs.js", "arrow_keys.js"))
HIDDEN = "<style>.st-key-arrow-keys { display: none; }</style>"


def arrow_keys(key: str, on_move):
    """Listen for the keys; on each, on_move(by) runs (by: +1 for Right, -1 for Left) before the page reruns."""
    with st.container(key="arrow-keys"):
        st.html(HIDDEN)
        _keys(key=key, data={}, on_move_change=lambda: on_move(st.session_state[key].move))
