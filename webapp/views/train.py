import streamlit as st

from hall.line import QUEUE, Job
from vaedemo.checkpoints import load_checkpoint_bytes
from vaedemo.datasets import DATASETS
from vaedemo.evaluate import ACTIVE_KL
from vaedemo.texts import CURVE_LABELS
from vaedemo.train import CLASS_RUN, TrainConfig
from vaedemo.viz import map_bounds, training_curves
from webapp import classroom, keeping, session, sidebar, ui  # noqa: F401  ui: one torch thread, the heavy imports frozen (see ui.py)
from webapp.components.latent_map import latent_map
from webapp.i18n import t

DOWNLOAD_NAME = "vaedemo-my-model.safetensors"
# A class run (vaedemo.train.CLASS_RUN) on the data set the sidebar shows; the settings are there for a longer run.
DEFAULTS = {**CLASS_RUN, "dataset": session.current_dataset(), "beta": 1.0, "noise": 0.0, "kl_warmup": 0, "arch": "mlp"}

st.title(t("train.title"))
st.markdown(t("train.intro"))
if varied := classroom.experiment():
    st.info(t("train.class_varies", setting=t(f"train.setting.{varied}")), icon=":material/groups:")

QUEUE.warm(st.session_state.get("train_dataset", DEFAULTS["dataset"]))  # a trainer up before anyone presses Start
job = session.training_job()
progress_now = job.poll() if job is not None else None
running = progress_now is not None and progress_now.active
every = sidebar.poll_s(progress_now) if running else None  # how often the run's view below asks after it


def remember(name: str):
    st.session_state[f"train_{name}"] = st.session_state[f"_train_{name}"]


def setting(widget, name: str, **options):
    """A widget whose value lives under the plain key train_<name>: a polling fragment can drop widget
    state across page switches (streamlit #10805), a plain key survives. Its label is the text train.setting.<name>,
    its help (where help=True) train.help.<name>."""
    st.session_state.setdefault(f"train_{name}", DEFAULTS[name])
    if st.session_state.get(f"_train_{name}") != st.session_state[f"train_{name}"]:
        # only where dropped: a widget set by the server takes that value in the browser, so set on every run it could
        # undo a setting made while the page was still answering the one before
        st.session_state[f"_train_{name}"] = st.session_state[f"train_{name}"]
    if options.get("help"):
        options["help"] = t(f"train.help.{name}")
    return widget(t(f"train.setting.{name}"), key=f"_train_{name}", on_change=remember, args=(name,), disabled=running,
                  **options)


columns = st.columns(4)
with columns[0]:
    setting(st.radio, "dataset", options=list(DATASETS), horizontal=True, format_func=lambda name: DATASETS[name].title)
    setting(st.radio, "kind", options=["vae", "ae"], horizontal=True,
            format_func=lambda kind: t(f"train.kind.{kind}"))
    setting(st.number_input, "epochs", min_value=1, max_value=100, step=1)
with columns[1]:
    setting(st.select_slider, "latent_dim", options=[1, 2, 3, 4, 8, 16, 32])
    setting(st.select_slider, "hidden", options=[64, 128, 256, 512, 1024])
    setting(
        st.radio,
        "arch",
        options=["mlp", "conv"],
        horizontal=True,
        format_func=lambda arch: t(f"train.arch.{arch}"),
        help=True,
    )
with columns[2]:
    setting(st.select_slider, "lr", options=[1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 1.0, 10.0],
            format_func=lambda lr: f"{lr:g}")
    setting(st.select_slider, "batch_size", options=[32, 64, 128, 256, 512])
with columns[3]:
    setting(st.select_slider, "train_size", options=[1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000],
            format_func=lambda n: f"{n:,}")
    setting(st.number_input, "beta", min_value=0.0, max_value=10.0, step=0.1)
    setting(st.number_input, "kl_warmup", min_value=0, max_value=100, step=1, help=True)
    setting(st.select_slider, "noise", options=[0.0, 0.1, 0.2, 0.3, 0.5, 0.7],
            format_func=lambda noise: t("train.noise_off") if noise == 0 else f"{noise:g}", help=True)


def start():
    """The run of the settings as the browser sent them with the click: a setting changed in the same rerun has its
    widget's value already, its plain key only once its on_change has run, which may come after this one."""
    config = TrainConfig(**{name: st.session_state.get(f"_train_{name}", st.session_state[f"train_{name}"])
                            for name in DEFAULTS})
    session.set_training_job(Job(config).start())


def stop():
    session.training_job().stop()


start_column, stop_column = st.columns([1, 8])
start_column.button(t("train.start"), type="primary", on_click=start, disabled=running)
stop_column.button(t("train.stop"), on_click=stop, disabled=not running)


def show(job, progress):
    """The run as it goes and once it has ended: status, curves, figures, map, pictures, and its model."""
    status(job, progress)
    if progress.steps:
        curves(job.config, progress)
    if progress.epochs:
        epoch_caption(job.config, progress.epochs[-1])
    if progress.maps:
        codes_map(job.config, progress)
    noun = sidebar.dataset(job.config.dataset).noun
    for name, picture in progress.pictures.items():
        caption = t(f"train.pictures.{name}", noun=noun)
        st.image(picture, caption=caption, alt=caption)
    if progress.model is not None:
        model_buttons(progress)


