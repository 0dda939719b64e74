"""vaedemo: autoencoders and variational autoencoders on MNIST, as a library, a CLI and an app."""
from .checkpoints import load_checkpoint, save_checkpoint
from .models import VAE, AutoEncoder, ModelConfig, build_model
from .train import TrainConfig, fit

__all__ = ["AutoEncoder", "VAE", "ModelConfig", "TrainConfig", "build_model", "fit", "load_checkpoint", "save_checkpoint"]
