"""The Train page under AppTest: it renders, keeps its settings under plain keys, follows a real job
through session state (AppTest fires no timers), and rejects bad uploads without losing the model."""
import io
import json
import pickle
from dataclasses import replace

import numpy as np
import pytest
import torch
from safetensors.torch import save
from streamlit.testing.v1 import AppTest

import hall.line
from hall.line import Job, Progress, TrainingQueue
from tests.harness.apptest import Moment, button, train_page
from tests.harness.latent_maps import maps
from tests.harness.server import ROOT
from tests.harness.training import trained
from vaedemo.checkpoints import checkpoint_bytes
from vaedemo.models import ModelConfig, build_model
from vaedemo.train import TrainConfig
from webapp import sidebar

SHIPPED = ROOT / "checkpoints" / "vae-2d.safetensors"


@pytest.fixture(scope="module")
def finished_job():
    return trained(epochs=1, train_size=500)


@pytest.fixture(scope="module")
def three_epochs():
    return trained(epochs=3, train_size=300)


def test_while_a_run_trains_the_map_shows_the_test_codes_after_its_latest_epoch(three_epochs):
    progress = three_epochs.poll()
    at = train_page()
    at.session_state["train_job"] = Moment(three_epochs, status="training", epochs=progress.epochs[:2],
                                           maps=progress.maps[:2])
    at.run()
    assert not at.exception
    [codes] = maps(at)
    assert codes["title"] == "Codes of 2,000 test digits after epoch 2 of 3" and codes["model"] is None
    assert [frame["caption"] for frame in codes["frames"]] == ["epoch 2"]
    assert codes["names"] == ["z₁", "z₂"] and codes["classes"] == list("0123456789")
    notes = " ".join(m.value for m in at.markdown)
    assert "pulls the codes onto the prior" in notes and "When the run ends, a slider replays" in notes


def test_after_a_run_the_map_replays_one_frame_per_epoch_on_one_scale(three_epochs):
    progress = three_epochs.poll()
    at = train_page()
    at.session_state["train_job"] = three_epochs
    at.run()
    assert not at.exception
    [codes] = maps(at)
    assert codes["title"].endswith("after each epoch: move the slider to replay the run")
    assert [frame["caption"] for frame in codes["frames"]] == ["epoch 1", "epoch 2", "epoch 3"]
    assert codes["labels"] == progress.map_labels.tolist()
    x0, x1, y0, y1 = codes["bounds"]
    for frame, (_, points) in zip(codes["frames"], progress.maps):
        shown = np.reshape(frame["points"], (-1, 2))
        assert np.allclose(shown, points, atol=1e-3)
        assert (x0 <= shown[:, 0]).all() and (shown[:, 0] <= x1).all()
        assert (y0 <= shown[:, 1]).all() and (shown[:, 1] <= y1).all()
    assert not np.allclose(codes["frames"][0]["points"], codes["frames"][2]["points"])  # the codes moved as it learnt


def test_the_map_of_wider_codes_names_its_principal_components(three_epochs):
    at = train_page()
    at.session_state["train_job"] = Moment(three_epochs, status="training")
    at.session_state["train_job"].config = replace(three_epochs.config, latent_dim=16, kind="ae")
    at.run()
    assert not at.exception
    [codes] = maps(at)
    assert codes["names"] == ["principal component 1", "principal component 2"]
    notes = " ".join(m.value for m in at.markdown)
    assert "first two principal components" in notes and "Nothing pulls an autoencoder's codes together" in notes


def test_the_page_renders_with_defaults_that_train_a_2d_vae():
    at = train_page()
    assert at.title[0].value == "Train your own autoencoder"
    assert at.session_state["train_kind"] == "vae" and at.session_state["train_latent_dim"] == 2
    assert not button(at, "Start").disabled and button(at, "Stop").disabled
    TrainConfig(**{name: at.session_state[f"train_{name}"] for name in ("lr", "epochs", "batch_size", "train_size")})


