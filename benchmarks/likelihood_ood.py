"""Likelihood as a test of belonging, on the shipped VAEs: -log p(x) of the first 1,000 test images of MNIST and of
Fashion-MNIST under each MLP VAE (100 importance samples), and how well each candidate out-of-distribution score
tells the other data set's images from the model's own (AUROC; below 0.5: backwards):
  nll        -log p(x) alone (Nalisnick et al. 2019: fails for the Fashion-MNIST VAEs)
  excess     -log p(x) - H(x), the pixels' entropy taken out (vaedemo.likelihood, the one the app shows)
  png, zlib  -log p(x) - L(x), L(x) the 8-bit image's PNG or zlib length in nats (Serra et al. 2020)
  typical    |-log p(x) - its mean over 500 other images of the model's own| (Nalisnick et al. 2019, one image)
Then the Likelihood page's costs on one thread: the first open of a model (both 2,000-image samples, the page's
20 importance samples), and the reference's work per drawing in Python (its two figures; the page computes them in
the browser: benchmarks/draw_latency.py times the browser).
Needs both data sets (make data). Run: python -m benchmarks.likelihood_ood
"""
import io
import math
import time
import zlib

import numpy as np
import torch
from PIL import Image

from tests.harness.apptest import seven_on_canvas
from tests.harness.server import ROOT
from vaedemo import load_checkpoint
from vaedemo.data import load_mnist, load_test_sample
from vaedemo.evaluate import importance_weighted_nlls
from vaedemo.likelihood import auroc, excess_nats, separation
from vaedemo.preprocess import preprocess_drawing

MODELS = {"fashion-vae-16d": "fashion", "fashion-vae-2d": "fashion", "vae-16d": "mnist", "vae-2d": "mnist"}
PAGE_SAMPLES = 20  # webapp.ui.LIKELIHOOD_SAMPLES (not imported: that module is the app's, with Streamlit)


def compressed_nats(images: torch.Tensor, compress) -> torch.Tensor:
    """The length of each image's 8-bit pixels under a lossless compressor, in nats: (N,)."""
    pixels = (images[:, 0] * 255).round().to(torch.uint8).numpy()
    return torch.tensor([len(compress(p)) * 8 * math.log(2) for p in pixels], dtype=torch.float64)


def png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def deflate(pixels: np.ndarray) -> bytes:
    return zlib.compress(pixels.tobytes(), 9)


def main():
    torch.set_num_threads(1)
    images = {name: load_mnist(train=False, limit=1000, log=lambda _: None, dataset=name)[0]
              for name in ("mnist", "fashion")}
    lengths = {name: {"png": compressed_nats(x, png), "zlib": compressed_nats(x, deflate)}
               for name, x in images.items()}
    print("-log p(x), nats per image (first 1,000 test images, 100 samples) and AUROC of each score "
          "(the other data set against the model's own)")
    print(f"{'model':<16} {'own':>7} {'other':>7} {'nll':>6} {'excess':>7} {'png':>6} {'zlib':>6} {'typical':>8}")
    for name, own in MODELS.items():
        vae = load_checkpoint(ROOT / "checkpoints" / f"{name}.safetensors")
        found = separation(vae, images, own, samples=100)
        other = found.other
        typical = found.nll[own][:500].mean()
        scores = {"png": {d: found.nll[d] - lengths[d]["png"] for d in images},
                  "zlib": {d: found.nll[d] - lengths[d]["zlib"] for d in images},
                  "typical": {d: (found.nll[d] - typical).abs() for d in images}}
        held_out = {d: slice(500, None) if d == own else slice(None) for d in images}  # typical: not its own 500
        cells = [auroc(s[other][held_out[other]], s[own][held_out[own]]) for s in scores.values()]
        print(f"{name:<16} {found.nll[own].mean():7.1f} {found.nll[other].mean():7.1f} {found.auroc_nll():6.3f} "
              f"{found.auroc_excess():7.3f} " + " ".join(f"{c:6.3f}" for c in cells[:2]) + f" {cells[2]:8.3f}")

    samples = {name: load_test_sample(name)[0] for name in ("mnist", "fashion")}
    x = preprocess_drawing(seven_on_canvas())
    print(f"\nThe Likelihood page, one thread: first open of a model ({PAGE_SAMPLES} importance samples, "
          f"{sum(len(v) for v in samples.values()):,} images), and a drawing's figures in Python (median of 20)")
    for name, own in MODELS.items():
        vae = load_checkpoint(ROOT / "checkpoints" / f"{name}.safetensors")
        start = time.perf_counter()
        found = separation(vae, samples, own, samples=PAGE_SAMPLES)
        first_open = time.perf_counter() - start
        strokes = []
        for _ in range(20):
            start = time.perf_counter()
            nll = importance_weighted_nlls(vae, x, PAGE_SAMPLES)
            excess = excess_nats(nll, x)
            assert excess.isfinite().all()
            strokes.append(time.perf_counter() - start)
        print(f"{name:<16} first open {first_open:5.2f} s, a drawing {1000 * np.median(strokes):5.1f} ms "
              f"(AUROC nll {found.auroc_nll():.3f}, excess {found.auroc_excess():.3f})")


if __name__ == "__main__":
    main()
