"""The autoencoder, the variational autoencoder and the conditional VAE, with the same MLP shape so they compare
fairly.

    encoder: 784 -> hidden -> latent_dim        (VAE: -> 2 * latent_dim, the mean and log-variance)
    decoder: latent_dim -> hidden -> 784 logits (decode() applies the sigmoid: Bernoulli means)
    arch "conv" (AE and VAE): two stride-2 4x4 convolutions 1 -> C -> 2C channels (28 -> 14 -> 7 pixels; C = 32 by
          default) before the hidden layer, mirrored by two transposed convolutions in the decoder
    CVAE: the label y as a one-hot vector of 10 appended to the encoder's input and to the decoder's code,
          q(z | x, y) and p(x | z, y): z keeps only what the label does not say, the style
    VQ-VAE: the conv encoder's two stride-2 convolutions, then a 3x3 one (hidden channels) and a 1x1 one to a
          7x7 grid of D-vectors, each snapped to the nearest of K codebook entries; the decoder mirrors it
          (3x3 transposed convolution, stride 1, then the conv decoder's two stride-2 ones) from the grid of
          codebook vectors (D, 7, 7), so that the browser runs it like the other decoders

References:
- Kingma & Welling, "Auto-Encoding Variational Bayes", 2014 (the reparameterisation trick, appendix B).
- Sohn, Lee & Yan, "Learning Structured Output Representation using Deep Conditional Generative Models", 2015;
  Kingma, Rezende, Mohamed & Welling, "Semi-Supervised Learning with Deep Generative Models", 2014 (M2).
- van den Oord, Vinyals & Kavukcuoglu, "Neural Discrete Representation Learning", 2017 (the VQ-VAE: nearest-code
  assignment, straight-through gradient, codebook and commitment losses, the uniform prior's KL h * w * log K).
- Dhariwal et al., "Jukebox", 2020, section 2.3 and Zeghidour et al., "SoundStream", 2021: restarting dead codes
  from the encoder's outputs.
- pytorch/examples vae/main.py (the same model family and the same test-set metric).
"""
import functools
import math
import weakref
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .losses import codebook_losses, elbo, gaussian_kl_per_dimension, nearest_codes, reparameterise, straight_through

PIXELS = 28 * 28
CLASSES = 10  # the labels a CVAE is conditioned on
GRID = 7  # a VQ-VAE's codes: a GRID x GRID grid (28 pixels halved twice)
COMMITMENT = 0.25  # the commitment loss's weight (the paper's beta; results were robust from 0.1 to 2)


@dataclass(frozen=True)
class ModelConfig:
    kind: str = "vae"  # "ae", "vae", "cvae" or "vqvae"
    latent_dim: int = 2  # VQ-VAE: D, the size of each codebook vector
    hidden: int = 512  # VQ-VAE: the channels of the 7x7 layers
    arch: str = "mlp"  # "mlp" or "conv" (AE and VAE; the VQ-VAE is conv only)
    codebook_size: int = 64  # VQ-VAE: K, the number of codebook vectors
    channels: int = 32  # conv AE and VAE: C, the first convolution's channels (the second has 2C)
    weights: str = "float32"  # how its weights are stored, and so what they are: "float32" or "float16"

    def __post_init__(self):
        if self.kind not in ("ae", "vae", "cvae", "vqvae"):
            raise ValueError(f"model kind must be 'ae', 'vae', 'cvae' or 'vqvae', not {self.kind!r}")
        if self.arch not in ("mlp", "conv"):
            raise ValueError(f"architecture must be 'mlp' or 'conv', not {self.arch!r}")
        if self.arch == "conv" and self.kind == "cvae":
            raise ValueError("the conv architecture is for the AE and the VAE; the CVAE is an MLP")
        if self.kind == "vqvae" and self.arch != "conv":
            raise ValueError("a VQ-VAE is convolutional: its codes are a grid (use the conv architecture)")
        if self.latent_dim < 1 or self.hidden < 1:
            raise ValueError("latent size and hidden size must be at least 1")
        if self.channels < 1:
            raise ValueError("the conv channels must be at least 1")
        if self.weights not in ("float32", "float16"):
            raise ValueError(f"weights must be float32 or float16, not {self.weights!r}")
        if not 2 <= self.codebook_size <= 1024:
            raise ValueError(f"the codebook size must be from 2 to 1024, not {self.codebook_size}")


