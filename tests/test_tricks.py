"""The Improved-GAN tricks and truncated noise."""

import copy

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from ganlab import losses, toy
from ganlab.models import MLP, DCCritic
from ganlab.train import fit
from ganlab.tricks import (
    HistoricalAveraging,
    MinibatchDiscrimination,
    VirtualBatchNorm,
    WithReferenceBatch,
    feature_matching_loss,
    feature_matching_objective,
    smooth_labels,
    truncated_noise,
)


def test_minibatch_features_identical_for_identical_samples_and_shapes():
    torch.manual_seed(0)
    mbd = MinibatchDiscrimination(8, B=100, C=5)
    same = torch.randn(1, 8).repeat(6, 1)
    out = mbd(same)
    assert out.shape == (6, 108)
    assert torch.allclose(out, out[:1].expand_as(out))
    # identical batch: every distance is 0, so each o_b = batch size
    assert torch.allclose(out[:, 8:], torch.full((6, 100), 6.0))
    distinct = mbd(torch.randn(6, 8))
    assert not torch.allclose(distinct[0, 8:], distinct[1, 8:])
    assert (distinct[:, 8:] >= 1.0).all() and (distinct[:, 8:] < 6.0).all()


def test_minibatch_matches_the_formula():
    torch.manual_seed(1)
    mbd = MinibatchDiscrimination(3, B=4, C=2)
    x = torch.randn(5, 3)
    M = (x @ mbd.T).view(5, 4, 2)
    want = torch.stack([sum(torch.exp(-(M[i] - M[j]).abs().sum(-1)) for j in range(5))
                        for i in range(5)])
    assert torch.allclose(mbd(x)[:, 3:], want, atol=1e-6)
    with pytest.raises(ValueError, match=r"expects input of shape \(N, 3\), got \(5, 4\)"):
        mbd(torch.randn(5, 4))
    with pytest.raises(ValueError, match="B must"):
        MinibatchDiscrimination(3, B=0)


def test_models_take_minibatch_discrimination():
    D = MLP(2, 1, width=16, minibatch_discrimination=(10, 3))
    assert D(torch.randn(7, 2)).shape == (7,)
    assert D.features(torch.randn(7, 2)).shape == (7, 16)
    C = DCCritic(width=8, minibatch_discrimination=(10, 3))
    assert C(torch.randn(4, 1, 28, 28)).shape == (4,)
    with pytest.raises(ValueError, match="minibatch_discrimination"):
        MLP(2, 1, minibatch_discrimination=10)


def test_feature_matching_zero_when_features_match_and_trains_only_g():
    f = torch.randn(10, 4)
    assert feature_matching_loss(f, f.flip(0)).item() < 1e-12   # same mean, any order
    real = torch.randn(10, 4, requires_grad=True)
    fake = torch.randn(10, 4, requires_grad=True)
    loss = feature_matching_loss(real, fake)
    assert abs(loss.item() - ((real.mean(0) - fake.mean(0)) ** 2).sum().item()) < 1e-6
    loss.backward()
    assert real.grad is None and fake.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="feature shape"):
        feature_matching_loss(torch.zeros(3, 4), torch.zeros(3, 5))


def test_feature_matching_objective_gradient_reaches_generator_not_critic():
    torch.manual_seed(0)
    G, D = MLP(2, 2, width=8), MLP(2, 1, width=8)
    loss = feature_matching_objective(D, torch.randn(16, 2), G(torch.randn(16, 2)))
    loss.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in G.parameters())
    with pytest.raises(TypeError, match="features"):
        feature_matching_objective(nn.Linear(2, 1), torch.zeros(2, 2), torch.zeros(2, 2))


def test_smoothing_leaves_fake_targets_alone():
    smooth, base = smooth_labels("nonsaturating", 0.9), losses.get("nonsaturating")
    real, fake = torch.randn(50), torch.randn(50, requires_grad=True)
    g_smooth = torch.autograd.grad(smooth.discriminator(real, fake), fake)[0]
    g_base = torch.autograd.grad(base.discriminator(real, fake), fake)[0]
    assert torch.equal(g_smooth, g_base)
    want = F.binary_cross_entropy_with_logits(real, torch.full_like(real, 0.9))
    got = smooth.discriminator(real, fake) - F.softplus(fake).mean()
    assert abs(got.item() - want.item()) < 1e-6
    # the smoothed optimum: sigmoid(s) = 0.9 on real data
    s = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([s], lr=1.0)
    for _ in range(500):
        opt.zero_grad()
        smooth.discriminator(s, torch.full((1,), -30.0)).backward()
        opt.step()
    assert abs(torch.sigmoid(s).item() - 0.9) < 1e-3
    assert smooth.generator(fake).item() == base.generator(fake).item()
    with pytest.raises(ValueError, match="BCE"):
        smooth_labels("wasserstein")
    with pytest.raises(ValueError, match="real_target"):
        smooth_labels("nonsaturating", 0.3)


