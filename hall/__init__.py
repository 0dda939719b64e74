"""The hall's service: what a lecture hall shares across processes and speaks over HTTP, with no Streamlit in it.
The rooms (rooms.py, one store a module: sqlite_rooms.py, redis_rooms.py) and the room API (room_api.py), the
training line (line.py, its file training_file.py, its trainer processes trainer.py, what a run reports report.py),
the keeper of students' models (keeper.py), the models' files (model_files.py), and Streamlit's static files made
lighter (compression.py, fonts.py), all on Starlette. It uses the library (vaedemo) and is used by the Streamlit app
(webapp), never the other way (.importlinter, checked by make lint)."""
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


@per_process
def load_shipped(path):
    """The checkpoint at path (a shipped model: vaedemo.datasets.checkpoint_path), loaded once per process: the pages
    and the room API share it. Torch loads with the first model, not with this package, and then answers on one
    thread: a model's answer to one drawing is tiny, a second thread spins idle after each (a lone post to the room
    API cost the server 20 ms of CPU instead of 4), and the other core is a training child process's."""
    import torch

    from vaedemo import load_checkpoint

    torch.set_num_threads(1)
    return load_checkpoint(path)
