"""Streamlit glue shared by the pages: the shipped models and test sample (loaded once per process),
and the session's own model (in st.session_state only, never visible to another session)."""
from pathlib import Path

import pandas  # noqa: F401  imported whole before any page runs: plotly (through narwhals) peeks at
# sys.modules['pandas'], and a page run in another thread must not find it half imported
import streamlit as st
import torch

from vaedemo import load_checkpoint
from vaedemo.data import load_test_sample
from vaedemo.losses import elbo_terms, prior_log_density, prior_mass_within

CHECKPOINTS = Path(__file__).resolve().parent / "checkpoints"
torch.set_num_threads(1)  # inference is tiny; leave the other core to a training child process


@st.cache_resource(show_spinner=False)
def shipped(kind: str, latent_dim: int):
    return load_checkpoint(CHECKPOINTS / f"{kind}-{latent_dim}d.safetensors")


@st.cache_resource(show_spinner=False)
def shipped_denoising(latent_dim: int):
    """The shipped denoising VAE of this latent size (trained on noisy inputs, clean targets), or None."""
    path = CHECKPOINTS / f"vae-{latent_dim}d-denoise.safetensors"
    return load_checkpoint(path) if path.is_file() else None


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


def latex_vector(v: torch.Tensor, shown: int = 3) -> str:
    """A code as a LaTeX column: its first entries, then dots when it is longer."""
    entries = [f"{value:.2f}" for value in v[:shown].tolist()] + ([r"\vdots"] if len(v) > shown else [])
    return r"\begin{pmatrix}" + r" \\ ".join(entries) + r"\end{pmatrix}"


BCE = r"\textstyle\sum_{i=1}^{784} \big[x_i \log \hat{x}_i + (1 - x_i) \log(1 - \hat{x}_i)\big]"


def elbo_panel(model, x: torch.Tensor, seed: int = 0):
    """The maths of the loss beside the pictures, with this digit's figures: x is (1, 1, 28, 28) in [0, 1].
    The figures come from the trainer's own loss functions (vaedemo.losses), one posterior sample whose
    noise is drawn with seed."""
    with st.expander(f"The maths: the {model.kind.upper()}'s loss for this digit", expanded=True,
                     icon=":material/function:"):
        if model.kind == "ae":
            with torch.inference_mode():
                _, recon, _ = model.loss(x)
            st.latex(r"\small z = \mathrm{encoder}(x), \quad \hat{x} = \mathrm{decoder}(z)")
            st.latex(rf"\small \begin{{aligned}} \text{{loss}}(x) &= -{BCE} \\ &= {recon.item():.1f} \end{{aligned}}")
            st.caption("In nats for this digit. An autoencoder has only this reconstruction term: no prior and no "
                       "KL, so nothing makes its codes follow a distribution you could sample new digits from.")
            return
        eps = torch.randn(1, model.latent_dim, generator=torch.Generator().manual_seed(seed))
        terms = elbo_terms(model, x, eps)
        st.latex(rf"\small \underbrace{{\mathcal{{L}}(x)}}_{{{terms.elbo:.1f}}} = \underbrace{{\mathbb{{E}}_{{q(z \mid x)}}"
                 rf"\big[\log p(x \mid z)\big]}}_{{\text{{reconstruction: }} {-terms.recon:.1f}}} - \underbrace{{"
                 rf"\mathrm{{KL}}\big(q(z \mid x) \,\|\, p(z)\big)}}_{{\text{{KL: }} {terms.kl:.2f}}}")
        st.latex(r"\small \mathcal{L}(x) \le \log p(x), \quad p(z) = \mathcal{N}(0, I)")
        st.latex(r"\small z = \mu + \sigma \odot \varepsilon, \;\; \varepsilon \sim \mathcal{N}(0, I), \;\; "
                 r"\hat{x} = \mathrm{decoder}(z)")
        st.latex(rf"\small \underset{{z}}{{{latex_vector(terms.z)}}} = \underset{{\mu}}{{{latex_vector(terms.mu)}}} + "
                 rf"\underset{{\sigma}}{{{latex_vector(terms.sigma)}}} \odot "
                 rf"\underset{{\varepsilon}}{{{latex_vector(terms.eps)}}}")
        st.latex(rf"\small \begin{{aligned}} \log p(x \mid z) &= {BCE} \\ &= {-terms.recon:.1f} \end{{aligned}}")
        st.latex(rf"\small \mathrm{{KL}} = \tfrac{{1}}{{2}} \sum_{{j=1}}^{{{model.latent_dim}}} \big(\mu_j^2 + \sigma_j^2 - 1"
                 rf" - \log \sigma_j^2\big) = {terms.kl:.2f}")
        st.caption(f"In nats for this digit, with one posterior sample (ε drawn with seed {seed}), computed by the "
                   "trainer's own loss: training minimises −ℒ = reconstruction + KL, averaged over the digits of a "
                   "batch. The reparameterisation trick writes the sample z as μ + σ ⊙ ε so that gradients reach "
                   "μ and σ.")


def prior_panel(z):
    """The maths of generating: the prior's density at the code z (d,) that the decoder turns into a digit."""
    z = torch.as_tensor(z, dtype=torch.float32)
    half_d = f"{len(z) / 2:g}" if len(z) != 2 else ""
    with st.expander("The maths: decoding z needs no encoder and no KL", expanded=True, icon=":material/function:"):
        st.latex(r"\small p(z) = \mathcal{N}(z; 0, I), \quad \hat{x} = \mathrm{decoder}(z)")
        st.latex(rf"\small \log p(z) = -\tfrac{{1}}{{2}} \lVert z \rVert^2 - {half_d} \log 2\pi = {prior_log_density(z):.2f}")
        st.latex(rf"\small P\big(\lVert z' \rVert < \lVert z \rVert\big) = {100 * prior_mass_within(z):.0f}\,\% "
                 r"\text{ for } z' \sim p(z)")
        st.caption("Generating is sampling z from the prior and decoding it: the encoder and the KL term only "
                   "matter in training, where the KL pulls the codes of the training digits onto this prior. "
                   "The further out z lies (the larger the share of the prior inside it), the fewer training "
                   "digits the decoder saw there.")
