"""Server memory over 100 reruns of the Draw page with a drawing on it (Streamlit's AppTest, in process).

The models and the test-sample codes are loaded once per process (st.cache_resource), so the resident
memory should stay flat once the first runs have warmed up. Run: make bench.
"""
import sys
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
PAGE_SIZE = 4096


def resident_mb() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * PAGE_SIZE / 2**20


def drawing(seed: int) -> np.ndarray:
    """A white bar at a random slant on a black 280x280 canvas (RGBA)."""
    rng = np.random.default_rng(seed)
    canvas = np.zeros((280, 280, 4), dtype=np.uint8)
    canvas[..., 3] = 255
    x0, x1 = rng.integers(60, 220, size=2)
    for y in range(40, 240):
        x = int(x0 + (x1 - x0) * (y - 40) / 200)
        canvas[y, x - 12:x + 12, :3] = 255
    return canvas


def main():
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    marks = {}
    for run in range(1, 101):
        app.session_state["fed_drawing"] = drawing(run)
        app.run()
        if app.exception:
            sys.exit(f"run {run} raised: {app.exception}")
        if run in (1, 10, 50, 100):
            marks[run] = resident_mb()
    print("Draw page, 100 reruns with a new drawing each: resident memory "
          + ", ".join(f"after {run}: {mb:.0f} MB" for run, mb in marks.items())
          + f"; growth from run 10 to 100: {marks[100] - marks[10]:+.1f} MB")


if __name__ == "__main__":
    main()