def test_historical_averaging_zero_first_then_pulls_to_mean():
    layer = nn.Linear(3, 1)
    ha = HistoricalAveraging(layer)
    assert ha.penalty().item() == 0.0
    with torch.no_grad():
        layer.weight.add_(1.0)
    pen = ha.penalty()  # mean of the two records is halfway: each weight is 0.5 from it
    assert abs(pen.item() - 3 * 0.25) < 1e-6
    pen.backward()
    # the gradient points away from the mean, so a descent step moves back towards it
    assert torch.allclose(layer.weight.grad, torch.full((1, 3), 1.0))
    with pytest.raises(ValueError, match="no trainable"):
        HistoricalAveraging(nn.ReLU())


def test_virtual_batch_norm_sample_output_independent_of_batch():
    torch.manual_seed(0)
    vbn = VirtualBatchNorm(4)
    net = WithReferenceBatch(nn.Sequential(nn.Linear(3, 4), vbn), torch.randn(32, 3))
    x = torch.randn(10, 3)
    alone = net(x[:1])
    with_others = net(x)[:1]
    with_other_others = net(torch.cat([x[:1], 5 * torch.randn(20, 3)]))[:1]
    assert torch.allclose(alone, with_others, atol=1e-6)
    assert torch.allclose(alone, with_other_others, atol=1e-6)
    # reference batch outputs are (nearly) normalised: its own stats dominate
    ref_out = net(net.reference)
    assert ref_out.mean(0).abs().max() < 0.1 and (ref_out.std(0) - 1).abs().max() < 0.1


def test_virtual_batch_norm_images_and_errors():
    vbn = VirtualBatchNorm(2)
    with pytest.raises(RuntimeError, match="reference"):
        vbn(torch.randn(3, 2))
    with vbn.recording():
        vbn(torch.randn(8, 2, 5, 5))
    assert vbn(torch.randn(3, 2, 5, 5)).shape == (3, 2, 5, 5)
    with pytest.raises(ValueError, match="expected"):
        vbn(torch.randn(3, 3))
    with pytest.raises(ValueError, match="VirtualBatchNorm"):
        WithReferenceBatch(nn.Linear(2, 2), torch.zeros(1, 2))


def _nudge(module, seed):
    with torch.no_grad():
        for p in module.parameters():
            p.add_(0.1 * torch.randn(p.shape, generator=torch.Generator().manual_seed(seed)))


def test_historical_averaging_history_is_saved_and_restored_by_its_state_dict(tmp_path):
    layer = nn.Linear(3, 2)
    ha = HistoricalAveraging(layer)
    for step in range(3):
        ha.penalty()
        _nudge(layer, step)
    assert set(ha.state_dict()) == {"sum_0", "sum_1", "_extra_state"}
    path = tmp_path / "ha.pt"
    torch.save(ha.state_dict(), path)
    restored = HistoricalAveraging(layer)
    assert restored.penalty().item() == 0.0  # a fresh history: theta is its own mean
    restored.load_state_dict(torch.load(path, weights_only=True))
    assert restored.t == 3
    for a, b in zip(restored.sums, ha.sums, strict=True):
        assert torch.equal(a, b)
    assert torch.equal(restored.penalty(), ha.penalty())  # the next step is the same
    assert restored.penalty().item() > 0


def _vbn_net(seed=0):
    torch.manual_seed(seed)
    return WithReferenceBatch(nn.Sequential(nn.Linear(3, 4), VirtualBatchNorm(4), nn.ReLU(),
                                            nn.Linear(4, 4), VirtualBatchNorm(4)),
                              torch.randn(16, 3))


def test_virtual_batch_norm_stores_detached_statistics_in_its_state_dict():
    net = _vbn_net()
    x = torch.randn(5, 3)
    net(x).sum().backward()  # a training forward: the statistics are computed with a graph
    for vbn in net.vbn:
        assert vbn._live is None  # nothing of the step's graph outlives the forward
        for name in ("reference_mean", "reference_square"):
            stat = getattr(vbn, name)
            assert not stat.requires_grad and stat.grad_fn is None
        assert int(vbn.reference_count) == 16
    copy.deepcopy(net)  # (a graph-carrying attribute made deepcopy fail: EMA copies G)
    first = net.vbn[0]
    h = net.net[0](net.reference)
    assert torch.allclose(first.reference_mean, h.mean(0))
    assert torch.allclose(first.reference_square, h.pow(2).mean(0))
    state = net.state_dict()
    assert {"net.1.reference_mean", "net.1.reference_square", "net.1.reference_count",
            "net.4.reference_mean"} <= set(state)
    other = _vbn_net(seed=1)
    other.load_state_dict(state)
    for a, b in zip(other.vbn, net.vbn, strict=True):
        for name in ("reference_mean", "reference_square", "reference_count"):
            assert torch.equal(getattr(a, name), getattr(b, name))
    # and a layer used on its own after loading normalises with the loaded statistics
    alone = VirtualBatchNorm(4)
    alone.load_state_dict(net.vbn[0].state_dict())
    with torch.no_grad():
        assert torch.equal(alone(h[:3]), net.vbn[0](h[:3]))