def mlp(n_in: int, hidden: int, n_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, n_out))


def conv_encoder(hidden: int, n_out: int, c: int = 32) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, c, 4, stride=2, padding=1), nn.ReLU(),  # (N, c, 14, 14)
        nn.Conv2d(c, 2 * c, 4, stride=2, padding=1), nn.ReLU(),  # (N, 2c, 7, 7)
        nn.Flatten(), nn.Linear(2 * c * 7 * 7, hidden), nn.ReLU(), nn.Linear(hidden, n_out))  # (N, n_out)


def conv_decoder(n_in: int, hidden: int, c: int = 32) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, 2 * c * 7 * 7), nn.ReLU(),
        nn.Unflatten(1, (2 * c, 7, 7)),
        nn.ConvTranspose2d(2 * c, c, 4, stride=2, padding=1), nn.ReLU(),  # (N, c, 14, 14)
        nn.ConvTranspose2d(c, 1, 4, stride=2, padding=1))  # (N, 1, 28, 28) logits


def vq_encoder(hidden: int, dim: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, 32, 4, stride=2, padding=1), nn.ReLU(),  # (N, 32, 14, 14)
        nn.Conv2d(32, 64, 4, stride=2, padding=1), nn.ReLU(),  # (N, 64, 7, 7)
        nn.Conv2d(64, hidden, 3, padding=1), nn.ReLU(),  # (N, hidden, 7, 7)
        nn.Conv2d(hidden, dim, 1))  # (N, D, 7, 7)


def vq_decoder(dim: int, hidden: int) -> nn.Sequential:
    return nn.Sequential(
        nn.ConvTranspose2d(dim, hidden, 3, padding=1), nn.ReLU(),  # (N, hidden, 7, 7)
        nn.ConvTranspose2d(hidden, 32, 4, stride=2, padding=1), nn.ReLU(),  # (N, 32, 14, 14)
        nn.ConvTranspose2d(32, 1, 4, stride=2, padding=1))  # (N, 1, 28, 28) logits


class AutoEncoder(nn.Module):
    """The methods below pass `*condition` on to encode and decode_logits: nothing for an AE or a VAE, the
    labels y for a CVAE."""
    kind = "ae"
    condition_size = 0  # inputs the label adds to the encoder and the decoder (CVAE: its one-hot vector)

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        self.latent_dim = config.latent_dim
        if config.arch == "conv":
            self.encoder = conv_encoder(config.hidden, self.code_size, config.channels)
            self.decoder = conv_decoder(config.latent_dim, config.hidden, config.channels)
        else:
            self.encoder = mlp(PIXELS + self.condition_size, config.hidden, self.code_size)
            self.decoder = mlp(config.latent_dim + self.condition_size, config.hidden, PIXELS)

    @property
    def code_size(self) -> int:
        return self.latent_dim

    def encode(self, x):
        return self.encoder(x if self.config.arch == "conv" else x.flatten(1))  # (N, d)

    def latent_mean(self, x, *condition):
        """Where x lands in latent space: the code (AE) or the posterior mean (VAE)."""
        return self.encode(x, *condition)

    def decode_logits(self, z):
        return self.decoder(z).view(-1, 1, 28, 28)  # (N, 1, 28, 28)

    def decode(self, z, *condition):
        return torch.sigmoid(self.decode_logits(z, *condition))

    def sample_latent(self, x, *condition):
        """The code the decoder sees for x during training, and the KL term of each latent dimension summed over the
        batch, (d,): 0 for an AE."""
        return self.encode(x, *condition), x.new_zeros(self.latent_dim)

    def loss(self, x, *condition, beta: float = 1.0):
        """(loss, recon, kl), each summed over the batch, in nats."""
        return self.objective(x, x, *condition, beta=beta)

    def objective(self, inputs, x, *condition, beta: float = 1.0):
        """What training minimises, (loss, recon, kl) summed over the batch: x rebuilt from inputs (a denoising run:
        x with noise added; otherwise x itself)."""
        return self.objective_by_dimension(inputs, x, *condition, beta=beta)[:3]

    def objective_by_dimension(self, inputs, x, *condition, beta: float = 1.0):
        """objective's (loss, recon, kl) and the KL of each latent dimension summed over the batch, (d,): the test
        figures and the active units from one pass (vaedemo.evaluate)."""
        z, kl = self.sample_latent(inputs, *condition)
        return *elbo(self.decode_logits(z, *condition), x, kl.sum(), beta), kl


