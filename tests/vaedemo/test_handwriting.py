"""vaedemo.handwriting: the shipped VAE-2D fine-tuned on a room's drawings, on drawings of a style MNIST lacks (its own
test digits drawn with a thicker pen)."""
import pytest
import torch
import torch.nn.functional as F

import vaedemo
from vaedemo.data import load_test_sample
from vaedemo.datasets import checkpoint_path
from vaedemo.evaluate import importance_weighted_nll
from vaedemo.handwriting import MIN_DRAWINGS, learn_handwriting, room_config
from vaedemo.train import fit


def thick(images: torch.Tensor) -> torch.Tensor:
    """Digits drawn with a pen a pixel wider on each side: each pixel the brightest of its 3×3 neighbourhood."""
    return F.max_pool2d(images, 3, stride=1, padding=1)


@pytest.fixture(scope="module")
def shipped():
    return vaedemo.load_checkpoint(checkpoint_path("vae", 2, "mnist"))


@pytest.fixture(scope="module")
def learned(shipped):
    before = {name: p.clone() for name, p in shipped.state_dict().items()}
    result, learned = learn_handwriting(shipped, thick(load_test_sample("mnist")[0][:300]))
    assert all(torch.equal(before[name], p) for name, p in shipped.state_dict().items()), "the shipped model changed"
    return result, learned


def test_a_room_of_thick_strokes_is_more_likely_under_its_own_vae(learned):
    result, learned = learned
    assert len(result.history) == room_config(learned.model, 300).epochs
    assert learned.nll_room < learned.nll_shipped - 50  # measured: 268 -> 167 nats a drawing
    assert 100 < learned.nll_room < learned.nll_shipped < 400


def test_what_it_learned_holds_for_thick_digits_it_never_saw(shipped, learned):
    """Not learned by heart: 300 other test digits, thick too, are far more likely under the room's model as well."""
    other = thick(load_test_sample("mnist")[0][300:600])
    own, mnist = (importance_weighted_nll(m, other, samples=20) for m in (learned[1].model, shipped))
    assert own < mnist - 50  # measured: 273 -> 183


def test_the_codes_are_each_drawings_posterior_mean_on_each_map(shipped, learned):
    _, learned = learned
    drawings = thick(load_test_sample("mnist")[0][:300])
    assert learned.codes_shipped.shape == learned.codes_room.shape == (300, 2)
    with torch.inference_mode():
        torch.testing.assert_close(learned.codes_shipped, shipped.encode(drawings)[0])
        torch.testing.assert_close(learned.codes_room, learned.model.encode(drawings)[0])


def test_too_few_drawings_or_another_shape_are_refused_with_a_message(shipped):
    with pytest.raises(ValueError, match=f"{MIN_DRAWINGS} drawings at least"):
        learn_handwriting(shipped, torch.zeros(MIN_DRAWINGS - 1, 1, 28, 28))
    other = room_config(shipped, 60)
    other.hidden = 32
    with pytest.raises(ValueError, match="start model's shape"):
        fit(other, torch.zeros(60, 1, 28, 28), start=shipped)
