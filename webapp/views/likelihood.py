import streamlit as st

from vaedemo.datasets import DATASETS
from vaedemo.likelihood import histogram_counts, shared_edges
from webapp import session, sidebar, ui
from webapp.components import answer
from webapp.components.canvas import drawing_canvas, last_drawing
from webapp.components.latent_map import send_models
from webapp.i18n import t

BINS = 40
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


COLOURS = ("#1f77b4", "#d62728")


def histogram(score: str) -> dict:
    """One score's histograms (nll or excess) over both data sets on shared bins, for the browser to draw with the
    drawing's value (components/answer.py, likelihood), and the figures it shows in words: its caption."""
    values = getattr(found, score)
    edges = shared_edges(*values.values(), bins=BINS)
    series = [{"name": legends[name], "colour": colour, "counts": histogram_counts(values[name], edges).tolist()}
              for name, colour in zip(titles, COLOURS)]
    auroc = found.auroc_nll() if score == "nll" else found.auroc_excess()
    title = t(f"likelihood.{score}_title")
    return {"score": score, "title": title, "axis": t("likelihood.axis"), "count_axis": t("likelihood.count_axis"),
            "edges": [round(edge, 3) for edge in edges.tolist()], "series": series,
            "alt": t("likelihood.alt_chart", title=title, series=", ".join(legends[name] for name in titles)),
            "caption": t(f"likelihood.{score}_caption", own=titles[found.own], other=titles[found.other],
                         own_median=medians[score][found.own], other_median=medians[score][found.other], auroc=auroc)}


shown = ui.packed(vae)
canvas_column, chart_column = st.columns([1, 2.2], gap="large")
with canvas_column:  # each stroke's -log p(x) is estimated in the browser: no message to the server
    st.caption(t("draw.your_drawing"))
    drawing_canvas("likelihood_canvas")
with chart_column:
    answer.likelihood("likelihood_answer", shown, vae.latent_dim, ui.LIKELIHOOD_SAMPLES,
                      [histogram("nll"), histogram("excess")], canvas="likelihood_canvas", x=last_drawing(),
                      last=t("likelihood.from_draw_page"))
send_models(shown)
st.header(t("likelihood.meaning_heading"))
st.markdown(t("likelihood.meaning", own=titles[found.own], other=titles[found.other],
              own_mean=found.nll[found.own].mean().item(), other_mean=found.nll[found.other].mean().item()))
st.header(t("likelihood.instead_heading"))
st.markdown(t("likelihood.instead", auroc_nll=found.auroc_nll(), auroc_excess=found.auroc_excess(),
              samples=ui.LIKELIHOOD_SAMPLES))
