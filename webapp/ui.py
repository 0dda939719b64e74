"""Streamlit glue shared by the pages: the shipped models and test sample (loaded once per process), the model a page
shows (the session's own where the sidebar says so, webapp.session), and the maths panels. Every function here that
takes dataset=None uses the data set the page shows."""
import gc

import pandas  # noqa: F401  imported whole before any page draws a chart: plotly (through narwhals) peeks

# at sys.modules['pandas'], and a page run in another thread must not find it half imported
import streamlit as st
import torch

from hall import load_shipped, model_files, per_process
from vaedemo.data import load_test_sample
from vaedemo.datasets import CHECKPOINTS, DATASETS, checkpoint_path
from vaedemo.evaluate import kl_per_dimension
from vaedemo.latent import PriorHoles, codebook_pictures, prior_holes
from vaedemo.likelihood import Separation, separation
from vaedemo.losses import prior_log_density, prior_mass_within
from vaedemo.models import per_model
from vaedemo.viz import png_data_uri, to_uint8
from webapp import session
from webapp.components import answer
from webapp.components.latent_map import BrowserModel, browser_model
from webapp.i18n import t
from webapp.session import current_dataset

# Once per process, after the heavy imports: their objects (torch, plotly, pandas: most of the heap) move out of
# the cyclic collector's reach, so its automatic full collections stay short (.streamlit/config.toml turns off
# Streamlit's forced one after every run).
gc.freeze()


def shipped(kind: str, latent_dim: int, dataset: str | None = None, arch: str = "mlp"):
    return load_shipped(checkpoint_path(kind, latent_dim, dataset or current_dataset(), arch=arch))


def shipped_denoising(latent_dim: int, dataset: str | None = None):
    """The shipped denoising VAE of this latent size (trained on noisy inputs, clean targets), or None."""
    path = checkpoint_path("vae", latent_dim, dataset or current_dataset(), "-denoise")
    return load_shipped(path) if path.is_file() else None


def test_sample(dataset: str | None = None):
    """(images (N, 1, 28, 28) in [0, 1], labels (N,)): the shipped sample of the data set's test images."""
    return load_sample(dataset or current_dataset())


@per_process
def load_sample(dataset: str):
    return load_test_sample(dataset)


def shipped_codes(kind: str, latent_dim: int, dataset: str | None = None, arch: str = "mlp") -> torch.Tensor:
    return load_codes(kind, latent_dim, dataset or current_dataset(), arch)


@per_process
def load_codes(kind: str, latent_dim: int, dataset: str, arch: str = "mlp") -> torch.Tensor:
    return latent_means(shipped(kind, latent_dim, dataset, arch))


@torch.inference_mode()
def latent_means(model) -> torch.Tensor:
    images, labels = test_sample(session.trained_on(model))
    return model.latent_mean(images, *((labels,) if model.kind == "cvae" else ()))  # (N, d); a CVAE's given the labels


@per_model
def codes_of(model) -> torch.Tensor:
    """latent_means(model), once per model."""
    return latent_means(model)


def model(kind: str, latent_dim: int, dataset: str | None = None):
    """The model a page shows for this kind: the session's own where the sidebar says so and it was trained
    on this data set, else the shipped one."""
    mine = session.using_mine(kind, dataset or current_dataset())
    return session.my_model() if mine else shipped(kind, latent_dim, dataset)


def vqvae():
    """The VQ-VAE a page shows: the session's own (MNIST) where the sidebar says so, else the shipped one."""
    if session.using_mine("vqvae", "mnist"):
        return session.my_model()
    return load_shipped(CHECKPOINTS / "vq-vae.safetensors")


@per_model
def codebook_entries(vqvae) -> list[str]:
    """Each code's picture (vaedemo.latent.codebook_pictures) as a PNG data URI, made once per model."""
    return [png_data_uri(picture) for picture in to_uint8(codebook_pictures(vqvae))]


def codes(kind: str, latent_dim: int, dataset: str | None = None) -> torch.Tensor:
    """Latent means of the data set's test sample under model(kind, latent_dim, dataset)."""
    mine = session.using_mine(kind, dataset or current_dataset())
    return codes_of(session.my_model()) if mine else shipped_codes(kind, latent_dim, dataset)


