"""The training loop: the whole data set as one tensor in memory, a permutation per epoch, Adam
with cosine decay to 0, no DataLoader. One callback per step and per epoch feeds the CLI's progress
bar and the app's live curves; a stop event ends a run between two steps, mid-epoch included.
"""
import contextlib
import copy
import math
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import torch

from .datasets import dataset_info
from .evaluate import evaluate
from .models import AutoEncoder, ModelConfig, build_model, round_to_float16
from .repair import add_noise

# A class run, the Train page's default: the best 2-D VAE this app trains in about a second of one core
# (benchmarks/class_run.py), so that a hall's runs all come back within minutes.
CLASS_RUN = {"kind": "vae", "latent_dim": 2, "hidden": 256, "epochs": 3, "batch_size": 64, "lr": 1e-2,
             "train_size": 5_000}
BLOWN_UP = 1e4  # nats per image; a model that predicts 0.5 for every pixel scores 543


@dataclass
class TrainConfig:
    kind: str = "vae"  # "ae", "vae", "cvae" (conditioned on the labels) or "vqvae" (discrete codes)
    dataset: str = "mnist"  # "mnist" or "fashion" (Fashion-MNIST)
    latent_dim: int = 2
    hidden: int = 512
    arch: str = "mlp"  # "mlp" or "conv" (convolutions before the hidden layer; AE and VAE; a VQ-VAE is conv)
    codebook_size: int = 64  # VQ-VAE: K, the number of codebook vectors
    channels: int = 32  # conv: the first convolution's channels (the second has twice as many)
    weights: str = "float32"  # "float16": the weights rounded to float16 after each epoch, tested and stored so
    epochs: int = 10
    batch_size: int = 128
    lr: float = 1e-3
    beta: float = 1.0
    seed: int = 0
    train_size: int | None = None  # first N training images; None = all
    threads: int | None = None  # torch threads for this process; None = leave as is
    precision: str = "auto"  # "auto" (bf16 where the CPU has it natively), "bf16" or "fp32"
    noise: float = 0.0  # denoising: std of the Gaussian noise on the inputs (targets stay clean); 0 = plain
    kl_warmup: int = 0  # KL warm-up: epochs over which the KL weight rises linearly from 0 to beta; 0 = none

    def __post_init__(self):
        checks = {  # the model's own settings (kind, sizes, architecture) are ModelConfig's to check
            "epochs": self.epochs >= 1, "batch size": self.batch_size >= 1,
            "learning rate": self.lr > 0 and math.isfinite(self.lr),
            "beta": self.beta >= 0 and math.isfinite(self.beta),
            "training-set size": self.train_size is None or self.train_size >= 1, "KL warm-up": self.kl_warmup >= 0,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ValueError(f"invalid {', '.join(bad)}: must be positive (beta and the KL warm-up may be 0)")
        dataset_info(self.dataset)  # raises ValueError on an unknown data set
        _ = self.model_config  # raises ValueError on an unknown kind or architecture, a conv CVAE, or a size below 1
        if self.precision not in ("auto", "bf16", "fp32"):
            raise ValueError(f"precision must be auto, bf16 or fp32, not {self.precision!r}")
        if not 0 <= self.noise <= 1:
            raise ValueError(f"noise must be between 0 and 1 (a std on pixels in [0, 1]), not {self.noise}")

    @property
    def model_config(self) -> ModelConfig:
        return ModelConfig(**{name: getattr(self, name) for name in MODEL_FIELDS})

    def steps_per_epoch(self, n: int) -> int:
        """Optimizer steps of one epoch on n training images (the last batch may be short)."""
        return math.ceil(n / min(self.batch_size, n))

    def total_steps(self, n: int) -> int:
        """Optimizer steps of a whole run on n training images."""
        return self.epochs * self.steps_per_epoch(n)

    def kl_weight(self, step: int, n: int) -> float:
        """The KL term's weight in optimizer step `step` (0 = the first) of a run on n training images: beta, or with
        a KL warm-up (Bowman et al. 2016, "Generating Sentences from a Continuous Space") rising linearly from 0 at
        the first step to beta after kl_warmup epochs, so the decoder learns to use z before the KL pulls it shut."""
        if not self.kl_warmup:
            return self.beta
        return self.beta * min(1.0, step / (self.kl_warmup * self.steps_per_epoch(n)))

    @property
    def uses_bf16(self) -> bool:
        return self.precision == "bf16" or (self.precision == "auto" and native_bf16())


MODEL_FIELDS = tuple(f.name for f in fields(ModelConfig))  # kind, sizes, arch, codebook_size: TrainConfig has them too


@dataclass
class FitResult:
    model: AutoEncoder
    history: list = field(default_factory=list)  # one dict of figures per finished epoch
    stopped: bool = False  # the stop event ended the run early
    diverged: bool = False  # the loss blew up (see BLOWN_UP); model holds the last good weights


def native_bf16() -> bool:
    """True where the CPU computes bfloat16 matmuls natively (AVX512-BF16 or AMX)."""
    with contextlib.suppress(OSError):
        flags = Path("/proc/cpuinfo").read_text()
        return "avx512_bf16" in flags or "amx_bf16" in flags
    return False


def fit(config: TrainConfig, train_x: torch.Tensor, test_x: torch.Tensor | None = None,
        callback=None, stop=None, train_labels: torch.Tensor | None = None,
        test_labels: torch.Tensor | None = None, epoch_test_size: int | None = None,
        start: AutoEncoder | None = None) -> FitResult:
    """Train a fresh model on train_x (N, 1, 28, 28) in [0, 1], or with start a copy of that model (fine-tuning: it
    must have config's shape; start itself is left as it is); callback(step, epoch, figures). A CVAE also
    needs the labels (N,) of train_x and of test_x; the other models ignore them. Each epoch is tested on test_x;
    with epoch_test_size, the epochs before the last on its first epoch_test_size images only (figures["test_images"]
    says on how many).

    Epoch events also carry the model under figures["model"] (to draw samples; do not train it)."""
    if config.threads:
        torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    if start is not None and start.config != config.model_config:
        raise ValueError(f"fine-tuning needs the start model's shape: {start.config} is not {config.model_config}")
    model = build_model(config.model_config) if start is None else copy.deepcopy(start)
    if not model.condition_size:
        train_labels = test_labels = None
    elif train_labels is None or (test_x is not None and test_labels is None):
        raise ValueError("a CVAE learns from images and their labels: give the labels of the training and test images")
    train_x = train_x[: config.train_size]
    if train_labels is not None:
        train_labels = train_labels[: config.train_size]
    n, batch_size = len(train_x), min(config.batch_size, len(train_x))
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, fused=True)  # one kernel a step: 3x foreach
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.total_steps(n), eta_min=0)
    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=config.uses_bf16)
    result = FitResult(model)
    good_state = copy.deepcopy(model.state_dict())
    step = 0
    for epoch in range(1, config.epochs + 1):
        model.train()
        start, seen, sums = time.perf_counter(), 0, torch.zeros(3, dtype=torch.float64)
        for batch in torch.randperm(n).split(batch_size):
            if stop is not None and stop.is_set():
                result.stopped = True
                return result
            x = train_x[batch]  # (B, 1, 28, 28)
            condition = () if train_labels is None else (train_labels[batch],)  # a CVAE's labels (B,)
            inputs = add_noise(x, config.noise) if config.noise else x
            beta = config.kl_weight(step, n)
            with autocast:
                loss, recon, kl = model.objective(inputs, x, *condition, beta=beta)  # the target is the clean x
            if not loss.item() / len(x) < BLOWN_UP:  # NaN fails this test too
                model.load_state_dict(good_state)
                result.diverged = True
                return result
            optimizer.zero_grad(set_to_none=True)
            (loss / len(x)).backward()
            optimizer.step()
            schedule.step()
            step, seen = step + 1, seen + len(x)
            figures = torch.tensor([loss.item(), recon.item(), kl.item()], dtype=torch.float64)
            sums += figures
            if callback:
                per_image = (figures / len(x)).tolist()
                callback(
                    step,
                    epoch,
                    {
                        "event": "step",
                        **dict(zip(("train_loss", "train_recon", "train_kl"), per_image)),
                        "beta": beta,
                        "images_per_s": seen / (time.perf_counter() - start),
                    },
                )
        seconds = time.perf_counter() - start
        if config.weights == "float16":
            round_to_float16(model)
        epoch_figures = {"event": "epoch", "epoch": epoch, "seconds": seconds, "images_per_s": n / seconds,
                         **dict(zip(("train_loss", "train_recon", "train_kl"), (sums / n).tolist()))}
        if test_x is not None:
            size = None if epoch == config.epochs else epoch_test_size
            tested = test_x[:size]
            labels = None if test_labels is None else test_labels[:size]
            epoch_figures.update(evaluate(model, tested, config.beta, labels=labels), test_images=len(tested))
        good_state = copy.deepcopy(model.state_dict())
        result.history.append(epoch_figures)
        if callback:
            callback(step, epoch, {**epoch_figures, "model": model})
    return result


def checkpoint_metadata(config: TrainConfig, result: FitResult, train_images: int) -> dict:
    """What a checkpoint of this run records: data, finished epochs, last test figures, the settings."""
    last = result.history[-1] if result.history else {}
    test = {key: f"{last[key]:.4f}" for key in ("test_loss", "test_recon", "test_kl") if key in last}
    test.update({key: str(last[key]) for key in ("active_units", "test_images") if key in last})
    test.update({key: f"{last[key]:.4f}" for key in ("codebook_use", "perplexity") if key in last})
    settings = {f"train_{key}": value for key, value in asdict(config).items() if key not in (*MODEL_FIELDS, "dataset")}
    return {
        "dataset": config.dataset,
        "epochs": str(len(result.history)),
        "train_images": str(train_images),
        **test,
        **settings,
    }
