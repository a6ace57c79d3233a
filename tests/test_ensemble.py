"""ganlab.ensemble: S seeds trained at once equal S separate runs (issue 28)."""

from __future__ import annotations

import pytest
import torch

from ganlab import ensemble, reference, toy, tricks
from ganlab.models import MLP
from ganlab.train import exponential_average, fit, stepper

SEEDS = (0, 3, 7)


@pytest.fixture
def float64():
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(before)


def _data(n, g):
    return toy.sample("8gaussians", n, g).to(torch.get_default_dtype())


def _pair(seed, **critic):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return MLP(2, 2, width=16, depth=2), MLP(2, 1, width=16, depth=2, **critic)


def _gens(seeds=SEEDS):
    return [torch.Generator().manual_seed(s) for s in seeds]


def _max_rel(a: torch.nn.Module, b: torch.nn.Module) -> float:
    worst = 0.0
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sa) == list(sb)
    for key in sa:
        scale = sb[key].abs().max().clamp(min=1e-12)
        worst = max(worst, float((sa[key] - sb[key]).abs().max() / scale))
    return worst


def test_members_are_the_networks_given(float64):
    pairs = [_pair(s, sn=True, minibatch_discrimination=(4, 3)) for s in SEEDS]
    G, D = ensemble.stack([g for g, _ in pairs]), ensemble.stack([d for _, d in pairs])
    assert G.members == D.members == len(SEEDS) == ensemble.members_of(G)
    x = torch.randn(len(SEEDS), 9, 2)
    for k, (g, d) in enumerate(pairs):
        assert _max_rel(G.member(k), g) == 0 and _max_rel(D.member(k), d) == 0
        d.eval()
        D.eval()
        torch.testing.assert_close(G(x)[k], g(x[k]))
        torch.testing.assert_close(D(x)[k], d(x[k]))   # SN (eval) and MBD per member
        torch.testing.assert_close(D.features(x)[k], d.features(x[k]))


def test_stacked_spectral_norm_takes_one_power_step_per_member(float64):
    pairs = [_pair(s, sn=True) for s in SEEDS]
    D = ensemble.stack([d for _, d in pairs])
    x = torch.randn(len(SEEDS), 5, 2)
    D(x)                                 # training mode: one power-iteration step each
    for k, (_, d) in enumerate(pairs):
        d(x[k])
        assert _max_rel(D.member(k), d) < 1e-12     # u vectors included


RECIPES = {
    "nonsaturating": dict(loss="nonsaturating"),
    "clipping": dict(loss="wasserstein", clip=0.01, n_critic=3, optimizer="rmsprop"),
    "wgan-gp": dict(loss="wasserstein", penalty="gp", penalty_weight=1.0, n_critic=3,
                    betas=(0.5, 0.9)),
    "sn-hinge": dict(loss="hinge", n_critic=2, critic=dict(sn=True)),
    "r1": dict(loss="nonsaturating", penalty="r1", penalty_weight=0.5),
    "mbd+fm": dict(loss="nonsaturating", critic=dict(minibatch_discrimination=(4, 3)),
                   generator_objective=tricks.feature_matching_objective),
    "label smoothing": dict(loss=tricks.smooth_labels("nonsaturating", 0.9)),
}


@pytest.mark.parametrize("name", RECIPES)
def test_twenty_steps_of_an_ensemble_equal_separate_runs(name, float64):
    options = dict(RECIPES[name])
    critic = options.pop("critic", {})
    common = dict(steps=20, z_dim=2, batch_size=32, lr=1e-3, progress=False, **options)
    separate = []
    for s in SEEDS:
        G, D = _pair(s, **critic)
        fit(G, D, _data, generator=torch.Generator().manual_seed(s), **common)
        separate.append((G, D))
    pairs = [_pair(s, **critic) for s in SEEDS]
    G, D = ensemble.stack([g for g, _ in pairs]), ensemble.stack([d for _, d in pairs])
    history = fit(G, D, _data, generator=_gens(), **common)
    for k, (g, d) in enumerate(separate):
        assert _max_rel(G.member(k), g) <= 1e-5
        assert _max_rel(D.member(k), d) <= 1e-5
    assert len(history.d_loss[-1]) == len(SEEDS)   # one logged loss per member


def test_historical_averaging_and_ema_work_per_member(float64):
    common = dict(loss="nonsaturating", steps=15, z_dim=2, batch_size=32, lr=1e-3,
                  progress=False)
    separate = []
    for s in SEEDS:
        G, D = _pair(s)
        ha_g, ha_d = tricks.HistoricalAveraging(G), tricks.HistoricalAveraging(D)
        avg = exponential_average(G, 0.9)
        fit(G, D, _data, generator=torch.Generator().manual_seed(s), average=avg,
            g_extra=lambda h=ha_g: 1e-2 * h.penalty(), d_extra=lambda h=ha_d: 1e-2 * h.penalty(),
            **common)
        separate.append(avg.module)
    pairs = [_pair(s) for s in SEEDS]
    G, D = ensemble.stack([g for g, _ in pairs]), ensemble.stack([d for _, d in pairs])
    ha_g, ha_d = tricks.HistoricalAveraging(G), tricks.HistoricalAveraging(D)
    assert ha_g.penalty().shape == (len(SEEDS),)        # one penalty per member
    ha_g = tricks.HistoricalAveraging(G)
    avg = exponential_average(G, 0.9)
    fit(G, D, _data, generator=_gens(), average=avg, g_extra=lambda: 1e-2 * ha_g.penalty(),
        d_extra=lambda: 1e-2 * ha_d.penalty(), **common)
    for k, g_avg in enumerate(separate):
        assert _max_rel(avg.module.member(k), g_avg) <= 1e-5


