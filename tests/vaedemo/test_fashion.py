"""Fashion-MNIST through the same code path as MNIST: the CLI, the shipped weights, the app's pages
(AppTest; the data set is picked in the sidebar)."""

import pytest
import torch
from streamlit.testing.v1 import AppTest

from hall.line import Job
from tests.harness.cli import cli_json, run_cli
from tests.harness.latent_maps import maps
from tests.harness.server import ROOT
from tests.harness.training import TINY, finished
from vaedemo import ModelConfig, build_model, load_checkpoint
from vaedemo.data import load_test_sample
from vaedemo.datasets import CHECKPOINTS, DATASETS
from vaedemo.evaluate import evaluate
from vaedemo.train import TrainConfig


def test_cli_trains_and_evaluates_on_fashion_mnist(tmp_path):
    out = tmp_path / "fashion.safetensors"
    trained = cli_json("train", f"--dataset fashion --model vae --latent-dim 2 --hidden 64 --epochs 2 --lr 3e-3 "
                                f"--train-size 1000 --test-size 2000 --threads 1 --out {out}")
    assert trained["dataset"] == "fashion"
    assert load_checkpoint(out).metadata["dataset"] == "fashion"

    # the data set comes from the checkpoint
    figures = cli_json("evaluate", out, "--samples", 5, "--test-size", 2000)
    assert figures["dataset"] == "fashion"
    # one posterior sample per image on 2,000 images: each figure spreads by about 0.4 nats (measured over 20 seeds)
    assert abs(figures["test_loss"] - trained["test_loss"]) < 2.5
    # Fashion-MNIST's images hold more ink than digits: the same model scores far worse on them
    assert 230 < figures["test_loss"] < 543.4
    text = run_cli("evaluate", str(out), "--samples", "5", "--test-size", "2000")
    assert "on 2000 Fashion-MNIST test images" in text.stdout


def test_the_apps_training_job_trains_on_fashion_mnist():
    progress = finished(Job(TrainConfig(dataset="fashion", epochs=1, **TINY)).start())
    assert progress.status == "done", progress.message
    assert set(progress.pictures) == {
        "test",
        "reconstructions",
        "prior",
    }  # the Train page captions them: "Test items", ...
    assert progress.model.metadata["dataset"] == "fashion"
    assert (
        progress.map_labels.tolist() == load_test_sample("fashion")[1].tolist()
    )  # the map shows Fashion-MNIST's codes
    assert progress.epochs[-1]["test_loss"] > 230  # Fashion-MNIST's figures, far above MNIST's (see above)


def test_cli_refuses_an_unknown_data_set(tmp_path):
    run = run_cli("train", "--dataset", "cifar", "--out", "x.safetensors", cwd=tmp_path)
    assert run.returncode != 0 and "invalid choice: 'cifar'" in run.stderr and "Traceback" not in run.stderr


@pytest.fixture
def app():
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()


@pytest.fixture(scope="module")
def fashion_sample():
    return load_test_sample("fashion")


@pytest.mark.parametrize("latent_dim", [2, 16])
def test_shipped_fashion_weights_rebuild_its_test_images(fashion_sample, latent_dim):
    images, _ = fashion_sample
    torch.manual_seed(0)
    figures = {}
    for kind in ("ae", "vae"):
        model = load_checkpoint(CHECKPOINTS / f"fashion-{kind}-{latent_dim}d.safetensors")
        assert (model.kind, model.latent_dim, model.metadata["dataset"]) == (kind, latent_dim, "fashion")
        figures[kind] = evaluate(model, images)
    # Nats per image on the 2,000 shipped test images. Grey pixels as Bernoulli targets cannot score below
    # their own entropy (189.6 here); predicting the mean training image scores 383.7.
    assert figures["vae"]["test_loss"] < (280 if latent_dim == 2 else 250)
    assert figures["ae"]["test_recon"] <= figures["vae"]["test_recon"] + 1


def test_the_sidebar_dataset_switches_the_latent_page(app):
    app.switch_page("webapp/views/latent.py").run()
    mnist_digit, mnist_legend = decoded(app), legend(app)
    assert mnist_legend == [str(digit) for digit in range(10)]
    pick(app, "fashion")
    assert not app.exception
    assert legend(app) == list(DATASETS["fashion"].classes)  # T-shirt/top, Trouser, ...
    assert "Fashion-MNIST" in app.markdown[0].value
    assert decoded(app) != mnist_digit  # the Fashion VAE decodes z = (0, 0) into something else
    pick(app, "mnist")
    assert decoded(app) == mnist_digit and legend(app) == mnist_legend


def test_the_sidebar_dataset_switches_the_test_digits_page(app):
    app.switch_page("webapp/views/home.py").run()
    mnist_images = [image.value[0] for image in app.get("image")]
    pick(app, "fashion")
    assert not app.exception
    assert app.title[0].value == "What an autoencoder and a VAE make of Fashion-MNIST items"
    assert [caption.value for caption in app.caption][:3] == ["Test items", "AE (2-D)", "VAE (2-D)"]
    fashion_images = [image.value[0] for image in app.get("image")]
    assert len(fashion_images) == 3 and not set(fashion_images) & set(mnist_images)


def test_the_draw_page_stays_on_mnist_and_says_so(app):
    app.switch_page("webapp/views/draw.py").run()
    assert not [note for note in app.info if "handwritten digits only" in note.value]
    pick(app, "fashion")
    assert not app.exception
    assert any("The Draw page works on handwritten digits only" in note.value for note in app.info)
    app.switch_page("webapp/views/latent.py").run()  # the other pages still follow the sidebar
    assert legend(app) == list(DATASETS["fashion"].classes)


def test_the_train_page_trains_on_the_sidebars_data_set_unless_told_otherwise(app):
    pick(app, "fashion")
    app.switch_page("webapp/views/train.py").run()
    choice = app.radio(key="_train_dataset")
    assert choice.label == "Data set" and choice.value == "fashion"
    choice.set_value("mnist").run()
    assert not app.exception and app.session_state["train_dataset"] == "mnist"


def test_my_model_shows_only_on_its_own_data_set(app):
    app.switch_page("webapp/views/latent.py").run()
    shipped = {}
    for dataset in ("mnist", "fashion"):
        pick(app, dataset)
        shipped[dataset] = decoded(app)
    mine = build_model(ModelConfig(kind="vae", latent_dim=2, hidden=16))  # untrained: decodes a grey blur
    mine.metadata = {"dataset": "mnist"}
    app.session_state["my_model"] = mine
    app.session_state["use_mine"] = True
    app.run()
    assert decoded(app) == shipped["fashion"]  # an MNIST model has no place on the Fashion-MNIST pages
    pick(app, "mnist")
    assert not app.exception and decoded(app) != shipped["mnist"]  # but it is used on the MNIST ones


def pick(app, dataset: str):
    """What the sidebar's Data set control does (AppTest does not render the sidebar of an st.navigation app)."""
    app.session_state["dataset"] = dataset
    app.run()


def decoded(app) -> str:
    """The model the Latent page's map decodes with in the browser."""
    return maps(app)[0]["model"]


def legend(app) -> list:
    return maps(app)[0]["classes"]