def test_settings_live_under_plain_keys():
    at = train_page()
    at.select_slider(key="_train_train_size").set_value(1000).run()
    at.number_input(key="_train_epochs").set_value(1).run()
    assert at.session_state["train_train_size"] == 1000 and at.session_state["train_epochs"] == 1
    at.switch_page("webapp/views/latent.py").run()
    at.switch_page("webapp/views/train.py").run()
    assert at.select_slider(key="_train_train_size").value == 1000


def test_a_finished_job_shows_its_results_and_becomes_my_model(finished_job):
    at = train_page()
    at.session_state["train_job"] = finished_job
    at.run()
    assert [s.value for s in at.success] == ["Finished: 1 epoch trained."]
    assert not button(at, "Start").disabled and button(at, "Stop").disabled
    assert len(at.get("image")) == 3  # test digits, their reconstructions, samples from the prior
    curves = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]  # in columns: stacked on a phone
    assert [chart["layout"]["title"]["text"] for chart in curves] == [
        "Reconstruction (BCE)", "KL divergence", "Active units (of 2)"]
    units = finished_job.poll().epochs[-1]["active_units"]
    assert curves[-1]["data"][-1]["y"] == [units]  # the third chart: active units after each epoch
    assert any(f"{units} of 2 latent dimensions active" in caption.value for caption in at.caption)
    button(at, "Use my model on every page").click().run()
    assert not at.exception
    assert at.session_state["my_model"] is finished_job.poll().model
    assert at.session_state["use_mine"] is True


def test_the_kl_warm_up_and_architecture_settings_go_into_the_run(monkeypatch, tmp_path):
    at = train_page()
    assert at.session_state["train_kl_warmup"] == 0 and at.session_state["train_arch"] == "mlp"
    # a line without a free trainer (as if busy with another session's run): nothing trains here
    monkeypatch.setattr(hall.line, "QUEUE", TrainingQueue(trainers=0, path=tmp_path / "training.sqlite3"))
    at.number_input(key="_train_kl_warmup").set_value(3).run()
    at.radio(key="_train_arch").set_value("conv").run()
    button(at, "Start").click().run()
    job = at.session_state["train_job"]
    assert (job.config.kl_warmup, job.config.beta, job.config.arch) == (3, 1.0, "conv")
    job.stop()
    job.thread.join(10)


def test_a_queued_job_says_so_and_can_be_stopped(tmp_path):
    at = train_page()
    line = TrainingQueue(trainers=0, path=tmp_path / "training.sqlite3")  # no trainer free: the run waits
    job = Job(TrainConfig(epochs=1, hidden=32, train_size=500), line=line).start()
    at.session_state["train_job"] = job
    at.run()
    assert [i.value for i in at.info if i.value.startswith("Waiting in line: 1 of 1, starting in about")]
    assert button(at, "Start").disabled and not button(at, "Stop").disabled
    button(at, "Stop").click().run()
    job.thread.join(10)
    at.run()
    assert [w.value for w in at.warning] == ["Stopped before it started."]
    assert not button(at, "Start").disabled


def test_a_run_about_to_start_is_asked_after_every_second_one_further_back_every_five():
    first = Progress(parts=[("queued", {"place": 1, "waiting": 1, "seconds": 0})])  # alone: it starts at once
    back = Progress(parts=[("queued", {"place": 40, "waiting": 100, "seconds": 60})])  # a hall: its place moves slowly
    training = Progress(status="training", parts=[("training", {"images": 5000, "title": "MNIST"})])
    assert [sidebar.poll_s(progress) for progress in (first, back, training)] == [1.0, 5.0, 1.0]


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
    at.file_uploader(key="train_upload").set_value(
        ("vaedemo-my-model.safetensors", data, "application/octet-stream")
    ).run()
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
    at.switch_page("webapp/views/train.py").run()
    button(at, "Use my model on every page").click().run()
    assert not at.exception and at.session_state["use_mine"]
    assert not at.sidebar.get("page_link")
