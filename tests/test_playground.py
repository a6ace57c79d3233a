"""The playground driven as a learner drives it: controls set, buttons pressed from code."""

import datetime
import io
import time

import numpy as np
import pytest
import torch

from ganlab import toy
from ganlab.models import MLP
from ganlab.playground import Canvas, Lab, Playground, Settings, constraints, losses, read_points
from ganlab.train import PENALTIES, NonFiniteLossError, fit

SMALL = dict(width=16, depth=2, batch_size=64)


def params(module):
    return [p.detach().clone() for p in module.parameters()]


def same(a, b):
    return all(torch.equal(x, y) for x, y in zip(a, b, strict=True))


# -- the learner's points -------------------------------------------------------------------
def test_read_points_takes_arrays_text_csv_and_npy():
    pts = np.array([[0.0, 1.0], [2.0, -3.5], [4.0, 5.0]])
    expected = torch.tensor(pts, dtype=torch.float32)
    buffer = io.BytesIO()
    np.save(buffer, pts)
    for source, name in ((pts, None), (torch.tensor(pts), None), (pts.tolist(), None),
                         ("x,y\n0, 1\n2 -3.5\n# note\n4;5\n", None),
                         (b"0,1\n2,-3.5\n4,5\n", "mine.csv"), (buffer.getvalue(), "mine.npy")):
        assert torch.equal(read_points(source, filename=name), expected)


@pytest.mark.parametrize("source, message", [
    (np.zeros((5, 3)), "2 columns"), (np.zeros((1, 2)), "at least 2"),
    (np.array([[0.0, 1.0], [np.nan, 2.0]]), "finite"), ("1 2\n3 four", "line 2"),
    ("", "no numbers"), (b"\x93NUMPY nonsense", "not a readable .npy"), (np.zeros(4), "points"),
])
def test_read_points_names_what_is_wrong(source, message):
    with pytest.raises(ValueError, match=message):
        read_points(source, filename="x.npy" if isinstance(source, bytes) else None)


# -- the lab: the same step as fit ------------------------------------------------------------
def test_lab_steps_are_fits_steps_bit_for_bit():
    settings = Settings(loss="wasserstein", constraint="gp", penalty_weight=0.1, n_critic=3,
                        lr_g=5e-4, lr_d=1e-3, seed=4, **SMALL)
    lab = Lab(settings)
    lab.step(6)
    torch.manual_seed(4)
    G = MLP(2, 2, width=16, depth=2, squeeze=False)
    D = MLP(2, 1, width=16, depth=2)
    torch.manual_seed(4 + 3)  # the lab's own state of the global generator (the penalty's)
    fit(G, D, lambda n, g: toy.sample("8gaussians", n, g), loss="wasserstein", steps=6,
        n_critic=3, z_dim=2, batch_size=64, lr=(5e-4, 1e-3), betas=(0.5, 0.9), penalty="gp",
        penalty_weight=0.1, generator=torch.Generator().manual_seed(4), progress=False)
    assert same(params(lab.G), params(G)) and same(params(lab.D), params(D))
    assert (lab.g_steps, lab.d_steps, len(lab.trace.g_loss)) == (6, 18, 6)


def test_the_ui_settings_map_to_the_step_settings_fit_takes():
    for constraint in constraints():
        step = Settings(constraint=constraint, clip=0.05, penalty_weight=0.3, lr_g=2e-4,
                        lr_d=4e-4, n_critic=2, batch_size=32).step_settings()
        assert (step.n_critic, step.batch_size, step.lr, step.betas) == (2, 32, (2e-4, 4e-4),
                                                                         (0.5, 0.9))
        assert step.clip == (0.05 if constraint == "clip" else None)
        assert step.penalty == (constraint if constraint in PENALTIES else None)
        assert step.penalty_weight == 0.3
    # the lab's step is fit's step with those settings, bit for bit
    settings = Settings(loss="hinge", constraint="r1", penalty_weight=0.5, seed=2, **SMALL)
    lab = Lab(settings)
    lab.step(4)
    torch.manual_seed(2)
    G = MLP(2, 2, width=16, depth=2, squeeze=False)
    D = MLP(2, 1, width=16, depth=2)
    fit(G, D, lambda n, g: toy.sample("8gaussians", n, g), settings.step_settings(), steps=4,
        z_dim=2, generator=torch.Generator().manual_seed(2), progress=False)
    assert same(params(lab.G), params(G)) and same(params(lab.D), params(D))


def test_step_d_moves_only_the_critic_and_step_g_only_the_generator():
    lab = Lab(Settings(**SMALL))
    g0, d0 = params(lab.G), params(lab.D)
    lab.step_d()
    assert same(params(lab.G), g0) and not same(params(lab.D), d0)
    d1 = params(lab.D)
    lab.step_g()
    assert not same(params(lab.G), g0) and same(params(lab.D), d1)


