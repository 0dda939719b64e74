"""The Train page's default run, chosen by measurement: the best 2-D VAE this app trains in about one second of one
core's training, for a hall where everyone presses Start at once. Trains each candidate on one thread (as a trainer
process does) and prints the seconds its epochs took (test figures excluded) and its test -ELBO on the 10,000 test
images. Run: make bench, or python -m benchmarks.class_run.
"""
import torch

from vaedemo.data import load_mnist
from vaedemo.train import TrainConfig, fit

# (hidden, training images, epochs, batch, learning rate): around one second, and today's default for reference
CANDIDATES = [
    (256, 10_000, 3, 128, 1e-3),
    (256, 10_000, 3, 128, 3e-3),
    (256, 10_000, 2, 64, 3e-3),
    (256, 20_000, 1, 64, 3e-3),
    (256, 20_000, 2, 128, 3e-3),
    (128, 20_000, 2, 64, 3e-3),
    (128, 30_000, 2, 128, 3e-3),
    (512, 10_000, 2, 128, 3e-3),
    (512, 15_000, 5, 128, 3e-3),  # the default before the class run
]


def main():
    torch.set_num_threads(1)
    train_x, _ = load_mnist(train=True)
    test_x, _ = load_mnist(train=False)
    print(f"{'hidden':>6} {'images':>7} {'epochs':>6} {'batch':>5} {'lr':>6} | {'training s':>10} | {'test -ELBO':>10}")
    for hidden, images, epochs, batch, lr in CANDIDATES:
        config = TrainConfig(hidden=hidden, train_size=images, epochs=epochs, batch_size=batch, lr=lr, threads=1)
        result = fit(config, train_x, test_x)
        seconds = sum(epoch["seconds"] for epoch in result.history)
        print(f"{hidden:>6} {images:>7,} {epochs:>6} {batch:>5} {lr:>6g} | {seconds:>10.2f} | "
              f"{result.history[-1]['test_loss']:>10.1f}", flush=True)


if __name__ == "__main__":
    main()
