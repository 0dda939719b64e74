"""Fashion-MNIST through the same code path as MNIST: the CLI, the shipped weights, the app's pages."""
import json

from test_cli import vaedemo

from vaedemo import load_checkpoint


def test_cli_trains_and_evaluates_on_fashion_mnist(tmp_path):
    out = tmp_path / "fashion.safetensors"
    run = vaedemo("train", "--dataset", "fashion", "--model", "vae", "--latent-dim", "2", "--hidden", "64",
                  "--epochs", "2", "--lr", "3e-3", "--train-size", "1000", "--threads", "1", "--out", str(out), "--json")
    assert run.returncode == 0, run.stderr
    trained = json.loads(run.stdout)
    assert trained["dataset"] == "fashion"
    assert load_checkpoint(out).metadata["dataset"] == "fashion"

    run = vaedemo("evaluate", str(out), "--json")  # the data set comes from the checkpoint
    assert run.returncode == 0, run.stderr
    figures = json.loads(run.stdout)
    assert figures["dataset"] == "fashion"
    assert abs(figures["test_loss"] - trained["test_loss"]) < 1.0  # one posterior sample: a little noise
    # Fashion-MNIST's images hold more ink than digits: the same model scores far worse on them
    assert 230 < figures["test_loss"] < 543.4
    text = vaedemo("evaluate", str(out))
    assert "on 10000 Fashion-MNIST test images" in text.stdout


def test_cli_refuses_an_unknown_data_set(tmp_path):
    run = vaedemo("train", "--dataset", "cifar", "--out", "x.safetensors", cwd=tmp_path)
    assert run.returncode != 0 and "invalid choice: 'cifar'" in run.stderr and "Traceback" not in run.stderr