def status(job, progress):
    """A progress bar while it trains, else its message, coloured by how the run went."""
    message = sidebar.job_message(progress)
    if progress.status == "training":
        config = job.config
        images_per_s = progress.steps[-1]["images_per_s"] if progress.steps else 0
        warming = (t("train.warming", beta=progress.steps[-1]["beta"])
                   if config.kl_warmup and config.kind == "vae" and progress.steps else "")
        epoch = min(len(progress.epochs) + 1, config.epochs)
        st.progress(progress.fraction, text=t("train.progress", message=message, epoch=epoch, epochs=config.epochs,
                                              speed=images_per_s, warming=warming))
    elif progress.active:
        st.info(message)
    elif progress.status in ("done", "stopped"):
        (st.success if progress.status == "done" else st.warning)(message)
    else:
        st.error(message)


def curves(config, progress):
    steps_per_epoch = progress.total_steps / config.epochs
    latent_dim = config.latent_dim if config.kind == "vae" else None
    labels = {name: t(f"curves.{name}") for name in CURVE_LABELS}
    figures = training_curves(progress.steps, progress.epochs, steps_per_epoch, latent_dim, labels)
    for n, (column, figure) in enumerate(zip(st.columns(len(figures)), figures)):  # on a phone, one under the other
        column.plotly_chart(figure, key=f"train_curves_{n}")


def epoch_caption(config, last: dict):
    """The latest epoch's test figures, with a VAE's active units."""
    units, collapsed = "", config.latent_dim - last.get("active_units", config.latent_dim)
    if "active_units" in last:
        units = t("train.units_collapsed" if collapsed else "train.units", active=last["active_units"],
                  latent_dim=config.latent_dim, kl=f"{ACTIVE_KL:g}", collapsed=collapsed)
    st.caption(t("train.after_epoch", epoch=last["epoch"], loss=last["test_loss"], images=last["test_images"],
                 recon=last["test_recon"], kl=last["test_kl"], units=units, speed=last["images_per_s"]))


def model_buttons(progress):
    """Use the finished model on every page, or download it."""
    use_column, download_column = st.columns([1, 3])
    if use_column.button(t("train.use_mine"), type="primary"):
        keeping.adopt_and_keep(progress.model, progress.checkpoint)
        st.rerun(scope="app")  # so the sidebar shows the switch
    download_column.download_button(t("train.download"), data=progress.checkpoint, file_name=DOWNLOAD_NAME,
                                    mime="application/octet-stream", on_click="ignore")


def codes_map(config, progress):
    """The map of the test codes after the latest epoch; once the run has ended, after each epoch, to replay."""
    data = sidebar.dataset(config.dataset)
    frames = progress.maps if not progress.active else progress.maps[-1:]
    count, (epoch, _) = len(progress.map_labels), progress.maps[-1]
    title = (t("train.map_replay", count=count, noun=data.noun) if len(frames) > 1
             else t("train.map_epoch", count=count, noun=data.noun, epoch=epoch, epochs=config.epochs))
    names = {1: ("z", ""), 2: ("z₁", "z₂")}.get(config.latent_dim, (t("map.pc", n=1), t("map.pc", n=2)))
    map_column, note_column = st.columns([3, 2])
    with map_column:
        latent_map(
            "train_map",
            None,
            title,
            data.classes,
            frames=[(t("train.frame", epoch=e), points) for e, points in frames],
            labels=progress.map_labels,
            bounds=map_bounds(*(points for _, points in progress.maps)),
            names=names,
            text=20 if session.lecture_mode() else 12,
        )  # one scale for all the epochs
    notes = [t("train.note_dots", code=t(f"train.code.{config.kind}"), noun=data.noun)]
    if config.kind == "vae" and config.beta > 0:
        notes.append(t("train.note_kl"))
    else:
        notes.append(t("train.note_nothing", whose=t("train.whose_ae" if config.kind == "ae" else "train.whose_beta0")))
    if config.latent_dim > 2:
        notes.append(t("train.note_pca", latent_dim=config.latent_dim))
    if progress.active:
        notes.append(t("train.note_replay_later"))
    elif len(frames) > 1:
        notes.append(t("train.note_replay"))
    note_column.markdown(t("train.note_join").join(notes))


@st.fragment(run_every=every)
def live_view(job):
    progress = job.poll()
    show(job, progress)
    classroom.post_run(job, progress)  # a class experiment's point, once the run is done
    if running and (not progress.active or sidebar.poll_s(progress) != every):
        st.rerun(scope="app")  # the buttons and the results below follow the ended run; the view asks at its new pace


# Everything that follows the job lives in the fragment: a full rerun can be cut short by a poll that
# was already on its way, the fragment's own output never is.
if job is not None:
    live_view(job)


def load_upload():
    upload = st.session_state["train_upload"]
    if upload is None:
        return
    try:
        model = load_checkpoint_bytes(upload.getvalue(), upload.name)
    except ValueError as error:
        st.session_state["train_upload_message"] = ("error", "train.upload_refused", {"error": str(error)})
        return
    keeping.adopt_and_keep(model, upload.getvalue())
    st.session_state["train_upload_message"] = ("success", "train.upload_loaded", {
        "name": upload.name, "kind": model.kind.upper(), "latent_dim": model.latent_dim})


st.header(t("train.upload_heading"))
st.file_uploader(t("train.upload", megabytes=st.get_option("server.maxUploadSize")), key="train_upload",
                 on_change=load_upload)
if "train_upload_message" in st.session_state:  # kept by its key, so that it follows a change of language
    kind, key, values = st.session_state["train_upload_message"]
    (st.error if kind == "error" else st.success)(t(key, **values))
