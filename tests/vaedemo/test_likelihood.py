"""How tight the ELBO is on the shipped VAEs: the importance-weighted estimate of -log p(x) (Burda et al. 2016)
against the test -ELBO, on the first 1,000 MNIST test digits."""
import math

import pytest
import torch

import vaedemo
from tests.harness.server import ROOT
from vaedemo.data import load_mnist, load_test_sample
from vaedemo.evaluate import evaluate, importance_weighted_nll, importance_weighted_nlls
from vaedemo.likelihood import auroc, excess_nats, histogram_counts, pixel_entropy, separation, shared_edges


@pytest.fixture(scope="module")
def digits():
    return load_mnist(train=False, limit=1000, log=lambda message: None)[0]


@pytest.mark.parametrize("latent_dim", [2, 16])
def test_more_samples_give_a_tighter_bound_a_few_nats_below_the_elbo(digits, latent_dim):
    vae = vaedemo.load_checkpoint(ROOT / "checkpoints" / f"vae-{latent_dim}d.safetensors")
    torch.manual_seed(0)
    minus_elbo = evaluate(vae, digits)["test_loss"]
    nll = {k: importance_weighted_nll(vae, digits, k) for k in (1, 10, 100)}
    assert abs(nll[1] - minus_elbo) < 0.5  # one sample: the ELBO itself (its KL sampled, not in closed form)
    assert nll[1] > nll[10] > nll[100]
    assert 1.5 < minus_elbo - nll[100] < 5  # measured on these digits: 2.8 (2-D) and 3.3 (16-D)


def test_each_images_estimate_is_the_log_mean_of_its_importance_weights_by_hand(digits):
    vae = vaedemo.load_checkpoint(ROOT / "checkpoints" / "vae-2d.safetensors")
    x, k = digits[:3], 4
    nlls = importance_weighted_nlls(vae, x, k, seed=5)
    eps = torch.randn(k, 3, 2, generator=torch.Generator().manual_seed(5))  # the same draw, (K, N, d)
    normal = torch.distributions.Normal
    with torch.inference_mode():
        mu, logvar = vae.encode(x)
        for i in range(3):
            z = mu[i] + eps[:, i] * (0.5 * logvar[i]).exp()  # (K, d)
            p = vae.decode(z).flatten(1).double().clamp(1e-12, 1 - 1e-12)  # (K, 784)
            target = x[i].flatten().double()
            log_px_z = (target * p.log() + (1 - target) * (1 - p).log()).sum(1)
            log_pz = normal(0.0, 1.0).log_prob(z).sum(1)
            log_qz = normal(mu[i], (0.5 * logvar[i]).exp()).log_prob(z).sum(1)
            log_w = log_px_z + log_pz.double() - log_qz.double()
            assert nlls[i].item() == pytest.approx(-(log_w.logsumexp(0) - math.log(k)).item(), abs=1e-3)
    assert importance_weighted_nll(vae, x, k, seed=5) == pytest.approx(nlls.mean().item(), abs=1e-9)


def test_the_histograms_count_the_images_whose_mean_evaluate_gives():
    vae = vaedemo.load_checkpoint(ROOT / "checkpoints" / "fashion-vae-16d.safetensors")
    images = {name: load_test_sample(name)[0][:200] for name in ("mnist", "fashion")}
    found = separation(vae, images, "fashion", samples=100)
    for name, x in images.items():
        assert found.nll[name].mean().item() == pytest.approx(importance_weighted_nll(vae, x, 100), abs=1e-6)
    edges = shared_edges(*found.nll.values(), bins=20)
    counts = {name: histogram_counts(values, edges) for name, values in found.nll.items()}
    assert all(c.sum() == 200 for c in counts.values())
    inside = [(found.nll[name] >= edges[3]) & (found.nll[name] < edges[4]) for name in images]
    assert [c[3] for c in counts.values()] == [int(i.sum()) for i in inside]
    # Nalisnick et al.'s result on our model: digits more likely than its own clothes, so likelihood flags the
    # wrong set (the first 1,000 images: 180 against 236 nats); the excess over the pixels' entropy does not.
    assert found.nll["mnist"].mean() < found.nll["fashion"].mean() - 30
    assert found.auroc_nll() < 0.4 and found.auroc_excess() > 0.95
    assert (found.excess["mnist"] > 0).all() and (found.excess["fashion"] > 0).all()  # -log p(x) >= H(x)


def test_auroc_of_a_hand_made_case():
    outside, inside = torch.tensor([3.0, 4.0, 5.0]), torch.tensor([1.0, 2.0, 3.0])
    assert auroc(outside, inside) == pytest.approx(8.5 / 9)  # 8 pairs above, one tie (3 = 3) counts a half
    assert auroc(inside, outside) == pytest.approx(0.5 / 9)
    assert auroc(torch.ones(4), torch.ones(5)) == 0.5


def test_the_pixels_entropy_of_a_blank_image_a_grey_one_and_a_digit(digits):
    blank, grey = torch.zeros(1, 1, 28, 28), torch.full((1, 1, 28, 28), 0.5)
    white = torch.ones(1, 1, 28, 28)
    h = pixel_entropy(torch.cat([blank, white, grey, digits[:1]]))
    assert h[:2].tolist() == [0.0, 0.0]
    assert h[2].item() == pytest.approx(784 * math.log(2))
    assert 10 < h[3].item() < 100  # a 7: black background and white ink, grey only on its edges
    assert excess_nats(torch.tensor([100.0]), grey).item() == pytest.approx(100 - 784 * math.log(2))
