"""Streamlit glue shared by the pages: the shipped models and test sample (loaded once per process),
and the session's own model (in st.session_state only, never visible to another session)."""
from pathlib import Path

import pandas  # noqa: F401  imported whole before any page runs: plotly (through narwhals) peeks at
# sys.modules['pandas'], and a page run in another thread must not find it half imported
import streamlit as st
import torch

from vaedemo import load_checkpoint
from vaedemo.data import load_test_sample

CHECKPOINTS = Path(__file__).resolve().parent / "checkpoints"
torch.set_num_threads(1)  # inference is tiny; leave the other core to a training child process


@st.cache_resource(show_spinner=False)
def shipped(kind: str, latent_dim: int):
    return load_checkpoint(CHECKPOINTS / f"{kind}-{latent_dim}d.safetensors")


@st.cache_resource(show_spinner=False)
def test_sample():
    """(images (N, 1, 28, 28) in [0, 1], labels (N,)): the shipped sample of MNIST test digits."""
    return load_test_sample()


@st.cache_resource(show_spinner=False)
def shipped_codes(kind: str, latent_dim: int) -> torch.Tensor:
    return latent_means(shipped(kind, latent_dim))


@torch.inference_mode()
def latent_means(model) -> torch.Tensor:
    return model.latent_mean(test_sample()[0])  # (N, d)


def my_model():
    """The model this session trained or uploaded, or None."""
    return st.session_state.get("my_model")


def set_my_model(model):
    st.session_state["my_model"] = model
    st.session_state["my_codes"] = latent_means(model)


def using_mine(kind: str) -> bool:
    mine = my_model()
    return mine is not None and mine.kind == kind and st.session_state.get("use_mine", False)


def model(kind: str, latent_dim: int):
    """The model a page shows for this kind: the session's own where the sidebar says so, else shipped."""
    return my_model() if using_mine(kind) else shipped(kind, latent_dim)


def codes(kind: str, latent_dim: int) -> torch.Tensor:
    """Latent means of the test sample under model(kind, latent_dim)."""
    return st.session_state["my_codes"] if using_mine(kind) else shipped_codes(kind, latent_dim)


def sidebar():
    with st.sidebar:
        mine = my_model()
        if mine is None:
            st.caption("Every page uses the shipped weights. Train your own model on the **Train** page.")
        else:
            st.toggle(f"Use my {mine.kind.upper()} (latent size {mine.latent_dim}) on every page", key="use_mine")
        training_status()


def training_status():
    """This session's training run, on every page while it goes on; polling it also keeps it alive."""
    job = st.session_state.get("train_job")
    if job is None or not job.poll().active:
        return

    @st.fragment(run_every=2.0)  # the Train page's own poller reruns the app when the run ends
    def status():
        progress = job.poll()
        st.progress(progress.fraction, text=f"Training: {progress.message}")

    status()
