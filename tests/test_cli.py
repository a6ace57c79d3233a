import json

import matplotlib.image
import numpy as np
import pytest
import torch

from ganlab import losses, train
from ganlab.cli import _step_settings, build_parser, main
from ganlab.train import OPTIMIZERS


def assert_picture(path):
    """``path`` is a PNG that decodes to an RGB(A) image with something drawn on it (not
    one flat colour)."""
    image = matplotlib.image.imread(path)
    assert image.ndim == 3 and image.shape[2] in (3, 4) and min(image.shape[:2]) >= 100, \
        image.shape
    assert np.ptp(image[..., :3]) > 0.2, f"{path} is blank"


def test_info(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "torch" in out and "budget" in out


def test_train_toy_writes_outputs_and_resumes(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["train", "--data", "ring", "--steps", "20", "--out", str(out), "--device", "cpu",
            "--log-every", "10", "--width", "16"]
    assert main(args) == 0
    for name in ("history.json", "checkpoint.pt"):
        assert (out / name).stat().st_size > 0, name
    assert_picture(out / "samples.png")
    assert_picture(out / "losses.png")
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
    assert main(["train", "--data", "mnist", "--penalty", "gp", "--lr", "3e-4",
                 "--steps", "2", "--batch-size", "8", "--width", "4", "--out", str(out),
                 "--device", "cpu"]) == 0
    assert_picture(out / "samples.png")
    # the run trained with WGAN-GP's settings (Gulrajani et al.: Adam, betas (0, 0.9)) and the
    # learning rate given in their place, and logged the penalty it added
    state = torch.load(out / "checkpoint.pt", weights_only=True)
    for player in ("opt_g", "opt_d"):
        group = state[player]["param_groups"][0]
        assert (group["lr"], tuple(group["betas"])) == (3e-4, (0.0, 0.9)), player
    assert len(json.loads((out / "history.json").read_text())["extra"]["penalty"]) >= 1


def _settings(argv):
    """The StepSettings ``ganlab train`` would train with for these flags."""
    args = build_parser().parse_args(["train", "--data", "ring", "--out", "x", *argv])
    return _step_settings(args)


@pytest.mark.parametrize("flags, method, overrides", [
    ([], "dcgan", {}),
    (["--penalty", "gp"], "wgan-gp", {}),
    (["--penalty", "gp-one-sided", "--penalty-weight", "2.5", "--loss", "hinge", "--lr", "3e-4"],
     "wgan-gp", {"penalty": "gp-one-sided", "penalty_weight": 2.5, "loss": "hinge", "lr": 3e-4}),
    (["--clip", "0.02"], "wgan", {"clip": 0.02}),
    (["--clip", "0.02", "--optimizer", "adam", "--betas", "0.1", "0.2", "--n-critic", "2"],
     "wgan", {"clip": 0.02, "optimizer": "adam", "betas": (0.1, 0.2), "n_critic": 2}),
    (["--penalty", "r1"], "dcgan", {"penalty": "r1"}),
    (["--penalty-weight", "0"], "dcgan", {"penalty_weight": 0.0}),
])
def test_parsed_settings_are_the_paper_preset_with_the_flags_given(flags, method, overrides,
                                                                   monkeypatch):
    # presets whose penalty weight differs from StepSettings' default 10, to tell them apart
    for name, preset in list(train.PAPER_SETTINGS.items()):
        monkeypatch.setitem(train.PAPER_SETTINGS, name, preset.replace(penalty_weight=7.0))
    want = train.PAPER_SETTINGS[method].replace(batch_size=8, **overrides)
    assert _settings(["--batch-size", "8", *flags]) == want
    if "--penalty-weight" not in flags:
        assert want.penalty_weight == 7.0   # the preset's, not a default of the command line


def test_a_loss_registered_before_main_runs_is_accepted(tmp_path):
    custom = losses.GANLoss("least-squares-test", lambda r, f: ((r - 1) ** 2).mean()
                            + (f ** 2).mean(), lambda f: ((f - 1) ** 2).mean())
    with pytest.raises(SystemExit):
        _settings(["--loss", custom.name])        # not registered yet: argparse refuses it
    losses.register(custom)
    try:
        assert _settings(["--loss", custom.name]).loss == custom.name
        out = tmp_path / "ls"
        assert main(["train", "--data", "ring", "--loss", custom.name, "--steps", "2",
                     "--width", "8", "--out", str(out), "--device", "cpu"]) == 0
        assert (out / "checkpoint.pt").exists()
    finally:
        losses.LOSSES.unregister(custom.name)


def test_optimizer_choices_are_the_ones_step_settings_builds():
    G, D = torch.nn.Linear(2, 2), torch.nn.Linear(2, 1)
    built = {type(train.StepSettings(loss="nonsaturating", optimizer=name).optimizers(G, D)[0])
             for name in OPTIMIZERS}
    assert len(built) == len(OPTIMIZERS)
    with pytest.raises(ValueError) as refused:
        train.StepSettings(loss="nonsaturating", optimizer="sgd")
    assert all(repr(name) in str(refused.value) for name in OPTIMIZERS)


def test_train_conditional_projection(tmp_path, capsys):
    out = tmp_path / "c"
    assert main(["train", "--data", "mnist", "--conditional", "projection", "--loss", "hinge",
                 "--steps", "2", "--batch-size", "8", "--width", "8", "--out", str(out),
                 "--device", "cpu"]) == 0
    assert_picture(out / "samples.png")
    assert (out / "checkpoint.pt").exists()
    assert main(["train", "--data", "ring", "--conditional", "acgan", "--steps", "2",
                 "--out", str(tmp_path / "r")]) == 2
    assert "--conditional needs labelled data: use --data mnist" in capsys.readouterr().err
    assert main(["train", "--data", "mnist", "--conditional", "concat", "--z-dim", "64",
                 "--steps", "2", "--width", "8", "--out", str(tmp_path / "z")]) == 2
    assert "z_dim must be a multiple of 3" in capsys.readouterr().err


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


@pytest.mark.parametrize("flags, message", [
    (["--device", "gpu0"], "--device='gpu0' is not a device; allowed: 'cpu', 'cuda'"),
    (["--device", "cuda:99"], "--device='cuda:99' but torch sees"),
    (["--lr", "-1"], "lr must be a finite positive number, got -1.0"),
    (["--clip", "nan"], "clip must be a finite positive number, got nan"),
    (["--penalty-weight", "-3"], "penalty_weight must be a finite non-negative number"),
    (["--betas", "1.5", "0.9"], "betas must be two numbers in [0, 1) (Adam's beta1, beta2)"),
    (["--seed", "-1"], "seed must be a non-negative int, got -1"),
])
def test_bad_values_exit_2_with_one_line_and_no_traceback(tmp_path, capsys, flags, message):
    argv = ["train", "--data", "ring", "--steps", "2", "--width", "8", "--out", str(tmp_path)]
    assert main(argv + flags) == 2
    err = capsys.readouterr().err
    assert err.startswith("ganlab train: error: ") and message in err
    assert "Traceback" not in err and err.count("\n") == 1


def test_out_that_is_a_file_or_lies_under_one_exits_2(tmp_path, capsys):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a folder")
    argv = ["train", "--data", "ring", "--steps", "2", "--width", "8", "--out"]
    assert main(argv + [str(a_file)]) == 2
    assert f"--out {a_file} is a file; give a folder" in capsys.readouterr().err
    assert main(argv + [str(a_file / "run")]) == 2   # cannot be created: a file is in the way
    err = capsys.readouterr().err
    assert "Not a directory" in err and str(a_file / "run") in err and "Traceback" not in err
    missing_parent = tmp_path / "new" / "deeper" / "run"   # a missing parent is created
    assert main(argv + [str(missing_parent)]) == 0
    assert (missing_parent / "checkpoint.pt").exists()


def test_a_diverging_run_exits_1_naming_the_step(tmp_path, capsys):
    argv = ["train", "--data", "ring", "--steps", "20", "--width", "8", "--lr", "1e30",
            "--log-every", "5", "--out", str(tmp_path)]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "ganlab train: diverged: " in err and "became NaN or infinite at step" in err
    assert "Traceback" not in err