class VAE(AutoEncoder):
    kind = "vae"

    @property
    def code_size(self) -> int:
        return 2 * self.latent_dim  # mean and log-variance

    def encode(self, x):
        mu, logvar = super().encode(x).chunk(2, dim=1)  # (N, d) each
        return mu, logvar

    def latent_mean(self, x, *condition):
        return self.encode(x, *condition)[0]

    def sample_latent(self, x, *condition):
        mu, logvar = self.encode(x, *condition)
        return reparameterise(mu, logvar, torch.randn_like(mu)), gaussian_kl_per_dimension(mu, logvar)


class CVAE(VAE):
    """q(z | x, y) and p(x | z, y) for images x and their labels y, int64 (N,) in 0..9."""
    kind = "cvae"
    condition_size = CLASSES

    def encode(self, x, y):
        return super().encode(torch.cat([x.flatten(1), one_hot(y, x)], dim=1))  # (N, d) each

    def decode_logits(self, z, y):
        return super().decode_logits(torch.cat([z, one_hot(y, z)], dim=1))  # (N, 1, 28, 28)

    def decode_every_label(self, z):
        """One code z (d,) decoded with each label 0..9: one style written as every digit, (10, 1, 28, 28)."""
        return self.decode(z.expand(CLASSES, -1), torch.arange(CLASSES))


