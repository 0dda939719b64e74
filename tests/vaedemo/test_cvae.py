"""The conditional VAE: its contract, its loss and its ten-label classification against hand computations on
tiny models, its checkpoints, and the shipped checkpoints/cvae-2d.safetensors on the full MNIST test set."""
import math

import pytest
import torch
from safetensors.torch import save_file

import vaedemo
from tests.harness.server import ROOT
from vaedemo import load_checkpoint, save_checkpoint
from vaedemo.data import load_mnist
from vaedemo.evaluate import classification_accuracy, evaluate, importance_weighted_nll, label_elbos
from vaedemo.models import ModelConfig, build_model
from vaedemo.train import TrainConfig, fit

SHIPPED = ROOT / "checkpoints" / "cvae-2d.safetensors"


@pytest.fixture
def cvae():
    torch.manual_seed(0)
    return build_model(ModelConfig("cvae", latent_dim=2, hidden=8))


def by_hand(cvae, x, y, eps):
    """The CVAE's forward pass written out: one-hot label appended to the encoder's input and to the code.
    Returns mu, logvar (N, d), z (K, N, d) and log p(x | z, y) (K, N)."""
    w = cvae.state_dict()
    onehot = torch.zeros(len(y), 10)
    onehot[torch.arange(len(y)), y] = 1.0
    h = torch.relu(torch.cat([x.flatten(1), onehot], 1) @ w["encoder.0.weight"].T + w["encoder.0.bias"])
    out = h @ w["encoder.2.weight"].T + w["encoder.2.bias"]
    d = cvae.latent_dim
    mu, logvar = out[:, :d], out[:, d:]
    z = mu + eps * torch.exp(logvar) ** 0.5  # (K, N, d)
    g = torch.relu(torch.cat([z, onehot.expand(len(z), -1, -1)], 2) @ w["decoder.0.weight"].T + w["decoder.0.bias"])
    p = torch.sigmoid(g @ w["decoder.2.weight"].T + w["decoder.2.bias"])  # (K, N, 784)
    t = x.flatten(1)
    return mu, logvar, z, (t * torch.log(p) + (1 - t) * torch.log(1 - p)).sum(2)


def test_the_contract(cvae):
    x, y = torch.rand(3, 1, 28, 28), torch.tensor([0, 4, 9])
    mu, logvar = cvae.encode(x, y)
    assert cvae.kind == "cvae" and mu.shape == logvar.shape == (3, 2)
    images = cvae.decode(mu, y)
    assert images.shape == (3, 1, 28, 28) and 0 <= images.min() and images.max() <= 1
    assert not torch.equal(cvae.decode(mu, torch.tensor([1, 1, 1])), images)  # the label changes the picture
    with pytest.raises(TypeError):
        cvae.encode(x)  # a CVAE needs its labels
    every = cvae.decode_every_label(mu[1])
    assert torch.allclose(every, cvae.decode(mu[1].repeat(10, 1), torch.arange(10)), atol=1e-6)
    assert torch.allclose(every[4], images[1], atol=1e-6)  # the code's own label among them


@pytest.mark.parametrize("labels", [torch.tensor([0.0, 1.0, 2.0]), torch.tensor([0, 1, 10]), torch.tensor([0, 1])])
def test_bad_labels_are_refused_with_a_message(cvae, labels):
    with pytest.raises(ValueError, match="labels must be int64 in 0..9, one for each of the 3 images"):
        cvae.encode(torch.rand(3, 1, 28, 28), labels)


def test_loss_matches_a_hand_computed_forward_pass(cvae):
    x, y = torch.rand(2, 1, 28, 28), torch.tensor([3, 7])
    torch.manual_seed(1)
    loss, recon, kl = cvae.loss(x, y, beta=2.0)
    torch.manual_seed(1)
    eps = torch.randn(1, 2, 2)  # the noise sample_latent draws (randn_like of mu)
    mu, logvar, _, log_px_z = by_hand(cvae, x, y, eps)
    kl_by_hand = 0.5 * (torch.exp(logvar) + mu**2 - 1 - logvar).sum()
    assert torch.allclose(recon, -log_px_z.sum(), rtol=1e-4)
    assert torch.allclose(kl, kl_by_hand, rtol=1e-5)
    assert torch.allclose(loss, -log_px_z.sum() + 2.0 * kl_by_hand, rtol=1e-4)


