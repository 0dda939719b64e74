"""The Train page under AppTest: it renders, keeps its settings under plain keys, follows a real job
through session state (AppTest fires no timers), and rejects bad uploads without losing the model."""
import io
import json
import pickle
import time

import pytest
import torch
from safetensors.torch import save
from streamlit.testing.v1 import AppTest

from conftest import ROOT
from vaedemo import jobs
from vaedemo.checkpoints import checkpoint_bytes
from vaedemo.jobs import Job
from vaedemo.models import ModelConfig, build_model
from vaedemo.train import TrainConfig

SHIPPED = ROOT / "checkpoints" / "vae-2d.safetensors"


def train_page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("views/train.py").run()
    assert not at.exception
    return at


def button(at, label):
    [found] = [b for b in at.button if b.label == label]
    return found


@pytest.fixture(scope="module")
def finished_job():
    job = Job(TrainConfig(epochs=1, hidden=32, train_size=500, batch_size=100)).start()
    deadline = time.monotonic() + 240
    while job.poll().active:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert job.poll().status == "done", job.poll().message
    return job


def test_the_page_renders_with_defaults_that_train_a_2d_vae():
    at = train_page()
    assert at.title[0].value == "Train your own autoencoder"
    assert at.session_state["train_model"] == "vae" and at.session_state["train_latent_dim"] == 2
    assert not button(at, "Start").disabled and button(at, "Stop").disabled
    TrainConfig(**{name: at.session_state[f"train_{name}"] for name in ("lr", "epochs", "batch_size", "train_size")})


def test_settings_live_under_plain_keys():
    at = train_page()
    at.select_slider(key="_train_train_size").set_value(1000).run()
    at.number_input(key="_train_epochs").set_value(1).run()
    assert at.session_state["train_train_size"] == 1000 and at.session_state["train_epochs"] == 1
    at.switch_page("views/latent.py").run()
    at.switch_page("views/train.py").run()
    assert at.select_slider(key="_train_train_size").value == 1000


def test_a_finished_job_shows_its_results_and_becomes_my_model(finished_job):
    at = train_page()
    at.session_state["train_job"] = finished_job
    at.run()
    assert [s.value for s in at.success] == ["Finished: 1 epoch trained."]
    assert not button(at, "Start").disabled and button(at, "Stop").disabled
    assert len(at.get("image")) == 3 and len(at.get("plotly_chart")) == 1  # test digits, their reconstructions, samples from the prior
    curves = json.loads(at.get("plotly_chart")[0].proto.spec)
    titles = [annotation["text"] for annotation in curves["layout"]["annotations"]]
    assert titles == ["Reconstruction (BCE)", "KL divergence", "Active units (of 2)"]
    units = finished_job.poll().epochs[-1]["active_units"]
    assert curves["data"][-1]["y"] == [units]  # the third panel: active units after each epoch
    assert any(f"{units} of 2 latent dimensions active" in caption.value for caption in at.caption)
    button(at, "Use my model on every page").click().run()
    assert not at.exception
    assert at.session_state["my_model"] is finished_job.poll().model
    assert at.session_state["use_mine"] is True


def test_the_kl_warm_up_and_architecture_settings_go_into_the_run():
    at = train_page()
    assert at.session_state["train_kl_warmup"] == 0 and at.session_state["train_arch"] == "mlp"
    with jobs.SLOT:  # another session's training: the run waits, so nothing trains here
        at.number_input(key="_train_kl_warmup").set_value(3).run()
        at.radio(key="_train_arch").set_value("conv").run()
        button(at, "Start").click().run()
        job = at.session_state["train_job"]
        assert (job.config.kl_warmup, job.config.beta, job.config.arch) == (3, 1.0, "conv")
        job.stop()
        job.thread.join(10)


def test_a_queued_job_says_so_and_can_be_stopped():
    at = train_page()
    with jobs.SLOT:  # another session's training
        job = Job(TrainConfig(epochs=1, hidden=32, train_size=500)).start()
        at.session_state["train_job"] = job
        at.run()
        assert "Waiting for another training on this server to end." in [i.value for i in at.info]
        assert button(at, "Start").disabled and not button(at, "Stop").disabled
        button(at, "Stop").click().run()
        job.thread.join(10)
    at.run()
    assert [w.value for w in at.warning] == ["Stopped before it started."]
    assert not button(at, "Start").disabled


def wrong_shapes() -> bytes:
    small = build_model(ModelConfig("vae", 2, 64))
    tensors = {name: t.contiguous() for name, t in small.state_dict().items()}
    return save(tensors, metadata={"kind": "vae", "latent_dim": "2", "hidden": "512"})


def pytorch_pickle() -> bytes:
    buffer = io.BytesIO()
    torch.save(build_model(ModelConfig()).state_dict(), buffer)  # a zip of pickles; written, never read
    return buffer.getvalue()


@pytest.mark.parametrize("name, data, says", [
    ("model.pt", pytorch_pickle(), "looks like a PyTorch .pt/.pth file"),
    ("model.pkl", pickle.dumps({"weights": [1, 2, 3]}), "looks like a Python pickle"),
    ("noise.safetensors", bytes(range(256)) * 40, "is not a .safetensors file"),
    ("empty.safetensors", b"", "is empty (0 bytes)"),
    ("shapes.safetensors", wrong_shapes(), "has shape [64, 784]"),
])
def test_a_bad_upload_shows_an_error_and_keeps_my_model(name, data, says, finished_job):
    at = train_page()
    at.session_state["train_job"] = finished_job
    at.run()
    button(at, "Use my model on every page").click().run()
    mine = at.session_state["my_model"]
    at.file_uploader(key="train_upload").set_value((name, data, "application/octet-stream")).run()
    assert not at.exception
    [error] = at.error
    assert says in error.value and error.value.startswith(name)
    assert error.value.endswith("Your current model is unchanged.")
    assert at.session_state["my_model"] is mine and at.session_state["use_mine"] is True


def test_a_good_upload_becomes_my_model(finished_job):
    at = train_page()
    data = checkpoint_bytes(finished_job.poll().model, epochs="1")
    at.file_uploader(key="train_upload").set_value(("vaedemo-my-model.safetensors", data, "application/octet-stream")).run()
    assert not at.exception and not at.error
    assert at.success[0].value.startswith("Loaded vaedemo-my-model.safetensors: a VAE with latent size 2")
    mine = at.session_state["my_model"]
    assert (mine.kind, mine.latent_dim, mine.config.hidden) == ("vae", 2, 32)
    assert at.session_state["use_mine"] is True
    assert SHIPPED.exists()  # the shipped weights are untouched


def test_the_sidebar_points_to_a_run_that_ended_until_its_model_is_used(finished_job):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["train_job"] = finished_job
    at.run()  # the Draw page
    assert not at.exception
    [link] = at.sidebar.get("page_link")
    assert "Your training run has ended" in link.proto.label and link.proto.page.endswith("train")
    at.switch_page("views/train.py").run()
    button(at, "Use my model on every page").click().run()
    assert not at.exception and at.session_state["use_mine"]
    assert not at.sidebar.get("page_link")
