"""How tight the ELBO is on the shipped VAEs: the importance-weighted estimate of -log p(x) (Burda et al. 2016)
against the test -ELBO, on the first 1,000 MNIST test digits."""
import pytest
import torch

import vaedemo
from tests.harness.server import ROOT
from vaedemo.data import load_mnist
from vaedemo.evaluate import evaluate, importance_weighted_nll


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