@per_model
@torch.inference_mode()
def prior_holes_of(vae) -> PriorHoles:
    """A 2-D VAE's aggregate posterior over its data set's test sample and the prior, on one grid
    (vaedemo.latent.prior_holes), once per model."""
    return prior_holes(*vae.encode(test_sample(session.trained_on(vae))[0]))


def latex_vector(v: torch.Tensor, shown: int = 3) -> str:
    """A code as a LaTeX column: its first entries, then dots when it is longer."""
    entries = [f"{value:.2f}" for value in v[:shown].tolist()] + ([r"\vdots"] if len(v) > shown else [])
    return r"\begin{pmatrix}" + r" \\ ".join(entries) + r"\end{pmatrix}"


# The long formulas go on two lines or more (inside aligned, after an &), so that each fits a phone's width.
BCE = r"\textstyle\sum_{i=1}^{784} \big[x_i \log \hat{x}_i \\ &\qquad + (1 - x_i) \log(1 - \hat{x}_i)\big]"


LINE_BREAK = r" \\[1em] "  # between the formulas of a panel


def formulas(*lines: str):
    """A panel's formulas one under the other, as one element: every element costs the server CPU on each rerun."""
    st.latex(r"\small \begin{gathered} " + LINE_BREAK.join(lines) + r" \end{gathered}")


def elbo_panel(model, shown: BrowserModel, *, canvas: str | None = None, x: torch.Tensor | None = None,
               key: str = "loss_figures", wide: bool = False):
    """The maths of the loss beside the pictures: the formulas, then the figures of the digit (the drawing on the
    canvas under the key canvas, or x (1, 1, 28, 28) in [0, 1]), computed in the browser from shown (model packed,
    which the page sends) by the trainer's own loss, as vaedemo.losses computes it (answer.loss_figures): a VAE's
    one posterior sample is the page's, the same z as the reparameterisation graph shows; log p(x) and the ELBO's
    gap come from importance samples of their own, which Resample leaves alone. wide: the figures beside the formulas
    rather than under them (a projector's one screen)."""
    with st.expander(t("maths.loss_title", kind=model.kind.upper()), expanded=True,
                     icon=":material/function:"):
        maths, numbers = st.columns(2, vertical_alignment="center") if wide else (st.container(), st.container())
        with maths:
            loss_formulas(model)
        with numbers:
            answer.loss_figures(key, shown, model.kind, model.latent_dim, canvas=canvas, x=x)
            st.caption(t("maths.ae_caption") if model.kind == "ae" else t("maths.vae_caption",
                                                                           samples=answer.IMPORTANCE_SAMPLES,
                                                                           importance_seed=answer.IMPORTANCE_SEED))


def loss_formulas(model):
    """The loss of the model's kind, written out (elbo_panel)."""
    if model.kind == "ae":
        formulas(r"z = \mathrm{encoder}(x), \quad \hat{x} = \mathrm{decoder}(z)",
                 rf"\begin{{aligned}} \text{{{t('maths.loss')}}}(x) &= -{BCE} \end{{aligned}}")
    else:
        k, recon, kl, gap = answer.IMPORTANCE_SAMPLES, t("maths.reconstruction"), t("maths.kl"), t("maths.gap")
        formulas(
            r"\begin{aligned} & \mathcal{L}(x) = "
            rf"\underbrace{{\mathbb{{E}}_{{q(z \mid x)}}\big[\log p(x \mid z)\big]}}_{{\text{{{recon}}}}} "
            r"\\ & \qquad - "
            rf"\underbrace{{\mathrm{{KL}}\big(q(z \mid x) \,\|\, p(z)\big)}}_{{\text{{{kl}}}}} "
            r"\end{aligned}",
            r"\mathcal{L}(x) \le \log p(x), \quad p(z) = \mathcal{N}(0, I)",
            r"\begin{gathered} z = \mu + \sigma \odot \varepsilon, \;\; \varepsilon \sim \mathcal{N}(0, I) \\ "
            r"\hat{x} = \mathrm{decoder}(z) \end{gathered}",
            rf"\begin{{aligned}} \log p(x \mid z) &= {BCE} \end{{aligned}}",
            rf"\mathrm{{KL}} = \tfrac{{1}}{{2}} \sum_{{j=1}}^{{{model.latent_dim}}} "
            r"\big(\mu_j^2 + \sigma_j^2 - 1 - \log \sigma_j^2\big)",
            rf"\begin{{aligned}} \log p(x) &\approx \log \frac{{1}}{{{k}}} \sum_{{k=1}}^{{{k}}} "
            r"\frac{p(x \mid z_k)\, p(z_k)}{q(z_k \mid x)}, \\ & \quad z_k \sim q(z \mid x) \end{aligned}",
            rf"\begin{{aligned}} & \log p(x) - \mathcal{{L}}(x) \\ & \qquad = "
            rf"\underbrace{{\mathrm{{KL}}\big(q(z \mid x) \,\|\, p(z \mid x)\big)}}_{{\text{{{gap}}}}} "
            r"\end{aligned}",
        )


