import math

import numpy as np
import pytest
import torch
from scipy import optimize, special
from scipy.spatial.distance import jensenshannon

from ganlab import divergences, losses
from ganlab.divergences import NAMES, f_divergence, get, wright_omega

U = torch.linspace(0.01, 20, 400, dtype=torch.float64)


def _f_at(div, u):
    return float(div.f(torch.tensor(u, dtype=torch.float64)))


def test_table_has_all_ten_rows():
    assert set(NAMES) == {"total-variation", "kl", "reverse-kl", "pearson", "neyman",
                          "squared-hellinger", "jeffrey", "jensen-shannon",
                          "jensen-shannon-weighted", "gan"}


@pytest.mark.parametrize("name", NAMES)
def test_f_at_one(name):
    expected = -math.log(4) if name == "gan" else 0.0  # the GAN row is not normalised
    assert _f_at(get(name), 1.0) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_f_is_convex_on_a_grid(name):
    f = get(name).f(U)
    second = f[2:] - 2 * f[1:-1] + f[:-2]  # discrete second difference
    assert (second >= -1e-12).all()


def _domain_points(div):
    lo, hi = div.domain
    lo = max(lo, -6.0) if math.isinf(lo) else lo
    hi = min(hi, 6.0) if math.isinf(hi) else hi
    pad = 0.0 if div.closed == (True, True) else 0.05 * (hi - lo)
    return np.linspace(lo + (0 if div.closed[0] else pad), hi - (0 if div.closed[1] else pad), 9)


def _numerical_conjugate(div, t):
    """sup_u {u t - f(u)} over dom f by bounded scalar optimisation (in log u for u > 0)."""
    if div.f_on_reals:
        res = optimize.minimize_scalar(lambda u: -(u * t - _f_at(div, u)), bounds=(-100, 100),
                                       method="bounded", options={"xatol": 1e-12})
        return -res.fun

    def neg(log_u):
        u = math.exp(log_u)
        return -(u * t - _f_at(div, u))
    res = optimize.minimize_scalar(neg, bounds=(-30, 12), method="bounded",
                                   options={"xatol": 1e-12})
    # also try the boundary u -> 0 (f(0) may be finite): value -f(0)
    return max(-res.fun, -_f_at(div, 0.0))


@pytest.mark.parametrize("name", NAMES)
def test_conjugate_equals_numerical_sup(name):
    div = get(name)
    for t in _domain_points(div):
        closed = float(div.f_star(torch.tensor(t, dtype=torch.float64)))
        assert closed == pytest.approx(_numerical_conjugate(div, t), rel=1e-5, abs=1e-6), t


@pytest.mark.parametrize("name", NAMES)
def test_biconjugate_recovers_f(name):
    # f(u) = sup_t {t u - f*(t)} over dom f*: maximise on a fine grid of the domain
    div = get(name)
    lo, hi = div.domain
    lo = -40.0 if math.isinf(lo) else lo
    hi_ = 40.0 if math.isinf(hi) else hi
    t = torch.linspace(lo, hi_, 400_001, dtype=torch.float64)
    t = t[div.in_domain(t)]
    fs = div.f_star(t)
    for u in (0.2, 0.7, 1.0, 1.8, 3.0):
        best = (t * u - fs).max().item()
        assert best == pytest.approx(_f_at(div, u), abs=2e-4), u


