"""vaedemo: autoencoders and variational autoencoders on MNIST, as a library, a CLI and an app.

The names below load their module (and torch, seconds on a cold start) when first used, not on
`import vaedemo`: the app's sidebar and canvas, which need only vaedemo.datasets, show before that."""
import importlib

_MODULE_OF = {
    "AutoEncoder": "models",
    "VAE": "models",
    "CVAE": "models",
    "VQVAE": "models",
    "ModelConfig": "models",
    "build_model": "models",
    "TrainConfig": "train",
    "fit": "train",
    "load_checkpoint": "checkpoints",
    "save_checkpoint": "checkpoints",
}
__all__ = list(_MODULE_OF)


def __getattr__(name: str):
    if name not in _MODULE_OF:
        raise AttributeError(f"module 'vaedemo' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_MODULE_OF[name]}", __name__), name)


def __dir__():
    return sorted(list(globals()) + __all__)
