"""Conditional GANs: fit with labels, the conditional players, BigGAN's pieces, metrics."""

import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from ganlab import conditional, metrics, regularizers
from ganlab.train import fit

N_CLASSES = 3


class SpyG(nn.Module):
    """G(z, y) = a learned offset per class + a linear map of z; records the labels."""

    n_classes = N_CLASSES

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(2, 2)
        self.offset = nn.Embedding(N_CLASSES, 2)
        self.seen: list[torch.Tensor] = []

    def forward(self, z, y):
        self.seen.append(y.clone())
        return self.lin(z) + self.offset(y)


class SpyD(nn.Module):
    n_classes = N_CLASSES

    def __init__(self, aux=False):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2 + N_CLASSES, 16), nn.ReLU(), nn.Linear(16, 1))
        self.classify = nn.Linear(2, N_CLASSES) if aux else None
        self.seen: list[torch.Tensor] = []

    def forward(self, x, y):
        self.seen.append(y.clone())
        score = self.net(torch.cat([x, nn.functional.one_hot(y, N_CLASSES).float()], 1))
        score = score.squeeze(-1)
        return (score, self.classify(x)) if self.classify is not None else score


def labelled(n=256, only=None):
    g = torch.Generator().manual_seed(0)
    y = torch.randint(N_CLASSES, (n,), generator=g) if only is None else torch.full((n,), only)
    x = torch.randn(n, 2, generator=g) * 0.1 + torch.stack([y.float(), -y.float()], 1)
    return TensorDataset(x, y)


def test_fake_labels_come_from_the_data_and_the_penalty_keeps_y_fixed():
    torch.manual_seed(0)
    G, D = SpyG(), SpyD()
    fit(G, D, labelled(only=2), loss="wasserstein", penalty="gp", n_critic=2, z_dim=2,
        steps=3, batch_size=8, progress=False, conditional=True)
    assert all((y == 2).all() for y in G.seen)     # the data only has class 2
    assert all((y == 2).all() for y in D.seen)


def test_a_callable_may_return_labelled_batches():
    torch.manual_seed(0)
    G, D = SpyG(), SpyD()

    def data(n, generator):
        y = torch.randint(N_CLASSES, (n,), generator=generator)
        return torch.randn(n, 2, generator=generator) + y[:, None].float(), y

    history = fit(G, D, data, loss="hinge", z_dim=2, steps=3, batch_size=8, progress=False,
                  conditional=True)
    assert history.steps[-1] == 3 and len(G.seen) > 3


def test_the_critic_step_reuses_the_real_batch_labels():
    torch.manual_seed(0)
    G, D = SpyG(), SpyD()
    fit(G, D, labelled(), loss="wasserstein", penalty="gp", z_dim=2, steps=1, batch_size=8,
        progress=False, conditional=True)
    # probe (real, fake), then the critic step: D(real, y), D(fake, y), D(x_hat, y) share y
    real_y, fake_y, penalty_y = D.seen[2:5]
    assert torch.equal(real_y, fake_y) and torch.equal(real_y, penalty_y)
    assert torch.equal(G.seen[1], real_y)          # G made the fakes for those labels


def test_a_conditional_generator_learns_each_class():
    torch.manual_seed(0)
    G, D = SpyG(), SpyD()
    fit(G, D, labelled(1024), loss="nonsaturating", z_dim=2, steps=600, batch_size=64,
        lr=5e-3, progress=False, conditional=True)
    with torch.no_grad():
        means = [G(torch.randn(500, 2), torch.full((500,), k)).mean(0) for k in range(3)]
    for k, mean in enumerate(means):  # class k sits at (k, -k)
        assert torch.allclose(mean, torch.tensor([float(k), -float(k)]), atol=0.3)


def test_an_auxiliary_classifier_head_is_trained_with_cross_entropy():
    torch.manual_seed(0)
    G, D = SpyG(), SpyD(aux=True)
    before = D.classify.weight.detach().clone()
    fit(G, D, labelled(1024), loss="nonsaturating", z_dim=2, steps=600, batch_size=64,
        lr=5e-3, progress=False, conditional=True)
    assert not torch.equal(before, D.classify.weight)
    data = labelled(512)
    accuracy = (D.classify(data.tensors[0]).argmax(1) == data.tensors[1]).float().mean()
    assert accuracy > 0.95   # the classes are well separated: the head learned them