@pytest.mark.parametrize("name", NAMES)
def test_activation_maps_into_domain_and_matches_stable_composite(name):
    div = get(name)
    v = torch.linspace(-30, 30, 601, dtype=torch.float64)
    t = div.activation(v)
    assert div.in_domain(t).all()
    # the stable composite equals the naive f*(g_f(v)) where the naive one is still accurate
    moderate = v.abs() <= 8
    torch.testing.assert_close(div.conjugate_of_activation(v)[moderate], div.f_star(t)[moderate],
                               rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", NAMES)
def test_f_prime_is_the_derivative_and_makes_the_bound_tight(name):
    div = get(name)
    u = torch.tensor([0.3, 0.8, 1.5, 4.0], dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(div.f(u).sum(), u)
    torch.testing.assert_close(div.f_prime(u.detach()), grad)
    # Fenchel-Young equality at t = f'(u): u t - f*(t) = f(u)
    t = div.f_prime(u.detach())
    torch.testing.assert_close(u.detach() * t - div.f_star(t), div.f(u.detach()),
                               rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize("name", [n for n in NAMES if n != "gan"])
def test_divergence_nonnegative_and_zero_only_for_equal(name):
    g = np.random.default_rng(0)
    for _ in range(20):
        p, q = g.random(6), g.random(6)
        p, q = p / p.sum(), q / q.sum()
        assert f_divergence(p, q, name) > 0
        assert f_divergence(p, p, name) == pytest.approx(0.0, abs=1e-12)


def test_kl_and_js_agree_with_scipy():
    g = np.random.default_rng(1)
    for _ in range(10):
        p, q = g.random(8), g.random(8)
        p, q = p / p.sum(), q / q.sum()
        assert f_divergence(p, q, "kl") == pytest.approx(special.rel_entr(p, q).sum(), rel=1e-12)
        assert f_divergence(p, q, "reverse-kl") == pytest.approx(special.rel_entr(q, p).sum())
        jsd = jensenshannon(p, q) ** 2
        assert f_divergence(p, q, "jensen-shannon") == pytest.approx(2 * jsd, rel=1e-10)
        assert f_divergence(p, q, "jensen-shannon-weighted") == pytest.approx(jsd, rel=1e-10)
        assert f_divergence(p, q, "gan") == pytest.approx(2 * jsd - math.log(4), rel=1e-10)
        assert f_divergence(p, q, "total-variation") == pytest.approx(0.5 * abs(p - q).sum())


def test_conventions_at_zeros():
    p, q = np.array([0.5, 0.5, 0.0]), np.array([0.5, 0.0, 0.5])
    assert f_divergence(p, q, "kl") == math.inf          # q = 0 < p
    assert f_divergence(p, q, "reverse-kl") == math.inf  # p = 0 < q
    assert f_divergence(p, q, "total-variation") == pytest.approx(0.5)
    disjoint = f_divergence([1.0, 0.0], [0.0, 1.0], "jensen-shannon-weighted")
    assert disjoint == pytest.approx(math.log(2))        # JSD = log 2 for disjoint supports
    both_zero = f_divergence([0.5, 0.5, 0.0], [0.5, 0.5, 0.0], "kl")
    assert both_zero == 0.0                              # 0 f(0/0) = 0


def test_densities_on_a_grid():
    x = np.linspace(-10, 10, 20001)
    dx = x[1] - x[0]
    p = np.exp(-0.5 * x**2) / math.sqrt(2 * math.pi)
    q = np.exp(-0.5 * (x - 1) ** 2 / 4) / math.sqrt(2 * math.pi * 4)
    # KL(N(0,1) || N(1, 2^2)) = log 2 + (1 + 1)/(2*4) - 1/2
    assert f_divergence(p, q, "kl", dx=dx) == pytest.approx(math.log(2) + 2 / 8 - 0.5, rel=1e-6)


def test_bad_input():
    with pytest.raises(ValueError, match="name must be one of total-variation.*got 'alpha'"):
        get("alpha")
    with pytest.raises(ValueError, match="same shape"):
        f_divergence([0.5, 0.5], [1.0], "kl")
    with pytest.raises(ValueError, match="non-negative"):
        f_divergence([1.5, -0.5], [0.5, 0.5], "kl")
    with pytest.raises(ValueError, match="dx must be a finite positive number"):
        f_divergence([1.0], [1.0], "kl", dx=0)


def test_wright_omega_against_scipy():
    y = torch.tensor([-20.0, -3.0, -0.5, 0.0, 1.0, 5.0, 50.0, 800.0], dtype=torch.float64)
    w = wright_omega(y)
    small = y < 700
    ref = special.lambertw(np.exp(y[small].numpy())).real
    np.testing.assert_allclose(w[small].numpy(), ref, rtol=1e-12)
    np.testing.assert_allclose(w.numpy(), special.wrightomega(y.numpy()).real, rtol=1e-12)
    yg = y.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(wright_omega(yg).sum(), yg)
    torch.testing.assert_close(grad, w / (1 + w))


@pytest.mark.parametrize("name", NAMES)
def test_fgan_losses_follow_the_table(name, device):
    div = get(name)
    real = torch.tensor([-1.0, 0.5, 2.0], device=device)
    fake = torch.tensor([0.3, -0.7], device=device)
    saddle, alt = losses.get(f"fgan-{name}"), losses.get(f"fgan-{name}-alt")
    expected_d = -div.activation(real).mean() + div.f_star(div.activation(fake)).mean()
    torch.testing.assert_close(saddle.discriminator(real, fake), expected_d, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(alt.discriminator(real, fake), expected_d, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(saddle.generator(fake), -div.f_star(div.activation(fake)).mean(),
                               rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(alt.generator(fake), -div.activation(fake).mean())


@pytest.mark.parametrize("name", ["gan", "jensen-shannon", "jensen-shannon-weighted",
                                  "reverse-kl", "total-variation", "jeffrey", "pearson"])
def test_fgan_losses_finite_at_large_scores(name):
    big = torch.tensor([-60.0, 60.0])  # float32: naive f*(g_f(v)) overflows or hits log(0)
    loss = losses.get(f"fgan-{name}")
    assert torch.isfinite(loss.discriminator(big, big)) and torch.isfinite(loss.generator(big))


def test_gan_row_is_the_minimax_game():
    real, fake = torch.randn(16), torch.randn(16)
    fgan, mm = losses.get("fgan-gan"), losses.get("minimax")
    # critic: -(E log D(x) + E log(1 - D(G(z)))) both ways; alt generator = non-saturating
    torch.testing.assert_close(fgan.discriminator(real, fake), mm.discriminator(real, fake))
    torch.testing.assert_close(losses.get("fgan-gan-alt").generator(fake),
                               losses.get("nonsaturating").generator(fake))
    torch.testing.assert_close(fgan.generator(fake), mm.generator(fake))


def test_kl_conjugate_closed_form():
    t = torch.linspace(-3, 3, 7, dtype=torch.float64)
    torch.testing.assert_close(divergences.get("kl").f_star(t), torch.exp(t - 1))


def test_fit_gaussian_kl_is_moment_matching():
    # argmin_Q KL(P || Q) over Gaussians Q matches P's mean and variance
    from ganlab import toy

    mix = toy.Mixture1D((-1.0, 2.0), (0.5, 0.8), (0.3, 0.7))
    x = torch.linspace(-10, 12, 8001, dtype=torch.float64)
    mu, sigma, value = divergences.fit_gaussian(mix.pdf(x), x, "kl")
    mean = mix.mean()
    moments = zip(mix.weights, mix.means, mix.stds, strict=True)
    var = sum(w * (s**2 + m**2) for w, m, s in moments) - mean**2
    assert mu == pytest.approx(mean, abs=1e-4) and sigma == pytest.approx(math.sqrt(var), abs=1e-4)
    assert value > 0
    with pytest.raises(ValueError, match="start sigma must be positive"):
        divergences.fit_gaussian(mix.pdf(x), x, "kl", start=(0.0, -1.0))
    with pytest.raises(ValueError, match="name must be one of"):
        divergences.fit_gaussian(mix.pdf(x), x, "alpha")


@pytest.mark.parametrize("name", [n for n in NAMES if n != "total-variation"])
def test_the_optimal_fgan_critic_is_f_prime_of_the_density_ratio(name):
    """Maximise the f-GAN bound E_p[g_f(V)] - E_q[f*(g_f(V))] over a free V per point of a
    6-point space: the maximiser T = g_f(V) is f'(p/q) (Nowozin et al. 2016, eq. 5), found
    here by optimisation, not read from the table. (Total variation is left out: its T* =
    sign(p - q)/2 sits where tanh saturates, which no finite V reaches.)"""
    div = get(name)
    p = torch.tensor([0.05, 0.1, 0.15, 0.2, 0.22, 0.28], dtype=torch.float64)
    q = torch.tensor([0.25, 0.2, 0.15, 0.15, 0.13, 0.12], dtype=torch.float64)
    v = torch.zeros(6, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([v], max_iter=500, tolerance_grad=1e-12, tolerance_change=1e-15,
                            line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = -((p * div.activation(v)).sum() - (q * div.conjugate_of_activation(v)).sum())
        loss.backward()
        return loss

    for _ in range(3):
        opt.step(closure)
    torch.testing.assert_close(div.activation(v.detach()), div.f_prime(p / q),
                               rtol=1e-5, atol=1e-6)
