"""The VQ-VAE (vaedemo.models.VQVAE) by hand on tiny cases: the nearest-code assignment, the codebook and
commitment losses, the straight-through gradient, the uniform prior's KL, dead-code restarts, the codebook figures,
its checkpoints, and the browser's packing of its decoder and codebook. The shipped one is checked in
tests/vaedemo/test_shipped.py, the CLI in tests/vaedemo/test_cli.py."""
import math

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from tests.harness.latent_maps import decode, unpack
from tests.harness.server import ROOT
from vaedemo import load_checkpoint, save_checkpoint
from vaedemo.data import load_test_sample
from vaedemo.evaluate import codebook_figures, evaluate
from vaedemo.losses import codebook_losses, nearest_codes, straight_through
from vaedemo.models import COMMITMENT, ModelConfig, build_model
from webapp.components.latent_map import pack_codes


@pytest.fixture
def vqvae():
    torch.manual_seed(0)
    return build_model(ModelConfig("vqvae", latent_dim=3, hidden=8, arch="conv", codebook_size=5))


def test_each_vector_gets_its_nearest_code():
    codebook = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]])
    z = torch.tensor([[0.4, 0.1], [0.6, 0.0], [0.1, 1.2], [-3.0, -3.0], [0.9, 1.9]])
    # squared distances of [0.9, 1.9] to the codes: 4.42, 3.62, 0.82 -> code 2
    assert nearest_codes(z, codebook).tolist() == [0, 1, 2, 0, 2]
    assert nearest_codes(z.view(1, 5, 2), codebook).shape == (1, 5)  # any leading shape


def test_codebook_and_commitment_losses_by_hand():
    z_e = torch.tensor([[1.0, 2.0], [0.0, -1.0]], requires_grad=True)
    z_q = torch.tensor([[0.0, 0.0], [0.5, -1.0]], requires_grad=True)
    codebook, commitment = codebook_losses(z_e, z_q)
    assert codebook.item() == commitment.item() == pytest.approx(1 + 4 + 0.25 + 0)  # |z_e - z_q|^2 summed
    codebook.backward()  # moves the codes only: d/dz_q = 2 (z_q - z_e)
    assert z_e.grad is None and z_q.grad.tolist() == [[-2.0, -4.0], [1.0, 0.0]]
    z_q.grad = None
    codebook_losses(z_e, z_q)[1].backward()  # moves the encoder's outputs only: d/dz_e = 2 (z_e - z_q)
    assert z_q.grad is None and z_e.grad.tolist() == [[2.0, 4.0], [-1.0, 0.0]]


def test_straight_through_is_the_code_forward_and_the_identity_backward():
    z_e = torch.tensor([0.3, -0.2], requires_grad=True)
    z_q = torch.tensor([1.0, 0.0], requires_grad=True)
    out = straight_through(z_e, z_q)
    assert out.tolist() == [1.0, 0.0]
    (out * torch.tensor([5.0, -7.0])).sum().backward()
    assert z_e.grad.tolist() == [5.0, -7.0] and z_q.grad is None


def test_the_encoder_gets_the_decoder_inputs_gradient_and_the_codebook_only_its_loss(vqvae):
    """In the model's own objective: the encoder's output gets exactly the decoder input's gradient plus the
    commitment loss's 2 beta (z_e - e); the codebook gets only the codebook loss's 2 (e - z_e) of its vectors."""
    seen = {}

    def keep(name):
        def hook(module, args, output=None):
            tensor = output if output is not None else args[0]
            tensor.retain_grad()
            seen[name] = tensor
        return hook

    vqvae.eval()  # no restarts in eval mode: the codebook stays as it is
    hooks = (vqvae.encoder.register_forward_hook(keep("z_e")),
             vqvae.decoder.register_forward_pre_hook(keep("decoder_input")))
    x = torch.rand(2, 1, 28, 28)
    loss, recon, kl = vqvae.objective(x, x)
    loss.backward()
    for hook in hooks:
        hook.remove()
    z_e, decoder_input = seen["z_e"], seen["decoder_input"]  # (N, D, 7, 7) each
    with torch.no_grad():
        indices = vqvae.encode(x)  # (N, 7, 7): the same, the model unchanged
        e = vqvae.quantise(indices)  # (N, D, 7, 7)
    assert torch.allclose(decoder_input, e, atol=1e-6)  # the decoder reads the codes' vectors
    assert torch.allclose(z_e.grad, decoder_input.grad + 2 * COMMITMENT * (z_e - e).detach(), atol=1e-6)
    pulls = 2 * (e - z_e).detach().permute(0, 2, 3, 1).reshape(-1, 3)  # (N * 49, D)
    expected = torch.zeros(5, 3).index_add_(0, indices.flatten(), pulls)
    assert torch.allclose(vqvae.codebook.grad, expected, atol=1e-5)
    codebook, commitment = codebook_losses(z_e.permute(0, 2, 3, 1), e.permute(0, 2, 3, 1))
    assert loss.item() == pytest.approx((recon + kl + codebook + COMMITMENT * commitment).item(), rel=1e-5)


