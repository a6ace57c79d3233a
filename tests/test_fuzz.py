"""Property-based fuzzing of the public API with the mistakes learners make (issue 18).

For every public function and class, each argument in turn gets bad values of the kinds a
learner produces -- NaN/inf, empty, wrong rank, wrong dtype, a tensor on another device (the
``meta`` device stands in for a GPU here), zero or negative sizes, unknown names, wrong
types -- while every other argument stays valid. hypothesis draws the values. Outcomes:

* clear  -- ValueError / TypeError (or FileNotFoundError for a path) whose message names the
            argument (or one of its documented aliases);
* vague  -- ValueError / TypeError that does not name it;
* raw    -- any other exception (a torch / numpy / scipy error from deep inside);
* silent -- no error at all;
* documented -- a raw or silent case listed in ``ALLOWED`` with the reason its result is a
            documented domain result (e.g. NaN in, NaN out for an elementwise function).

The last test prints the table and requires >= 95 % of all cases clear and no raw or silent
case outside ``ALLOWED`` (run ``pytest tests/test_fuzz.py -s`` to see the table).
"""

from __future__ import annotations

import importlib
import math
import re
import tempfile
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ganlab
from ganlab import (
    attention,
    conditional,
    data,
    divergences,
    dynamics,
    ensemble,
    exercises,
    grading,
    losses,
    metrics,
    models,
    notebooks,
    playground,
    plots,
    reference,
    regularizers,
    runtime,
    spectral,
    toy,
    train,
    transport,
    tricks,
)

SETTINGS = settings(max_examples=4, derandomize=True, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))


# ---------------------------------------------------------------------------------------
# Bad values, by the kind of argument.

