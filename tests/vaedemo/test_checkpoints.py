"""Checkpoints round-trip, and every kind of bad file is refused with a readable ValueError."""
import json
import pickle
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from vaedemo import load_checkpoint, save_checkpoint
from vaedemo.models import ModelConfig, build_model


@pytest.fixture
def vae():
    torch.manual_seed(0)
    return build_model(ModelConfig("vae", latent_dim=2, hidden=16))


def test_round_trip_keeps_weights_and_metadata(vae, tmp_path):
    path = save_checkpoint(vae, tmp_path / "mine.safetensors", epochs="3", test_loss="150.5")
    loaded = load_checkpoint(path)
    assert (loaded.kind, loaded.latent_dim, loaded.training) == ("vae", 2, False)
    assert loaded.metadata["epochs"] == "3" and loaded.metadata["test_loss"] == "150.5"
    assert loaded.metadata["hidden"] == "16" and loaded.metadata["dataset"] == "mnist"
    z = torch.randn(4, 2)
    with torch.no_grad():
        assert torch.equal(loaded.decode(z), vae.eval().decode(z))
    assert list(tmp_path.iterdir()) == [path]  # the temp file of the atomic write is gone


def test_a_conv_model_round_trips_with_its_arch(tmp_path):
    torch.manual_seed(0)
    conv = build_model(ModelConfig("ae", latent_dim=4, hidden=16, arch="conv"))
    loaded = load_checkpoint(save_checkpoint(conv, tmp_path / "conv.safetensors"))
    assert (loaded.kind, loaded.config.arch, loaded.metadata["arch"]) == ("ae", "conv", "conv")
    x = torch.rand(2, 1, 28, 28)
    with torch.no_grad():
        assert torch.equal(loaded.encode(x), conv.eval().encode(x))
    as_mlp = tmp_path / "as-mlp.safetensors"  # conv weights under an MLP's metadata
    save_file({name: t.contiguous() for name, t in conv.state_dict().items()}, as_mlp,
              metadata={"kind": "ae", "latent_dim": "4", "hidden": "16", "arch": "mlp"})
    refuse(as_mlp, "does not hold a vaedemo AE's weights")


def test_a_narrow_conv_model_in_float16_is_stored_as_it_computes(tmp_path):
    """channels and weights round-trip; float16 weights are stored in half the bytes, exactly as the model has them
    after training (vaedemo.train rounds them), so the loaded model computes the same numbers."""
    from safetensors import safe_open

    from vaedemo.data import load_test_sample
    from vaedemo.train import TrainConfig, fit

    images = load_test_sample("mnist")[0][:256]
    config = TrainConfig(kind="vae", arch="conv", channels=4, hidden=8, weights="float16", epochs=1, batch_size=64)
    model = fit(config, images, images[:32]).model.eval()
    assert all(torch.equal(weight, weight.half().float()) for weight in model.state_dict().values())
    path = save_checkpoint(model, tmp_path / "small.safetensors")
    with safe_open(str(path), framework="pt") as f:
        assert {f.get_tensor(key).dtype for key in f.keys()} == {torch.float16}
    loaded = load_checkpoint(path)
    assert (loaded.config.channels, loaded.config.weights, loaded.metadata["channels"]) == (4, "float16", "4")
    assert loaded.encoder[0].out_channels == 4 and loaded.encoder[2].out_channels == 8
    with torch.no_grad():
        assert torch.equal(loaded.decode(loaded.encode(images[:3])[0]), model.decode(model.encode(images[:3])[0]))
    float32 = save_checkpoint(build_model(ModelConfig("vae", 2, 8, arch="conv", channels=4)), tmp_path / "f32.st")
    assert path.stat().st_size < 0.6 * float32.stat().st_size
    assert load_checkpoint(float32).config.weights == "float32"


