"""The CLI's three commands (vaedemo/__main__.py reads their arguments): each takes the parsed arguments and a log
function and returns (the JSON object, the text) it prints."""
import sys

import torch
from tqdm import tqdm

from .checkpoints import load_checkpoint, save_checkpoint
from .data import DataUnavailable, fetch_mnist, load_mnist  # noqa: F401  DataUnavailable: what __main__ reports
from .datasets import dataset_info
from .evaluate import classification_accuracy, evaluate, importance_weighted_nll
from .train import TrainConfig, checkpoint_metadata, fit


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
    test_x, test_labels = load_mnist(train=False, root=args.root, limit=args.test_size, log=log, dataset=args.dataset)
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
        "test_images": len(test_x),
        **test,
    }
    accuracy = (f"; the label with the best ELBO is right for {100 * test['test_accuracy']:.2f} % of them"
                if "test_accuracy" in test else "")
    return out, (f"saved {args.out}: test {loss_name(config.kind)} {test['test_loss']:.2f} nats/image on "
                 f"{len(test_x)} test images{accuracy}")


def run_evaluate(args, log):
    model = load_checkpoint(args.path)
    dataset = dataset_info(args.dataset or model.metadata.get("dataset", "mnist"))
    test_x, test_labels = load_mnist(train=False, root=args.root, limit=args.test_size, log=log, dataset=dataset.name)
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
           "dataset": dataset.name, "trained_on": model.metadata.get("dataset", "mnist"), "test_images": len(test_x),
           **figures}
    return out, f"{text} on {len(test_x)} {dataset.title} test images"


COMMANDS = {"fetch-data": run_fetch, "train": run_train, "evaluate": run_evaluate}
