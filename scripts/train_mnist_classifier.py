"""Train the MNIST feature network behind ``ganlab.metrics.mnist_frechet`` on the shipped digits.

Two splits of the 5,000 shipped digits (``--split``):

* ``heldout`` -- trains on the 4,000 digits of ``ganlab.data.shipped_split("train")`` and
  reports accuracy on the fixed 1,000 held-out digits (100 per class) that no generator and
  no classifier trains on; writes ``data/mnist_classifier_heldout.pt`` (issue 26).
* ``legacy`` -- how the shipped ``data/mnist_classifier.pt`` was made: holds out the first 50
  digits of each class and trains on the other 4,500 (the held-out set then overlaps the
  digits the reference generators trained on).

Either way: ``MnistFeatureNet``, Adam 1e-3, 10 epochs, batch 64, light random shifts, seed 0;
prints the held-out accuracy and the file's MANIFEST line.

    python scripts/train_mnist_classifier.py [--split heldout] [--epochs 10] [--threads 2]
"""

from __future__ import annotations

import argparse
import hashlib

import torch
import torch.nn.functional as F

from ganlab.data import data_dir, mnist, shipped_split
from ganlab.metrics import CLASSIFIER_FILE, HELDOUT_CLASSIFIER_FILE, MnistFeatureNet


def legacy_split():
    """(train images, train labels, held-out images, held-out labels): the first 50 of each
    class held out, as the shipped ``mnist_classifier.pt`` was trained."""
    images, labels = mnist("shipped").tensors
    held_out = torch.cat([torch.nonzero(labels == c).squeeze(1)[:50] for c in range(10)])
    train = torch.ones(len(labels), dtype=torch.bool)
    train[held_out] = False
    return images[train], labels[train], images[held_out], labels[held_out]


def heldout_split():
    """The course's fixed split (``ganlab.data.shipped_split``): 4,000 to train, 1,000 held out."""
    return (*shipped_split("train").tensors, *shipped_split("heldout").tensors)


def train(x, y, x_test, y_test, epochs: int) -> tuple[MnistFeatureNet, float]:
    torch.manual_seed(0)
    net = MnistFeatureNet()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    for epoch in range(epochs):
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
            accuracy = (net(x_test).argmax(1) == y_test).float().mean().item()
        print(f"epoch {epoch + 1}: loss {loss.item():.3f}, held-out accuracy {accuracy:.3f}",
              flush=True)
    return net, accuracy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("heldout", "legacy"), default="heldout")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    x, y, x_test, y_test = heldout_split() if args.split == "heldout" else legacy_split()
    net, accuracy = train(x, y, x_test, y_test, args.epochs)
    name = HELDOUT_CLASSIFIER_FILE if args.split == "heldout" else CLASSIFIER_FILE
    path = data_dir() / name
    torch.save(net.state_dict(), path)
    print(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {name}   "
          f"# held-out accuracy {accuracy:.3f} on {len(y_test)} digits")


if __name__ == "__main__":
    main()