def test_the_ten_elbos_by_hand(cvae):
    """ELBO(x, y) = mean over the K samples of log p(x | z_k, y) + log p(z_k) - log q(z_k | x, y), for each label."""
    x = torch.rand(2, 1, 28, 28)
    eps = torch.randn(3, 2, 2, generator=torch.Generator().manual_seed(5))  # (K, N, d)
    elbos = label_elbos(cvae, x, eps)
    assert elbos.shape == (2, 10)
    for label in range(10):
        y = torch.full((2,), label)
        mu, logvar, z, log_px_z = by_hand(cvae, x, y, eps)
        log_pz = (-0.5 * z**2 - 0.5 * math.log(2 * math.pi)).sum(2)
        log_qz = (-0.5 * (z - mu) ** 2 / torch.exp(logvar) - 0.5 * logvar - 0.5 * math.log(2 * math.pi)).sum(2)
        assert torch.allclose(elbos[:, label], (log_px_z + log_pz - log_qz).mean(0), rtol=1e-5)


def test_classification_picks_the_label_with_the_best_elbo(cvae):
    x = torch.rand(30, 1, 28, 28)
    eps = torch.randn(4, 30, 2, generator=torch.Generator().manual_seed(0))
    best = label_elbos(cvae, x, eps).argmax(1)
    assert classification_accuracy(cvae, x, best, samples=4) == 1.0  # the same noise: the same choices
    assert classification_accuracy(cvae, x, (best + 1) % 10, samples=4) == 0.0


def test_round_trip_through_the_same_checkpoint_code(cvae, tmp_path):
    loaded = load_checkpoint(save_checkpoint(cvae, tmp_path / "cvae.safetensors", epochs="1"))
    assert (loaded.kind, loaded.latent_dim, loaded.config.hidden) == ("cvae", 2, 8)
    z, y = torch.randn(4, 2), torch.tensor([0, 1, 2, 3])
    with torch.no_grad():
        assert torch.equal(loaded.decode(z, y), cvae.eval().decode(z, y))
    as_vae = tmp_path / "vae.safetensors"  # a CVAE's weights under a VAE's metadata
    save_file({name: t.contiguous() for name, t in cvae.state_dict().items()}, as_vae,
              metadata={"kind": "vae", "latent_dim": "2", "hidden": "8"})
    with pytest.raises(
        ValueError, match=r"weight encoder.0.weight has shape \[8, 794\], but a VAE .* needs \[8, 784\]"
    ):
        load_checkpoint(as_vae)


def test_fit_needs_the_labels_and_learns_with_them():
    torch.manual_seed(0)
    images, labels = torch.rand(64, 1, 28, 28), torch.randint(0, 10, (64,))
    config = TrainConfig(kind="cvae", latent_dim=2, hidden=8, epochs=2, batch_size=32, threads=1)
    with pytest.raises(ValueError, match="a CVAE learns from images and their labels"):
        fit(config, images)
    result = fit(config, images, images, train_labels=labels, test_labels=labels)
    assert result.model.kind == "cvae" and result.history[-1]["test_loss"] < result.history[0]["test_loss"]


@pytest.fixture(scope="module")
def shipped_and_test_set():
    return vaedemo.load_checkpoint(SHIPPED), *load_mnist(train=False, log=lambda message: None)


def test_shipped_cvae_classifies_at_least_90_percent_of_the_test_digits(shipped_and_test_set):
    cvae, images, labels = shipped_and_test_set
    assert (cvae.kind, cvae.latent_dim, cvae.metadata["dataset"], cvae.metadata["train_images"]) == (
        "cvae",
        2,
        "mnist",
        "60000",
    )
    accuracy = classification_accuracy(cvae, images, labels)
    assert accuracy >= 0.90
    assert abs(accuracy - float(cvae.metadata["test_accuracy"])) < 0.002


def test_shipped_cvae_figures_given_the_label(shipped_and_test_set):
    cvae, images, labels = shipped_and_test_set
    torch.manual_seed(0)
    figures = evaluate(cvae, images, labels=labels)
    assert abs(figures["test_loss"] - float(cvae.metadata["test_loss"])) < 0.5
    assert figures["active_units"] == 2
    vae_2d = float(vaedemo.load_checkpoint(ROOT / "checkpoints" / "vae-2d.safetensors").metadata["test_loss"])
    assert figures["test_loss"] < vae_2d - 10  # the label carries what two numbers cannot: far fewer nats
    nll = importance_weighted_nll(cvae, images[:1000], 100, labels=labels[:1000])
    torch.manual_seed(0)
    assert 0 < evaluate(cvae, images[:1000], labels=labels[:1000])["test_loss"] - nll < 5
