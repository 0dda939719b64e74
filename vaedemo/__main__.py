"""Command line: python -m vaedemo {fetch-data, train, evaluate} (see --help)."""
import argparse
import functools
import json
import math
import os
import sys

import torch
from tqdm import tqdm

from .checkpoints import load_checkpoint, save_checkpoint
from .data import DataUnavailable, fetch_mnist, load_mnist
from .datasets import DATASETS, dataset_info
from .evaluate import classification_accuracy, evaluate, importance_weighted_nll
from .train import TrainConfig, checkpoint_metadata, fit


def positive(kind):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not value > 0 or not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value
    return parse


def non_negative(text):
    value = float(text)
    if not value >= 0 or not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def whole_number(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m vaedemo", description="Autoencoders and VAEs on MNIST and Fashion-MNIST."
    )
    commands = p.add_subparsers(dest="command", required=True)
    root_help = (
        "data root (default: $VAEDEMO_DATA or ./data); the IDX files go in ROOT/MNIST/raw/ (ROOT/FashionMNIST/raw/)"
    )
    dataset_help = "mnist (handwritten digits) or fashion (Fashion-MNIST: clothes, shoes and bags)"

    fetch = commands.add_parser("fetch-data", help="download MNIST or Fashion-MNIST and check its md5 sums")
    fetch.add_argument("--dataset", choices=list(DATASETS), default="mnist", help=dataset_help)
    fetch.add_argument("--root", help=root_help)
    fetch.add_argument("--json", action="store_true", help="print one JSON object")

    train = commands.add_parser(
        "train", help="train an AE, a VAE, a conditional VAE or a VQ-VAE and save it as .safetensors")
    train.add_argument("--model", choices=["ae", "vae", "cvae", "vqvae"], default="vae",
                       help="cvae: a VAE conditioned on the label, q(z | x, y) and p(x | z, y); vqvae: discrete codes, "
                       "a 7x7 grid of codebook entries of size --latent-dim (always conv)")
    train.add_argument("--dataset", choices=list(DATASETS), default="mnist", help=dataset_help)
    train.add_argument("--latent-dim", type=positive(int), default=2)
    train.add_argument("--hidden", type=positive(int), default=512)
    train.add_argument(
        "--arch",
        choices=["mlp", "conv"],
        default="mlp",
        help="conv: two stride-2 convolutions before the hidden layer, mirrored in the decoder (AE, VAE)",
    )
    train.add_argument("--channels", type=positive(int), default=32, metavar="C",
                       help="conv: the first convolution's channels (the second has 2C)")
    train.add_argument("--weights", choices=["float32", "float16"], default="float32",
                       help="float16: the weights rounded to float16 (half the file), tested and stored so")
    train.add_argument("--codebook-size", type=positive(int), default=64, metavar="K",
                       help="VQ-VAE: the number of codebook vectors (2 to 1024)")
    train.add_argument("--epochs", type=positive(int), default=10)
    train.add_argument("--batch-size", type=positive(int), default=128)
    train.add_argument("--lr", type=positive(float), default=1e-3)
    train.add_argument("--beta", type=non_negative, default=1.0, help="weight of the KL term (VAE)")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--train-size", type=positive(int), help="use only the first N training images")
    train.add_argument("--threads", type=positive(int), default=os.cpu_count(), help="torch threads")
    train.add_argument("--precision", choices=["auto", "bf16", "fp32"], default="auto")
    train.add_argument("--noise", type=non_negative, default=0.0,
                       help="denoising: std of the Gaussian noise added to the inputs (0 to 1; the targets stay clean)")
    train.add_argument("--kl-warmup", type=whole_number, default=0, metavar="EPOCHS",
                       help="KL warm-up (VAE): the KL weight rises linearly from 0 to beta over this many epochs")
    train.add_argument("--out", required=True, help="where to write the .safetensors checkpoint")
    train.add_argument("--root", help=root_help)
    train.add_argument("--json", action="store_true", help="print one JSON object instead of text")

    ev = commands.add_parser(
        "evaluate",
        help="test -ELBO and -log p(x) (VAE) / recon BCE (AE) in nats per image, on the "
        "test set of the data set the checkpoint was trained on (or another, --dataset)",
    )
    ev.add_argument("path")
    ev.add_argument("--dataset", choices=list(DATASETS),
                    help="score on this data set's test images (default: the one the checkpoint was trained on)")
    ev.add_argument("--samples", type=positive(int), default=100, metavar="K",
                    help="importance samples per image for the estimate of -log p(x) (VAE; default 100)")
    ev.add_argument("--root", help=root_help)
    ev.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    return p


def loss_name(kind: str) -> str:
    return "recon BCE" if kind == "ae" else "-ELBO"


def codebook_text(figures: dict, codebook_size: int) -> str:
    return (f", {round(figures['codebook_use'] * codebook_size)} of {codebook_size} codes in use "
            f"(perplexity {figures['perplexity']:.1f})")


def run_fetch(args, log):
    raw = fetch_mnist(args.root, log=log, dataset=args.dataset)
    return {"root": str(raw), "dataset": args.dataset}, f"{dataset_info(args.dataset).title} is in {raw} (md5 checked)"


