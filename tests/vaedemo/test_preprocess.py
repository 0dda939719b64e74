"""preprocess_drawing on real MNIST test digits: blown up and moved around a canvas, then prepared
again, each must come back close to the original (MNIST digits are already 20x20-boxed and centred)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from vaedemo.data import load_mnist
from vaedemo.preprocess import preprocess_drawing


@pytest.fixture(scope="module")
def digits():
    images, _ = load_mnist(train=False, limit=40, log=lambda message: None)
    return images  # (40, 1, 28, 28)


def on_canvas(digit: torch.Tensor, scale: float, top: int, left: int, height=300, width=400) -> np.ndarray:
    """A (1, 28, 28) digit enlarged by scale, white on an opaque black RGBA canvas at (top, left)."""
    big = F.interpolate(digit[None], scale_factor=scale, mode="bilinear")[0, 0]  # (28 scale, 28 scale)
    grey = (big.clamp(0, 1) * 255).round().to(torch.uint8).numpy()
    canvas = np.zeros((height, width, 4), dtype=np.uint8)
    canvas[..., 3] = 255
    canvas[top: top + grey.shape[0], left: left + grey.shape[1], :3] = grey[..., None]
    return canvas


@pytest.mark.parametrize("scale, top, left", [(8, 20, 50), (5, 120, 220), (10, 0, 110), (3.5, 200, 10)])
def test_digits_come_back_as_they_were(digits, scale, top, left):
    errors = []
    for digit in digits:
        back = preprocess_drawing(on_canvas(digit, scale, top, left))
        assert back.shape == (1, 1, 28, 28) and back.dtype == torch.float32
        assert 0 <= back.min() and back.max() <= 1
        errors.append((back[0] - digit).abs().mean().item())
    errors = np.array(errors)
    # mean |difference| per pixel; MNIST's mean pixel is 0.13, an unrelated digit differs by about 0.2
    assert np.median(errors) < 0.045, np.median(errors)
    assert errors.max() < 0.1, errors.max()


def test_transparent_background_counts_as_no_ink(digits):
    canvas = on_canvas(digits[0], 8, 20, 50)
    canvas[..., 3] = np.where(canvas[..., 0] > 0, 255, 0)  # ink opaque, background see-through
    opaque = on_canvas(digits[0], 8, 20, 50)
    assert torch.allclose(preprocess_drawing(canvas), preprocess_drawing(opaque))


def test_aspect_ratio_is_kept():
    canvas = np.zeros((280, 280, 4), dtype=np.uint8)
    canvas[..., 3] = 255
    canvas[40:240, 130:150, :3] = 255  # a bar 200 tall, 20 wide: a "1"
    digit = preprocess_drawing(canvas)[0, 0]
    rows, cols = torch.nonzero(digit > 0.5).T
    assert rows.max() - rows.min() + 1 == 20
    assert cols.max() - cols.min() + 1 == 2
    assert abs((cols.float().mean() - 14).item()) <= 1 and abs((rows.float().mean() - 14).item()) <= 1


def test_empty_canvas_gives_none():
    canvas = np.zeros((280, 280, 4), dtype=np.uint8)
    canvas[..., 3] = 255
    assert preprocess_drawing(canvas) is None
    assert preprocess_drawing(np.zeros((280, 280, 4), dtype=np.uint8)) is None  # fully transparent


def test_a_dot_becomes_a_centred_blob():
    canvas = np.zeros((280, 280, 4), dtype=np.uint8)
    canvas[..., 3] = 255
    yy, xx = np.mgrid[:280, :280]
    canvas[(yy - 50) ** 2 + (xx - 230) ** 2 <= 9 ** 2, :3] = 255  # one click of a round brush
    digit = preprocess_drawing(canvas)[0, 0]
    rows, cols = torch.nonzero(digit > 0.5).T
    assert 18 <= rows.max() - rows.min() + 1 <= 20 and 18 <= cols.max() - cols.min() + 1 <= 20
    assert abs((rows.float().mean() - 14).item()) <= 1 and abs((cols.float().mean() - 14).item()) <= 1


def test_a_canvas_full_of_ink_becomes_a_centred_square():
    digit = preprocess_drawing(np.full((280, 280, 4), 255, dtype=np.uint8))[0, 0]
    assert torch.allclose(digit[4:24, 4:24], torch.ones(20, 20))
    assert digit.sum() == 400


def test_wrong_shape_gets_a_clear_message():
    with pytest.raises(ValueError, match="RGBA image of shape"):
        preprocess_drawing(np.zeros((28, 28), dtype=np.uint8))