def packed(model) -> BrowserModel:
    """The model packed for the browser with its test codes (components.latent_map.browser_model), once per model."""
    return browser_model(model, codes_of(model), test_sample(session.trained_on(model))[1])


def warm_up():
    """What the first pages of a fresh process read, loaded before its first visitor (webapp/startup.py): MNIST's
    test sample and the shipped models that the Draw, Latent and dimensions pages open with (the 2-D pair, the
    VAE-16D), with their codes and packs, whose weights are offered as files at once (their compressed copies made
    meanwhile). The other models load when a page first asks for them, as they did."""
    labels = load_sample("mnist")[1]
    for kind, latent_dim in (("ae", 2), ("vae", 2), ("vae", 16)):
        model = shipped(kind, latent_dim, "mnist")
        packed_model = browser_model(model, shipped_codes(kind, latent_dim, "mnist"), labels)
        model_files.offer(packed_model.encoder)
        model_files.offer(packed_model.decoder)
    kl_by_dimension(shipped("vae", 16, "mnist"))


def prior_panel(z):
    """The maths of generating: the prior's density at the code z (d,) that the decoder turns into a digit."""
    z = torch.as_tensor(z, dtype=torch.float32)
    half_d = f"{len(z) / 2:g}" if len(z) != 2 else ""
    with st.expander(t("maths.prior_title"), expanded=True, icon=":material/function:"):
        formulas(r"p(z) = \mathcal{N}(z; 0, I), \quad \hat{x} = \mathrm{decoder}(z)",
                 rf"\begin{{aligned}} \log p(z) &= -\tfrac{{1}}{{2}} \lVert z \rVert^2 - {half_d} \log 2\pi \\ "
                 rf"&= {prior_log_density(z):.2f} \end{{aligned}}",
                 rf"\begin{{aligned}} P\big(\lVert z' \rVert < \lVert z \rVert\big) &= "
                 rf"{100 * prior_mass_within(z):.0f}\,\% \\ & \quad \text{{{t('maths.for')} }} z' \sim p(z) "
                 r"\end{aligned}")
        st.caption(t("maths.prior_caption"))


BETAS = (0.5, 1.0, 4.0)  # the KL term's weight in the shipped 2-D MNIST VAEs (1 is the plain VAE)


def shipped_beta(beta: float):
    """The shipped 2-D MNIST VAE trained with this beta, or None when it is not shipped."""
    path = checkpoint_path("vae", 2, "mnist", "" if beta == 1 else f"-beta{beta:g}")
    return load_shipped(path) if path.is_file() else None


@per_process
def shipped_beta_codes(beta: float) -> torch.Tensor:
    return latent_means(shipped_beta(beta))


@per_model
def kl_by_dimension(vae) -> torch.Tensor:
    """Mean KL per image of each latent dimension of a VAE over its data set's test sample, in nats, once per model:
    (d,). Above vaedemo.evaluate.ACTIVE_KL a dimension is one of the active units the Train page counts."""
    return kl_per_dimension(vae, test_sample(session.trained_on(vae))[0])


LIKELIHOOD_SAMPLES = 20  # importance samples per image on the Likelihood page: both data sets' 2,000-image samples in
# 3-4 s a model on one thread (100 samples: 10-20 s), its medians and AUROCs within 2 nats and 0.01 of 100 samples'


@per_model
@torch.inference_mode()
def separation_over_samples(vae) -> Separation:
    """-log p(x) and the excess over the pixels' entropy of a VAE over both data sets' shipped test samples, once
    per model."""
    images = {name: test_sample(name)[0] for name in DATASETS}
    return separation(vae, images, session.trained_on(vae), samples=LIKELIHOOD_SAMPLES)


def likelihoods(latent_dim: int, dataset: str) -> Separation:
    """separation_over_samples of model("vae", latent_dim, dataset)."""
    return separation_over_samples(model("vae", latent_dim, dataset))