def test_conditional_resume_equals_a_straight_run(tmp_path):
    def run(steps, path):
        torch.manual_seed(0)
        G, D = SpyG(), SpyD()
        fit(G, D, labelled(), loss="hinge", z_dim=2, steps=steps, batch_size=16,
            checkpoint=path, log_every=2, progress=False, conditional=True)
        return torch.cat([p.detach().flatten() for p in [*G.parameters(), *D.parameters()]])

    straight = run(6, None)
    run(4, tmp_path / "c.pt")
    assert torch.equal(run(6, tmp_path / "c.pt"), straight)


@pytest.mark.parametrize("data, match", [
    (torch.zeros(8, 2), "conditional=True needs labelled data"),
    (TensorDataset(torch.zeros(8, 2), torch.zeros(8)), "must be an integer tensor"),
    (TensorDataset(torch.zeros(8, 2), torch.zeros(8, 1, dtype=torch.long)), r"shape \(8,\)"),
    (TensorDataset(torch.zeros(8, 2), torch.full((8,), 5)), "labels go up to 5 but G was built "
                                                             "for n_classes=3"),
    (TensorDataset(torch.zeros(8, 2), torch.full((8,), -1)), "indices >= 0"),
    (lambda n, g: torch.zeros(n, 2), "must return \\(x, labels\\)"),
])
def test_bad_labelled_data_is_named(data, match):
    with pytest.raises((ValueError, TypeError), match=match):
        fit(SpyG(), SpyD(), data, loss="hinge", z_dim=2, steps=1, progress=False,
            conditional=True)


def test_unconditional_players_with_conditional_true_are_named():
    from ganlab.models import MLP

    with pytest.raises(ValueError, match="G cannot take noise and labels.*conditional G"):
        fit(MLP(2, 2), SpyD(), labelled(), loss="hinge", z_dim=2, steps=1, progress=False,
            conditional=True)


# ----------------------------------------------------------------- players ----------------
def test_projection_score_is_psi_plus_the_embedding_inner_product():
    torch.manual_seed(0)
    D = conditional.ProjectionCritic(width=8, sn=False)
    x, y = torch.rand(5, 1, 28, 28) * 2 - 1, torch.tensor([0, 3, 9, 3, 1])
    h = torch.relu(D.body(x)).sum(dim=(2, 3))           # global sum pooling
    expected = D.psi(h).squeeze(-1) + (D.embed.weight[y] * h).sum(1)
    assert torch.allclose(D(x, y), expected, atol=1e-5)
    assert not torch.allclose(D(x, y), D(x, (y + 1) % 10))   # the label matters


def test_projection_normalises_its_embedding_spectrally():
    torch.manual_seed(0)
    D = conditional.ProjectionCritic(width=8)
    x, y = torch.rand(4, 1, 28, 28), torch.arange(4)
    for _ in range(30):
        D(x, y)
    assert abs(torch.linalg.svdvals(D.embed.weight.detach())[0].item() - 1) < 1e-2


def test_acgan_head_returns_logits_not_probabilities():
    torch.manual_seed(0)
    scores, logits = conditional.ACGANCritic(width=8)(torch.rand(6, 1, 28, 28), torch.arange(6))
    assert scores.shape == (6,) and logits.shape == (6, 10)
    assert (logits < 0).any() and not torch.allclose(logits.sum(1), torch.ones(6))


def test_concat_players_depend_on_the_label():
    torch.manual_seed(0)
    G, D = conditional.ConcatGenerator(z_dim=8, width=8).eval(), conditional.ConcatCritic(width=8)
    z = torch.randn(4, 8)
    a, b = G(z, torch.zeros(4, dtype=torch.long)), G(z, torch.ones(4, dtype=torch.long))
    assert a.shape == (4, 1, 28, 28) and not torch.allclose(a, b)
    x = torch.rand(4, 1, 28, 28)
    assert not torch.allclose(D(x, torch.zeros(4, dtype=torch.long)),
                              D(x, torch.ones(4, dtype=torch.long)))


