import streamlit as st

import sidebar
import ui
from components.latent_map import latent_map
from vaedemo.checkpoints import load_checkpoint_bytes
from vaedemo.datasets import DATASETS, dataset_info
from vaedemo.evaluate import ACTIVE_KL
from vaedemo.jobs import Job
from vaedemo.train import TrainConfig
from vaedemo.viz import map_bounds, training_curves

DOWNLOAD_NAME = "vaedemo-my-model.safetensors"
# A 2-D VAE that draws recognisable digits in about 30 s on two CPU cores.
DEFAULTS = {"model": "vae", "dataset": sidebar.current_dataset(),  # the data set the sidebar shows
            "latent_dim": 2, "hidden": 512, "beta": 1.0, "lr": 3e-3, "epochs": 5,
            "batch_size": 128, "train_size": 15_000, "noise": 0.0, "kl_warmup": 0, "arch": "mlp"}

st.title("Train your own autoencoder")
st.markdown(
    "Pick a model and its settings, press **Start** and watch it learn: the curves show how well it rebuilds "
    "digits (reconstruction) and how tightly the VAE packs its codes (KL), the map where its codes of the test "
    "digits lie, the pictures how its digits look after each epoch. The run goes on while you visit the other pages; when it ends, switch them over to "
    "**your** model, download it, or upload one you trained before. Try a learning rate of 1 or 10 to see a run blow up."
)

job = st.session_state.get("train_job")
running = job is not None and job.poll().active


def remember(name: str):
    st.session_state[f"train_{name}"] = st.session_state[f"_train_{name}"]


def setting(widget, name: str, label: str, **options):
    """A widget whose value lives under the plain key train_<name>: a polling fragment can drop widget
    state across page switches (streamlit #10805), a plain key survives."""
    st.session_state.setdefault(f"train_{name}", DEFAULTS[name])
    st.session_state[f"_train_{name}"] = st.session_state[f"train_{name}"]
    return widget(label, key=f"_train_{name}", on_change=remember, args=(name,), disabled=running, **options)


columns = st.columns(4)
with columns[0]:
    setting(st.radio, "dataset", "Data set", options=list(DATASETS), horizontal=True,
            format_func=lambda name: DATASETS[name].title)
    setting(st.radio, "model", "Model", options=["vae", "ae"], horizontal=True,
            format_func={"vae": "VAE", "ae": "Autoencoder"}.get)
    setting(st.number_input, "epochs", "Epochs", min_value=1, max_value=100, step=1)
with columns[1]:
    setting(st.select_slider, "latent_dim", "Latent size", options=[1, 2, 3, 4, 8, 16, 32])
    setting(st.select_slider, "hidden", "Hidden units", options=[64, 128, 256, 512, 1024])
    setting(st.radio, "arch", "Architecture", options=["mlp", "conv"], horizontal=True,
            format_func={"mlp": "MLP", "conv": "Convolutional"}.get,
            help="Convolutional: two stride-2 convolutions (32 and 64 channels) before the hidden layer, mirrored in "
                 "the decoder. They see pixels where they are, not as a list; about 7x slower to train on a CPU.")
with columns[2]:
    setting(st.select_slider, "lr", "Learning rate", options=[1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 1.0, 10.0],
            format_func=lambda lr: f"{lr:g}")
    setting(st.select_slider, "batch_size", "Batch size", options=[32, 64, 128, 256, 512])
with columns[3]:
    setting(st.select_slider, "train_size", "Training images", options=[1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000],
            format_func=lambda n: f"{n:,}")
    setting(st.number_input, "beta", "β, the weight of the KL term (VAE)", min_value=0.0, max_value=10.0, step=0.1)
    setting(st.number_input, "kl_warmup", "KL warm-up: epochs for β to rise from 0 (VAE)", min_value=0, max_value=100,
            step=1, help="β grows linearly from 0 to its value over this many epochs, so the decoder learns to use the "
                         "code before the KL term pulls it onto the prior: fewer latent dimensions collapse.")
    setting(st.select_slider, "noise", "Denoising: noise level", options=[0.0, 0.1, 0.2, 0.3, 0.5, 0.7],
            format_func=lambda noise: "off" if noise == 0 else f"{noise:g}",
            help="Train on digits with Gaussian noise of this std added, against the clean digits as targets: "
                 "a denoising autoencoder. Compare it with the shipped models on the Repair page.")


def start():
    config = TrainConfig(**{name: st.session_state[f"train_{name}"] for name in DEFAULTS})
    st.session_state["train_job"] = Job(config).start()


def stop():
    st.session_state["train_job"].stop()


start_column, stop_column = st.columns([1, 8])
start_column.button("Start", type="primary", on_click=start, disabled=running)
stop_column.button("Stop", on_click=stop, disabled=not running)


