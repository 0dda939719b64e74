"""The shipped convolutional pair on the full MNIST test set: the public contract, the architecture in the
checkpoint, the conv VAE-16D's target (test -ELBO at most 95 nats, below the MLP's 99.25) and the conv AE
rebuilding at least as well as the conv VAE."""
import pytest
import torch

import vaedemo
from tests.harness.server import ROOT
from vaedemo.data import load_mnist
from vaedemo.evaluate import evaluate

TARGET = 95.0  # nats per image: the conv VAE-16D's test -ELBO at most


@pytest.fixture(scope="module")
def figures():
    test_x, _ = load_mnist(train=False, log=lambda message: None)
    out = {}
    for kind in ("ae", "vae"):
        model = vaedemo.load_checkpoint(ROOT / "checkpoints" / f"conv-{kind}-16d.safetensors")
        torch.manual_seed(0)
        out[kind] = model, evaluate(model, test_x)
    return out


@pytest.mark.parametrize("kind", ["ae", "vae"])
def test_contract_and_metadata(figures, kind):
    model, measured = figures[kind]
    assert (model.kind, model.latent_dim, model.config.arch, model.training) == (kind, 16, "conv", False)
    assert model.metadata["arch"] == "conv" and model.metadata["train_images"] == "60000"
    assert abs(float(model.metadata["test_loss"]) - measured["test_loss"]) < 0.5
    x = torch.rand(3, 1, 28, 28)
    code = model.encode(x)
    z = code[0] if kind == "vae" else code
    assert z.shape == (3, 16) and model.decode(z).shape == (3, 1, 28, 28)


def test_the_conv_vae_reaches_its_target_and_the_conv_ae_rebuilds_at_least_as_well(figures):
    vae, ae = figures["vae"][1], figures["ae"][1]
    assert vae["test_loss"] <= TARGET
    assert ae["test_recon"] <= vae["test_recon"]