def test_the_fair_critics_share_the_acgan_trunk_and_differ_only_where_y_enters():
    """acgan, concat-planes and projection-flat: one trunk (convolutions, flattened) and one
    linear score head; planes add K input channels, projection adds <embed(y), phi(x)>."""
    torch.manual_seed(0)
    ac = conditional.CRITICS["acgan"](width=8, sn=False)
    planes = conditional.CRITICS["concat-planes"](width=8, sn=False)
    proj = conditional.CRITICS["projection-flat"](width=8, sn=False)

    def convs(body):
        return [tuple(m.weight.shape) for m in body.modules() if isinstance(m, torch.nn.Conv2d)]

    assert convs(ac.features) == convs(proj.body)
    assert convs(planes.features)[0] == (8, 1 + 10, 4, 4)       # image + 10 label planes
    assert convs(planes.features)[1:] == convs(ac.features)[1:]
    assert ac.score.weight.shape == planes.score.weight.shape == proj.psi.weight.shape
    x, y = torch.rand(5, 1, 28, 28) * 2 - 1, torch.tensor([0, 3, 9, 3, 1])
    # label planes: the same as the image with K constant channels, plane y set to one
    with_planes = torch.cat([x, torch.nn.functional.one_hot(y, 10).float()[:, :, None, None]
                             .expand(-1, -1, 28, 28)], 1)
    assert torch.allclose(planes(x, y), planes.score(planes.features(with_planes)).squeeze(-1))
    # projection on the flattened maps: psi(phi) + <embed(y), phi>, phi the AC-GAN's features
    h = proj.body(x).flatten(1)
    expected = proj.psi(h).squeeze(-1) + (proj.embed.weight[y] * h).sum(1)
    assert torch.allclose(proj(x, y), expected, atol=1e-5)
    for D in (planes, proj):
        assert not torch.allclose(D(x, y), D(x, (y + 1) % 10))    # the label matters


def test_critic_options_are_named():
    with pytest.raises(ValueError, match="join must be one of hidden, input"):
        conditional.ConcatCritic(width=8, join="output")
    with pytest.raises(ValueError, match="pool must be one of sum, flatten"):
        conditional.ProjectionCritic(width=8, pool="max")


def test_players_name_bad_labels():
    G = conditional.ConcatGenerator(z_dim=8, width=8)
    with pytest.raises(TypeError, match="labels y as an integer tensor"):
        G(torch.randn(4, 8), torch.zeros(4))
    with pytest.raises(ValueError, match=r"z has 4 samples, so y must have shape \(4,\)"):
        G(torch.randn(4, 8), torch.zeros(3, dtype=torch.long))


def test_conditional_batch_norm_is_plain_normalisation_plus_predicted_affine():
    torch.manual_seed(0)
    cbn = conditional.ConditionalBatchNorm2d(4, cond_dim=3)
    x, c = torch.randn(8, 4, 5, 5), torch.randn(8, 3)
    plain = nn.functional.batch_norm(x, None, None, training=True)
    gain = (1 + cbn.gain(c))[:, :, None, None]
    assert torch.allclose(cbn(x, c), plain * gain + cbn.bias(c)[:, :, None, None], atol=1e-5)
    assert not any(p is not None for p in (cbn.bn.weight, cbn.bn.bias))  # BN's own affine off
    with pytest.raises(ValueError, match=r"expects c of shape \(8, 3\)"):
        cbn(x, torch.randn(8, 2))


def test_biggan_generator_uses_hierarchical_z_and_a_shared_embedding():
    torch.manual_seed(0)
    G = conditional.BigGANGenerator(width=8).eval()
    z, y = torch.randn(4, 60), torch.arange(4)
    out = G(z, y)
    assert out.shape == (4, 1, 28, 28) and out.abs().max() <= 1
    for chunk in range(3):   # every chunk of z reaches the image
        z2 = z.clone()
        z2[:, 20 * chunk:20 * (chunk + 1)] += 1
        assert not torch.allclose(G(z2, y), out)
    assert G.blocks[0].norm.gain.in_features == 32 + 20   # [shared(y), z_i]
    with pytest.raises(ValueError, match="z_dim must be a multiple of 3"):
        conditional.BigGANGenerator(z_dim=64)


def test_a_one_class_biggan_generator_is_an_unconditional_g():
    torch.manual_seed(0)
    G = conditional.BigGANGenerator(1, width=8).eval()
    z = torch.randn(4, 60)
    assert torch.equal(G(z), G(z, torch.zeros(4, dtype=torch.long)))   # y = 0 for every sample
    assert G(z).shape == (4, 1, 28, 28)
    with pytest.raises(ValueError, match="10 classes needs labels y"):
        conditional.BigGANGenerator(width=8)(z)