def test_live_settings_change_the_next_step_and_others_rebuild():
    lab = Lab(Settings(constraint="clip", clip=0.5, **SMALL))
    lab.step(3)
    before = params(lab.G)
    assert lab.apply(lr_g=3e-3, clip=0.02, n_critic=2) is False   # live: nothing rebuilt
    assert same(params(lab.G), before) and lab.g_steps == 3
    assert lab.stepper.opt_g.param_groups[0]["lr"] == 3e-3 and lab.stepper.n_critic == 2
    lab.step_d()
    assert max(p.abs().max().item() for p in lab.D.parameters()) <= 0.02 + 1e-7  # new c
    assert lab.apply(width=24) is True
    assert lab.g_steps == 0 and lab.G.net[0].out_features == 24
    with pytest.raises(ValueError, match="loss"):
        lab.apply(loss="no-such-loss")
    assert lab.settings.loss == "nonsaturating"


@pytest.mark.parametrize("constraint", constraints())
def test_every_constraint_trains_and_does_what_it_says(constraint):
    lab = Lab(Settings(constraint=constraint, loss="wasserstein", clip=0.05, **SMALL))
    lab.step(2)
    if constraint == "clip":
        assert max(p.abs().max().item() for p in lab.D.parameters()) <= 0.05 + 1e-7
    if constraint == "spectral-norm":
        W = lab.D.net[0].weight  # the normalised weight: top singular value about 1
        assert torch.linalg.matrix_norm(W.detach(), ord=2).item() == pytest.approx(1, abs=0.3)
    assert (lab.stepper.penalty is not None) == (constraint in ("gp", "gp-one-sided", "r1"))


def test_every_loss_and_data_set_trains_both_players():
    # one step under every loss: both players' weights move, by the optimiser's step size
    # (Adam's first step moves each weight by about lr), and the view's samples change
    for loss in losses():
        lab = Lab(Settings(loss=loss, **SMALL))
        g0, d0, fake0 = params(lab.G), params(lab.D), lab.fake()
        lab.step(1)
        assert not same(params(lab.G), g0) and not same(params(lab.D), d0), loss
        assert not torch.equal(lab.fake(), fake0) and torch.isfinite(lab.fake()).all(), loss
        moved = max((a - b).abs().max().item() for a, b in zip(params(lab.G), g0, strict=True))
        assert moved <= 1.5 * lab.settings.lr_g, (loss, moved)
    for data in ("8gaussians", "25gaussians", "swissroll", "ring", "mixture-1d"):
        lab = Lab(Settings(data=data, **SMALL))
        lab.step(1)
        assert lab.real.shape[1] == (1 if data == "mixture-1d" else 2)
        assert ("modes" in lab.readouts()) == (data != "swissroll")


def test_pull_arrows_are_minus_the_generator_loss_gradient():
    lab = Lab(Settings(loss="wasserstein", **SMALL))
    x = torch.randn(5, 2)
    xr = x.clone().requires_grad_(True)
    lab.D(xr).sum().backward()    # wasserstein G loss = -mean D(x): pull = +grad D per point
    torch.testing.assert_close(lab.pull(x), xr.grad)


def test_nan_loss_raises_with_the_step():
    lab = Lab(Settings(**SMALL))
    lab.step(2)
    with torch.no_grad():
        lab.D.net[0].weight.fill_(float("nan"))
    with pytest.raises(NonFiniteLossError, match="generator step 2"):
        lab.step_d()