def _points(shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def _not_a_tensor(none_ok=False):
    kinds = [st.text(max_size=4), st.lists(st.text(max_size=2), max_size=3), st.just({"x": 1})]
    return st.one_of(*kinds, *([] if none_ok else [st.none()]))


def bad_tensors(shape, *, positive=False, ranks_ok=None, none_ok=False):
    """Bad tensors for an argument whose valid value has ``shape`` (float32); ``ranks_ok``:
    ranks the argument accepts (default: only the valid value's)."""
    ranks_ok = ranks_ok or (len(shape),)

    def with_non_finite(args):
        index, value = args
        t = _points(shape).abs() + 0.1 if positive else _points(shape)
        t.view(-1)[index % t.numel()] = value
        return t

    non_finite = st.tuples(st.integers(0, 10 ** 6), st.sampled_from([math.nan, math.inf, -math.inf])
                           ).map(with_non_finite)
    empty = st.just(torch.empty((0,) + tuple(shape[1:])))
    wrong_rank = st.integers(0, 4).filter(lambda r: r not in ranks_ok).flatmap(
        lambda r: st.lists(st.integers(1, 3), min_size=r, max_size=r)).map(
        lambda s: torch.rand(tuple(s)) + 0.1)
    wrong_dtype = st.sampled_from([torch.bool, torch.complex64]).map(
        lambda dt: torch.ones(shape, dtype=dt))
    other_device = st.just(torch.empty(shape, device="meta"))
    return {"non-finite": non_finite, "empty": empty, "rank": wrong_rank, "dtype": wrong_dtype,
            "device": other_device, "type": _not_a_tensor(none_ok)}


def _maybe_none(none_ok):
    return [] if none_ok else [st.none()]


def bad_sizes(*, zero_ok=False, none_ok=False):
    return {"non-positive": st.integers(-5, -1 if zero_ok else 0),
            "type": st.one_of(st.floats(0.5, 3.5).filter(lambda v: v != int(v)),
                              st.text(max_size=3), *_maybe_none(none_ok))}


def bad_positive_floats(*, zero_ok=False, none_ok=False):
    return {"non-positive": st.one_of(st.floats(-10, -1e-3) if zero_ok else st.floats(-10, 0),
                                      st.just(-math.inf)),
            "non-finite": st.sampled_from([math.nan, math.inf]),
            "type": st.one_of(st.text(max_size=3), st.lists(st.floats(), max_size=2),
                              *_maybe_none(none_ok))}


def _bad_labels(n):
    """Labels for a batch of n: wrong dtype, wrong shape, out of the 0-9 range."""
    return {"dtype": st.sampled_from([torch.float32, torch.bool]).map(
                lambda dt: torch.zeros(n, dtype=dt)),
            "shape": st.sampled_from([(n, 1), (n + 1,), ()]).map(
                lambda shape: torch.zeros(shape, dtype=torch.long)),
            "type": st.one_of(st.none(), st.lists(st.integers(0, 9), min_size=n, max_size=n))}


def bad_names(valid, *, none_ok=False):
    return {"unknown": st.text(max_size=8).filter(lambda s: s not in valid),
            "type": st.one_of(st.integers(), st.floats(allow_nan=False), *_maybe_none(none_ok))}


def bad_modules():
    return {"type": st.one_of(st.none(), st.text(max_size=3), st.integers(),
                              st.just(torch.zeros(3)))}


def bad_generators():
    return {"type": st.one_of(st.integers(0, 100), st.text(max_size=3), st.floats(0, 1))}


def bad_paths():
    return {"missing": st.text(alphabet="abcxyz", min_size=3, max_size=8).map(
        lambda s: Path("/nonexistent-ganlab") / s),
            "type": st.one_of(st.integers(), st.none())}


# ---------------------------------------------------------------------------------------
# What is fuzzed: a valid call, then which argument gets which kinds of bad values.

@dataclass
class Target:
    label: str
    call: Callable[..., Any]
    valid: Callable[[], dict]                 # fresh valid keyword arguments
    bad: dict[str, dict[str, Any]]            # argument -> {kind: strategy}
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _mlp(in_features=2, out_features=1):
    torch.manual_seed(0)
    return models.MLP(in_features, out_features, width=8, depth=2)


def _fit(**kw):
    return train.fit(progress=False, **kw)


def _fit_valid():
    return dict(G=_mlp(2, 2), D=_mlp(2, 1), data=_points((32, 2)), loss="nonsaturating",
                steps=2, z_dim=2, batch_size=8, log_every=1)


def _image_batch(n=4):
    return torch.rand(n, 1, 28, 28) * 2 - 1


def _any_rank(kinds):
    """An argument that takes a tensor of any shape (a grid): every bad kind but the rank."""
    return {kind: strategy for kind, strategy in kinds.items() if kind != "rank"}


def _forward(make):
    return lambda x: make()(x)


TARGETS: list[Target] = [
    # toy data
    Target("toy.sample", toy.sample, lambda: dict(name="8gaussians", n=16),
           {"name": bad_names(toy.NAMES), "n": bad_sizes(), "generator": bad_generators()}),
    Target("toy.modes", toy.modes, lambda: dict(name="8gaussians"),
           {"name": bad_names(toy.NAMES)}),
    Target("toy.Mixture1D", toy.Mixture1D, lambda: dict(means=(-1.0, 1.0), stds=(0.5, 0.5)),
           {"means": {"non-finite": st.sampled_from([(math.nan, 1.0), (math.inf, 1.0)]),
                      "empty": st.just(()), "type": st.one_of(st.none(), st.text(max_size=3))},
            "stds": {**bad_positive_floats(), "empty": st.just(())} | {
                "non-positive": st.floats(-3, 0).map(lambda s: (0.5, s)),
                "non-finite": st.sampled_from([(0.5, math.nan), (0.5, math.inf)]),
                "length": st.just((0.5, 0.5, 0.5))},
            "weights": {"negative": st.floats(-3, -0.01).map(lambda w: (1.0, w)),
                        "length": st.just((1.0,)), "non-finite": st.just((1.0, math.nan))}}),
    # losses and divergences
    Target("losses.get", losses.get, lambda: dict(name="nonsaturating"),
           {"name": bad_names(losses.NAMES)}),
    Target("losses.register", losses.register, lambda: dict(loss=losses.get("hinge")),
           {"loss": {"type": st.one_of(st.none(), st.text(max_size=3), st.integers())}}),
    Target("divergences.get", divergences.get, lambda: dict(name="kl"),
           {"name": bad_names(divergences.NAMES)}),
    Target("divergences.f_divergence", divergences.f_divergence,
           lambda: dict(p=torch.full((10,), 0.1), q=torch.full((10,), 0.1), name="kl"),
           {"p": bad_tensors((10,), positive=True), "q": bad_tensors((10,), positive=True),
            "name": bad_names(divergences.NAMES), "dx": bad_positive_floats()}),
    Target("divergences.wright_omega", divergences.wright_omega,
           lambda: dict(y=torch.linspace(-2, 2, 5)),
           {"y": {k: v for k, v in bad_tensors((5,)).items() if k != "rank"}}),  # any shape
    Target("divergences.fit_gaussian", divergences.fit_gaussian,
           lambda: dict(p_values=torch.exp(-torch.linspace(-3, 3, 61) ** 2 / 2)
                        / math.sqrt(2 * math.pi),
                        x=torch.linspace(-3, 3, 61), name="kl"),
           {"p_values": bad_tensors((61,), positive=True), "x": bad_tensors((61,)),
            "name": bad_names(divergences.NAMES)}),
    # metrics
    Target("metrics.mode_coverage", metrics.mode_coverage,
           lambda: dict(samples=_points((50, 2)), centres=toy.modes("8gaussians")[0],
                        std=toy.modes("8gaussians")[1]),
           {"samples": bad_tensors((50, 2)), "centres": bad_tensors((8, 2)),
            "std": bad_positive_floats(), "n_std": bad_positive_floats()}),
    Target("metrics.frechet_distance", metrics.frechet_distance,
           lambda: dict(mu1=torch.zeros(3), cov1=torch.eye(3), mu2=torch.ones(3),
                        cov2=torch.eye(3)),
           {"mu1": bad_tensors((3,)), "cov1": bad_tensors((3, 3))}),
    Target("metrics.mnist_frechet", metrics.mnist_frechet,
           lambda: dict(images_a=_image_batch(8), images_b=_image_batch(8)),
           {"images_a": bad_tensors((8, 1, 28, 28)), "images_b": bad_tensors((8, 1, 28, 28)),
            "batch_size": bad_sizes()}),
    Target("metrics.mnist_legibility", metrics.mnist_legibility,
           lambda: dict(images=_image_batch(8)),
           {"images": bad_tensors((8, 1, 28, 28)), "batch_size": bad_sizes(),
            "threshold": {"range": st.one_of(st.floats(-5, 0), st.floats(1.001, 5)),
                          "non-finite": st.just(math.nan)}}),
    Target("metrics.activation_gradient_norms", metrics.activation_gradient_norms,
           lambda: dict(mlp=_mlp(), x=_points((16, 2))),
           {"mlp": bad_modules(), "x": bad_tensors((16, 2))}),
    Target("metrics.w1_tracking", metrics.w1_tracking,
           lambda: dict(real=_points((16, 2)), z=_points((16, 2))),
           {"real": bad_tensors((16, 2)), "z": bad_tensors((16, 2))}),
    Target("metrics.label_fidelity", metrics.label_fidelity,
           lambda: dict(images=_image_batch(8), labels=torch.arange(8)),
           {"images": bad_tensors((8, 1, 28, 28)), "labels": _bad_labels(8)}),
    Target("metrics.intra_class_diversity", metrics.intra_class_diversity,
           lambda: dict(images=_image_batch(8), labels=torch.arange(8) % 2),
           {"images": bad_tensors((8, 1, 28, 28)), "labels": _bad_labels(8)}),
    Target("metrics.per_class_frechet", metrics.per_class_frechet,
           lambda: dict(images=_image_batch(8), labels=torch.arange(8) % 2,
                        real=_image_batch(8), real_labels=torch.arange(8) % 2),
           {"images": bad_tensors((8, 1, 28, 28)), "labels": _bad_labels(8),
            "real": bad_tensors((8, 1, 28, 28)), "real_labels": _bad_labels(8)}),
    # conditional players and attention
    *[Target(f"conditional.{cls.__name__}", cls, lambda: dict(),
             {"n_classes": bad_sizes()}) for cls in (conditional.ConcatGenerator,
                                                     conditional.ConcatCritic,
                                                     conditional.ACGANCritic,
                                                     conditional.ProjectionCritic,
                                                     conditional.BigGANGenerator)],
    Target("conditional.ConcatGenerator.forward",
           lambda z, y: conditional.ConcatGenerator(z_dim=8, width=4)(z, y),
           lambda: dict(z=_points((4, 8)), y=torch.arange(4)),
           {"z": {k: v for k, v in bad_tensors((4, 8)).items() if k != "non-finite"},
            "y": _bad_labels(4)}, aliases={"z": ("input", "z")}),
    Target("conditional.ProjectionCritic.forward",
           lambda x, y: conditional.ProjectionCritic(width=4)(x, y),
           lambda: dict(x=_image_batch(), y=torch.arange(4)),
           {"x": {k: v for k, v in bad_tensors((4, 1, 28, 28)).items() if k != "non-finite"},
            "y": _bad_labels(4)}, aliases={"x": ("input", "x")}),
    Target("conditional.BigGANGenerator.forward",
           lambda z, y: conditional.BigGANGenerator(width=8)(z, y),
           lambda: dict(z=_points((4, 60)), y=torch.arange(4)),
           {"z": {k: v for k, v in bad_tensors((4, 60)).items() if k != "non-finite"},
            "y": _bad_labels(4)}, aliases={"z": ("input", "z")}),
    Target("conditional.ConditionalBatchNorm2d", conditional.ConditionalBatchNorm2d,
           lambda: dict(num_features=4, cond_dim=3),
           {"num_features": bad_sizes(), "cond_dim": bad_sizes()}),
    Target("attention.SelfAttention", attention.SelfAttention, lambda: dict(channels=8),
           {"channels": {**bad_sizes(), "not-a-multiple-of-8": st.integers(1, 40).filter(
               lambda c: c % 8)}}),
    Target("attention.SelfAttention.forward", lambda x: attention.SelfAttention(8)(x),
           lambda: dict(x=torch.randn(2, 8, 6, 6)),
           {"x": {**{k: v for k, v in bad_tensors((2, 8, 6, 6)).items() if k != "non-finite"},
                  "odd-size": st.sampled_from([(5, 5), (6, 7)]).map(
                      lambda hw: torch.randn(2, 8, *hw))}},
           aliases={"x": ("feature map", "x", "input")}),
    # transport
    Target("transport.wasserstein1", transport.wasserstein1,
           lambda: dict(x=_points((6, 2)), y=_points((5, 2), 1)),
           {"x": bad_tensors((6, 2), ranks_ok=(1, 2)), "y": bad_tensors((5, 2), ranks_ok=(1, 2)),
            "a": bad_tensors((6,), positive=True, none_ok=True)}),
    Target("transport.emd", transport.emd,
           lambda: dict(a=torch.full((3,), 1 / 3), b=torch.full((4,), 1 / 4), M=torch.rand(3, 4)),
           {"a": bad_tensors((3,), positive=True), "b": bad_tensors((4,), positive=True),
            "M": bad_tensors((3, 4), positive=True)}),
    Target("transport.emd_linprog", transport.emd_linprog,
           lambda: dict(a=torch.full((3,), 1 / 3), b=torch.full((4,), 1 / 4), M=torch.rand(3, 4)),
           {"a": bad_tensors((3,), positive=True), "M": bad_tensors((3, 4), positive=True),
            "time_limit": bad_positive_floats(none_ok=True)}),
    Target("transport.plan_constraints", transport.plan_constraints, lambda: dict(n=3, m=4),
           {"n": bad_sizes(), "m": bad_sizes()}),
    # regularizers
    Target("regularizers.clip_weights_", regularizers.clip_weights_,
           lambda: dict(module=_mlp(), c=0.01),
           {"module": bad_modules(), "c": bad_positive_floats()}),
    Target("regularizers.gradient_penalty", regularizers.gradient_penalty,
           lambda: dict(critic=_mlp(), real=_points((8, 2)), fake=_points((8, 2), 1)),
           {"critic": bad_modules(), "real": bad_tensors((8, 2)), "fake": bad_tensors((8, 2)),
            "generator": bad_generators()}),
    Target("regularizers.r1_penalty", regularizers.r1_penalty,
           lambda: dict(critic=_mlp(), real=_points((8, 2))),
           {"critic": bad_modules(), "real": bad_tensors((8, 2))}),
    Target("regularizers.orthogonal_penalty", regularizers.orthogonal_penalty,
           lambda: dict(module=_mlp()), {"module": bad_modules()}),
    # spectral normalisation
    Target("spectral.SpectralNorm", spectral.SpectralNorm, lambda: dict(weight=torch.randn(4, 3)),
           {"weight": bad_tensors((4, 3), ranks_ok=(2, 3, 4)), "n_power_iterations": bad_sizes(),
            "dim": {"range": st.integers(2, 9) | st.integers(-9, -3)},
            "warmup": bad_sizes(zero_ok=True)}),
    Target("spectral.power_iteration", spectral.power_iteration, lambda: dict(W=torch.randn(4, 3)),
           {"W": bad_tensors((4, 3)), "u": bad_tensors((4,), none_ok=True),
            "n_iter": bad_sizes(zero_ok=True),
            "generator": bad_generators()}),
    Target("spectral.singular_values", spectral.singular_values, lambda: dict(model=_mlp()),
           {"model": bad_modules(), "k": bad_sizes()}),
    Target("spectral.spectral_norm", spectral.spectral_norm, lambda: dict(module=_mlp()),
           {"module": bad_modules(), "n_power_iterations": bad_sizes()}),
    Target("spectral.clamp_top_singular_value_", spectral.clamp_top_singular_value_,
           lambda: dict(model=_mlp(), sigma_clamp=1.0),
           {"model": bad_modules(), "sigma_clamp": bad_positive_floats()}),
    Target("spectral.lipschitz_upper_bound", spectral.lipschitz_upper_bound,
           lambda: dict(model=_mlp()), {"model": bad_modules()}),
    # tricks
    Target("tricks.MinibatchDiscrimination", tricks.MinibatchDiscrimination,
           lambda: dict(in_features=4),
           {"in_features": bad_sizes(), "B": bad_sizes(), "C": bad_sizes(),
            "init_std": bad_positive_floats()}),
    Target("tricks.MinibatchDiscrimination.forward",
           _forward(lambda: tricks.MinibatchDiscrimination(4, B=3, C=2)),
           lambda: dict(x=_points((8, 4))), {"x": bad_tensors((8, 4))},
           aliases={"x": ("input", "x")}),
    Target("tricks.VirtualBatchNorm", tricks.VirtualBatchNorm, lambda: dict(num_features=4),
           {"num_features": bad_sizes(), "eps": bad_positive_floats()}),
    Target("tricks.WithReferenceBatch", tricks.WithReferenceBatch,
           lambda: dict(net=torch.nn.Sequential(torch.nn.Linear(2, 4), tricks.VirtualBatchNorm(4)),
                        reference=_points((16, 2))),
           {"net": bad_modules(), "reference": bad_tensors((16, 2))}),
    Target("tricks.HistoricalAveraging", tricks.HistoricalAveraging, lambda: dict(module=_mlp()),
           {"module": bad_modules()}),
    Target("tricks.feature_matching_loss", tricks.feature_matching_loss,
           lambda: dict(real_features=_points((8, 5)), fake_features=_points((8, 5), 1)),
           {"real_features": bad_tensors((8, 5)), "fake_features": bad_tensors((8, 5))}),
    Target("tricks.feature_matching_objective", tricks.feature_matching_objective,
           lambda: dict(D=_mlp(), real=_points((8, 2)), fake=_points((8, 2), 1)),
           {"D": bad_modules(), "real": bad_tensors((8, 2)), "fake": bad_tensors((8, 2))}),
    Target("tricks.smooth_labels", tricks.smooth_labels, lambda: dict(loss="nonsaturating"),
           {"loss": bad_names(losses.NAMES),
            "real_target": {"range": st.one_of(st.floats(-5, 0), st.floats(1.001, 5)),
                            "non-finite": st.just(math.nan)}}),
    Target("tricks.truncated_noise", tricks.truncated_noise,
           lambda: dict(n=4, dim=2, threshold=1.0),
           {"n": bad_sizes(), "dim": bad_sizes(), "threshold": bad_positive_floats(),
            "generator": bad_generators()}),
    # models
    Target("models.MLP", models.MLP, lambda: dict(in_features=2),
           {"in_features": bad_sizes(), "out_features": bad_sizes(), "width": bad_sizes(),
            "depth": bad_sizes(zero_ok=True), "activation": bad_names(models.ACTIVATIONS)}),
    Target("models.MLP.forward", _forward(_mlp), lambda: dict(x=_points((8, 2))),
           {"x": bad_tensors((8, 2), ranks_ok=(1, 2, 3, 4))}, aliases={"x": ("input", "x")}),
    Target("models.DCGenerator", models.DCGenerator, lambda: dict(z_dim=8, width=4),
           {"z_dim": bad_sizes(), "width": bad_sizes(),
            "image_shape": {"unknown": st.sampled_from([(1, 27, 27), (2, 28), (0, 28, 28)]),
                            "type": st.one_of(st.none(), st.text(max_size=3))}}),
    Target("models.DCGenerator.forward", _forward(lambda: models.DCGenerator(8, width=4)),
           lambda: dict(x=_points((4, 8))), {"x": bad_tensors((4, 8))},
           aliases={"x": ("input", "z")}),
    Target("models.DCCritic", models.DCCritic, lambda: dict(width=4),
           {"width": bad_sizes(),
            "image_shape": {"unknown": st.sampled_from([(1, 27, 27), (2, 28), (0, 28, 28)]),
                            "type": st.one_of(st.none(), st.text(max_size=3))},
            "minibatch_discrimination": {"type": st.one_of(st.just((0, 3)), st.just((4,)),
                                                           st.text(max_size=3))}}),
    Target("models.DCCritic.forward", _forward(lambda: models.DCCritic(width=4)),
           lambda: dict(x=_image_batch()), {"x": bad_tensors((4, 1, 28, 28))},
           aliases={"x": ("input", "x")}),
    Target("models.Gaussian", models.Gaussian, lambda: dict(),
           {"mean": {"non-finite": st.sampled_from([math.nan, math.inf])},
            "std": bad_positive_floats(), "dim": bad_sizes()}),
    # training
    Target("train.fit", _fit, _fit_valid,
           {"G": bad_modules(), "D": bad_modules(), "data": bad_tensors((32, 2)),
            "loss": bad_names(losses.NAMES), "steps": bad_sizes(), "n_critic": bad_sizes(),
            "z_dim": bad_sizes(), "batch_size": bad_sizes(),
            "optimizer": bad_names(("adam", "rmsprop")),
            "lr": bad_positive_floats(), "penalty": bad_names(train.PENALTIES, none_ok=True),
            "penalty_weight": bad_positive_floats(zero_ok=True),
            "clip": bad_positive_floats(none_ok=True), "log_every": bad_sizes(),
            "device": {"unknown": st.sampled_from(["gpu0", "cuda:99", "tpu"])},
            "generator": bad_generators(),
            "average": {"type": st.one_of(st.integers(), st.text(max_size=3),
                                          st.just(torch.nn.Linear(2, 2))),
                        "other network": st.just(None).map(
                            lambda _: train.exponential_average(_mlp(3, 2)))}}),
    Target("train.stepper", train.stepper,
           lambda: {k: v for k, v in _fit_valid().items() if k not in ("steps", "log_every")},
           {"G": bad_modules(), "D": bad_modules(), "data": bad_tensors((32, 2)),
            "loss": bad_names(losses.NAMES), "n_critic": bad_sizes(), "z_dim": bad_sizes(),
            "batch_size": bad_sizes(), "lr": bad_positive_floats(),
            "penalty": bad_names(train.PENALTIES, none_ok=True),
            "clip": bad_positive_floats(none_ok=True), "generator": bad_generators()}),
    Target("train.StepSettings", train.StepSettings, lambda: dict(loss="nonsaturating"),
           {"loss": bad_names(losses.NAMES), "n_critic": bad_sizes(),
            "batch_size": bad_sizes(), "optimizer": bad_names(("adam", "rmsprop")),
            "lr": bad_positive_floats(),
            "betas": {"range": st.sampled_from([(0.5, 1.0), (-0.1, 0.9), (1.5, 0.999)]),
                      "length": st.sampled_from([(), (0.5,), (0.5, 0.9, 0.99)]),
                      "type": st.one_of(st.none(), st.text(max_size=3), st.floats(0, 0.9))},
            "penalty": bad_names(train.PENALTIES, none_ok=True),
            "penalty_weight": bad_positive_floats(zero_ok=True),
            "clip": bad_positive_floats(none_ok=True)}),
    # many seeds at once (ganlab.ensemble)
    Target("ensemble.stack", ensemble.stack, lambda: dict(networks=[_mlp(), _mlp()]),
           {"networks": {"type": st.one_of(st.none(), st.text(max_size=3), st.integers(),
                                           st.just(torch.zeros(2))),
                         "empty": st.just([]),
                         "element": st.sampled_from([None, "mlp", 3]).map(lambda x: [_mlp(), x]),
                         "architectures": st.integers(3, 6).map(
                             lambda w: [_mlp(), models.MLP(2, 1, width=w, depth=2)])}}),
    Target("ensemble.StackedMLP.member", lambda stacked, k: stacked.member(k),
           lambda: dict(stacked=ensemble.stack([_mlp(), _mlp()]), k=1),
           {"k": {**bad_sizes(zero_ok=True), "too large": st.integers(2, 50)}}),
    Target("train.fit[ensemble]", _fit,
           lambda: dict(_fit_valid(), G=ensemble.stack([_mlp(2, 2), _mlp(2, 2)]),
                        D=ensemble.stack([_mlp(), _mlp()]),
                        generator=[torch.Generator().manual_seed(s) for s in (0, 1)]),
           {"generator": {"one": st.just(None).map(lambda _: torch.Generator()),
                          "mismatched seeds": st.integers(1, 4).filter(lambda n: n != 2).map(
                              lambda n: [torch.Generator() for _ in range(n)]),
                          "type": st.one_of(st.integers(0, 9), st.lists(st.integers(0, 9),
                                                                        min_size=2, max_size=2))},
            "D": {"ordinary": st.just(None).map(lambda _: _mlp())},
            "conditional": {"unsupported": st.just(True)}}),
    Target("reference.train_ensemble", reference.train_ensemble,
           lambda: dict(name="8gaussians_nonsaturating", seeds=[0, 1], steps=1, curve_points=1),
           {"name": {**bad_names(reference.RECIPES), "not a toy": st.just("mnist_sngan-5k"),
                     "vbn": st.just("ring_nonsaturating-VBN")},
            "seeds": {"type": st.one_of(st.integers(), st.text(max_size=3)),
                      "empty": st.just([]), "duplicate": st.just([1, 1]),
                      "negative": st.integers(-9, -1).map(lambda s: [0, s])},
            "steps": bad_sizes(none_ok=True), "curve_points": bad_sizes()},
           aliases={"name": ("name", "networks", "VirtualBatchNorm")}),
    Target("reference.stackable", reference.stackable, lambda: dict(name="8gaussians_wgan-gp"),
           {"name": bad_names(reference.RECIPES)}),
    Target("reference.learning_curves", reference.learning_curves,
           lambda: dict(name="25gaussians_wgan-gp", key="modes"),
           {"name": bad_names(reference.RECIPES),
            "key": bad_names(("modes", "high_quality", "w1"))}),
    Target("reference.scores", reference.scores,
           lambda: dict(name="25gaussians_wgan-gp", rescore=()),
           {"name": bad_names(reference.RECIPES)}),
    Target("reference.learning_curve", reference.learning_curve,
           lambda: dict(name="8gaussians_nonsaturating",
                        curve={"steps": [1], "samples": [torch.zeros(2, 1000, 2)]}, member=0),
           {"name": bad_names(reference.RECIPES)}),
    Target("playground.read_points", playground.read_points, lambda: dict(source=_points((5, 2))),
           {"source": {**bad_tensors((5, 2)), "one point": st.just(torch.zeros(1, 2)),
                       "columns": st.integers(1, 5).filter(lambda c: c != 2).map(
                           lambda c: torch.zeros(5, c)),
                       "text": st.sampled_from(["1 2 3\n4 5 6", "1, 2\nx, y", "", "# only"]),
                       "file": st.just(b"\x93NUMPY broken")}},
           aliases={"source": ("source", "points")}),
    Target("playground.Settings", playground.Settings, lambda: dict(width=16),
           {"data": bad_names(playground.DATASETS), "loss": bad_names(losses.NAMES),
            "constraint": bad_names(playground.constraints()), "clip": bad_positive_floats(),
            "penalty_weight": bad_positive_floats(zero_ok=True), "lr_g": bad_positive_floats(),
            "lr_d": bad_positive_floats(), "n_critic": bad_sizes(), "width": bad_sizes(),
            "depth": bad_sizes(), "batch_size": bad_sizes(), "seed": bad_sizes(zero_ok=True),
            "steps_per_frame": bad_sizes()}),
    Target("playground.Lab", playground.Lab,
           lambda: dict(settings=playground.Settings(width=16, data="your points"),
                        points=_points((8, 2))),
           {"settings": {"type": st.one_of(st.integers(), st.text(max_size=3))},
            "points": {**bad_tensors((8, 2)), "one point": st.just(torch.zeros(1, 2))}},
           aliases={"points": ("points",)}),
    Target("playground.Canvas", playground.Canvas,
           lambda: dict(lab=playground.Lab(playground.Settings(width=16))),
           {"lab": {"type": st.one_of(st.none(), st.integers(), st.text(max_size=3))},
            "dpi": bad_sizes()}),
    Target("playground.Playground", playground.Playground, lambda: dict(data=_points((8, 2))),
           {"data": {**bad_tensors((8, 2), none_ok=True), "one point": st.just(torch.zeros(1, 2))},
            "measure_every": bad_sizes()},
           aliases={"data": ("data", "points")}),
    Target("train.exponential_average", train.exponential_average,
           lambda: dict(G=_mlp(2, 2), decay=0.99),
           {"G": bad_modules(), "decay": {**bad_positive_floats(),
                                          "not below 1": st.floats(1, 10)}}),
    # runtime, data, reference
    Target("runtime.available_device", runtime.available_device, lambda: dict(wanted="cpu"),
           {"wanted": {"unknown": st.sampled_from(["gpu0", "cuda:99", "tpu", ""]),
                       "type": st.one_of(st.none(), st.integers())}},
           aliases={"wanted": ("wanted", "device")}),
    Target("runtime.seed_everything", runtime.seed_everything, lambda: dict(seed=0),
           {"seed": {"type": st.one_of(st.text(max_size=3), st.none(), st.floats(0.5, 2.5))}}),
    Target("data.mnist", data.mnist, lambda: dict(source="shipped", limit=10),
           {"source": bad_names(data.SOURCES), "limit": bad_sizes(none_ok=True)}),
    Target("data.verify", data.verify, lambda: dict(name="mnist_5k.npz"),
           {"name": {"unknown": st.text(alphabet="abcxyz", min_size=1, max_size=6),
                     "type": st.one_of(st.none(), st.integers())}}),
    Target("data.load_state_dict", data.load_state_dict, lambda: dict(name="mnist_classifier.pt"),
           {"name": {"unknown": st.text(alphabet="abcxyz", min_size=1, max_size=6),
                     "type": st.one_of(st.none(), st.integers())}}),
    Target("reference.recipe", reference.recipe, lambda: dict(name="8gaussians_wgan-gp"),
           {"name": bad_names(reference.RECIPES)}),
    Target("reference.filename", reference.filename, lambda: dict(name="8gaussians_wgan-gp"),
           {"name": bad_names(reference.RECIPES), "seed": bad_sizes(zero_ok=True)}),
    Target("reference.load", reference.load, lambda: dict(name="8gaussians_wgan-gp"),
           {"name": bad_names(reference.RECIPES), "seed": bad_sizes(zero_ok=True)}),
    Target("reference.make_pair", reference.make_pair, lambda: dict(name="8gaussians_wgan-gp"),
           {"name": bad_names(reference.RECIPES)}),
    Target("reference.evaluate", reference.evaluate,
           lambda: dict(name="8gaussians_wgan-gp", G=reference.load("8gaussians_wgan-gp"), n=200,
                        n_w1=50),
           {"name": bad_names(reference.RECIPES), "G": bad_modules(), "n": bad_sizes(),
            "n_w1": bad_sizes()}),
    Target("reference.select", reference.select, lambda: dict(patterns=["8gaussians*"]),
           {"patterns": {"unknown": st.text(alphabet="qvw", min_size=1, max_size=5).map(
                lambda s: [s]),
                         "type": st.one_of(st.integers(), st.just([3]))}}),
    Target("reference.provenance", reference.provenance,
           lambda: dict(name="8gaussians_wgan-gp", seed=0, steps=10, wall=1.0, device="cpu",
                        threads=1, metrics={}),
           {"name": bad_names(reference.RECIPES)}),
    Target("reference.shipped_state", reference.shipped_state,
           lambda: dict(name="8gaussians_wgan-gp", G=_mlp(2, 2), D=_mlp(), seed=0),
           {"name": bad_names(reference.RECIPES), "seed": bad_sizes(zero_ok=True)}),
    Target("reference.mnist_evaluation_digits", reference.mnist_evaluation_digits,
           lambda: dict(n=10), {"n": bad_sizes()}),
    Target("reference.train", reference.train, lambda: dict(name="8gaussians_wgan-gp", steps=2),
           {"name": bad_names(reference.RECIPES), "steps": bad_sizes(none_ok=True),
            "mnist_source": bad_names(data.SOURCES)}),
    # plots
    Target("plots.critic_field", plots.critic_field,
           lambda: dict(critic=_mlp(), real=_points((8, 2)), fake=_points((8, 2), 1), n=5),
           {"critic": bad_modules(), "real": bad_tensors((8, 2)), "fake": bad_tensors((8, 2)),
            "lim": bad_positive_floats(), "n": bad_sizes()}),
    Target("plots.image_grid", plots.image_grid, lambda: dict(images=_image_batch()),
           {"images": bad_tensors((4, 1, 28, 28)), "nrow": bad_sizes()}),
    Target("plots.density_1d", plots.density_1d,
           lambda: dict(x=torch.linspace(-2, 2, 9), p_data=torch.full((9,), 0.2)),
           {"x": bad_tensors((9,)), "p_data": bad_tensors((9,), positive=True)}),
    Target("plots.loss_curves", plots.loss_curves, lambda: dict(history=train.History()),
           {"history": {"type": st.one_of(st.none(), st.text(max_size=3), st.integers())}}),
    # coursework tooling
    Target("exercises.check", exercises.check,
           lambda: dict(exercise_id="07.truncated_noise", obj=tricks.truncated_noise),
           {"exercise_id": bad_names(exercises.KNOWN),
            "obj": {"type": st.one_of(st.none(), st.integers(), st.text(max_size=3))}}),
    Target("grading.grade_id", grading.grade_id, lambda: dict(exercise_id="08.attention"),
           {"exercise_id": bad_names(exercises.KNOWN)}),
    Target("grading.exercises_only", grading.exercises_only,
           lambda: dict(nb=__import__("nbformat").v4.new_notebook()),
           {"nb": {"type": st.one_of(st.none(), st.integers(), st.text(max_size=3))}}),
    Target("grading.restore_checks", grading.restore_checks,
           lambda: dict(nb=__import__("nbformat").v4.new_notebook()),
           {"nb": {"type": st.one_of(st.none(), st.integers(), st.text(max_size=3))}}),
    Target("grading.nbgrader_metadata", grading.nbgrader_metadata,
           lambda: dict(nb=__import__("nbformat").v4.new_notebook()),
           {"nb": {"type": st.one_of(st.none(), st.integers(), st.text(max_size=3))}}),
    Target("grading.build_learner_copy", grading.build_learner_copy,
           lambda: dict(src=Path("notebooks/00_start_here.ipynb"),
                        dst=Path(tempfile.gettempdir()) / "ganlab-fuzz-learner-copy.ipynb"),
           {"src": bad_paths()}),
    Target("notebooks.course_notebooks", notebooks.course_notebooks,
           lambda: dict(folder="notebooks"),
           {"folder": bad_paths()}),
    Target("notebooks.execution_problems", notebooks.execution_problems,
           lambda: dict(nb=__import__("nbformat").v4.new_notebook()),
           {"nb": {"type": st.one_of(st.none(), st.integers(), st.text(max_size=3))}}),
    Target("notebooks.run_notebook", notebooks.run_notebook,
           lambda: dict(path=Path("notebooks/00_start_here.ipynb")), {"path": bad_paths()}),
    Target("notebooks.full_budget_prelude", notebooks.full_budget_prelude,
           lambda: dict(cut=25), {"cut": bad_sizes()}),
    # the Dirac-GAN's training dynamics (notebook 10)
    Target("dynamics.dirac_field", dynamics.dirac_field,
           lambda: dict(theta=_points((5,)), psi=_points((5,), 1), loss="minimax"),
           {"theta": _any_rank(bad_tensors((5,))), "psi": _any_rank(bad_tensors((5,))),
            "loss": bad_names(dynamics.LOSSES), "r1": bad_positive_floats(zero_ok=True),
            "r2": bad_positive_floats(zero_ok=True), "gp": bad_positive_floats(zero_ok=True),
            "clip": bad_positive_floats(none_ok=True),
            "instance_noise": bad_positive_floats(zero_ok=True),
            "consensus": bad_positive_floats(zero_ok=True)}),
    Target("dynamics.dirac_jacobian", dynamics.dirac_jacobian, lambda: dict(loss="wasserstein"),
           {"loss": bad_names(dynamics.LOSSES), "r1": bad_positive_floats(zero_ok=True),
            "r2": bad_positive_floats(zero_ok=True), "gp": bad_positive_floats(zero_ok=True),
            "instance_noise": bad_positive_floats(zero_ok=True),
            "consensus": bad_positive_floats(zero_ok=True)}),
    Target("dynamics.update_eigenvalues", dynamics.update_eigenvalues,
           lambda: dict(J=dynamics.dirac_jacobian("minimax", r1=0.5), lr=0.1),
           {"J": bad_tensors((2, 2)), "lr": bad_positive_floats(),
            "scheme": bad_names(dynamics.SCHEMES), "n_critic": bad_sizes()}),
    Target("dynamics.simulate", dynamics.simulate,
           lambda: dict(theta0=1.0, psi0=1.0, loss="minimax", lr=0.1, steps=3,
                        scheme="alternating"),
           {"theta0": _any_rank(bad_tensors((3,))), "psi0": _any_rank(bad_tensors((3,))),
            "loss": bad_names(dynamics.LOSSES), "lr": bad_positive_floats(),
            "steps": bad_sizes(), "scheme": bad_names(dynamics.SCHEMES),
            "n_critic": bad_sizes(), "clip": bad_positive_floats(none_ok=True),
            "r1": bad_positive_floats(zero_ok=True), "gp": bad_positive_floats(zero_ok=True),
            "instance_noise": bad_positive_floats(zero_ok=True),
            "consensus": bad_positive_floats(zero_ok=True)}),
]

# Public names that are not fuzzed, and why.
NOT_FUZZED = {
    "ganlab.budget", "ganlab.device", "ganlab.info", "ganlab.pick", "ganlab.__version__",
    "ganlab.exercises", "ganlab.seed_everything",  # re-exported from runtime (fuzzed there)
}
RECORDS = {  # results and records the library builds; learners read them, not build them
    "metrics.ModeCoverage", "metrics.Legibility", "train.History", "reference.Recipe",
    "losses.GANLoss", "train.Stepper", "divergences.FDivergence", "metrics.MnistFeatureNet",
    "metrics.LabelFidelity", "ensemble.StackedMLP",  # built by ensemble.stack (fuzzed)
    "ensemble.StackedLinear",
}
NO_ARGUMENTS = {  # nothing to get wrong, or configured by the environment (tested elsewhere)
    "runtime.budget", "runtime.device", "runtime.info", "runtime.pick", "data.data_dir",
    "metrics.mnist_feature_net", "reference.runs", "reference.obtain",
    "ensemble.members_of",  # a getattr: any object is a valid argument
    "grading.check_notebooks", "grading.grade_notebooks", "notebooks.execute",
    "notebooks.run_all", "losses.registered", "playground.losses", "playground.constraints",
}
REEXPORTED = {  # one object under a second name: fuzzed under the first
    "models.MinibatchDiscrimination",  # fuzzed as tricks.MinibatchDiscrimination
}
NEVER_RAISES = {  # records every error in what it returns instead of raising (tested there)
    "exercises.verdict",  # the grader's record of one check (test_exercises)
}
EXCEPTIONS = {"data.ChecksumError", "train.CheckpointError", "train.NonFiniteLossError",
              "exercises.ExerciseError"}

# --- issue 26: statistics, held-out digits, memorisation, re-scoring (appended block) -------
from ganlab import rescore, stats  # noqa: E402


def _scores(n=4, seed=0):
    return [float(v) for v in _points((n,), seed)]


def bad_scores():
    """Bad one-score-per-seed sequences: too short, NaN/inf, 2-D, not numbers."""
    return {"short": st.lists(st.floats(-5, 5), max_size=1),
            "non-finite": st.sampled_from([math.nan, math.inf, -math.inf]).map(
                lambda v: [1.0, v, 2.0]),
            "rank": st.just([[1.0, 2.0], [3.0, 4.0]]),
            "type": st.one_of(st.none(), st.text(max_size=3), st.just({"x": 1.0}),
                              st.just([True, False]))}


def _memorisation_valid():
    return dict(samples=_points((6, 1, 4, 4)), train_digits=_points((8, 1, 4, 4), 1),
                heldout_digits=_points((6, 1, 4, 4), 2))


_DRIFT = {"r": {"0": {"high_quality": 0.5}, "1": {"high_quality": 0.6}}}

TARGETS += [
    Target("stats.summary", stats.summary,
           lambda: dict(values=_scores(), method="bootstrap", generator=0, n_boot=50),
           {"values": bad_scores(), "level": {"range": st.one_of(st.floats(-2, 0),
                                                                  st.floats(1, 100))},
            "method": bad_names(stats.CI_METHODS), "n_boot": bad_sizes(),
            "generator": {"type": st.one_of(st.text(max_size=3), st.floats(0.5, 2.5),
                                            st.integers(-5, -1))}}),
    Target("stats.compare", stats.compare, lambda: dict(a=_scores(), b=_scores(3, 1)),
           {"a": bad_scores(), "b": bad_scores(), "alternative": bad_names(stats.ALTERNATIVES)}),
    Target("stats.late_change", stats.late_change,
           lambda: dict(steps=[1, 2, 3], values=[[1.0, 2.0, 3.0]]),
           {"last": bad_positive_floats(),
            "steps": {"repeated": st.just([1, 1, 2]), "one": st.just([3])},
            "values": {"shape": st.just([[1.0, 2.0]]),
                       "non-finite": st.just([1.0, math.nan, 2.0])}}),
    Target("stats.min_p_value", stats.min_p_value, lambda: dict(n_a=3, n_b=3),
           {"n_a": bad_sizes(), "n_b": bad_sizes(),
            "alternative": bad_names(stats.ALTERNATIVES)}),
    Target("stats.holm", stats.holm, lambda: dict(pvalues=[0.01, 0.2, 0.04]),
           {"pvalues": {**{k: v for k, v in bad_scores().items() if k != "short"},
                        "empty": st.just([]),
                        "range": st.sampled_from([[0.1, 1.5], [-0.2, 0.3]])}}),
    Target("stats.table", stats.table, lambda: dict(groups={"a": _scores(), "b": _scores()}),
           {"groups": {"type": st.one_of(st.none(), st.text(max_size=3), st.just([1.0, 2.0]),
                                         st.just({})),
                       "values": bad_scores()["non-finite"].map(lambda v: {"a": v})},
            "level": {"range": st.floats(1, 100)}},
           aliases={"groups": ("groups", "values")}),
    Target("stats.comparisons", stats.comparisons,
           lambda: dict(groups={"a": _scores(), "b": _scores(4, 1)}, pairs=[("a", "b")]),
           {"groups": {"type": st.one_of(st.none(), st.text(max_size=3), st.just({}))},
            "pairs": {"unknown": st.text(alphabet="xyz", min_size=1, max_size=4).map(
                          lambda s: [("a", s)]),
                      "type": st.one_of(st.none(), st.text(max_size=3), st.just([]),
                                        st.just([("a", "b", "a")]))},
            "alternative": bad_names(stats.ALTERNATIVES),
            "alpha": {"range": st.one_of(st.floats(-1, 0), st.floats(1, 5))}}),
    Target("data.shipped_split", data.shipped_split, lambda: dict(part="heldout"),
           {"part": bad_names(data.SPLITS)}),
    Target("metrics.mnist_feature_net", metrics.mnist_feature_net, lambda: dict(),
           {"name": bad_names(metrics.CLASSIFIER_FILES)}),
    Target("metrics.nearest_distances", metrics.nearest_distances,
           lambda: dict(images=_points((5, 1, 4, 4)), reference=_points((7, 1, 4, 4), 1)),
           {"images": bad_tensors((5, 1, 4, 4), ranks_ok=(2, 3, 4)),
            "reference": bad_tensors((7, 1, 4, 4), ranks_ok=(2, 3, 4)),
            "batch_size": bad_sizes()}),
    Target("metrics.memorisation", metrics.memorisation, _memorisation_valid,
           {"samples": bad_tensors((6, 1, 4, 4), ranks_ok=(2, 3, 4)),
            "train_digits": bad_tensors((8, 1, 4, 4), ranks_ok=(2, 3, 4)),
            "heldout_digits": bad_tensors((6, 1, 4, 4), ranks_ok=(2, 3, 4)),
            "quantile": {"range": st.one_of(st.floats(-1, 0), st.floats(1, 5)),
                         "non-finite": st.just(math.nan)}}),
    Target("rescore.evaluate", rescore.evaluate,
           lambda: dict(name="8gaussians_wgan-gp", G=reference.load("8gaussians_wgan-gp"),
                        n=200, n_w1=50, n_mnist=100),
           {"name": bad_names(reference.RECIPES), "G": bad_modules(),
            "noise_seed": bad_sizes(zero_ok=True), "data_seed": bad_sizes(zero_ok=True,
                                                                          none_ok=True),
            "n": bad_sizes(), "n_w1": bad_sizes(), "n_mnist": bad_sizes(),
            "heldout": {"type": st.one_of(st.integers(), st.text(max_size=3))},
            "distances": {"type": st.one_of(st.integers(), st.text(max_size=3))}}),
    Target("rescore.rescore", rescore.rescore,
           lambda: dict(names=["8gaussians_wgan-gp"], n=100, n_w1=20, n_mnist=50,
                        distances=False),
           {"names": {"unknown": st.text(alphabet="qvw", min_size=1, max_size=5).map(
                          lambda s: [s]),
                      "type": st.one_of(st.integers(), st.text(max_size=3))},
            "noise_seed": bad_sizes(zero_ok=True), "n": bad_sizes()}),
    Target("rescore.recorded", rescore.recorded, lambda: dict(names=["8gaussians_wgan-gp"]),
           {"names": {"unknown": st.text(alphabet="qvw", min_size=1, max_size=5).map(
                          lambda s: [s]),
                      "type": st.one_of(st.integers(), st.text(max_size=3))}}),
    Target("rescore.drift", rescore.drift,
           lambda: dict(recorded_metrics=_DRIFT, rescored_metrics=_DRIFT,
                        metric="high_quality"),
           {"recorded_metrics": {"type": st.one_of(st.none(), st.integers(),
                                                   st.text(max_size=3))},
            "rescored_metrics": {"type": st.one_of(st.none(), st.integers(),
                                                   st.text(max_size=3))},
            "metric": bad_names(rescore.ALLOWANCE), "n_recorded": bad_sizes(),
            "n_rescored": bad_sizes(none_ok=True)}),
]
RECORDS |= {"stats.Summary", "stats.Comparison", "stats.ComparisonRow", "stats.Comparisons",
            "metrics.Memorisation", "rescore.Drift"}
NO_ARGUMENTS |= {"data.heldout_indices"}
FUZZED_MODULES_ISSUE_26 = ("stats", "rescore")

# Cases whose outcome is a documented domain result, not a mistake left unreported.
_HOT = ("hot path (every training step or forward): reading the values would stall a GPU; "
        "a NaN input gives a NaN result, which fit reports as a non-finite loss")
_EMPTY = "a batch of 0 samples gives 0 outputs, as torch's own layers do"
ALLOWED: dict[tuple[str, str, str], str] = {
    ("divergences.wright_omega", "y", "non-finite"):
        "elementwise special function: NaN in, NaN out, as torch.special's functions",
    **{(label, arg, "non-finite"): _HOT for label, arg in (
        ("regularizers.gradient_penalty", "real"), ("regularizers.gradient_penalty", "fake"),
        ("regularizers.r1_penalty", "real"), ("spectral.power_iteration", "W"),
        ("spectral.power_iteration", "u"), ("tricks.MinibatchDiscrimination.forward", "x"),
        ("tricks.feature_matching_loss", "real_features"),
        ("tricks.feature_matching_loss", "fake_features"),
        ("tricks.feature_matching_objective", "real"),
        ("tricks.feature_matching_objective", "fake"),
        ("models.MLP.forward", "x"), ("models.DCGenerator.forward", "x"),
        ("models.DCCritic.forward", "x"))},
    **{(label, "x", "empty"): _EMPTY for label in (
        "tricks.MinibatchDiscrimination.forward", "models.MLP.forward",
        "attention.SelfAttention.forward",
        "models.DCGenerator.forward", "models.DCCritic.forward")},
    ("exercises.check", "obj", "type"):
        "a wrong answer is a failed check: ExerciseError (an AssertionError), what grading counts",
}

ORDER = {"clear": 0, "documented": 1, "vague": 2, "silent": 3, "raw": 4}
RESULTS: dict[tuple[str, str, str], tuple[str, str]] = {}


def _names_argument(message: str, names: tuple[str, ...]) -> bool:
    return any(re.search(rf"(?<![A-Za-z0-9_]){re.escape(n)}(?![A-Za-z0-9_])", message)
               for n in names)


def classify(target: Target, argument: str, value) -> tuple[str, str]:
    kwargs = target.valid()
    kwargs[argument] = value
    names = target.aliases.get(argument, (argument,))
    try:
        target.call(**kwargs)
    except (ValueError, TypeError, FileNotFoundError) as err:
        message = str(err)
        return ("clear" if _names_argument(message, names) else "vague"), message[:160]
    except Exception as err:  # noqa: BLE001 -- any other exception is what we are looking for
        return "raw", f"{type(err).__name__}: {str(err)[:140]}"
    finally:
        import matplotlib.pyplot as plt
        plt.close("all")
    return "silent", "no error"


CASES = [(t, arg, kind) for t in TARGETS for arg, kinds in t.bad.items() for kind in kinds]


@pytest.mark.parametrize("target, argument, kind", CASES,
                         ids=[f"{t.label}-{a}-{k}" for t, a, k in CASES])
def test_bad_argument_is_reported(target, argument, kind):
    @SETTINGS
    @given(value=target.bad[argument][kind])
    def run(value):
        outcome, detail = classify(target, argument, value)
        key = (target.label, argument, kind)
        if outcome in ("raw", "silent") and key in ALLOWED:
            outcome = "documented"
        if key not in RESULTS or ORDER[outcome] > ORDER[RESULTS[key][0]]:
            RESULTS[key] = (outcome, f"{detail} [value: {_short(value)}]")

    run()
    outcome, detail = RESULTS[target.label, argument, kind]
    if outcome in ("raw", "silent"):
        pytest.fail(f"{target.label}({argument}=<{kind}>): {outcome}: {detail}")


def _short(value) -> str:
    if isinstance(value, torch.Tensor):
        return f"tensor{tuple(value.shape)} {value.dtype} on {value.device}"
    return repr(value)[:40]


def test_every_public_name_is_fuzzed_or_listed():
    fuzzed = {t.label.split(".forward")[0] for t in TARGETS}
    listed = fuzzed | RECORDS | NO_ARGUMENTS | EXCEPTIONS | REEXPORTED | NEVER_RAISES
    missing = []
    for module in ("attention", "conditional", "dynamics", "ensemble", "runtime", "data",
                   "divergences",
                   "losses",
                   "metrics", "models", "playground", "plots",
                   "reference", "regularizers", "spectral", "toy", "train", "transport", "tricks",
                   "exercises", "grading", "notebooks", *FUZZED_MODULES_ISSUE_26):
        mod = importlib.import_module(f"ganlab.{module}")
        for name in mod.__all__:
            if callable(getattr(mod, name)) and f"{module}.{name}" not in listed:
                missing.append(f"{module}.{name}")
    for name in ganlab.__all__:
        if f"ganlab.{name}" not in NOT_FUZZED:
            missing.append(f"ganlab.{name}")
    assert missing == []


def test_the_table():
    """Run last (file order): the per-function table, and the suite's bar."""
    if len(RESULTS) < len(CASES):
        pytest.skip("only part of the fuzz suite ran")
    table: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(ORDER, 0))
    for (label, _, _), (outcome, _) in RESULTS.items():
        table[label][outcome] += 1
    totals = dict.fromkeys(ORDER, 0)
    lines = [f"{'function':42s} " + " ".join(f"{k:>10s}" for k in ORDER)]
    for label, row in table.items():
        lines.append(f"{label:42s} " + " ".join(f"{row[k]:10d}" for k in ORDER))
        for k in ORDER:
            totals[k] += row[k]
    lines.append(f"{'total':42s} " + " ".join(f"{totals[k]:10d}" for k in ORDER))
    print("\n" + "\n".join(lines))
    vague = [f"  {k}: {d}" for k, (o, d) in RESULTS.items() if o == "vague"]
    print("vague cases:\n" + "\n".join(vague))
    share = totals["clear"] / sum(totals.values())
    unexplained = [k for k, (o, _) in RESULTS.items() if o in ("raw", "silent")]
    assert unexplained == []
    assert set(ALLOWED) <= set(RESULTS), "ALLOWED lists cases that are not fuzzed"
    assert share >= 0.95, f"only {100 * share:.1f} % of the cases are reported clearly"