def test_orthogonal_penalty_skips_the_shared_embedding_and_has_the_closed_form_gradient():
    torch.manual_seed(0)
    G = conditional.BigGANGenerator(width=8)
    weights = G.weights_for_orthogonal_penalty()
    assert all(w is not G.shared.weight for w in weights)

    def formula(W):
        W = W.flatten(1)
        gram = W @ W.T
        return (gram * (1 - torch.eye(len(W)))).pow(2).sum()

    penalty = regularizers.orthogonal_penalty(G)
    assert torch.allclose(penalty, sum(formula(w) for w in weights))
    W = G.project.weight
    (grad,) = torch.autograd.grad(penalty, W)
    off = (W @ W.T) * (1 - torch.eye(len(W)))
    assert torch.allclose(grad, 4 * off @ W, rtol=1e-4, atol=1e-6)   # BigGAN-PyTorch: 2 (...)W


# ----------------------------------------------------------------- metrics ----------------
def _real_digits(n=1000):
    from ganlab.data import mnist

    images, labels = mnist("shipped").tensors
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(0))[:n]
    return images[order], labels[order]


def test_label_fidelity_of_real_digits_is_the_classifiers_accuracy():
    images, labels = _real_digits()
    fid = metrics.label_fidelity(images, labels)
    assert fid.accuracy > 0.93
    assert fid.confusion.sum() == len(images)
    assert torch.equal(fid.confusion.sum(1), torch.bincount(labels, minlength=10))
    wrong = metrics.label_fidelity(images, (labels + 1) % 10)
    assert wrong.accuracy < 0.05 and wrong.per_class.max() < 0.1


def test_intra_class_diversity_is_lower_for_narrow_classes():
    images, labels = _real_digits()
    real = metrics.intra_class_diversity(images, labels)
    first = torch.stack([images[labels == k][0] for k in range(10)])
    narrow_images = first[labels] + 0.05 * torch.randn(len(labels), 1, 28, 28)
    narrow = metrics.intra_class_diversity(narrow_images.clamp(-1, 1), labels)
    assert (narrow < 0.5 * real).all()


def test_per_class_frechet_separates_real_from_wrong_classes():
    images, labels = _real_digits(2000)
    a, b = slice(0, 1000), slice(1000, 2000)
    same = metrics.per_class_frechet(images[a], labels[a], images[b], labels[b])
    swapped = metrics.per_class_frechet(images[a], (labels[a] + 1) % 10, images[b], labels[b])
    assert (swapped > 3 * same).all()


def test_players_and_conditional_fit_run_on_every_device(device):
    from ganlab.attention import SelfAttention

    torch.manual_seed(0)
    G = conditional.BigGANGenerator(width=8, attention=True).to(device)
    y = torch.arange(4, device=device)
    x = G(torch.randn(4, 60, device=device), y)
    assert x.device.type == device.type and x.shape == (4, 1, 28, 28)
    for D in (conditional.ProjectionCritic(width=8), conditional.ConcatCritic(width=8),
              conditional.ACGANCritic(width=8)):
        out = D.to(device)(x, y)
        scores = out[0] if isinstance(out, tuple) else out
        assert scores.shape == (4,) and scores.device.type == device.type
    out, beta = SelfAttention(16).to(device)(torch.randn(2, 16, 6, 6, device=device),
                                             return_attention=True)
    assert beta.device.type == device.type
    torch.manual_seed(0)
    history = fit(SpyG(), SpyD(), labelled(), loss="hinge", penalty="gp", z_dim=2, steps=2,
                  batch_size=8, device=device, progress=False, conditional=True)
    assert history.steps[-1] == 2


def test_generator_returns_its_attention_weights_on_request():
    # G(z, y, return_attention=True): the same images, and the block's softmax weights, which
    # equal the block applied by hand to the 14x14 map it receives.
    torch.manual_seed(0)
    G = conditional.BigGANGenerator(width=8, attention=True).eval()
    z, y = torch.randn(3, 60), torch.tensor([1, 5, 9])
    captured = {}
    hook = G.attention.register_forward_pre_hook(lambda m, args: captured.update(h=args[0]))
    with torch.no_grad():
        plain = G(z, y)
        images, beta = G(z, y, return_attention=True)
        _, by_hand = G.attention(captured["h"], return_attention=True)
    hook.remove()
    assert torch.equal(images, plain) and beta.shape == (3, 196, 49)
    assert torch.equal(beta, by_hand) and torch.allclose(beta.sum(-1), torch.ones(3, 196))
    with pytest.raises(ValueError, match="needs a generator built with attention=True"):
        conditional.BigGANGenerator(width=8)(z, y, return_attention=True)
