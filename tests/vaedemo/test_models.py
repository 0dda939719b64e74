"""The public contract of the models and the trainer on real MNIST digits."""
import threading

import pytest
import torch

from vaedemo.data import load_mnist
from vaedemo.models import ModelConfig, build_model
from vaedemo.train import TrainConfig, fit


@pytest.fixture(scope="module")
def mnist_small():
    train_x, _ = load_mnist(train=True, limit=1024)
    test_x, _ = load_mnist(train=False, limit=512)
    return train_x, test_x


@pytest.mark.parametrize("arch", ["mlp", "conv"])
@pytest.mark.parametrize("kind", ["ae", "vae"])
def test_encode_decode_shapes_and_ranges(kind, arch):
    model = build_model(ModelConfig(kind, latent_dim=5, hidden=16, arch=arch)).eval()
    x = torch.rand(7, 1, 28, 28)
    code = model.encode(x)
    if kind == "vae":
        mu, logvar = code
        assert mu.shape == logvar.shape == (7, 5)
    else:
        assert code.shape == (7, 5)
    out = model.decode(torch.randn(7, 5) * 10)
    assert out.shape == (7, 1, 28, 28) and out.min() >= 0 and out.max() <= 1
    assert model.latent_mean(x).shape == (7, 5)


def test_the_conv_pair_has_the_shape_of_the_issue():
    """Two stride-2 4x4 convolutions 32/64 (28 -> 14 -> 7 pixels), the hidden layer, mirrored in the decoder."""
    vae = build_model(ModelConfig("vae", latent_dim=16, hidden=512, arch="conv"))
    shapes = {name: tuple(t.shape) for name, t in vae.state_dict().items() if name.endswith("weight")}
    assert shapes == {"encoder.0.weight": (32, 1, 4, 4), "encoder.2.weight": (64, 32, 4, 4),
                      "encoder.5.weight": (512, 64 * 7 * 7), "encoder.7.weight": (32, 512),  # mean and log-variance
                      "decoder.0.weight": (512, 16), "decoder.2.weight": (64 * 7 * 7, 512),
                      "decoder.5.weight": (64, 32, 4, 4), "decoder.7.weight": (32, 1, 4, 4)}
    # A convolution sees pixels where they are: moving a digit moves the decoder's picture, and the first
    # layer's output of a shifted image is the shifted output (away from the edges).
    x = torch.zeros(1, 1, 28, 28)
    x[0, 0, 8:12, 8:12] = 1
    with torch.no_grad():
        here, there = vae.encoder[:2](x), vae.encoder[:2](torch.roll(x, (4, 4), (2, 3)))
    assert torch.allclose(torch.roll(here, (2, 2), (2, 3))[..., 4:12, 4:12], there[..., 4:12, 4:12], atol=1e-6)


def test_invalid_model_config_is_refused():
    with pytest.raises(ValueError, match="kind"):
        ModelConfig("gan")
    with pytest.raises(ValueError, match="architecture must be 'mlp' or 'conv'"):
        ModelConfig("vae", arch="transformer")
    with pytest.raises(ValueError, match="the conv architecture is for the AE and the VAE"):
        TrainConfig(kind="cvae", arch="conv")
    with pytest.raises(ValueError, match="latent size"):
        ModelConfig("vae", latent_dim=0)
    with pytest.raises(ValueError, match="epochs"):
        TrainConfig(epochs=0)


def test_training_lowers_the_test_loss_and_reports_every_step(mnist_small):
    train_x, test_x = mnist_small
    events = []
    config = TrainConfig(kind="vae", latent_dim=2, hidden=64, epochs=2, batch_size=128, lr=3e-3)
    result = fit(config, train_x, test_x, callback=lambda step, epoch, figures: events.append((step, epoch, figures)))
    steps = [e for e in events if e[2]["event"] == "step"]
    epochs = [e for e in events if e[2]["event"] == "epoch"]
    assert len(steps) == 2 * 8 and [e[1] for e in epochs] == [1, 2]
    assert {"train_recon", "train_kl", "images_per_s"} <= steps[0][2].keys()
    assert {"test_loss", "test_recon", "test_kl", "images_per_s"} <= epochs[0][2].keys()
    first, last = result.history[0]["test_loss"], result.history[-1]["test_loss"]
    assert last < first < 543.4  # 543.4 nats = 784 * ln 2, a coin flip per pixel
    assert abs(last - (result.history[-1]["test_recon"] + result.history[-1]["test_kl"])) < 1e-3
    assert not result.stopped and not result.diverged


def test_same_seed_gives_the_same_model(mnist_small):
    train_x, _ = mnist_small
    config = TrainConfig(kind="ae", latent_dim=2, hidden=32, epochs=1, seed=3, train_size=256)
    a, b = fit(config, train_x).model, fit(config, train_x).model
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))


def test_stop_event_ends_a_run_mid_epoch(mnist_small):
    train_x, _ = mnist_small
    stop, steps = threading.Event(), []

    def callback(step, epoch, figures):
        steps.append(step)
        if step == 3:
            stop.set()

    result = fit(TrainConfig(hidden=32, epochs=5, batch_size=64), train_x, callback=callback, stop=stop)
    assert result.stopped and steps == [1, 2, 3] and result.history == []


@pytest.mark.parametrize("kind", ["ae", "vae"])
def test_a_learning_rate_that_blows_up_keeps_the_last_good_weights(mnist_small, kind):
    train_x, test_x = mnist_small
    result = fit(TrainConfig(kind=kind, latent_dim=2, hidden=64, epochs=3, lr=10), train_x, test_x)
    assert result.diverged
    assert all(torch.isfinite(t).all() for t in result.model.state_dict().values())
    with torch.no_grad():
        assert torch.isfinite(result.model.decode(torch.zeros(1, 2))).all()
