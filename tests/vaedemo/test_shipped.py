"""The shipped weights meet the quality figures promised in README.md, on the full MNIST test set: the AEs and VAEs,
and the VQ-VAE (its reconstruction at most the conv AE-16D's 63.39 nats with at least 90 % of its codebook in use);
the Draw page's 2-D pair is light enough for a hall's wifi."""
import pytest
import torch

import vaedemo
from vaedemo.data import load_mnist
from vaedemo.evaluate import evaluate

CHECKPOINTS = {(kind, d): f"checkpoints/{kind}-{d}d.safetensors" for kind in ("ae", "vae") for d in (2, 16)}
VAE_TARGETS = {2: 150.0, 16: 100.0}  # test -ELBO, nats per image
AE_2D_TARGET = 141.0  # the AE-2D's test reconstruction, nats per image (the 784-512-2 MLP it replaced: 140.92)
PAIR_BYTES = 400_000  # the 2-D AE's and VAE's encoders and decoders as the browser fetches them (the MLPs': 3.3 MB)
VQ_VAE = "checkpoints/vq-vae.safetensors"
VQ_TARGETS = {"test_recon": 63.39, "codebook_use": 0.9}  # the conv AE-16D's reconstruction; a share of the codes


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
    if d == 2:
        assert ae["test_recon"] <= AE_2D_TARGET


def test_the_2d_pair_is_stored_in_float16_and_travels_in_400_kb(figures):
    """Whatever is stored is the model: float16 weights, which Python reads exactly and the browser gets as they are
    (components/latent_map.py packs weights in float16), so both compute from the same numbers."""
    from webapp.components.latent_map import pack

    images = torch.rand(5, 1, 28, 28)
    sent = 0
    for kind in ("ae", "vae"):
        model = figures[kind, 2][0]
        assert model.metadata["weights"] == "float16" and model.config.arch == "conv"
        assert all(torch.equal(weight, weight.half().float()) for weight in model.state_dict().values())
        with torch.inference_mode():
            packed = pack(model, model.latent_mean(images), torch.zeros(5, dtype=torch.int64))
        sent += len(packed.encoder) + len(packed.decoder)
    assert sent <= PAIR_BYTES


def test_the_vq_vae_keeps_the_contract_and_reaches_its_targets():
    model = vaedemo.load_checkpoint(VQ_VAE)
    test_x, _ = load_mnist(train=False)
    measured = evaluate(model, test_x)
    assert (model.kind, model.training, model.config.arch) == ("vqvae", False, "conv")
    assert model.metadata["dataset"] == "mnist" and model.metadata["train_images"] == "60000"
    for key in ("test_recon", "codebook_use", "perplexity"):  # no sampling: evaluate gives the trainer's figures
        assert abs(float(model.metadata[key]) - measured[key]) < 1e-3
    assert measured["test_recon"] <= VQ_TARGETS["test_recon"]
    assert measured["codebook_use"] >= VQ_TARGETS["codebook_use"]
    codes = model.encode(test_x[:5])
    assert codes.shape == (5, model.grid, model.grid) and codes.dtype == torch.int64
    assert model.codebook.shape == (model.codebook_size, model.latent_dim)
    images = model.decode(codes)
    assert images.shape == (5, 1, 28, 28) and 0 <= images.min() and images.max() <= 1
