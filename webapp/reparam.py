"""The reparameterisation trick you can poke (Kingma & Welling, 2014, section 2.4): a VAE's path from a drawing to
its reconstruction as a small graph with this drawing's live values. The encoder gives mu and log sigma^2, sigma =
exp(log sigma^2 / 2), eps ~ N(0, I) is sampled, z = mu + sigma * eps, and the decoder turns z into x_hat. eps is the
session's own (webapp.session.epsilon_seed): it stays while the drawing changes, so that a student sees mu and sigma
alone move z, and the Resample button draws a new one, rerunning this part alone (a fragment), not the page.

The graph is Graphviz's, through st.graphviz_chart: a DOT string laid out and drawn in the browser by d3-graphviz and
Graphviz's WebAssembly build, both inside Streamlit's own bundle (one 0.8 MB script the browser fetches from our
server once and caches: no network beyond it). Drawn top to bottom, two boxes wide, it keeps a readable size on a
phone and on a projector (lecture mode writes it larger). A screen reader gets the chart's name (alt) and the text
under it, which carries the same values."""
import streamlit as st
import torch

from vaedemo.losses import ElboTerms, elbo_terms, posterior_noise
from vaedemo.viz import png_data_uri, to_uint8
from webapp import session
from webapp.i18n import t

SHOWN = 3  # entries of a longer code shown in the graph; the text under it gives as many
INK, LINE, FILL, NOISE_FILL, NOISE_LINE = "#0e1117", "#6d28d9", "#f5f3ff", "#fef3c7", "#92400e"


def path(vae, x: torch.Tensor) -> ElboTerms:
    """The VAE's path for the drawing x (1, 1, 28, 28) with this session's eps: mu, log sigma^2, sigma, eps, z and
    the decoder's x_hat of z, and that sample's ELBO terms (vaedemo.losses.elbo_terms, the trainer's own loss)."""
    return elbo_terms(vae, x, posterior_noise(vae.latent_dim, session.epsilon_seed()))


@st.fragment
def show(vae, x: torch.Tensor, *, lecture: bool = False, then=None, name: str | None = None):
    """The graph of the VAE's path for the drawing x (1, 1, 28, 28) in [0, 1], the decoded picture of z, the Resample
    button and the values in words. then(terms), where given, draws what else the sample moves (the Draw page: z on
    its map and the ELBO panel); Resample reruns this function alone, then included. name: what x is when it is not
    the reader's drawing (the lesson's "a test 7"); then the texts speak of it, not of a drawing and a map."""
    terms = path(vae, x)
    title = t("reparam.title") if name is None else t("reparam.title_of", name=name)
    with st.expander(title, expanded=True, icon=":material/shuffle:"):
        graph_column, picture_column = st.columns([3, 1], vertical_alignment="center")
        graph_column.graphviz_chart(dot(terms, lecture, name or t("reparam.your_drawing")),
                                    alt=t("reparam.alt_graph"), width="content")
        with picture_column, st.container(key="reparam_picture"):  # sent at 28x28: screens.css keeps it crisp
            st.image(png_data_uri(to_uint8(terms.x_hat[None])[0]), caption=t("reparam.x_hat"),
                     alt=t("reparam.alt_x_hat", z=vector(terms.z, 2, SHOWN)), width=280 if lecture else 168)
            st.button(t("reparam.resample"), key="reparam_resample", on_click=session.resample_epsilon,
                      icon=":material/casino:", help=t("reparam.resample_help"))
        st.caption(words(terms, t("reparam.explain") if name is None else t("reparam.explain_resample")))
    if then is not None:
        then(terms)
    return terms


def number(value: float, digits: int) -> str:
    return f"{value:.{digits}f}".replace("-", "\N{MINUS SIGN}")


def vector(v: torch.Tensor, digits: int, shown: int | None = None) -> str:
    """(v1, v2, ...) with the given decimals; only the first shown entries, then an ellipsis, when shown is given."""
    entries = [number(value, digits) for value in v[:shown].tolist()]
    return "(" + ", ".join(entries + (["…"] if shown is not None and len(v) > shown else [])) + ")"


def dot(terms: ElboTerms, lecture: bool, x_name: str) -> str:
    """The graph in Graphviz's DOT language: a box per value, each with its (first) numbers to two decimals (sigma
    three); eps, the one random input, in its own colour; the encoder and the decoder on the arrows."""
    size = 22 if lecture else 13

    def box(name: str, title: str, v: torch.Tensor, digits: int = 2, extra: str = "") -> str:
        numbers = vector(v, digits, SHOWN)
        return f'{name} [label="{title}\\n{numbers}"{extra}];'

    return "\n".join([
        "digraph {",
        'rankdir=TB; bgcolor="transparent"; nodesep=0.25; ranksep=0.3;',
        f'node [shape=box, style="rounded,filled", fillcolor="{FILL}", color="{LINE}", fontcolor="{INK}", '
        f'fontname="sans-serif", fontsize={size}, margin="0.12,0.05"];',
        f'edge [color="{INK}", fontcolor="{INK}", fontname="sans-serif", fontsize={size - 1}];',
        f'x [label="x\\n{x_name}"];',
        box("mu", "μ", terms.mu),
        box("logvar", "log σ²", terms.logvar),
        box("sigma", "σ = exp(½ log σ²)", terms.sigma, 3),
        box("eps", "ε ~ N(0, I)", terms.eps, extra=f', fillcolor="{NOISE_FILL}", color="{NOISE_LINE}"'),
        box("z", "z = μ + σ ⊙ ε", terms.z, extra=", penwidth=2.5"),
        f'x_hat [label="x̂\\n{t("reparam.decoded_z")}"];',
        f'x -> mu [label=" {t("reparam.encoder")}"]; x -> logvar [label=" {t("reparam.encoder")}"];',
        "logvar -> sigma; mu -> z; sigma -> z; eps -> z;",
        f'z -> x_hat [label=" {t("reparam.decoder")}"];',
        "{rank=same; mu; logvar} {rank=same; sigma; eps}",
        "}",
    ])


def words(terms: ElboTerms, explain: str) -> str:
    """The graph's values in words, to four decimals (the text alternative of the graph)."""
    d = len(terms.mu)
    shown = None if d <= SHOWN else SHOWN
    line = t("reparam.values", mu=vector(terms.mu, 4, shown), logvar=vector(terms.logvar, 4, shown),
             sigma=vector(terms.sigma, 4, shown), eps=vector(terms.eps, 4, shown), z=vector(terms.z, 4, shown),
             seed=session.epsilon_seed())
    note = [t("reparam.first_entries", shown=SHOWN, d=d)] if shown else []
    return " ".join([line, *note, explain])
