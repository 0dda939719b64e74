"""How well each shipped model repairs damaged test digits, as the Repair page measures it.

On the 2,000 digits of the shipped test sample: the mean absolute error per pixel against the clean digit,
of the damaged picture and of each model's repair (decode of the code / posterior mean of the damaged
picture; for an erased block also "fill": the block alone redrawn, the other pixels kept), and the share of
digits whose repair is closer to the clean digit than the damaged picture. Noise is drawn with one seed
for all models. Run: make bench.
"""

import torch

from tests.harness.server import ROOT
from vaedemo import load_checkpoint
from vaedemo.data import load_test_sample
from vaedemo.repair import REGIONS, damage, fill_in, mean_abs_error, repair

NAMES = ["ae-2d", "vae-2d", "ae-16d", "vae-16d", "vae-16d-denoise"]


def main():
    torch.set_num_threads(1)
    clean, _ = load_test_sample()
    models = {name: load_checkpoint(ROOT / "checkpoints" / f"{name}.safetensors") for name in NAMES
              if (ROOT / "checkpoints" / f"{name}.safetensors").exists()}
    damages = {f"noise {level:g}": (dict(noise=level), repair) for level in (0.0, 0.2, 0.4, 0.6, 0.8)}
    for region, block in REGIONS.items():
        damages[f"erase {region}"] = (dict(block=block), repair)
        damages[f"fill {region}"] = (
            dict(block=block),
            lambda model, damaged, block=block: fill_in(model, damaged, block),
        )
    print(f"Mean |error| per pixel against the clean digit on {len(clean):,} test digits "
          "(in brackets: share of digits the repair brings closer than the damaged picture)")
    print(f"{'damage':<18} {'damaged':>8} " + " ".join(f"{name:>16}" for name in models))
    for label, (settings, repair_with) in damages.items():
        damaged = damage(clean, seed=0, **settings)
        damaged_error = mean_abs_error(damaged, clean)
        cells = []
        for model in models.values():
            error = mean_abs_error(repair_with(model, damaged), clean)
            cells.append(f"{error.mean():.3f} ({(error < damaged_error).float().mean():4.0%})")
        print(f"{label:<18} {damaged_error.mean():8.3f} " + " ".join(f"{cell:>16}" for cell in cells), flush=True)


if __name__ == "__main__":
    main()
