"""The web app's room: everything Streamlit. app.py (at the repository's root, so `streamlit run app.py` works) runs
the pages in views/ with the sidebar; session.py owns the session's state; ui.py loads the shipped models; components/
holds our own components and i18n/ the texts. The maths lives beside this folder, in vaedemo/, which knows nothing of
Streamlit."""
import functools
import threading


def per_process(compute):
    """compute(*arguments) once per process for each (hashable) arguments, kept for its life: a first call computes,
    a call meanwhile waits for it (a hall's first strokes on a cold server load each model once). What
    st.cache_resource does, without hashing the arguments again on every call: that cost 0.2 ms a call, several
    times a stroke."""
    kept, lock = {}, threading.Lock()

    @functools.wraps(compute)
    def once(*arguments):
        if arguments not in kept:
            with lock:
                if arguments not in kept:
                    kept[arguments] = compute(*arguments)
        return kept[arguments]

    return once
