import streamlit as st

from vaedemo.latent import LIMIT, manifold_grid, manifold_picture
from webapp import figures, sidebar, ui
from webapp.components import answer
from webapp.components.canvas import drawing_canvas
from webapp.components.latent_map import send_models
from webapp.i18n import t

st.title(t("every_digit.title"))
sidebar.intro(t("every_digit.intro"))
sidebar.mnist_only("every_digit")


cvae = figures.every_digit_cvae()
shown = ui.packed(cvae)


def take_my_style():
    """The drawing's style (the browser sends it with the button's press) to the sliders below."""
    z1, z2 = st.session_state["every_digit_answer"].style
    st.session_state.update(every_digit_z1=round(z1, 2), every_digit_z2=round(z2, 2))


left, right = st.columns([1, 2], gap="large")
with left:  # each stroke is read and restyled in the browser: no message to the server
    st.caption(t("draw.your_drawing"))
    drawing_canvas("every_digit_canvas")
with right:
    answer.every_digit("every_digit_answer", shown, cvae.latent_dim, canvas="every_digit_canvas",
                       on_style=take_my_style)
send_models(shown)

st.header(t("every_digit.space_heading"))
st.markdown(t("every_digit.space_intro"))


controls, row_column = st.columns([1, 3], gap="large")
with controls:
    z1 = st.slider("z1", -LIMIT, LIMIT, 0.0, step=0.05, key="every_digit_z1", bind="query-params")
    z2 = st.slider("z2", -LIMIT, LIMIT, 0.0, step=0.05, key="every_digit_z2", bind="query-params")
figures.style_as_every_digit(cvae, z1, z2, row_column)
map_column, note_column = st.columns([3, 2], gap="large")
with map_column:
    label = st.segmented_control(t("every_digit.style_map"), list(range(10)), default=7, required=True,
                                 key="every_digit_label", bind="query-params")
    map_caption = t("every_digit.map_caption", label=label)
    st.image(manifold_picture(manifold_grid(cvae, label=label), (z1, z2)), width="stretch", caption=map_caption,
             alt=map_caption)
note_column.caption(t("every_digit.note"))
