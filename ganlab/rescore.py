"""Scores of the shipped reference runs under other evaluation draws: do the claims hold?

Used by ``tests/test_claims.py`` and notebooks 05-08. ``reference.evaluate`` scores every
shipped generator with one fixed draw of noise (seed 1) and one fixed sample of real data
(toy sets: seed 2; MNIST: the digits of ``reference.mnist_evaluation_digits``, order seed
3), so that reruns agree. A claim that rests on those numbers should not rest on those
draws: this module scores the same generators with any ``noise_seed`` and ``data_seed`` --
with the defaults it gives back exactly what ``runs.json`` records -- and compares the
change with the spread between training seeds.

* ``evaluate(name, G, noise_seed=, data_seed=)`` -- ``reference.evaluate``'s metrics with
  the two seeds as parameters (``heldout=True``: MNIST scored against the 1,000 held-out
  digits with the classifier that never saw them, ``data.shipped_split``).
* ``rescore(names, noise_seed=, data_seed=)`` -- every recorded seed of each recipe, loaded
  with ``reference.load``: ``{recipe: {seed: metrics}}`` as ``runs.json`` keys them.
* ``recorded(names)`` -- the same from ``runs.json``.
* ``drift(recorded, rescored, metric)`` -- per recipe, the largest change of ``metric`` under
  the new draws next to the recipe's seed range (max - min over training seeds) and the
  sampling allowance of ``metric`` (``ALLOWANCE``).

Reference: X. Bouthillier et al., "Accounting for Variance in Machine Learning Benchmarks",
MLSys 2021, arXiv:2103.03098 -- data sampling and seeds as sources of variance to be
measured before a difference between methods is called one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from . import _checks, reference, toy
from ._checks import positive_int

__all__ = ["ALLOWANCE", "Drift", "drift", "evaluate", "recorded", "rescore"]

RECORDED_NOISE_SEED = 1    # reference.evaluate's noise
RECORDED_TOY_SEED = 2      # reference._toy_reference_sample's data
RECORDED_MNIST_SEED = 3    # reference.mnist_evaluation_digits' order


def _allow_fraction(metrics: dict, key: str, n_a: int, n_b: int) -> float:
    # two independent estimates of a proportion p from n_a and n_b samples differ by
    # sqrt(p (1 - p) (1 / n_a + 1 / n_b)) in sd; allow 4 sd, and at least 2 samples' worth
    n = min(n_a, n_b)
    p = min(max(metrics[key], 1 / n), 1 - 1 / n)
    return max(4 * math.sqrt(p * (1 - p) * (1 / n_a + 1 / n_b)), 2 / n)


def _allow_modes(metrics: dict, key: str, n_a: int, n_b: int) -> float:
    # one mode: a mode held by a handful of samples may come or go. More where the run has so
    # few high-quality samples that its modes are held by one or two: a mode counts as
    # captured once one high-quality sample is nearest to it, so with m = high_quality * n_a
    # of them over K modes (Poisson, lambda = m / K each) a mode is empty with probability
    # q = exp(-lambda), the count held varies with sd sqrt(K q (1 - q)), and two independent
    # draws differ by sqrt(2) times that: allow 4 sd
    if not {"n_modes", "high_quality"} <= metrics.keys():
        return 1.0
    k = metrics["n_modes"]
    q = math.exp(-metrics["high_quality"] * n_a / k)
    return max(1.0, 4 * math.sqrt(2 * k * q * (1 - q)))


# metric -> (a seed's recorded metrics, the metric, samples behind the recorded value, samples
# behind the new value) -> how far a second evaluation draw may move it by chance alone
ALLOWANCE = {
    "modes": _allow_modes,
    "high_quality": _allow_fraction,
    "confident": _allow_fraction,
    "label_fidelity": _allow_fraction,
    "smallest_class_share": _allow_fraction,
}


def _seed(name: str, value) -> int:
    positive_int(name, value, zero_ok=True)
    return value


def evaluate(name: str, G, *, noise_seed: int = RECORDED_NOISE_SEED,
             data_seed: int | None = None, n: int = 2500, n_w1: int = 1000,
             n_mnist: int = 2000, heldout: bool = False, distances: bool = True) -> dict:
    """``reference.evaluate``'s metrics of generator ``G`` of recipe ``name``, under chosen draws.

    The noise is drawn from ``noise_seed`` and the real sample from ``data_seed``. With both
    seeds and all sizes at their defaults the result is what ``runs.json`` records. ``G``
    is moved to the CPU and put in eval mode.

    Parameters
    ----------
    name : str
        A reference recipe (``reference.RECIPES``).
    G : torch.nn.Module
        The recipe's generator, e.g. ``reference.load(name, seed)``.
    noise_seed : int, default 1
        The seed of the noise vectors (recorded: 1), >= 0.
    data_seed : int, optional
        Toy sets -- the seed of the 2 n_w1 real points (first half scored against, the two
        halves give the real-vs-real floor; recorded: 2); MNIST -- the seed of the random
        order of the 5,000 shipped digits whose first 2,000 are scored against (recorded:
        3). None: the recorded seed.
    n : int, default 2500
        Noise vectors drawn (toy sets score all of them).
    n_w1 : int, default 1000
        Toy points in the W1 estimate.
    n_mnist : int, default 2000
        At most ``n``: MNIST scores the first n_mnist (recorded: 2,000 of 2,500).
    heldout : bool, default False
        MNIST only -- score against the 1,000 held-out digits
        (``data.shipped_split("heldout")``, all of them; ``data_seed`` is then unused) with
        ``metrics.HELDOUT_CLASSIFIER_FILE``, the classifier that never trained on them.
    distances : bool, default True
        False leaves out the costly distances between distributions -- W1 on the toys, the
        Frechet scores and diversity on MNIST -- and keeps the rates (modes, high-quality
        share, legibility, label fidelity), which need one pass of the classifier.

    Returns
    -------
    dict
        Metric name -> value, the keys ``reference.evaluate`` gives for the recipe's data.

    Raises
    ------
    ValueError
        An unknown recipe; a seed that is not a non-negative int; a size that is not a
        positive int; ``n_mnist > n``; ``heldout=True`` for a recipe that does not train on
        MNIST.
    TypeError
        ``G`` is not a ``torch.nn.Module``; ``heldout`` or ``distances`` is not a bool.
    """
    r = reference.recipe(name)
    _checks.module("G", G)
    noise_seed = _seed("noise_seed", noise_seed)
    if data_seed is not None:
        _seed("data_seed", data_seed)
    positive_int("n", n)
    positive_int("n_w1", n_w1)
    positive_int("n_mnist", n_mnist)
    if n_mnist > n:
        raise ValueError(f"n_mnist must be at most n={n} (it scores the first n_mnist of the n "
                         f"noise vectors), got {n_mnist}")
    for flag, value in (("heldout", heldout), ("distances", distances)):
        if not isinstance(value, bool):
            raise TypeError(f"{flag} must be True or False, got {value!r}")
    if heldout and r.data != "mnist":
        raise ValueError(f"heldout=True scores MNIST recipes; {name} trains on {r.data}")
    G = G.cpu().eval()
    z = torch.randn(n, r.z_dim, generator=torch.Generator().manual_seed(noise_seed))
    if r.data == "mnist":
        return _evaluate_mnist(r, G, z[:n_mnist], data_seed, heldout, distances)
    data_seed = RECORDED_TOY_SEED if data_seed is None else data_seed
    return _evaluate_toy(r, G, z, data_seed, n_w1, distances)


def _evaluate_toy(r, G, z: torch.Tensor, data_seed: int, n_w1: int, distances: bool) -> dict:
    from . import metrics
    from .transport import wasserstein1

    with torch.no_grad():
        x = G(z)
    out = {}
    if r.data in ("8gaussians", "25gaussians", "ring"):
        cov = metrics.mode_coverage(x, *toy.modes(r.data))
        out.update(modes=cov.modes, n_modes=cov.n_modes, high_quality=cov.high_quality)
    if not distances:
        return out
    real = toy.sample(r.data, 2 * n_w1, torch.Generator().manual_seed(data_seed))
    out["w1"] = wasserstein1(x[:n_w1], real[:n_w1])
    out["w1_real_vs_real"] = wasserstein1(real[n_w1:], real[:n_w1])
    return out


def _real_digits(data_seed: int | None, heldout: bool, n: int = 2000):
    """(images, labels) scored against, and the classifier file to score with."""
    from . import data, metrics

    if heldout:
        return (*data.shipped_split("heldout").tensors, metrics.HELDOUT_CLASSIFIER_FILE)
    images, labels = data.mnist("shipped").tensors
    seed = RECORDED_MNIST_SEED if data_seed is None else data_seed
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))[:n]
    return images[order], labels[order], metrics.CLASSIFIER_FILE


def _evaluate_mnist(r, G, z: torch.Tensor, data_seed, heldout: bool, distances: bool) -> dict:
    from . import metrics

    real, real_y, classifier = _real_digits(data_seed, heldout)
    net = metrics.mnist_feature_net(classifier)
    if not r.conditional:
        with torch.no_grad():
            x = G(z)
        legibility = metrics.mnist_legibility(x, net=net).as_dict()
        return {"frechet": metrics.mnist_frechet(x, real, net=net), **legibility} \
            if distances else legibility
    y = torch.arange(len(z)) % 10
    with torch.no_grad():
        x = G(z, y)
    fidelity = metrics.label_fidelity(x, y, net=net)
    rates = {"label_fidelity": fidelity.accuracy,
             "class_fidelity": [round(v, 4) for v in fidelity.per_class.tolist()]}
    if not distances:
        return rates
    return {**rates,
            "diversity": float(metrics.intra_class_diversity(x, y, net=net).mean()),
            "class_frechet": float(metrics.per_class_frechet(x, y, real, real_y,
                                                             net=net).mean()),
            "frechet": metrics.mnist_frechet(x, real, net=net)}


def _names(names) -> list[str]:
    if names is None:
        return sorted(reference.runs())
    if isinstance(names, str) or not isinstance(names, (list, tuple)):
        raise TypeError(f"names must be a list of recipe names (or None for all), got "
                        f"{type(names).__name__}")
    for name in names:
        if not isinstance(name, str) or name not in reference.RECIPES:
            raise ValueError(f"names: {name!r} is not a reference recipe; known: "
                             f"{', '.join(reference.RECIPES)}")
    return list(names)


def recorded(names: list[str] | None = None) -> dict[str, dict[str, dict]]:
    """The metrics ``runs.json`` records, ``{recipe: {seed (str): metrics}}``.

    Parameters
    ----------
    names : list of str, optional
        Reference recipes; None: all the recipes ``runs.json`` has.

    Returns
    -------
    dict
        ``{recipe: {seed (str): metrics}}``, in the order of ``names``.

    Raises
    ------
    TypeError
        ``names`` is neither a list or tuple nor None.
    ValueError
        A name is not a reference recipe, or has no shipped runs in ``runs.json``.
    """
    runs = reference.runs()
    out = {}
    for name in _names(names):
        if name not in runs:
            raise ValueError(f"names: {name} has no shipped runs in runs.json")
        out[name] = {seed: entry["metrics"] for seed, entry in runs[name].items()}
    return out


def rescore(names: list[str] | None = None, *, noise_seed: int = RECORDED_NOISE_SEED,
            data_seed: int | None = None, heldout: bool = False, n: int = 2500,
            n_w1: int = 1000, n_mnist: int = 2000,
            distances: bool = True) -> dict[str, dict[str, dict]]:
    """Every recorded seed of each recipe, rescored with the given draws.

    Each seed that :func:`recorded` lists is loaded from its shipped file
    (``reference.load``) and scored by :func:`evaluate` with these seeds and sizes.

    Parameters
    ----------
    names : list of str, optional
        Reference recipes; None: all of ``runs.json``.
    noise_seed, data_seed, heldout, n, n_w1, n_mnist, distances
        Passed to :func:`evaluate` for every run.

    Returns
    -------
    dict
        ``{recipe: {seed (str): metrics}}``, keyed as ``recorded`` is.

    Raises
    ------
    TypeError, ValueError
        As :func:`recorded` and :func:`evaluate` raise them.
    """
    out = {}
    for name, seeds in recorded(names).items():
        out[name] = {seed: evaluate(name, reference.load(name, int(seed)), noise_seed=noise_seed,
                                    data_seed=data_seed, heldout=heldout, n=n, n_w1=n_w1,
                                    n_mnist=n_mnist, distances=distances)
                     for seed in seeds}
    return out


@dataclass(frozen=True)
class Drift:
    """How far one metric of one recipe moved under new evaluation draws.

    ``str`` gives one line with the change, the seed range and the allowance.

    Attributes
    ----------
    recipe, metric : str
        The recipe and the metric.
    change : float
        The largest |rescored - recorded| over the recipe's seeds.
    seed_range : float
        max - min of the recorded values over its seeds (0 with one seed).
    allowance : float
        What sampling alone may move it (``ALLOWANCE``).
    """

    recipe: str
    metric: str
    change: float
    seed_range: float
    allowance: float

    @property
    def ok(self) -> bool:
        r"""Whether the new draw moves the metric no more than training seeds or chance do.

        .. math::

            \text{change} \le \max(\text{seed\_range}, \text{allowance})

        (up to 1e-12 for rounding).
        """
        return self.change <= max(self.seed_range, self.allowance) + 1e-12

    def __str__(self) -> str:
        return (f"{self.recipe} {self.metric}: moved {self.change:.4g} (seed range "
                f"{self.seed_range:.4g}, sampling allowance {self.allowance:.4g})")


def drift(recorded_metrics: dict, rescored_metrics: dict, metric: str, *,
          n_recorded: int = 2000, n_rescored: int | None = None) -> list[Drift]:
    """One ``Drift`` per recipe that has ``metric``, comparing rescored with recorded values.

    A recipe is left out when one of its seeds lacks ``metric`` or the two dicts hold
    different seeds for it. The allowance is the largest that ``ALLOWANCE[metric]`` gives
    over the recipe's recorded seeds; for ``"modes"`` it is one mode, raised where a seed has
    so few high-quality samples that its modes are held by one or two of them (then a second
    draw of noise may empty or fill several: four standard deviations of the difference of
    two Poisson draws of the number of modes held, from the recorded high-quality share).

    Parameters
    ----------
    recorded_metrics, rescored_metrics : dict
        Both ``{recipe: {seed: metrics}}`` (:func:`recorded`, :func:`rescore`).
    metric : str
        A metric with a sampling allowance, a key of :data:`ALLOWANCE`.
    n_recorded, n_rescored : int
        The samples each was computed from (recorded: 2,000 for MNIST rates, 2,500 for the
        toys'; ``n_rescored`` None: as many as recorded).

    Returns
    -------
    list of Drift
        In the order of ``rescored_metrics``.

    Raises
    ------
    ValueError
        An unknown ``metric``; a size that is not a positive int; a recipe in
        ``rescored_metrics`` that ``recorded_metrics`` lacks.
    TypeError
        Either argument is not a dict.

    References
    ----------
    X. Bouthillier et al., "Accounting for Variance in Machine Learning Benchmarks",
    MLSys 2021.
    """
    _checks.one_of("metric", metric, ALLOWANCE, "metrics with a sampling allowance")
    positive_int("n_recorded", n_recorded)
    n_rescored = n_recorded if n_rescored is None else n_rescored
    positive_int("n_rescored", n_rescored)
    if not isinstance(recorded_metrics, dict) or not isinstance(rescored_metrics, dict):
        raise TypeError("recorded_metrics and rescored_metrics must be {recipe: {seed: "
                        "metrics}} dicts (recorded(), rescore())")
    out = []
    for name, seeds in rescored_metrics.items():
        if name not in recorded_metrics:
            raise ValueError(f"rescored_metrics has {name}, which recorded_metrics lacks")
        old = recorded_metrics[name]
        if any(metric not in m for m in seeds.values()) or set(seeds) != set(old):
            continue
        before = [old[s][metric] for s in seeds]
        change = max(abs(seeds[s][metric] - old[s][metric]) for s in seeds)
        allowance = max(ALLOWANCE[metric](old[s], metric, n_recorded, n_rescored) for s in seeds)
        out.append(Drift(name, metric, change, max(before) - min(before), allowance))
    return out