def test_the_kl_is_the_uniform_priors_constant_and_the_test_loss_adds_it(vqvae):
    x = torch.rand(4, 1, 28, 28)
    loss, recon, kl = vqvae.eval().loss(x)
    assert kl.item() == pytest.approx(4 * 49 * math.log(5))
    assert loss.item() == pytest.approx(recon.item() + kl.item())


def test_encode_and_decode_keep_the_contract(vqvae):
    vqvae.eval()
    codes = vqvae.encode(torch.rand(3, 1, 28, 28))
    assert codes.shape == (3, 7, 7) and codes.dtype == torch.int64 and 0 <= codes.min() and codes.max() < 5
    images = vqvae.decode(codes)
    assert images.shape == (3, 1, 28, 28) and 0 <= images.min() and images.max() <= 1
    assert vqvae.codebook.shape == (5, 3)
    for bad in (codes.float(), codes + 5, codes[0]):
        with pytest.raises(ValueError, match="int64"):
            vqvae.decode(bad)


def test_unused_codes_restart_on_the_batchs_encoder_outputs(vqvae):
    z_e = torch.randn(2, 7, 7, 3)
    indices = torch.zeros(2, 7, 7, dtype=torch.int64)  # every vector went to code 0
    vqvae.usage.fill_(1 / 5)
    vqvae.usage[3] = 0.0  # code 3 has gone unused for a long while
    before = vqvae.codebook.detach().clone()
    vqvae.restart_dead_codes(z_e, indices)
    after = vqvae.codebook.detach()
    assert torch.equal(after[[0, 1, 2, 4]], before[[0, 1, 2, 4]])
    assert (after[3] == z_e.reshape(-1, 3)).all(1).any()  # now one of the batch's vectors
    assert vqvae.usage[3] == pytest.approx(1 / 5)  # given time before it can be restarted again


def test_a_training_step_restarts_a_fresh_codebook_from_the_data():
    """A fresh model's usage is 0: its first training step moves every code the batch did not use onto one of the
    batch's encoder outputs (a data-dependent initialisation)."""
    torch.manual_seed(0)
    model = build_model(ModelConfig("vqvae", latent_dim=3, hidden=8, arch="conv", codebook_size=16)).train()
    x = torch.rand(8, 1, 28, 28)
    model.objective(x, x)
    vectors = model.encode_vectors(x).permute(0, 2, 3, 1).reshape(-1, 3).detach()
    on_data = (model.codebook.detach()[:, None] == vectors[None]).all(2).any(1)  # (K,)
    assert on_data.sum() >= 14  # the codes the first batch did not use: all but one or two


def test_codebook_use_and_perplexity_by_hand():
    assert codebook_figures(torch.tensor([2, 2, 0, 0])) == {"codebook_use": 0.5, "perplexity": pytest.approx(2.0)}
    figures = codebook_figures(torch.tensor([1, 1, 1, 1]))
    assert figures["codebook_use"] == 1.0 and figures["perplexity"] == pytest.approx(4.0)
    assert codebook_figures(torch.tensor([7, 0, 0]))["perplexity"] == pytest.approx(1.0)


def test_model_config_checks_a_vqvaes_sizes():
    with pytest.raises(ValueError, match="conv"):
        ModelConfig("vqvae", latent_dim=3, hidden=8)
    with pytest.raises(ValueError, match="codebook size"):
        ModelConfig("vqvae", latent_dim=3, hidden=8, arch="conv", codebook_size=1)


