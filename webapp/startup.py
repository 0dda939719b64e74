"""What a fresh process makes before its first visitor, beside serving (app.py's st.App lifespan), so that a Space
waking up or `make run` just before a lecture serves its first page as fast as its hundredth: the first pages' models,
their test codes and their packs for the browser (ui.warm_up), then any lighter copy of Streamlit's files that the
environment's build did not make (compression.STORE, one thread: the other core serves)."""
import contextlib
import threading


def prepare():
    from hall import compression
    from webapp import ui  # torch, the models and the pages' glue: imported here, off the event loop

    ui.warm_up()
    compression.STORE.prepare(workers=1)


@contextlib.asynccontextmanager
async def lifespan(_app):
    threading.Thread(target=prepare, name="vaedemo-startup", daemon=True).start()
    yield