def test_a_checkpoint_without_arch_is_an_mlp(vae, tmp_path):
    """Every checkpoint written before the conv pair existed (the shipped ones among them) has no arch."""
    path = tmp_path / "old.safetensors"
    save_file({name: t.contiguous() for name, t in vae.state_dict().items()}, path,
              metadata={"kind": "vae", "latent_dim": "2", "hidden": "16"})
    assert load_checkpoint(path).config.arch == "mlp"


def test_non_string_metadata_is_stored_as_json(vae, tmp_path):
    loaded = load_checkpoint(save_checkpoint(vae, tmp_path / "m.safetensors", history=[1.5, 2.5]))
    assert json.loads(loaded.metadata["history"]) == [1.5, 2.5]


def refuse(path, *phrases):
    with pytest.raises(ValueError) as error:
        load_checkpoint(path)
    message = str(error.value)
    assert path.name in message or "no such file" in message
    for phrase in phrases:
        assert phrase in message
    return message


def test_refuses_a_pytorch_pickle_without_running_it(vae, tmp_path):
    path = tmp_path / "model.pt"
    torch.save(vae.state_dict(), path)
    refuse(path, "not a .safetensors file", "PyTorch")


class Exploit:
    def __reduce__(self):
        return (open, ("/tmp/vaedemo-pwned", "w"))


def test_refuses_a_raw_pickle_and_never_unpickles(tmp_path):
    path = tmp_path / "evil.safetensors"
    path.write_bytes(pickle.dumps(Exploit(), protocol=2))
    refuse(path, "not a .safetensors file", "pickle")
    assert not Path("/tmp/vaedemo-pwned").exists()


def test_refuses_random_bytes_empty_missing_and_huge_files(tmp_path):
    random_bytes = tmp_path / "noise.safetensors"
    random_bytes.write_bytes(torch.randint(0, 256, (4096,), dtype=torch.uint8).numpy().tobytes())
    refuse(random_bytes, "not a .safetensors file")
    empty = tmp_path / "empty.safetensors"
    empty.write_bytes(b"")
    refuse(empty, "empty")
    refuse(tmp_path / "absent.safetensors", "no such file")
    huge = tmp_path / "huge.safetensors"
    with open(huge, "wb") as f:
        f.truncate(200 * 2**20)  # sparse: 200 MB on paper
    refuse(huge, "larger than any vaedemo checkpoint")


def test_refuses_safetensors_that_are_not_vaedemo_models(vae, tmp_path):
    plain = tmp_path / "plain.safetensors"
    save_file({"w": torch.zeros(3)}, plain)
    refuse(plain, "metadata lacks")

    state = {k: v.contiguous() for k, v in vae.state_dict().items()}
    meta = {"kind": "vae", "latent_dim": "2", "hidden": "16"}
    wrong_keys = tmp_path / "keys.safetensors"
    save_file({**state, "extra.weight": torch.zeros(1)}, wrong_keys, metadata=meta)
    refuse(wrong_keys, "unexpected: extra.weight")

    wrong_shape = tmp_path / "shape.safetensors"
    save_file({**state, "encoder.0.weight": torch.zeros(16, 100)}, wrong_shape, metadata=meta)
    refuse(wrong_shape, "encoder.0.weight", "[16, 100]", "[16, 784]")

    mismatched = tmp_path / "latent.safetensors"
    save_file(state, mismatched, metadata={**meta, "latent_dim": "16"})
    refuse(mismatched, "latent size 16")

    bad_kind = tmp_path / "kind.safetensors"
    save_file(state, bad_kind, metadata={**meta, "kind": "gan"})
    refuse(bad_kind, "invalid metadata")

    nan = tmp_path / "nan.safetensors"
    save_file({**state, "decoder.2.bias": torch.full((784,), float("nan"))}, nan, metadata=meta)
    refuse(nan, "NaN")


def test_shipped_checkpoints_survive_a_failed_load(tmp_path):
    shipped = Path(__file__).resolve().parents[2] / "checkpoints" / "vae-2d.safetensors"
    before = shipped.read_bytes()
    refuse(tmp_path / "absent.safetensors", "no such file")
    assert shipped.read_bytes() == before
