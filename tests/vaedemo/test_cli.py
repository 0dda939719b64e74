"""The CLI as a user runs it: python -m vaedemo in a subprocess."""
import math

import pytest

from tests.harness.cli import cli_json, run_cli
from tests.harness.server import ROOT
from vaedemo import load_checkpoint


def test_train_then_evaluate_a_tiny_model(tmp_path):
    out = tmp_path / "tiny.safetensors"
    trained = cli_json("train", f"--model vae --latent-dim 2 --hidden 32 --epochs 2 --batch-size 64 --lr 3e-3 "
                                f"--train-size 512 --seed 1 --kl-warmup 1 --out {out}")
    assert trained["kind"] == "vae" and trained["epochs"] == 2 and 100 < trained["test_loss"] < 543.4
    assert trained["active_units"] in (0, 1, 2) and trained["test_images"] == 10_000
    model = load_checkpoint(out)
    assert model.metadata["train_images"] == "512" and model.metadata["epochs"] == "2"
    assert model.metadata["test_images"] == "10000"
    assert model.metadata["train_kl_warmup"] == "1" and model.metadata["active_units"] == str(trained["active_units"])
    assert abs(float(model.metadata["test_loss"]) - trained["test_loss"]) < 1e-3

    figures = cli_json("evaluate", out, "--samples", 20)
    assert {"kind", "latent_dim", "test_loss", "test_recon", "test_kl", "test_nll"} <= figures.keys()
    assert (figures["kind"], figures["latent_dim"], figures["samples"], figures["test_images"]) == ("vae", 2, 20, 10000)
    assert abs(figures["test_loss"] - figures["test_recon"] - figures["test_kl"]) < 1e-3
    assert abs(figures["test_loss"] - trained["test_loss"]) < 1.0  # one posterior sample: a little noise
    assert 0 < figures["test_loss"] - figures["test_nll"] < 20  # the ELBO is a lower bound on log p(x)

    text = run_cli("evaluate", str(out), "--samples", "20", "--test-size", "2000")  # a quicker, rougher figure
    assert text.returncode == 0 and "test -ELBO" in text.stdout and "nats/image" in text.stdout
    assert text.stdout.strip().endswith("on 2000 MNIST test images")
    assert "(20 importance samples)" in text.stdout
    assert "of 2 latent units active" in text.stdout


def test_train_then_evaluate_a_tiny_conv_vae(tmp_path):
    out = tmp_path / "conv.safetensors"
    trained = cli_json("train", f"--arch conv --latent-dim 4 --hidden 32 --epochs 1 --train-size 256 --test-size 1000 "
                                f"--out {out}")
    assert (trained["arch"], load_checkpoint(out).metadata["arch"]) == ("conv", "conv")
    run = run_cli("evaluate", str(out), "--samples", "5", "--test-size", "1000")
    assert run.returncode == 0 and "conv VAE, latent size 4: test -ELBO" in run.stdout


def test_train_then_evaluate_a_tiny_cvae(tmp_path):
    out = tmp_path / "cvae.safetensors"
    trained = cli_json("train", f"--model cvae --hidden 32 --epochs 1 --train-size 512 --lr 3e-3 --test-size 1000 "
                                f"--out {out}")
    assert trained["kind"] == "cvae" and 0 <= trained["test_accuracy"] <= 1
    assert load_checkpoint(out).metadata["test_accuracy"] == f"{trained['test_accuracy']:.4f}"

    figures = cli_json("evaluate", out, "--samples", 5, "--test-size", 1000)
    assert figures["kind"] == "cvae" and figures["test_accuracy"] == pytest.approx(trained["test_accuracy"])
    assert 0 < figures["test_loss"] - figures["test_nll"] < 20
    text = run_cli("evaluate", str(out), "--samples", "5", "--test-size", "1000")
    assert "test -ELBO given the label" in text.stdout and "-log p(x | y) ~" in text.stdout
    assert f"right for {100 * figures['test_accuracy']:.2f} % of the images" in text.stdout


