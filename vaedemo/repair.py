"""Damage a digit and let the models repair it: Gaussian noise, an erased block, and how far each
picture is from the clean digit, pixel by pixel.

A model "repairs" a digit by encoding the damaged picture and decoding its code (the AE's code, the
VAE's posterior mean), or fills in only an erased block and keeps every other pixel (inpainting). A
denoising autoencoder (Vincent et al., "Extracting and Composing Robust Features with Denoising
Autoencoders", 2008) is trained for repairs on purpose: noisy inputs, clean targets.
"""
import numpy as np
import torch
from plotly.colors import hex_to_rgb, sequential

from .viz import enlarge

SIDE = 28
# Named blocks as (top, left, height, width) in pixels.
REGIONS = {"top half": (0, 0, 14, 28), "bottom half": (14, 0, 14, 28), "left half": (0, 0, 28, 14),
           "right half": (0, 14, 28, 14), "centre": (7, 7, 14, 14)}


def add_noise(x: torch.Tensor, std: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """x plus Gaussian noise of standard deviation std on every pixel, clipped back to [0, 1]."""
    if not 0 <= std <= 1:
        raise ValueError(f"the noise level must be between 0 and 1, not {std}")
    noise = torch.randn(x.shape, generator=generator, dtype=x.dtype)
    return (x + std * noise).clamp(0, 1)


def erase_block(x: torch.Tensor, top: int, left: int, height: int, width: int) -> torch.Tensor:
    """A copy of x (N, 1, 28, 28) with the block of rows top.. and columns left.. set to 0 (no ink)."""
    if not (0 <= top < SIDE and 0 <= left < SIDE and height >= 0 and width >= 0):
        raise ValueError(
            f"the block at row {top}, column {left}, {height}x{width} pixels, lies outside the 28x28 digit"
        )
    erased = x.clone()
    erased[..., top:top + height, left:left + width] = 0
    return erased


def damage(x: torch.Tensor, noise: float = 0.0, block: tuple | None = None, seed: int = 0) -> torch.Tensor:
    """x (N, 1, 28, 28) in [0, 1] with noise of std `noise` (drawn from `seed`), then the block (top, left,
    height, width) erased."""
    damaged = add_noise(x, noise, torch.Generator().manual_seed(seed)) if noise else x.clone()
    return erase_block(damaged, *block) if block else damaged


@torch.inference_mode()
def repair(model, x: torch.Tensor) -> torch.Tensor:
    """The model's reconstruction of x: decode(code) for an AE, decode(posterior mean) for a VAE."""
    return model.decode(model.latent_mean(x))


@torch.inference_mode()
def fill_in(model, damaged: torch.Tensor, block: tuple, steps: int = 10) -> torch.Tensor:
    """Repair only the erased block (top, left, height, width): every other pixel stays as in damaged, the
    block takes the model's repair, fed back steps times so that each guess at the block informs the next."""
    known = erase_block(torch.ones_like(damaged), *block)  # 0 in the block, 1 elsewhere
    filled = damaged
    for _ in range(steps):
        filled = known * damaged + (1 - known) * repair(model, filled)
    return filled


def mean_abs_error(images: torch.Tensor, clean: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference per image between images and clean (N, 1, 28, 28): (N,), in [0, 1]."""
    return (images - clean).abs().mean(dim=(1, 2, 3))


def denoising_noise(model) -> float:
    """The noise level a model was trained on (0 for a plain AE/VAE), from its checkpoint metadata."""
    return float(getattr(model, "metadata", {}).get("train_noise", 0))


INFERNO = np.array([hex_to_rgb(colour) for colour in sequential.Inferno], dtype=np.float64)  # (K, 3), black to yellow


def error_picture(images: torch.Tensor, clean: torch.Tensor, scale: int = 8) -> np.ndarray:
    """|image - clean| of one image (1, 1, 28, 28) as an RGB picture (28*scale, 28*scale, 3): black where
    the pixel is exact, through red, to yellow where it is off by 1 (white for black or the reverse)."""
    error = (images - clean).abs()[0, 0].clamp(0, 1).numpy()  # (28, 28)
    stops = np.linspace(0, 1, len(INFERNO))
    rgb = np.stack([np.interp(error, stops, INFERNO[:, channel]) for channel in range(3)], axis=-1)
    return enlarge(rgb.round().astype(np.uint8), scale)


def error_scale_picture(width: int = 224, height: int = 12) -> np.ndarray:
    """The colour scale of error_picture, from error 0 (left) to 1 (right): (height, width, 3)."""
    ramp = torch.linspace(0, 1, width).view(1, 1, 1, width)
    return np.repeat(error_picture(ramp, torch.zeros_like(ramp), scale=1), height, axis=0)
