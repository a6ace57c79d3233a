import json

import pytest
import torch

from ganlab.cli import main


def test_info(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "torch" in out and "budget" in out


def test_train_toy_writes_outputs_and_resumes(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["train", "--data", "ring", "--steps", "20", "--out", str(out), "--device", "cpu",
            "--log-every", "10", "--width", "16"]
    assert main(args) == 0
    for name in ("samples.png", "losses.png", "history.json", "checkpoint.pt"):
        assert (out / name).stat().st_size > 0, name
    history = json.loads((out / "history.json").read_text())
    assert history["steps"] == [10, 20]
    # running again with more steps resumes from the checkpoint
    args[args.index("20")] = "30"
    assert main(args) == 0
    assert json.loads((out / "history.json").read_text())["steps"] == [10, 20, 30]
    assert torch.load(out / "checkpoint.pt", weights_only=True)["step"] == 30


def test_train_wgan_clip_uses_paper_defaults(tmp_path):
    out = tmp_path / "w"
    assert main(["train", "--data", "8gaussians", "--loss", "wasserstein", "--clip", "0.01",
                 "--steps", "3", "--out", str(out), "--device", "cpu", "--width", "8"]) == 0
    state = torch.load(out / "checkpoint.pt", weights_only=True)
    assert state["opt_d"]["param_groups"][0]["lr"] == 5e-5
    assert all(v.abs().max() <= 0.01 for v in state["D"].values())


def test_train_mnist_gp(tmp_path):
    out = tmp_path / "m"
    assert main(["train", "--data", "mnist", "--loss", "wasserstein", "--penalty", "gp",
                 "--steps", "2", "--batch-size", "8", "--width", "4", "--out", str(out),
                 "--device", "cpu"]) == 0
    assert (out / "samples.png").exists()


@pytest.mark.parametrize("argv, message", [
    (["train", "--data", "moons", "--out", "x"], "invalid choice: 'moons'"),
    (["train", "--data", "ring", "--out", "x", "--steps", "0"], "must be a positive integer"),
    (["train", "--data", "ring", "--out", "x", "--loss", "lsgan"], "invalid choice: 'lsgan'"),
    (["train", "--data", "ring"], "the following arguments are required: --out"),
])
def test_bad_arguments_are_argparse_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_train_with_a_corrupt_or_foreign_checkpoint_exits_2_without_traceback(tmp_path, capsys):
    args = ["train", "--data", "ring", "--steps", "4", "--device", "cpu", "--width", "16"]
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "checkpoint.pt").write_bytes(b"\x00 not a checkpoint")
    assert main(args + ["--out", str(corrupt)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ganlab train: error: checkpoint ") and "Traceback" not in err
    assert str(corrupt / "checkpoint.pt") in err
    wider = tmp_path / "wider"
    assert main(args + ["--out", str(wider), "--width", "32"]) == 0
    assert main(args + ["--out", str(wider)]) == 2   # same folder, other networks
    assert "other networks" in capsys.readouterr().err