def test_train_then_evaluate_a_tiny_vqvae(tmp_path):
    out = tmp_path / "vq.safetensors"
    trained = cli_json("train", f"--model vqvae --latent-dim 4 --hidden 16 --codebook-size 8 --epochs 1 "
                                f"--train-size 256 --lr 3e-3 --test-size 1000 --out {out}")
    assert (trained["kind"], trained["arch"]) == ("vqvae", "conv") and 0 < trained["codebook_use"] <= 1
    model = load_checkpoint(out)
    assert (model.codebook_size, model.metadata["codebook_size"], model.metadata["grid"]) == (8, "8", "7")

    figures = cli_json("evaluate", out, "--test-size", 1000)
    assert {"kind", "latent_dim", "test_loss", "test_recon", "test_kl", "codebook_use", "perplexity"} <= figures.keys()
    assert (figures["kind"], figures["latent_dim"], figures["codebook_size"]) == ("vqvae", 4, 8)
    assert figures["test_kl"] == pytest.approx(49 * math.log(8))  # the uniform prior's KL over 7 x 7 codes
    assert figures["test_loss"] == pytest.approx(figures["test_recon"] + figures["test_kl"])
    assert figures["test_recon"] == pytest.approx(trained["test_recon"], abs=1e-3)  # no sampling: the same figure
    assert 1 <= figures["perplexity"] <= 8 * figures["codebook_use"] + 1e-9
    text = run_cli("evaluate", str(out), "--test-size", "1000")
    assert f"of 8 codes in use (perplexity {figures['perplexity']:.1f})" in text.stdout
    assert "7 x 7 x log 8" in text.stdout


def test_evaluate_scores_a_checkpoint_on_another_data_sets_test_images():
    path = str(ROOT / "checkpoints" / "fashion-vae-2d.safetensors")
    digits = cli_json("evaluate", path, "--samples", 1, "--dataset", "mnist")
    assert (digits["dataset"], digits["trained_on"], digits["samples"]) == ("mnist", "fashion", 1)
    assert 250 < digits["test_nll"] < 290  # measured: 270 (1 sample), 264 (5); on Fashion-MNIST 260


@pytest.mark.parametrize(
    "args, phrase",
    [
        (["train", "--epochs", "-1", "--out", "x.safetensors"], "--epochs: must be positive"),
        (["train", "--latent-dim", "0", "--out", "x.safetensors"], "--latent-dim: must be positive"),
        (["train", "--lr", "abc", "--out", "x.safetensors"], "'abc' is not a number"),
        (["train", "--kl-warmup", "-1", "--out", "x.safetensors"], "--kl-warmup: must be 0 or more"),
        (["train", "--kl-warmup", "0.5", "--out", "x.safetensors"], "'0.5' is not a whole number"),
        (["train", "--model", "gan", "--out", "x.safetensors"], "invalid choice"),
        (["train", "--model", "vqvae", "--codebook-size", "1", "--out", "x.safetensors"],
         "the codebook size must be from 2 to 1024, not 1"),
        (
            ["train", "--model", "cvae", "--arch", "conv", "--out", "x.safetensors"],
            "the conv architecture is for the AE and",
        ),
        (["evaluate", "missing.safetensors"], "no such file"),
        (["evaluate", "missing.safetensors", "--samples", "0"], "--samples: must be positive"),
        (["evaluate", "missing.safetensors", "--test-size", "0"], "--test-size: must be positive"),
        (["evaluate", "missing.safetensors", "--dataset", "cifar"], "--dataset: invalid choice: 'cifar'"),
    ],
)
def test_bad_arguments_give_one_clear_line(args, phrase, tmp_path):
    run = run_cli(*args, cwd=tmp_path)
    assert run.returncode != 0
    assert phrase in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "x.safetensors").exists()


def test_evaluate_refuses_a_file_that_is_not_a_checkpoint(tmp_path):
    bad = tmp_path / "notes.safetensors"
    bad.write_text("hello")
    run = run_cli("evaluate", str(bad))
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert run.stderr.strip().startswith("error: notes.safetensors is not a .safetensors file")


def test_fetch_data_reports_the_checked_folder(tmp_path):
    assert cli_json("fetch-data")["root"].endswith("MNIST/raw")
