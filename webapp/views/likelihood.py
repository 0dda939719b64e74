import streamlit as st

from vaedemo.datasets import DATASETS
from vaedemo.viz import likelihood_histograms
from webapp import session, sidebar, ui
from webapp.i18n import t

URL = "query-params"  # the model lives in the address bar too: a shared link opens the same view
# It opens on the Fashion-MNIST VAE-16D, where the surprise is: digits more likely than its own clothes.
st.title(t("likelihood.title"))
sidebar.intro(t("likelihood.intro"))

model_column, size_column = st.columns([2, 1], vertical_alignment="bottom")
trained_on = model_column.segmented_control(
    t("likelihood.trained_on"), list(DATASETS), format_func=lambda name: DATASETS[name].title,
    default="fashion", required=True, key="likelihood_dataset", bind=URL,
)
latent_dim = size_column.radio(t("likelihood.latent_size"), [2, 16], index=1, horizontal=True,
                               key="likelihood_latent_dim", bind=URL, format_func=lambda d: f"{d}-D")
vae = ui.model("vae", latent_dim, trained_on)
if session.using_mine("vae", trained_on):
    st.caption(t("likelihood.yours_model", latent_dim=vae.latent_dim, title=DATASETS[trained_on].title))
with st.spinner(t("likelihood.computing")):
    found = ui.likelihoods(latent_dim, trained_on)
titles = {name: DATASETS[name].title for name in (found.own, found.other)}
legends = {name: t("likelihood.legend", title=title, count=len(found.nll[name])) for name, title in titles.items()}
medians = found.medians()


def histogram(score: str, marker: float | None):
    """The histograms of one score (nll or excess) over both data sets, the drawing's value as a line, and the
    figures the chart shows as its text alternative."""
    values = getattr(found, score)
    figure = likelihood_histograms({legends[name]: values[name] for name in titles}, t(f"likelihood.{score}_title"),
                                   t("likelihood.axis"), t("likelihood.count_axis"), marker, t("likelihood.marker"))
    st.plotly_chart(figure, key=f"likelihood_{score}", config={"displayModeBar": False})
    auroc = found.auroc_nll() if score == "nll" else found.auroc_excess()
    st.caption(t(f"likelihood.{score}_caption", own=titles[found.own], other=titles[found.other],
                 own_median=medians[score][found.own], other_median=medians[score][found.other], auroc=auroc))


@st.fragment
def drawing_against_the_histograms():
    """A stroke reruns only this function: the drawing's two figures and the charts' markers."""
    canvas_column, chart_column = st.columns([1, 2.2], gap="large")
    with canvas_column:
        x = ui.drawing_or_last("likelihood_canvas", t("likelihood.from_draw_page"))
        if x is None:
            st.info(t("likelihood.hint"), icon=":material/draw:")
            nll = excess = None
        else:
            nll, excess = ui.drawing_likelihood(vae, x)
            with st.container(key="likelihood_yours"):
                st.markdown(t("likelihood.yours", nll=nll, excess=excess))
    with chart_column:
        histogram("nll", nll)
        histogram("excess", excess)


drawing_against_the_histograms()
st.header(t("likelihood.meaning_heading"))
st.markdown(t("likelihood.meaning", own=titles[found.own], other=titles[found.other],
              own_mean=found.nll[found.own].mean().item(), other_mean=found.nll[found.other].mean().item()))
st.header(t("likelihood.instead_heading"))
st.markdown(t("likelihood.instead", auroc_nll=found.auroc_nll(), auroc_excess=found.auroc_excess(),
              samples=ui.LIKELIHOOD_SAMPLES))