def run_train(args, log):
    config = TrainConfig(kind=args.model, dataset=args.dataset, latent_dim=args.latent_dim, hidden=args.hidden,
                         arch="conv" if args.model == "vqvae" else args.arch, codebook_size=args.codebook_size,
                         channels=args.channels, weights=args.weights, epochs=args.epochs,
                         batch_size=args.batch_size, lr=args.lr, beta=args.beta, seed=args.seed,
                         train_size=args.train_size, threads=args.threads, precision=args.precision, noise=args.noise,
                         kl_warmup=args.kl_warmup)
    train_x, train_labels = load_mnist(train=True, root=args.root, limit=args.train_size, log=log, dataset=args.dataset)
    test_x, test_labels = load_mnist(train=False, root=args.root, log=log, dataset=args.dataset)
    bar = tqdm(total=config.total_steps(len(train_x)),
               unit="step", file=sys.stderr, disable=args.json, dynamic_ncols=True)

    def progress(step, epoch, figures):
        if figures["event"] == "step":
            bar.update(1)
            bar.set_postfix_str(f"epoch {epoch}, train loss {figures['train_loss']:.1f}, "
                                f"{figures['images_per_s']:.0f} img/s")
        elif not args.json:
            units = (
                f", {figures['active_units']} of {config.latent_dim} units active" if "active_units" in figures else ""
            ) + (codebook_text(figures, config.codebook_size) if "codebook_use" in figures else "")
            bar.write(
                f"epoch {epoch}/{config.epochs}: train {figures['train_loss']:.2f}, test {figures['test_loss']:.2f} "
                f"(recon {figures['test_recon']:.2f}, KL {figures['test_kl']:.2f}) nats/image{units}, "
                f"{figures['seconds']:.1f} s, {figures['images_per_s']:.0f} img/s",
                file=sys.stderr,
            )

    result = fit(config, train_x, test_x, callback=progress, train_labels=train_labels, test_labels=test_labels)
    bar.close()
    if result.diverged:
        raise RuntimeError("the loss blew up (NaN or huge: learning rate too high?); nothing was saved")
    last = result.history[-1]
    test = {key: last[key] for key in ("test_loss", "test_recon", "test_kl", "active_units", "codebook_use",
                                       "perplexity") if key in last}
    metadata = checkpoint_metadata(config, result, len(train_x))
    if config.kind == "cvae":
        test["test_accuracy"] = classification_accuracy(result.model, test_x, test_labels)
        metadata["test_accuracy"] = f"{test['test_accuracy']:.4f}"
    save_checkpoint(result.model, args.out, **metadata)
    out = {
        "out": args.out,
        "kind": config.kind,
        "arch": config.arch,
        "dataset": config.dataset,
        "latent_dim": config.latent_dim,
        "epochs": config.epochs,
        "seconds": sum(h["seconds"] for h in result.history),
        **test,
    }
    accuracy = (f"; the label with the best ELBO is right for {100 * test['test_accuracy']:.2f} % of the test images"
                if "test_accuracy" in test else "")
    return out, f"saved {args.out}: test {loss_name(config.kind)} {test['test_loss']:.2f} nats/image{accuracy}"


def run_evaluate(args, log):
    model = load_checkpoint(args.path)
    dataset = dataset_info(args.dataset or model.metadata.get("dataset", "mnist"))
    test_x, test_labels = load_mnist(train=False, root=args.root, log=log, dataset=dataset.name)
    labels = test_labels if model.kind == "cvae" else None  # a CVAE's figures are given each image's label
    torch.manual_seed(0)  # the one posterior sample per image, reproducibly
    figures = evaluate(model, test_x, labels=labels)
    given = " given the label" if labels is not None else ""
    name = f"{'conv ' if model.config.arch == 'conv' else ''}{model.kind.upper()}"
    text = (f"{args.path}: {name}, latent size {model.latent_dim}: test {loss_name(model.kind)}{given} "
            f"{figures['test_loss']:.2f} nats/image (recon {figures['test_recon']:.2f}, KL {figures['test_kl']:.2f})")
    if model.kind == "vqvae":
        text += codebook_text(figures, model.codebook_size) + (
            f"; the KL is {model.grid} x {model.grid} x log {model.codebook_size}, the uniform prior's over the codes")
    elif model.kind != "ae":
        figures.update(
            test_nll=importance_weighted_nll(model, test_x, args.samples, labels=labels), samples=args.samples
        )
        text += (
            f", -log p(x{' | y' if given else ''}) ~ {figures['test_nll']:.2f} ({args.samples} importance samples), "
            f"{figures['active_units']} of {model.latent_dim} latent units active"
        )
    if model.kind == "cvae":
        figures["test_accuracy"] = classification_accuracy(model, test_x, test_labels)
        text += f"; the label with the best ELBO is right for {100 * figures['test_accuracy']:.2f} % of the images"
    if model.kind == "vqvae":
        figures.update(codebook_size=model.codebook_size, grid=model.grid)
    out = {"path": args.path, "kind": model.kind, "arch": model.config.arch, "latent_dim": model.latent_dim,
           "dataset": dataset.name, "trained_on": model.metadata.get("dataset", "mnist"), **figures}
    return out, f"{text} on {len(test_x)} {dataset.title} test images"


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    log = functools.partial(print, file=sys.stderr)
    run = {"fetch-data": run_fetch, "train": run_train, "evaluate": run_evaluate}[args.command]
    try:
        out, text = run(args, log)
    except (ValueError, RuntimeError, DataUnavailable, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    print(json.dumps(out) if args.json else text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
