"""Damage and repair: the damage functions, repairs by the shipped models on real test digits, and the
denoising option of the trainer and the CLI."""
import math

import pytest
import torch

import vaedemo
from tests.harness.cli import cli_json, run_cli
from tests.harness.server import ROOT
from vaedemo.checkpoints import checkpoint_bytes, load_checkpoint_bytes
from vaedemo.data import load_mnist, load_test_sample
from vaedemo.repair import (
    REGIONS,
    add_noise,
    damage,
    denoising_noise,
    erase_block,
    error_picture,
    error_scale_picture,
    fill_in,
    mean_abs_error,
    repair,
)
from vaedemo.train import TrainConfig, checkpoint_metadata, fit


@pytest.fixture(scope="module")
def digits():
    """The first test digit of each class in the shipped sample: (10, 1, 28, 28)."""
    images, labels = load_test_sample()
    return images[torch.stack([torch.nonzero(labels == digit)[0, 0] for digit in range(10)])]


def test_noise_has_the_asked_mean_and_std_and_a_seed_repeats_it():
    grey = torch.full((200, 1, 28, 28), 0.5)  # far from 0 and 1: clipping touches almost nothing at std 0.1
    noisy = add_noise(grey, 0.1, torch.Generator().manual_seed(3))
    difference = noisy - grey
    assert abs(difference.mean().item()) < 0.001
    assert difference.std().item() == pytest.approx(0.1, rel=0.01)
    assert torch.equal(noisy, add_noise(grey, 0.1, torch.Generator().manual_seed(3)))
    assert not torch.equal(noisy, add_noise(grey, 0.1, torch.Generator().manual_seed(4)))


def test_noise_keeps_pixels_in_range_and_refuses_levels_outside_0_to_1(digits):
    noisy = add_noise(digits, 1.0)
    assert noisy.min() == 0 and noisy.max() == 1
    assert (noisy != digits).float().mean() > 0.5
    for level in (-0.1, 1.5, math.nan):
        with pytest.raises(ValueError, match="noise level must be between 0 and 1"):
            add_noise(digits, level)


def test_an_erased_block_is_exactly_zero_and_the_rest_untouched(digits):
    erased = erase_block(digits, 5, 9, 10, 4)
    assert torch.all(erased[..., 5:15, 9:13] == 0)
    outside = torch.ones(28, 28, dtype=torch.bool)
    outside[5:15, 9:13] = False
    assert torch.equal(erased[..., outside], digits[..., outside])
    assert digits[..., 5:15, 9:13].sum() > 0  # the input is not modified in place
    top = erase_block(digits, *REGIONS["top half"])
    assert torch.all(top[..., :14, :] == 0) and torch.equal(top[..., 14:, :], digits[..., 14:, :])
    with pytest.raises(ValueError, match="outside the 28x28 digit"):
        erase_block(digits, 28, 0, 5, 5)


def test_damage_adds_seeded_noise_then_erases(digits):
    damaged = damage(digits, 0.3, REGIONS["centre"], seed=7)
    assert torch.all(damaged[..., 7:21, 7:21] == 0)
    assert damaged.min() >= 0 and damaged.max() <= 1
    assert torch.equal(damaged, damage(digits, 0.3, REGIONS["centre"], seed=7))
    assert not torch.equal(damaged, damage(digits, 0.3, REGIONS["centre"], seed=8))
    untouched = damage(digits)
    assert torch.equal(untouched, digits) and untouched is not digits


def test_mean_abs_error_by_hand():
    clean = torch.zeros(2, 1, 28, 28)
    other = clean.clone()
    other[0, 0, 0, :] = 1.0  # one row of 28 pixels off by 1
    other[1] = 0.25
    assert mean_abs_error(other, clean).tolist() == pytest.approx([28 / 784, 0.25])


def test_error_picture_is_black_where_exact_and_bright_where_wrong():
    clean = torch.zeros(1, 1, 28, 28)
    wrong = clean.clone()
    wrong[0, 0, 3, 4] = 1.0
    picture = error_picture(wrong, clean, scale=2)
    assert picture.shape == (56, 56, 3) and picture.dtype.name == "uint8"
    assert picture[0, 0].sum() < 30  # error 0: (near) black
    assert picture[6, 8].tolist() == pytest.approx([252, 255, 164], abs=3)  # error 1: inferno's pale yellow
    scale = error_scale_picture(100, 5)
    assert scale.shape == (5, 100, 3) and scale[:, 0].sum() < scale[:, -1].sum()


