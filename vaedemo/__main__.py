"""Command line: python -m vaedemo {fetch-data, train, evaluate} (see --help). The arguments are read before torch
is imported (vaedemo/commands.py), so --help and a mistyped argument are answered at once."""
import argparse
import functools
import json
import math
import os
import sys

from .datasets import DATASETS


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
    test_size_help = "score on only the first N test images (default: all 10,000): a quicker, rougher figure"
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
    train.add_argument("--test-size", type=positive(int), help=test_size_help)
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
    ev.add_argument("--test-size", type=positive(int), help=test_size_help)
    ev.add_argument("--root", help=root_help)
    ev.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    log = functools.partial(print, file=sys.stderr)
    from . import commands  # torch and the data: seconds

    try:
        out, text = commands.COMMANDS[args.command](args, log)
    except (ValueError, RuntimeError, commands.DataUnavailable, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    print(json.dumps(out) if args.json else text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