def _stacked_run():
    pairs = [_pair(s) for s in SEEDS]
    G, D = ensemble.stack([g for g, _ in pairs]), ensemble.stack([d for _, d in pairs])
    return G, D, (torch.optim.Adam(G.parameters(), 1e-3), torch.optim.Adam(D.parameters(), 1e-3))


def test_an_ensemble_checkpoint_resumes_to_the_straight_run(tmp_path):
    common = dict(loss="wasserstein", penalty="gp", z_dim=2, batch_size=16, progress=False)
    G, D, opts = _stacked_run()
    fit(G, D, _data, steps=20, optimizers=opts, generator=_gens(), **common)
    ckpt = tmp_path / "ensemble.pt"
    G2, D2, opts2 = _stacked_run()
    fit(G2, D2, _data, steps=10, optimizers=opts2, generator=_gens(), checkpoint=ckpt, **common)
    G3, D3, opts3 = _stacked_run()       # a new process: resumes at step 10
    fit(G3, D3, _data, steps=20, optimizers=opts3, generator=_gens(), checkpoint=ckpt, **common)
    assert _max_rel(G3, G) == 0 and _max_rel(D3, D) == 0
    pairs = [_pair(s) for s in SEEDS[:2]]  # fewer members cannot resume it
    with pytest.raises(ValueError, match="checkpoint"):
        fit(ensemble.stack([g for g, _ in pairs]), ensemble.stack([d for _, d in pairs]), _data,
            steps=20, generator=_gens(SEEDS[:2]), checkpoint=ckpt, **common)


def test_train_ensemble_members_match_reference_train_and_record_a_curve():
    # float32 and Adam: the batched products round differently, so compare after few steps
    pairs, curve = reference.train_ensemble("8gaussians_wgan-gp", [0, 2], steps=6,
                                            curve_points=3)
    # every 2 steps within each phase (3 + 3 steps), and at each phase's end
    assert curve["steps"] == [2, 3, 5, 6] and curve["samples"][0].shape == (2, 1000, 2)
    for k, seed in enumerate((0, 2)):
        G, D = reference.train("8gaussians_wgan-gp", seed, steps=6)
        assert _max_rel(pairs[k][0], G) < 1e-4 and _max_rel(pairs[k][1], D) < 1e-4
        assert not pairs[k][0].training
    scores = reference.learning_curve("8gaussians_wgan-gp", curve, 1)
    assert len(scores["w1"]) == 4 and all(w > 0 for w in scores["w1"])
    assert all(0 <= m <= 8 for m in scores["modes"])


def test_stackable_says_which_recipes_train_as_ensembles():
    assert reference.stackable("8gaussians_wgan-gp") and reference.stackable("25gaussians_sngan")
    assert not reference.stackable("ring_nonsaturating-VBN")   # one run per seed
    assert not reference.stackable("mnist_sngan-5k")


def test_what_the_ensemble_cannot_do_is_refused_by_name():
    g, d = _pair(0)
    G, D = ensemble.stack([g]), ensemble.stack([d])
    with pytest.raises(ValueError, match="VirtualBatchNorm"):
        G_vbn, _ = reference.make_pair("ring_nonsaturating-VBN", 0)
        ensemble.stack([G_vbn])
    with pytest.raises(ValueError, match="VirtualBatchNorm"):
        reference.train_ensemble("ring_nonsaturating-VBN", [0, 1], steps=1)
    with pytest.raises(ValueError, match="name"):
        reference.train_ensemble("mnist_sngan-5k", [0], steps=1)
    with pytest.raises(ValueError, match="seeds"):
        reference.train_ensemble("8gaussians_wgan-gp", [1, 1], steps=1)
    with pytest.raises(ValueError, match="conditional"):
        stepper(G, D, _data, loss="hinge", z_dim=2, generator=_gens((0,)), conditional=True)
    with pytest.raises(ValueError, match="generator"):        # one generator, not a list
        stepper(G, D, _data, loss="hinge", z_dim=2, generator=torch.Generator())
    with pytest.raises(ValueError, match="generator"):        # mismatched seeds
        stepper(G, D, _data, loss="hinge", z_dim=2, generator=_gens((0, 1)))
    with pytest.raises(ValueError, match="members"):          # G an ensemble, D not
        stepper(G, d, _data, loss="hinge", z_dim=2, generator=_gens((0,)))
    with pytest.raises(ValueError, match="networks\\[1\\]"):  # two architectures
        ensemble.stack([g, MLP(2, 2, width=8, depth=2)])
    with pytest.raises(ValueError, match="networks"):
        ensemble.stack([])
    with pytest.raises(TypeError, match="networks"):
        ensemble.stack(g)
    with pytest.raises(ValueError, match="k"):
        G.member(1)
