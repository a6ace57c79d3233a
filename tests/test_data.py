import shutil

import pytest
import torch

from ganlab import data


@pytest.fixture(scope="module")
def shipped():
    return data.mnist("shipped")


def test_shipped_subset_shape_range_labels(shipped):
    x, y = shipped.tensors
    assert x.shape == (5000, 1, 28, 28) and x.dtype == torch.float32
    assert x.min().item() == -1.0 and x.max().item() == 1.0
    assert y.dtype == torch.long
    assert torch.bincount(y, minlength=10).tolist() == [500] * 10
    # digits are mostly background: the mean pixel sits near -1, not at 0
    assert -0.9 < x.mean().item() < -0.6


def test_limit(clean_env):
    x, y = data.mnist("shipped", limit=64).tensors
    assert len(x) == len(y) == 64


@pytest.mark.parametrize("bad", [0, -3, 2.5])
def test_bad_limit(bad):
    with pytest.raises(ValueError, match="limit must be a positive int"):
        data.mnist("shipped", limit=bad)


def test_unknown_source_lists_sources():
    with pytest.raises(ValueError, match="source='kaggle'.*auto, shipped, torchvision"):
        data.mnist("kaggle")


def _copy_data(tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(data.data_dir(), folder)
    return folder


def test_corrupt_file_names_file_and_fix(tmp_path, clean_env):
    folder = _copy_data(tmp_path)
    target = folder / data.SHIPPED_MNIST
    raw = bytearray(target.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    target.write_bytes(bytes(raw))
    clean_env.setenv("GANLAB_DATA", str(folder))
    with pytest.raises(data.ChecksumError, match=r"mnist_5k\.npz is corrupt.*git checkout"):
        data.mnist("shipped")


def test_missing_file_names_file_and_fix(tmp_path, clean_env):
    folder = _copy_data(tmp_path)
    (folder / data.SHIPPED_MNIST).unlink()
    clean_env.setenv("GANLAB_DATA", str(folder))
    with pytest.raises(data.ChecksumError, match=r"mnist_5k\.npz is missing.*git checkout"):
        data.mnist("shipped")


def test_auto_falls_back_to_shipped_with_notice(tmp_path, capsys, clean_env):
    # an empty root with downloads off is exactly "not present, not downloadable"
    ds = data.mnist("auto", root=tmp_path, download=False, limit=10)
    assert len(ds) == 10
    err = capsys.readouterr().err
    assert "full MNIST unavailable" in err and "shipped" in err and err.count("\n") == 1


def test_torchvision_source_reads_full_mnist_files(tmp_path):
    # Write MNIST in torchvision's processed layout, then read it through the real path.
    images = torch.randint(0, 256, (7, 28, 28), dtype=torch.uint8)
    labels = torch.arange(7) % 10
    processed = tmp_path / "MNIST" / "raw"
    processed.mkdir(parents=True)
    _write_idx(processed / "train-images-idx3-ubyte", images)
    _write_idx(processed / "train-labels-idx1-ubyte", labels.to(torch.uint8))
    _write_idx(processed / "t10k-images-idx3-ubyte", images[:2])
    _write_idx(processed / "t10k-labels-idx1-ubyte", labels[:2].to(torch.uint8))
    x, y = data.mnist("torchvision", root=tmp_path, download=False).tensors
    torch.testing.assert_close(x, images.float().div(127.5).sub(1).unsqueeze(1))
    assert y.tolist() == labels.tolist()


def _write_idx(path, tensor):
    # IDX format (LeCun): magic (0, 0, dtype 0x08 = uint8, ndim), big-endian dims, raw bytes
    dims = tensor.shape
    header = bytes([0, 0, 0x08, len(dims)]) + b"".join(d.to_bytes(4, "big") for d in dims)
    path.write_bytes(header + tensor.contiguous().numpy().tobytes())


def test_load_state_dict_checks_the_file(tmp_path, monkeypatch):
    import hashlib

    from ganlab.data import ChecksumError, load_state_dict

    path = tmp_path / "w.pt"
    torch.save({"w": torch.ones(2)}, path)
    (tmp_path / "MANIFEST").write_text(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  w.pt\n")
    monkeypatch.setenv("GANLAB_DATA", str(tmp_path))
    assert torch.equal(load_state_dict("w.pt")["w"], torch.ones(2))
    torch.save({"w": torch.zeros(2)}, path)
    with pytest.raises(ChecksumError, match="corrupt"):
        load_state_dict("w.pt")
