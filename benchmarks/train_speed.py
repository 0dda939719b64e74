"""Epoch time of our trainer next to a pytorch/examples-style DataLoader loop, in the same run.

Model: the 784-400-20 VAE of pytorch/examples vae/main.py, batch 128, 5 epochs, train + test each
epoch. Also measures this machine's matmul throughput (fp32 and bf16) to place both on the roofline:
one epoch of this model is about 234 GFLOP of matmul (forward + backward, 60,000 images).
Run: make bench (or python -m benchmarks.train_speed [--epochs N]).
"""
import argparse
import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn

from vaedemo.data import load_mnist
from vaedemo.train import TrainConfig, fit, native_bf16

THREADS = 2


def matmul_gflops(dtype, n=1024, seconds=2.0) -> float:
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    a @ b
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        a @ b
        count += 1
    return 2 * n**3 * count / (time.perf_counter() - start) / 1e9


def epoch_gflop(hidden=400, latent=20, images=60_000) -> float:
    per_image = 784 * hidden + hidden * 2 * latent + latent * hidden + hidden * 784  # multiply-adds
    return 2 * 3 * per_image * images / 1e9  # 2 flops a multiply-add; backward costs twice the forward


class ExamplesVAE(nn.Module):
    """pytorch/examples vae/main.py, as published."""

    def __init__(self):
        super().__init__()
        self.fc1, self.fc21, self.fc22 = nn.Linear(784, 400), nn.Linear(400, 20), nn.Linear(400, 20)
        self.fc3, self.fc4 = nn.Linear(20, 400), nn.Linear(400, 784)

    def forward(self, x):
        h1 = F.relu(self.fc1(x.view(-1, 784)))
        mu, logvar = self.fc21(h1), self.fc22(h1)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z)))), mu, logvar


def examples_loss(recon_x, x, mu, logvar):
    bce = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction="sum")
    return bce + -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())


def run_examples_loop(epochs: int):
    """The DataLoader loop of pytorch/examples (CPU: no workers), timing each epoch."""
    from torchvision import datasets, transforms

    torch.manual_seed(0)
    train = torch.utils.data.DataLoader(datasets.MNIST("data", train=True, transform=transforms.ToTensor()),
                                        batch_size=128, shuffle=True)
    test = torch.utils.data.DataLoader(datasets.MNIST("data", train=False, transform=transforms.ToTensor()),
                                       batch_size=128)
    model = ExamplesVAE()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    times, test_loss = [], None
    for _ in range(epochs):
        start = time.perf_counter()
        model.train()
        for data, _ in train:
            optimizer.zero_grad()
            recon, mu, logvar = model(data)
            loss = examples_loss(recon, data, mu, logvar)
            loss.backward()
            optimizer.step()
        seconds = time.perf_counter() - start
        model.eval()
        with torch.no_grad():
            test_loss = sum(examples_loss(model(data)[0], data, *model(data)[1:]).item() for data, _ in test) / len(
                test.dataset
            )
        times.append((seconds, time.perf_counter() - start))
    return times, test_loss


def run_ours(epochs: int, precision: str):
    train_x, _ = load_mnist(train=True, log=lambda _: None)
    test_x, _ = load_mnist(train=False, log=lambda _: None)
    config = TrainConfig(kind="vae", latent_dim=20, hidden=400, epochs=epochs, batch_size=128, lr=1e-3,
                         precision=precision, threads=THREADS)
    start, marks = time.perf_counter(), []
    result = fit(
        config, train_x, test_x, callback=lambda s, e, f: f["event"] == "epoch" and marks.append(time.perf_counter())
    )
    ends = [start] + marks
    totals = [b - a for a, b in zip(ends, ends[1:])]
    return [(h["seconds"], total) for h, total in zip(result.history, totals)], result.history[-1]["test_loss"]


def report(name, times, test_loss, flop):
    train = [t for t, _ in times]
    median = statistics.median(train)
    print(f"{name:<34} train epoch median {median:6.2f} s ({60_000 / median:6.0f} img/s), "
          f"train+test {statistics.median(t for _, t in times):6.2f} s, "
          f"{flop / median:5.1f} GFLOPS, test -ELBO after {len(times)} epochs {test_loss:.2f}")
    return median


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(THREADS)
    fp32, bf16 = matmul_gflops(torch.float32), matmul_gflops(torch.bfloat16)
    flop = epoch_gflop()
    print(
        f"machine: {torch.get_num_threads()} torch threads, CPU capability {torch.backends.cpu.get_cpu_capability()}, "
        f"native bf16: {native_bf16()}"
    )
    print(f"matmul roofline (1024x1024): fp32 {fp32:.1f} GFLOPS, bf16 {bf16:.1f} GFLOPS; "
          f"one epoch = {flop:.0f} GFLOP -> fp32 roofline epoch {flop / fp32:.2f} s")
    ours = report("vaedemo fit (auto precision)", *run_ours(args.epochs, "auto"), flop)
    theirs = report("pytorch/examples DataLoader loop", *run_examples_loop(args.epochs), flop)
    print(f"speed-up per train epoch: {theirs / ours:.2f}x; ours runs at {flop / fp32 / ours:.0%} of the fp32 roofline")
    if native_bf16():
        fp32_time, fp32_loss = run_ours(args.epochs, "fp32")
        report("vaedemo fit (fp32)", fp32_time, fp32_loss, flop)
    else:
        print("bf16 autocast: off (this CPU has no native bf16 matmul, so bf16 is "
              f"{fp32 / bf16:.0f}x slower than fp32 here); training runs in fp32")


if __name__ == "__main__":
    main()
