"""A drawing on the canvas -> a 28x28 digit prepared the way MNIST's were.

LeCun et al.'s MNIST page: the NIST digits were "size normalized to fit in a 20x20 pixel box while
preserving their aspect ratio" (anti-aliased, hence the grey levels), then "centered in a 28x28 image
by computing the center of mass of the pixels, and translating the image so as to position this point
at the center of the 28x28 field".
"""
import numpy as np
import torch
import torch.nn.functional as F

BOX = 20  # the digit's longer side, in MNIST pixels
SIZE = 28
CENTRE = 14.0  # where MNIST's centres of mass sit, in pixel indices (the test set's mean: 13.99, 14.00)
INK = 0.1  # a pixel at least this bright counts towards the ink's bounding box


def ink(rgba: np.ndarray) -> torch.Tensor:
    """(H, W, 4) uint8 RGBA, white ink -> (H, W) float ink in [0, 1] (transparent counts as no ink)."""
    if not (isinstance(rgba, np.ndarray) and rgba.ndim == 3 and rgba.shape[2] == 4):
        raise ValueError(f"expected an RGBA image of shape (height, width, 4), got {getattr(rgba, 'shape', rgba)!r}")
    pixels = torch.from_numpy(np.asarray(rgba, dtype=np.float32)) / 255  # (H, W, 4)
    return pixels[..., :3].mean(-1) * pixels[..., 3]  # (H, W)


def preprocess_drawing(rgba: np.ndarray) -> torch.Tensor | None:
    """Canvas RGBA (H, W, 4), white ink on black -> (1, 1, 28, 28) float in [0, 1], or None without ink."""
    image = ink(rgba)
    rows = torch.nonzero((image >= INK).any(1)).flatten()
    cols = torch.nonzero((image >= INK).any(0)).flatten()
    if len(rows) == 0:
        return None
    image = image[rows[0]: rows[-1] + 1, cols[0]: cols[-1] + 1]  # the ink's bounding box
    h, w = image.shape
    scale = BOX / max(h, w)
    size = (max(1, round(h * scale)), max(1, round(w * scale)))
    box = F.interpolate(image[None, None], size=size, mode="bilinear", antialias=True, align_corners=False)[0, 0]
    box = box.clamp(0, 1)  # (h', w'), longer side 20

    ys, xs = torch.arange(size[0], dtype=torch.float32), torch.arange(size[1], dtype=torch.float32)
    mass = box.sum()
    centre_y, centre_x = (box.sum(1) @ ys) / mass, (box.sum(0) @ xs) / mass
    top = int(min(max(round(CENTRE - centre_y.item()), 0), SIZE - size[0]))
    left = int(min(max(round(CENTRE - centre_x.item()), 0), SIZE - size[1]))
    digit = torch.zeros(1, 1, SIZE, SIZE)
    digit[0, 0, top: top + size[0], left: left + size[1]] = box
    return digit
