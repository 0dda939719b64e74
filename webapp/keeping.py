"""A student's own model outlives the session: the server keeps its checkpoint under a secret token
(hall.keeper), the browser keeps the token in its own storage (components/keeper.py), and a returning browser
gets its model back on every page. No torch here until a kept model comes back."""
import contextlib
import sqlite3

import streamlit as st

from hall import per_process
from hall.keeper import ModelKeeper, new_token
from webapp import session
from webapp.components.keeper import browser_token
from webapp.i18n import t


@per_process
def keeper() -> ModelKeeper:
    return ModelKeeper()


def adopt_and_keep(model, checkpoint: bytes):
    """The session's own model from now on, used on every page, and kept for this browser; where the keeper's file
    does not answer (locked by another process, a full disk), kept for this session only, and the page says so."""
    session.adopt(model)
    token = session.model_token() or new_token()
    try:
        keeper().keep(token, checkpoint)
    except sqlite3.Error:
        st.toast(t("keeper.unreachable"), icon=":material/cloud_off:")
        return
    session.set_model_token(token, ("keep", token))


def forget():
    """The student lets the model go: from the session, the server and the browser."""
    if session.model_token():
        with contextlib.suppress(sqlite3.Error):  # the file does not answer: the kept copy expires in its time
            keeper().forget(session.model_token())
    session.forget_my_model()
    session.set_model_token(None, ("forget", None))


def restore():
    """On every page: hear the browser's token, and give a returning browser its kept model back."""
    action, token = session.browser_note()
    told = browser_token(keep=token if action == "keep" else None, forget=action == "forget",
                         told=session.model_token())
    if not told or told == session.model_token():
        return
    try:
        checkpoint = keeper().get(told)
    except sqlite3.Error:  # the keeper's file does not answer just now: the browser keeps the token, asked again later
        return
    if checkpoint is None:  # forgotten, or past its time: the browser lets the token go too
        session.set_model_token(None, ("forget", None))
        return
    from vaedemo.checkpoints import load_checkpoint_bytes

    try:
        session.adopt(load_checkpoint_bytes(checkpoint, "your kept model"))
        session.set_model_token(told)
    except ValueError:  # not a model any more (the format changed since): let it go
        forget()
