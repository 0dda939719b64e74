"""Checkpoints: one .safetensors file, the weights plus string metadata. Never a pickle.

Loading treats every file as untrusted: it checks the format, the metadata, the key set, every
shape and that the weights are finite, and raises ValueError with a message a person can act on.
"""
import json
import os
import re
import tempfile
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from .models import GRID, AutoEncoder, ModelConfig, build_model

MAX_BYTES = 64 * 1024 * 1024  # far above any model of this demo (H=1024 is about 13 MB)
REQUIRED = ("kind", "latent_dim", "hidden")


def save_checkpoint(model: AutoEncoder, path, **metadata) -> Path:
    """Write the model and its metadata atomically (a temp file beside it, then a rename)."""
    path = Path(path)
    meta = {key: value if isinstance(value, str) else json.dumps(value) for key, value in metadata.items()}
    meta.update(
        kind=model.kind, latent_dim=str(model.latent_dim), hidden=str(model.config.hidden), arch=model.config.arch,
        weights=model.config.weights,
    )
    if model.config.arch == "conv" and model.kind != "vqvae":
        meta.update(channels=str(model.config.channels))
    if model.kind == "vqvae":  # its codes: K codebook vectors, a grid x grid of them per image
        meta.update(codebook_size=str(model.codebook_size), grid=str(model.grid))
    meta.setdefault("dataset", "mnist")
    dtype = torch.float16 if model.config.weights == "float16" else torch.float32
    state = {name: tensor.detach().to("cpu", dtype).contiguous() for name, tensor in model.state_dict().items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    os.close(fd)
    try:
        save_file(state, tmp, metadata=meta)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a checkpoint is for sharing
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def load_checkpoint(path) -> AutoEncoder:
    """A vaedemo model from a .safetensors file: eval mode, CPU, float32, `metadata` attached."""
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise ValueError(f"{name}: no such file")
    size = path.stat().st_size
    if size == 0:
        raise ValueError(f"{name} is empty (0 bytes), not a vaedemo checkpoint")
    if size > MAX_BYTES:
        raise ValueError(
            f"{name} is {size / 2**20:.0f} MB, larger than any vaedemo checkpoint ({MAX_BYTES // 2**20} MB at most)"
        )
    try:
        with safe_open(str(path), framework="pt") as f:
            metadata = f.metadata() or {}
            tensors = {key: f.get_tensor(key) for key in f.keys()}
    except (SafetensorError, OSError, RuntimeError, ValueError) as error:
        raise ValueError(f"{name} is not a .safetensors file ({describe(path)}); "
                         "vaedemo only loads .safetensors checkpoints that it wrote") from error
    config = config_from(metadata, name)
    model = build_model(config)
    expected = {key: tuple(t.shape) for key, t in model.state_dict().items()}
    found = {key: tuple(t.shape) for key, t in tensors.items()}
    if set(found) != set(expected):
        missing, extra = sorted(set(expected) - set(found)), sorted(set(found) - set(expected))
        raise ValueError(f"{name} does not hold a vaedemo {config.kind.upper()}'s weights "
                         f"(missing: {', '.join(missing) or 'none'}; unexpected: {', '.join(extra) or 'none'})")
    for key, shape in expected.items():
        if found[key] != shape:
            raise ValueError(
                f"{name}: weight {key} has shape {list(found[key])}, but a{' conv' if config.arch == 'conv' else ''} "
                f"{config.kind.upper()} with latent size {config.latent_dim} and hidden size {config.hidden}"
                f"{f' and {config.codebook_size} codes' if config.kind == 'vqvae' else ''} needs {list(shape)}"
            )
    for key, tensor in tensors.items():
        if not tensor.is_floating_point():
            raise ValueError(f"{name}: weight {key} is {tensor.dtype}, not floating point")
        if not torch.isfinite(tensor).all():
            raise ValueError(f"{name}: weight {key} holds NaN or infinite values (a training that diverged?)")
    model.load_state_dict({key: t.to(torch.float32) for key, t in tensors.items()})
    model.metadata = dict(metadata)
    return model.eval()


def checkpoint_bytes(model: AutoEncoder, **metadata) -> bytes:
    """The file save_checkpoint writes, as bytes (to send between processes or offer as a download)."""
    with tempfile.TemporaryDirectory() as tmp:
        return save_checkpoint(model, Path(tmp) / "model.safetensors", **metadata).read_bytes()


def load_checkpoint_bytes(data: bytes, name: str) -> AutoEncoder:
    """load_checkpoint for a file's contents (an upload); `name` is what the messages call it."""
    safe_name = re.sub(r"[^\w.-]", "_", Path(name).name).lstrip(".") or "upload"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / safe_name
        path.write_bytes(data)
        return load_checkpoint(path)


def config_from(metadata: dict, name: str) -> ModelConfig:
    missing = [key for key in REQUIRED if key not in metadata]
    if missing:
        raise ValueError(
            f"{name} is a .safetensors file but not a vaedemo checkpoint (its metadata lacks {', '.join(missing)})"
        )
    try:
        latent_dim, hidden = int(metadata["latent_dim"]), int(metadata["hidden"])
        codes = {}
        if metadata["kind"] == "vqvae":
            if metadata.get("grid") != str(GRID):
                raise ValueError(f"a VQ-VAE's grid of codes is {GRID} x {GRID}, not {metadata.get('grid')}")
            if "codebook_size" not in metadata:
                raise ValueError("a VQ-VAE's metadata must give its codebook_size")
            codes["codebook_size"] = int(metadata["codebook_size"])
        # checkpoints written before the conv pair existed have no arch: they are all MLPs
        if metadata.get("arch") == "conv" and metadata["kind"] != "vqvae":
            codes["channels"] = int(metadata.get("channels", "32"))
        return ModelConfig(kind=metadata["kind"], latent_dim=latent_dim, hidden=hidden,
                           arch=metadata.get("arch", "mlp"), weights=metadata.get("weights", "float32"), **codes)
    except ValueError as error:
        raise ValueError(f"{name} has invalid metadata: {error}") from error


def describe(path: Path) -> str:
    with open(path, "rb") as f:
        head = f.read(4)
    if head.startswith(b"PK"):
        return "it looks like a PyTorch .pt/.pth file, a zip archive of pickles"
    if head[:1] == b"\x80":
        return "it looks like a Python pickle"
    return "its header cannot be read"

