"""The shipped weights meet the quality figures promised in README.md, on the full MNIST test set."""
import pytest
import torch

import vaedemo
from vaedemo.data import load_mnist
from vaedemo.evaluate import evaluate

CHECKPOINTS = {(kind, d): f"checkpoints/{kind}-{d}d.safetensors" for kind in ("ae", "vae") for d in (2, 16)}
VAE_TARGETS = {2: 150.0, 16: 100.0}  # test -ELBO, nats per image


@pytest.fixture(scope="module")
def figures():
    test_x, _ = load_mnist(train=False)
    torch.manual_seed(0)
    return {key: (vaedemo.load_checkpoint(path), evaluate(vaedemo.load_checkpoint(path), test_x))
            for key, path in CHECKPOINTS.items()}


@pytest.mark.parametrize("kind, d", CHECKPOINTS)
def test_contract_and_metadata(figures, kind, d):
    model, measured = figures[kind, d]
    assert (model.kind, model.latent_dim, model.training) == (kind, d, False)
    assert {"kind", "latent_dim", "hidden", "dataset", "epochs", "test_loss"} <= model.metadata.keys()
    assert model.metadata["dataset"] == "mnist" and model.metadata["train_images"] == "60000"
    assert abs(float(model.metadata["test_loss"]) - measured["test_loss"]) < 0.5
    x = torch.rand(3, 1, 28, 28)
    code = model.encode(x)
    z = code[0] if kind == "vae" else code
    assert z.shape == (3, d) and model.decode(z).shape == (3, 1, 28, 28)


@pytest.mark.parametrize("d", [2, 16])
def test_vae_reaches_its_target_and_the_ae_reconstructs_at_least_as_well(figures, d):
    vae, ae = figures["vae", d][1], figures["ae", d][1]
    assert vae["test_loss"] <= VAE_TARGETS[d]
    assert ae["test_recon"] <= vae["test_recon"]