# -- the app -----------------------------------------------------------------------------------
def wait_for(condition, seconds=60):
    """Spin until ``condition()`` holds; fail (not hang) after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"still waiting after {seconds} s"
        time.sleep(0.02)


def app_small(**kw):
    return Playground(settings=Settings(**SMALL, **kw))


def test_buttons_step_play_pause_and_reset():
    app = app_small()
    first_image, g0, d0 = app.image.value, params(app.lab.G), params(app.lab.D)
    app.buttons["Step D"].click()
    assert (app.lab.d_steps, app.lab.g_steps) == (1, 0) and same(params(app.lab.G), g0)
    app.buttons["Step G"].click()
    assert (app.lab.d_steps, app.lab.g_steps) == (1, 1) and not same(params(app.lab.G), g0)
    assert app.image.value != first_image and "generator steps</b> 1" in app.status.value
    app.controls["steps_per_frame"].value = 3
    app.buttons["Play"].click()
    wait_for(lambda: app.frames >= 4)
    app.buttons["Pause"].click()
    frames = app.frames
    assert frames >= 4 and app.lab.g_steps == 1 + 3 * frames
    time.sleep(0.1)
    assert app.frames == frames               # paused means paused
    assert len(app.lab.trace.w1) >= 2         # W1 re-measured while playing
    app.buttons["Reset"].click()
    assert app.lab.g_steps == 0 and same(params(app.lab.G), g0) and same(params(app.lab.D), d0)


def test_changing_lr_while_playing_keeps_training_and_architecture_rebuilds():
    app = app_small()
    app.buttons["Play"].click()
    wait_for(lambda: app.frames >= 2)
    app.controls["lr_d"].value = 1e-4         # live: play goes on
    start = app.frames
    wait_for(lambda: app.frames >= start + 2)
    assert app._playing.is_set() and app.lab.stepper.opt_d.param_groups[0]["lr"] == 1e-4
    app.controls["depth"].value = 1           # architecture: stops, rebuilds
    assert not app._playing.is_set() and app.lab.g_steps == 0 and len(app.lab.D.net) == 3
    assert "rebuilt" in app.message.value


def test_nan_stops_play_with_the_message():
    app = app_small()
    with torch.no_grad():
        app.lab.D.net[0].weight.fill_(float("nan"))
    app.buttons["Play"].click()
    app._thread.join(timeout=30)
    assert not app._playing.is_set()
    assert app.error is not None and "became nan" in app.error
    assert "became nan" in app.message.value and app.frames == 0


def test_own_points_accepted_and_bad_points_refused_in_the_app():
    ring = np.stack([np.cos(np.linspace(0, 6.28, 40)), np.sin(np.linspace(0, 6.28, 40))], 1) * 3
    app = Playground(data=ring, settings=Settings(**SMALL))
    assert app.lab.settings.data == "your points" and app.controls["data"].value == "your points"
    assert torch.allclose(app.lab.points, torch.tensor(ring, dtype=torch.float32))
    assert app.canvas.box[1] > 3                       # the view fits the learner's scale
    app.run(2)
    for text, message in (("1 2 3\n4 5 6", "2 columns"), ("1 2\nnan 3", "finite"),
                          ("1 2", "at least 2")):
        app.pasted.value = text
        app.use_points.click()
        assert message in app.message.value and app.lab.g_steps == 10   # nothing replaced
    app.pasted.value = "0 0\n1 1\n2 0\n"
    app.use_points.click()
    assert app.error is None and len(app.lab.points) == 3 and app.lab.g_steps == 0
    buffer = io.BytesIO()
    np.save(buffer, ring[:10])
    app.upload.value = ({"name": "mine.npy", "type": "", "size": len(buffer.getvalue()),
                         "content": memoryview(buffer.getvalue()),
                         "last_modified": datetime.datetime.now(datetime.timezone.utc)},)
    app.use_points.click()
    assert app.error is None and len(app.lab.points) == 10 and app.upload.value == ()


def test_choosing_your_points_without_points_says_so_and_keeps_the_data():
    app = app_small()
    app.controls["data"].value = "your points"
    assert "paste or load" in app.message.value
    assert app.controls["data"].value == "8gaussians" == app.lab.settings.data


def test_canvas_updates_in_place():
    lab = Lab(Settings(**SMALL))
    canvas = Canvas(lab)
    canvas.draw(lab)
    counts = [len(ax.get_children()) for ax in canvas.fig.axes]
    heat0 = canvas.heat.get_array().copy()
    for _ in range(30):
        lab.step(2)
        canvas.draw(lab)
    assert [len(ax.get_children()) for ax in canvas.fig.axes] == counts   # no new artists
    assert not np.array_equal(canvas.heat.get_array(), heat0)
    assert canvas.full_redraws <= 8     # the background is redrawn only when the axes grow
    assert canvas.max_pull > 0


def test_a_lab_leaves_the_callers_random_state_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    lab = Lab(Settings(constraint="gp", **SMALL))
    lab.step(2)
    assert torch.equal(torch.rand(3), expected)


def test_a_loss_or_penalty_added_later_is_offered_and_trains():
    # the playground reads the registries when asked, so a loss registered (or a penalty added
    # to train.PENALTIES) after import trains there as it does in fit -- one place to extend
    import ganlab.losses as losses_module
    from ganlab import train
    from ganlab.losses import GANLoss

    least_squares = GANLoss("least-squares-test",
                            lambda real, fake: ((real - 1) ** 2).mean() + (fake ** 2).mean(),
                            lambda fake: ((fake - 1) ** 2).mean(), "LSGAN, for this test")
    losses_module.register(least_squares)
    calls = []

    def zero_centred(D, real, fake, generator):
        calls.append(len(real))
        return train.PENALTIES["r1"](D, real, fake, generator)

    train.PENALTIES.register("r1-counted", zero_centred)
    try:
        _offered_and_trained(calls)
    finally:
        losses_module.LOSSES.unregister("least-squares-test")
        train.PENALTIES.unregister("r1-counted")
    assert "least-squares-test" not in losses() and "r1-counted" not in constraints()


def _offered_and_trained(calls):
    assert "least-squares-test" in losses() and "r1-counted" in constraints()
    lab = Lab(Settings(loss="least-squares-test", constraint="r1-counted", **SMALL))
    g0 = params(lab.G)
    lab.step(1)
    assert calls == [SMALL["batch_size"]] and not same(params(lab.G), g0)
    app = Playground(settings=Settings(**SMALL))
    assert "least-squares-test" in app.controls["loss"].options
    assert "r1-counted" in app.controls["constraint"].options