# The noise from which on each model beats the noisy picture on every one of the ten digits: the 16-D AE,
# the least constrained code, copies more of the noise than the others.
@pytest.mark.parametrize("name, noise", [("ae-2d", 0.6), ("vae-2d", 0.6), ("ae-16d", 0.8), ("vae-16d", 0.5)])
def test_shipped_models_repair_noisy_digits_closer_to_the_clean_ones(name, noise, digits):
    model = vaedemo.load_checkpoint(ROOT / "checkpoints" / f"{name}.safetensors")
    damaged = damage(digits, noise, seed=0)
    repaired = repair(model, damaged)
    assert repaired.shape == digits.shape
    damaged_error, repaired_error = mean_abs_error(damaged, digits), mean_abs_error(repaired, digits)
    assert torch.all(repaired_error < damaged_error - 0.02), (repaired_error, damaged_error)
    assert repaired_error.mean() < 0.8 * damaged_error.mean()


def test_filling_in_an_erased_centre_keeps_the_rest_and_mostly_comes_closer():
    images, _ = load_test_sample()
    model = vaedemo.load_checkpoint(ROOT / "checkpoints" / "vae-16d.safetensors")
    block = REGIONS["centre"]
    damaged = damage(images, 0.0, block)
    filled = fill_in(model, damaged, block)
    outside = erase_block(torch.ones_like(images), *block).bool()
    assert torch.equal(filled[outside], damaged[outside])
    assert filled[..., 7:21, 7:21].sum() > 0
    damaged_error, filled_error = mean_abs_error(damaged, images), mean_abs_error(filled, images)
    assert filled_error.mean() < 0.9 * damaged_error.mean()
    assert (filled_error < damaged_error).float().mean() > 0.75  # of the 2,000 sample digits


def test_shipped_denoising_vae_repairs_noise_better_than_the_plain_one(digits):
    path = ROOT / "checkpoints" / "vae-16d-denoise.safetensors"
    if not path.exists():
        pytest.skip("no shipped denoising VAE")
    denoising = vaedemo.load_checkpoint(path)
    plain = vaedemo.load_checkpoint(ROOT / "checkpoints" / "vae-16d.safetensors")
    assert float(denoising.metadata["train_noise"]) > 0
    assert denoising_noise(denoising) == float(denoising.metadata["train_noise"])
    damaged = damage(digits, 0.5, seed=0)
    assert (
        mean_abs_error(repair(denoising, damaged), digits).mean()
        < 0.8 * mean_abs_error(repair(plain, damaged), digits).mean()
    )


def test_the_noise_a_model_was_trained_on_comes_from_its_metadata():
    model = vaedemo.build_model(vaedemo.ModelConfig("ae", 16, hidden=8))
    assert denoising_noise(model) == 0
    model.metadata = {"train_noise": "0.0"}
    assert denoising_noise(model) == 0
    model.metadata = {"train_noise": "0.3"}
    assert denoising_noise(model) == 0.3


@pytest.mark.parametrize("noise", [-0.1, 1.5, math.nan])
def test_train_config_refuses_a_noise_level_outside_0_to_1(noise):
    with pytest.raises(ValueError, match="noise must be between 0 and 1"):
        TrainConfig(noise=noise)


def test_denoising_training_repairs_noise_better_and_records_its_noise():
    train_x, _ = load_mnist(train=True, limit=5000)
    test_x, _ = load_mnist(train=False, limit=300)
    settings = dict(kind="ae", latent_dim=16, hidden=256, epochs=4, lr=3e-3, batch_size=64, threads=1)
    plain = fit(TrainConfig(**settings), train_x, test_x)
    config = TrainConfig(**settings, noise=0.5)
    denoising = fit(config, train_x, test_x)
    assert not denoising.diverged and len(denoising.history) == 4
    assert denoising.history[-1]["test_loss"] < denoising.history[0]["test_loss"]
    damaged = damage(test_x, 0.5, seed=0)
    plain_error = mean_abs_error(repair(plain.model, damaged), test_x).mean()
    denoising_error = mean_abs_error(repair(denoising.model, damaged), test_x).mean()
    assert denoising_error < 0.8 * plain_error, (denoising_error, plain_error)
    saved = checkpoint_bytes(denoising.model, **checkpoint_metadata(config, denoising, len(train_x)))
    assert load_checkpoint_bytes(saved, "denoising.safetensors").metadata["train_noise"] == "0.5"


def test_cli_trains_with_noise_and_refuses_a_bad_level(tmp_path):
    out = tmp_path / "denoising.safetensors"
    assert cli_json("train", f"--model ae --latent-dim 2 --hidden 32 --epochs 1 --train-size 256 --noise 0.3 "
                             f"--threads 1 --out {out}")["kind"] == "ae"
    model = vaedemo.load_checkpoint(out)
    assert model.metadata["train_noise"] == "0.3" and denoising_noise(model) == 0.3
    for level, says in (("2", "noise must be between 0 and 1"), ("-1", "must be 0 or more")):
        run = run_cli("train", "--noise", level, "--threads", "1", "--out", str(tmp_path / "bad.safetensors"))
        assert run.returncode != 0 and says in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "bad.safetensors").exists()
