"""Train the MNIST feature network behind ``ganlab.metrics.mnist_frechet`` on the shipped digits.

Holds out 500 of the 5,000 shipped digits (50 per class, seeded), trains
``MnistFeatureNet`` on the other 4,500 with Adam (10 epochs, batch 64, light random shifts),
reports held-out accuracy, and writes ``data/mnist_classifier.pt`` and its MANIFEST line.

    python scripts/train_mnist_classifier.py [--epochs 10] [--threads 2]
"""

from __future__ import annotations

import argparse
import hashlib

import torch
import torch.nn.functional as F

from ganlab.data import data_dir, mnist
from ganlab.metrics import CLASSIFIER_FILE, MnistFeatureNet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    images, labels = mnist("shipped").tensors
    held_out = torch.cat([torch.nonzero(labels == c).squeeze(1)[:50] for c in range(10)])
    train = torch.ones(len(labels), dtype=torch.bool)
    train[held_out] = False
    x, y = images[train], labels[train]
    net = MnistFeatureNet()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    for epoch in range(args.epochs):
        net.train()
        for idx in torch.randperm(len(x)).split(64):
            batch = x[idx]
            shift = torch.randint(-2, 3, (2,)).tolist()  # light augmentation: shift by <= 2 px
            batch = torch.roll(batch, shifts=shift, dims=(2, 3))
            loss = F.cross_entropy(net(batch), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        net.eval()
        with torch.no_grad():
            accuracy = (net(images[held_out]).argmax(1) == labels[held_out]).float().mean()
        print(f"epoch {epoch + 1}: loss {loss.item():.3f}, held-out accuracy {accuracy:.3f}",
              flush=True)
    path = data_dir() / CLASSIFIER_FILE
    torch.save(net.state_dict(), path)
    print(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {CLASSIFIER_FILE}   "
          f"# held-out accuracy {accuracy:.3f} on 500 digits")


if __name__ == "__main__":
    main()