class VQVAE(nn.Module):
    """Discrete codes: the encoder's grid of D-vectors z_e (N, D, 7, 7), each replaced by its nearest codebook entry
    e_k (the code k), decoded from the grid of those entries z_q. The gradient skips the snap (straight-through: the
    decoder input's gradient goes to z_e as it is). The codebook learns from the codebook loss |sg(z_e) - e|^2, the
    encoder stays near its codes through the commitment loss COMMITMENT * |z_e - sg(e)|^2 (sg: no gradient).

    Codebook losses, not the paper's EMA updates: the whole model then trains through fit's one loop and one
    optimizer, and the two losses are what the tests compute by hand. What EMA buys, codes that are
    all used, comes here from restarts: in training, a code that the batches' share of vectors (a moving average)
    has left nearly unused is moved onto one of the batch's encoder outputs, so the 7 * 7 * N vectors of a batch
    keep the whole codebook busy. The prior over codes is uniform, so the KL is the constant 7 * 7 * log K per
    image (the paper's section 3.1) and loss - kl is the reconstruction plus the two codebook terms."""
    kind = "vqvae"
    condition_size = 0
    USAGE_DECAY = 0.95  # the moving average of each code's share of a batch's vectors
    DEAD_SHARE = 0.03  # a code with under 3 % of a uniform share (1 / K) is restarted

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        self.latent_dim = config.latent_dim
        self.codebook_size = config.codebook_size
        self.grid = GRID
        self.encoder = vq_encoder(config.hidden, config.latent_dim)
        self.codebook = nn.Parameter(torch.empty(config.codebook_size, config.latent_dim).uniform_(
            -1 / config.codebook_size, 1 / config.codebook_size))  # (K, D)
        self.decoder = vq_decoder(config.latent_dim, config.hidden)
        self.register_buffer("usage", torch.zeros(config.codebook_size), persistent=False)  # (K,) 0: restart at once

    def encode_vectors(self, x):
        return self.encoder(x)  # (N, D, 7, 7)

    def encode(self, x):
        """The code of each cell of each image: (N, 7, 7) int64 in 0..K-1."""
        return nearest_codes(self.encode_vectors(x).permute(0, 2, 3, 1), self.codebook)

    def latent_mean(self, x):
        """Where x lands: its codes (what the Repair page decodes for a session's own VQ-VAE)."""
        return self.encode(x)

    def quantise(self, indices):
        """The grid of codebook vectors of codes (N, 7, 7): (N, D, 7, 7), what the decoder reads."""
        return self.codebook[indices].permute(0, 3, 1, 2)

    def decode_logits(self, indices):
        return self.decoder(self.quantise(indices))  # (N, 1, 28, 28)

    def decode(self, indices):
        if indices.dtype != torch.int64 or indices.dim() != 3 or not (
                (0 <= indices) & (indices < self.codebook_size)).all():
            raise ValueError(f"a VQ-VAE decodes code indices: int64 (N, h, w), each from 0 to {self.codebook_size - 1}")
        return torch.sigmoid(self.decode_logits(indices))

    def kl(self, n: int):
        """KL(q(codes | x) || uniform prior) of n images: q is one-hot, so h * w * log K each, summed."""
        return torch.tensor(n * self.grid * self.grid * math.log(self.codebook_size))

    def loss(self, x, beta: float = 1.0):
        """(recon + kl, recon, kl) summed over the batch: -log p(x) bounded as in the paper, with the uniform prior."""
        _, recon, kl = self.objective(x, x, beta=beta)
        return recon + kl, recon, kl

    def objective(self, inputs, x, beta: float = 1.0):
        """(recon + kl + codebook loss + COMMITMENT * commitment loss, recon, kl) summed over the batch (beta does not
        apply: the KL is a constant)."""
        z_e = self.encode_vectors(inputs).permute(0, 2, 3, 1).float()  # (N, 7, 7, D)
        indices = nearest_codes(z_e, self.codebook)  # (N, 7, 7)
        if self.training and torch.is_grad_enabled():
            self.restart_dead_codes(z_e.detach(), indices)
        z_q = self.codebook[indices]  # (N, 7, 7, D)
        codebook, commitment = codebook_losses(z_e, z_q)
        logits = self.decoder(straight_through(z_e, z_q).permute(0, 3, 1, 2))
        _, recon, kl = elbo(logits, x, self.kl(len(x)))
        return recon + kl + codebook + COMMITMENT * commitment, recon, kl

    @torch.no_grad()
    def restart_dead_codes(self, z_e, indices):
        """Move the codes that the batches have left nearly unused onto random encoder outputs of this batch."""
        share = torch.bincount(indices.flatten(), minlength=self.codebook_size) / indices.numel()  # (K,)
        self.usage.mul_(self.USAGE_DECAY).add_(share, alpha=1 - self.USAGE_DECAY)
        dead = (self.usage < self.DEAD_SHARE / self.codebook_size).nonzero().flatten()  # (M,)
        if len(dead):
            vectors = z_e.reshape(-1, self.latent_dim)
            self.codebook[dead] = vectors[torch.randint(len(vectors), (len(dead),), device=vectors.device)]
            self.usage[dead] = 1 / self.codebook_size


def one_hot(y: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """Labels (N,) as one-hot rows (N, CLASSES) of like's dtype; a clear error for anything else."""
    if y.dtype != torch.int64 or y.shape != like.shape[:1] or not ((0 <= y) & (y < CLASSES)).all():
        raise ValueError(f"a CVAE's labels must be int64 in 0..{CLASSES - 1}, one for each of the {len(like)} images")
    return F.one_hot(y, CLASSES).to(like.dtype)


def build_model(config: ModelConfig) -> AutoEncoder:
    return {"ae": AutoEncoder, "vae": VAE, "cvae": CVAE, "vqvae": VQVAE}[config.kind](config)


@torch.no_grad()
def round_to_float16(model: nn.Module):
    """Each weight rounded to the nearest float16 number (kept as float32): what a model stored in float16 is."""
    for tensor in model.state_dict().values():
        if tensor.is_floating_point():
            tensor.copy_(tensor.half())


def per_model(compute):
    """compute(model, ...) once per model object, its result kept as long as the model lives: a shipped model's for the
    life of the process, a session's own model's as long as its session keeps it. What else compute takes must
    follow from the model (its test codes, say), since the model alone is the key."""
    kept = weakref.WeakKeyDictionary()

    @functools.wraps(compute)
    def once(model, *args):
        if model not in kept:
            kept[model] = compute(model, *args)
        return kept[model]

    return once
