"""The browser's own storage of the token under which the server keeps a student's model (hall.keeper): a
hidden component with no element of its own on the page."""
import streamlit as st

from webapp.components import asset

_keeper = st.components.v2.component("vaedemo.keeper", js=asset("keeper.js"))
HIDDEN = "<style>.st-key-model-keeper { display: none; }</style>"


def browser_token(keep: str | None = None, forget: bool = False, told: str | None = None) -> str | None:
    """The token this browser keeps (None until it has told, a rerun after the page loads); keep: a token for it to
    keep from now on; forget: let it go. told: the token the server already knows, which the browser need not send."""
    with st.container(key="model-keeper"):
        st.html(HIDDEN)
        result = _keeper(key="keeper", data={"keep": keep, "forget": forget, "told": told}, default={"token": None},
                         on_token_change=lambda: None)
    return result.token