def test_a_vqvae_checkpoint_round_trips_and_bad_metadata_is_refused(vqvae, tmp_path):
    path = save_checkpoint(vqvae, tmp_path / "vq.safetensors", epochs="1")
    loaded = load_checkpoint(path)
    assert (loaded.kind, loaded.latent_dim, loaded.codebook_size, loaded.grid) == ("vqvae", 3, 5, 7)
    assert {"kind": "vqvae", "latent_dim": "3", "hidden": "8", "arch": "conv", "codebook_size": "5",
            "grid": "7"}.items() <= loaded.metadata.items()
    codes = torch.randint(5, (2, 7, 7))
    with torch.inference_mode():
        assert torch.equal(loaded.decode(codes), vqvae.eval().decode(codes))
    weights = {name: t.contiguous() for name, t in vqvae.state_dict().items()}
    meta = {"kind": "vqvae", "latent_dim": "3", "hidden": "8", "arch": "conv", "grid": "7"}
    for changes, phrase in (({}, "codebook_size"), ({"codebook_size": "5", "grid": "4"}, "grid"),
                            ({"codebook_size": "6"}, r"codebook has shape \[5, 3\], .* and 6 codes needs \[6, 3\]")):
        bad = tmp_path / "bad.safetensors"
        save_file(weights, bad, metadata=meta | changes)
        with pytest.raises(ValueError, match=phrase):
            load_checkpoint(bad)


def test_the_packed_decoder_reads_a_grid_of_codebook_vectors(vqvae):
    """pack_codes sends the decoder with a grid as its input and the codebook in float32: decoded the way model.js
    decodes a grid of code numbers, it is the model's decode to within a grey level."""
    vqvae.eval()
    packed = pack_codes(vqvae)
    name, header, arrays = unpack(packed.blob)
    assert name == packed.id and (header["grid"], header["codebook_size"], header["latent_dim"]) == (7, 5, 3)
    _, decoder, weights = unpack(packed.decoder)
    assert [(layer["size_in"], layer["size_out"]) for layer in decoder["layers"] if layer["op"] != "relu"] == [
        (7, 7), (7, 14), (14, 28)]
    codebook = arrays[header["codebook"]].reshape(5, 3)
    assert np.array_equal(codebook, vqvae.codebook.detach().numpy())
    codes = torch.randint(5, (7, 7))
    grid = codebook[codes.numpy()].transpose(2, 0, 1).ravel()  # (D, 7, 7) as model.js lays it out
    with torch.inference_mode():
        expected = vqvae.decode(codes[None]).flatten().numpy()
    assert np.abs(decode(decoder, weights, grid) - expected).max() < 1.5 / 255


def test_the_shipped_vq_vae_on_the_shipped_test_sample():
    """The contract and the figures of checkpoints/vq-vae.safetensors on the 2,000 test digits the app ships (no MNIST
    needed; tests/vaedemo/test_shipped.py checks its targets on all 10,000): 53.75 nats of reconstruction, every one of
    its 64 codes in use, perplexity 45.5."""
    model = load_checkpoint(ROOT / "checkpoints" / "vq-vae.safetensors")
    images, _ = load_test_sample("mnist")
    assert (model.kind, model.latent_dim, model.codebook_size, model.grid) == ("vqvae", 16, 64, 7)
    assert model.codebook.shape == (64, 16) and model.codebook.dtype == torch.float32
    with torch.inference_mode():
        codes = model.encode(images[:10])
        decoded = model.decode(codes)
    assert codes.shape == (10, 7, 7) and codes.dtype == torch.int64
    assert decoded.shape == (10, 1, 28, 28) and decoded.dtype == torch.float32
    assert 0 <= decoded.min() and decoded.max() <= 1
    assert (decoded - images[:10]).abs().mean() < 0.05  # the digits rebuilt, not a blur
    figures = evaluate(model, images)
    assert figures["test_recon"] == pytest.approx(53.75, abs=0.05)
    assert figures["test_kl"] == pytest.approx(49 * math.log(64))
    assert figures["codebook_use"] == 1.0 and figures["perplexity"] == pytest.approx(45.46, abs=0.05)