def show(progress):
    epochs_done = len(progress.epochs)
    if progress.status == "training":
        images_per_s = progress.steps[-1]["images_per_s"] if progress.steps else 0
        warming = (f", KL warm-up: β = {progress.steps[-1]['beta']:.2f}"
                   if job.config.kl_warmup and job.config.model == "vae" and progress.steps else "")
        st.progress(progress.fraction, text=f"{progress.message} Epoch {min(epochs_done + 1, job.config.epochs)} of "
                                            f"{job.config.epochs}, {images_per_s:,.0f} images/s{warming}")
    elif progress.active:
        st.info(progress.message)
    elif progress.status in ("done", "stopped"):
        (st.success if progress.status == "done" else st.warning)(progress.message)
    else:
        st.error(progress.message)
    if progress.steps:
        steps_per_epoch = progress.total_steps / job.config.epochs
        latent_dim = job.config.latent_dim if job.config.model == "vae" else None
        st.plotly_chart(training_curves(progress.steps, progress.epochs, steps_per_epoch, latent_dim), key="train_curves")
    if progress.epochs:
        last = progress.epochs[-1]
        units, collapsed = "", job.config.latent_dim - last.get("active_units", job.config.latent_dim)
        if "active_units" in last:
            units = (f", {last['active_units']} of {job.config.latent_dim} latent dimensions active (mean KL per image "
                     f"above {ACTIVE_KL:g} nats{f'; {collapsed} collapsed onto the prior' if collapsed else ''})")
        st.caption(f"After epoch {last['epoch']}: test loss {last['test_loss']:.1f} nats per image "
                   f"(reconstruction {last['test_recon']:.1f} + β × KL {last['test_kl']:.1f}){units}, "
                   f"{last['images_per_s']:,.0f} training images/s")
    if progress.maps:
        codes_map(progress)
    for caption, picture in progress.pictures.items():
        st.image(picture, caption=caption)
    if progress.model is not None:
        use_column, download_column = st.columns([1, 3])
        if use_column.button("Use my model on every page", type="primary"):
            ui.set_my_model(progress.model)
            st.session_state["use_mine"] = True
            st.rerun(scope="app")  # so the sidebar shows the switch
        download_column.download_button("Download it (.safetensors)", data=progress.checkpoint, file_name=DOWNLOAD_NAME,
                                        mime="application/octet-stream", on_click="ignore")


def codes_map(progress):
    """The map of the test codes after the latest epoch; once the run has ended, after each epoch, to replay."""
    config, data = job.config, dataset_info(job.config.dataset)
    frames = progress.maps if not progress.active else progress.maps[-1:]
    count, (epoch, _) = len(progress.map_labels), progress.maps[-1]
    title = f"Codes of {count:,} test {data.noun}s " + ("after each epoch: move the slider to replay the run"
                                                        if len(frames) > 1 else f"after epoch {epoch} of {config.epochs}")
    names = {1: ("z", ""), 2: ("z₁", "z₂")}.get(config.latent_dim, ("principal component 1", "principal component 2"))
    map_column, note_column = st.columns([3, 2])
    with map_column:
        latent_map("train_map", None, title, data.classes, frames=[(f"epoch {e}", points) for e, points in frames],
                   labels=progress.map_labels, bounds=map_bounds(*(points for _, points in progress.maps)),
                   names=names, text=20 if sidebar.lecture_mode() else 12)  # one scale for all the epochs
    code = "posterior mean" if config.model == "vae" else "code"
    note = (f"Each dot is the {code} of one test {data.noun}, coloured by its class. Watch the classes pull apart into "
            "clusters as the encoder learns what tells them apart. ")
    if config.model == "vae" and config.beta > 0:
        note += ("The KL term pulls the codes onto the prior N(0, I), a round cloud about the origin two or three "
                 "units across each way: the clusters press together with few gaps between them, so the decoder can "
                 "draw from anywhere in it. Try β = 4 to see it pull harder. ")
    else:
        whose = "an autoencoder's codes" if config.model == "ae" else "the codes (β = 0: no KL term)"
        note += (f"Nothing pulls {whose} together: they spread as far as helps the reconstruction, and the gaps "
                 "between the clusters are places the decoder has never learnt. ")
    if config.latent_dim > 2:
        note += (f"The codes have {config.latent_dim} numbers: the map shows their first two principal components "
                 "after each epoch. ")
    if progress.active:
        note += "When the run ends, a slider replays the map of each epoch in turn."
    elif len(frames) > 1:
        note += "The slider replays the run one epoch at a time, all on one scale."
    note_column.markdown(note)


@st.fragment(run_every=1.0 if running else None)
def live_view():
    progress = job.poll()
    show(progress)
    if running and not progress.active:
        st.rerun(scope="app")  # once: the buttons and the results below follow the finished job


# Everything that follows the job lives in the fragment: a full rerun can be cut short by a poll that
# was already on its way, the fragment's own output never is.
if job is not None:
    live_view()


def load_upload():
    upload = st.session_state["train_upload"]
    if upload is None:
        return
    try:
        model = load_checkpoint_bytes(upload.getvalue(), upload.name)
    except ValueError as error:
        st.session_state["train_upload_message"] = ("error", f"{error}. Your current model is unchanged.")
        return
    ui.set_my_model(model)
    st.session_state["use_mine"] = True
    st.session_state["train_upload_message"] = (
        "success", f"Loaded {upload.name}: a {model.kind.upper()} with latent size {model.latent_dim}; every page uses it now.")


st.subheader("Load a model you trained before")
st.file_uploader(f"A .safetensors file downloaded from this page, at most {st.get_option('server.maxUploadSize')} MB",
                 key="train_upload", on_change=load_upload)
if "train_upload_message" in st.session_state:
    kind, text = st.session_state["train_upload_message"]
    (st.error if kind == "error" else st.success)(text)
