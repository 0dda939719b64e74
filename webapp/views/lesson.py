import streamlit as st

from webapp import classroom, lesson, session, sidebar
from webapp.components.arrow_keys import arrow_keys
from webapp.components.latent_map import send_models
from webapp.i18n import t

# A projector's one screen at 1920×1080: type a little smaller than lecture mode's elsewhere (still 1.3 times a
# browser's default), each picture of a figure at most 26 % of the screen high, its words and formulas smaller.
LECTURE_LAYOUT = """<style>
html { font-size: 21px; }
[data-testid="stMainBlockContainer"] { padding-top: 3.2rem; padding-bottom: 0.5rem; }
.st-key-lesson-figure [data-testid=stImage] img { max-height: 26vh; object-fit: contain; }
.st-key-lesson-figure [data-testid=stMarkdownContainer] p { font-size: 0.85rem; }
.st-key-lesson-figure [data-testid=stCaptionContainer] p { font-size: 0.75rem; }
.st-key-lesson-figure .katex-display { font-size: 0.7em; }
.st-key-lesson-question [data-testid=stMarkdownContainer] p { font-size: 0.85rem; }
</style>"""

# On a phone too the Previous and Next buttons stay on one row with the progress between them.
LAYOUT = """<style>
@media (max-width: 640px) {
  .st-key-lesson-nav [data-testid="stHorizontalBlock"] { flex-wrap: nowrap; gap: 0.5rem; }
  .st-key-lesson-nav .stColumn { min-width: 0 !important; }
  .st-key-lesson-nav .stColumn:first-child, .st-key-lesson-nav .stColumn:last-child {
    flex: 0 0 auto !important; width: auto !important; }
}
</style>"""

sidebar.mnist_only("lesson")
st.html(LAYOUT)  # our own constant style sheets
step = lesson.current_step()
classroom.lead_class(lesson.PAGE, lesson.view_params(step))  # the lecturer's step is the room's
name, figure = lesson.STEPS[step - 1]
count = len(lesson.STEPS)
if session.lecture_mode():
    st.html(LECTURE_LAYOUT)

st.title(t(f"lesson.{name}.title"), anchor=False)
with st.container(key="lesson-nav"):
    back, progress, forward = st.columns([1, 4, 1], vertical_alignment="center")
    back.button(t("lesson.previous"), icon=":material/arrow_back:", on_click=lesson.move, args=(-1,),
                disabled=step == 1, width="stretch", help=t("lesson.keys_help"))
    progress.progress(step / count, text=t("lesson.progress", step=step, count=count))
    forward.button(t("lesson.next"), icon=":material/arrow_forward:", on_click=lesson.move, args=(1,),
                   disabled=step == count, width="stretch", type="primary", help=t("lesson.keys_help"))
arrow_keys("lesson_keys", lesson.move)

text_column, figure_column = st.columns([1, 2.4], gap="large")
with text_column:
    st.markdown(t(f"lesson.{name}.text"))
    st.info(t(f"lesson.{name}.try"), icon=":material/lightbulb:")
    lesson.question(step, name)
with figure_column, st.container(key="lesson-figure"):
    shown = figure()
if shown:
    send_models(*shown)