def test_virtual_batch_norm_loads_state_dicts_saved_before_it_kept_statistics():
    # the shipped VBN generators were saved by version 1, which had no statistics buffers
    net = _vbn_net()
    state = net.state_dict()
    old = type(state)((k, v) for k, v in state.items() if "reference_" not in k)
    old._metadata = {k: {**v, "version": 1} if k in ("net.1", "net.4") else v
                     for k, v in state._metadata.items()}
    other = _vbn_net(seed=1)
    other.load_state_dict(old)  # strict: no missing key reported
    assert all(int(vbn.reference_count) == 0 for vbn in other.vbn)  # unrecorded
    x = torch.randn(4, 3)
    assert torch.equal(other(x), net(x))  # the wrapper records them afresh
    del old["net.1.weight"]
    with pytest.raises(RuntimeError, match="net.1.weight"):
        other.load_state_dict(old)
    del state["net.1.reference_mean"]  # (state keeps its metadata: version 2)
    with pytest.raises(RuntimeError, match="net.1.reference_mean"):  # version 2 must have them
        other.load_state_dict(state)


def test_virtual_batch_norm_gradient_still_reaches_the_reference_pass():
    # detaching the stored statistics must not change a step's gradient: within one
    # WithReferenceBatch forward the reference statistics keep their graph
    torch.manual_seed(0)
    linear, vbn = nn.Linear(3, 4), VirtualBatchNorm(4)
    net = WithReferenceBatch(nn.Sequential(linear, vbn), torch.randn(16, 3))
    x = torch.randn(5, 3)
    net(x).pow(2).sum().backward()

    def by_hand(attached: bool) -> torch.Tensor:
        w = linear.weight.detach().clone().requires_grad_(True)
        h_ref, h = F.linear(net.reference, w, linear.bias), F.linear(x, w, linear.bias)
        ref1, ref2 = h_ref.mean(0), h_ref.pow(2).mean(0)
        if not attached:
            ref1, ref2 = ref1.detach(), ref2.detach()
        n = len(h_ref)
        mean = (n * ref1 + h) / (n + 1)
        var = ((n * ref2 + h.pow(2)) / (n + 1) - mean.pow(2)).clamp(min=0)
        y = (h - mean) / torch.sqrt(var + vbn.eps) * vbn.weight + vbn.bias
        y.pow(2).sum().backward()
        return w.grad

    assert torch.allclose(linear.weight.grad, by_hand(attached=True), rtol=1e-5, atol=1e-6)
    assert not torch.allclose(linear.weight.grad, by_hand(attached=False), rtol=1e-3, atol=1e-4)


def test_truncated_noise_within_threshold():
    z = truncated_noise(5000, 4, 0.5, torch.Generator().manual_seed(0))
    assert z.shape == (5000, 4) and z.abs().max() <= 0.5
    assert z.std() > 0.2  # still spread over the interval
    for bad in (dict(n=0, dim=2, threshold=1.0), dict(n=2, dim=2, threshold=0.0)):
        with pytest.raises(ValueError):
            truncated_noise(**bad)


def test_fit_hooks_combine_tricks_with_any_loss():
    torch.manual_seed(0)
    G, D = MLP(2, 2, width=16), MLP(2, 1, width=16, minibatch_discrimination=(8, 3))
    ha_d, ha_g = HistoricalAveraging(D), HistoricalAveraging(G)
    history = fit(G, D, lambda n, g: toy.sample("8gaussians", n, g), z_dim=2, steps=20,
                  batch_size=32, loss=smooth_labels("nonsaturating", 0.9),
                  generator_objective=feature_matching_objective,
                  d_extra=lambda: 0.1 * ha_d.penalty(), g_extra=lambda: 0.1 * ha_g.penalty(),
                  progress=False, log_every=5)
    assert len(history.steps) == 4 and ha_d.t == 20 and ha_g.t == 20
    # feature matching: G's logged loss is a squared distance, not the -log D loss
    assert all(v >= 0 for v in history.g_loss)


def test_tricks_run_on_every_device(device):
    torch.manual_seed(0)
    mbd = MinibatchDiscrimination(4, B=6, C=3).to(device)
    assert mbd(torch.randn(5, 4, device=device)).shape == (5, 10)
    net = WithReferenceBatch(nn.Sequential(nn.Linear(2, 3), VirtualBatchNorm(3)),
                             torch.randn(8, 2)).to(device)
    assert net(torch.randn(4, 2, device=device)).device.type == device.type
    layer = nn.Linear(2, 2).to(device)
    ha = HistoricalAveraging(layer)
    assert ha.penalty().device.type == device.type
    real, fake = torch.randn(6, 3, device=device), torch.randn(6, 3, device=device)
    assert feature_matching_loss(real, fake).device.type == device.type
