"""Many seeds at once: the toy MLP pair with a leading *member* axis, trained S seeds in one step.

S independent runs of one toy recipe are S copies of the same small matrix products. Here
every weight of the course's toy ``MLP`` gets a leading axis of size S, and a layer's forward
is one batched product (S, N, in) x (S, in, out) instead of S small ones. Nothing else
couples the members:

* elementwise optimisers (Adam, RMSProp, SGD) on stacked parameters *are* S independent
  optimisers, and so are weight clipping and an exponential moving average;
* ``ganlab.train`` computes every loss and penalty per member and backpropagates their sum,
  and d(sum_k L_k)/d theta_k = dL_k/d theta_k: each member gets exactly its own gradient;
* each member draws its real batches, noise and penalty interpolation weights from its own
  ``torch.Generator``, in the order a single run with that seed draws them.

So member k trained in an ensemble equals ``fit`` run alone with seed k (up to the rounding
of a batched product; ``tests/test_ensemble.py`` checks 20 steps to 1e-5 in float64). The
speed comes from spending per-call overhead once for S runs (``bench/ensemble.py``).

Options that work per member: spectral normalisation (one power-iteration vector ``u`` per
member), minibatch discrimination (each member's statistics over its own batch), feature
matching, historical averaging, label smoothing (a loss), weight clipping, gradient
penalties, EMA. Virtual batch norm and conditional players are refused with an error that
names them.

Usage::

    G = stack([MLP(2, 2) for each seed])   # built under torch.manual_seed(seed) each
    D = stack([MLP(2, 1) for each seed])
    fit(G, D, data, loss="wasserstein", penalty="gp", generator=[torch.Generator()
        .manual_seed(s) for s in seeds], ...)   # one random generator per member
    G.member(3)                               # member 3 as an ordinary MLP
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize

from . import _checks
from .models import ACTIVATIONS, MLP

__all__ = ["StackedLinear", "StackedMLP", "members_of", "stack"]

Tensor = torch.Tensor
_EPS = 1e-12  # as ganlab.spectral


def members_of(module) -> int | None:
    """The number of stacked members of ``module`` (None for an ordinary network).

    Reads the ``members`` attribute that a :class:`StackedMLP` carries; any other object
    has none.

    Parameters
    ----------
    module : object
        A network, stacked or not.

    Returns
    -------
    int or None
        S for a stacked ensemble, None for an ordinary network.
    """
    return getattr(module, "members", None)


class _StackedSpectralNorm(nn.Module):
    """W_k -> W_k / sigma(W_k) for each member k, one power-iteration step per training
    forward from a stored ``u`` per member: ``ganlab.spectral.SpectralNorm`` batched over the
    member axis (Miyato et al. 2018, Algorithm 1)."""

    def __init__(self, u: Tensor):
        super().__init__()
        self.register_buffer("u", u.detach().clone())     # (S, out)

    def forward(self, weight: Tensor) -> Tensor:          # weight (S, out, in)
        with torch.no_grad():
            W = weight.detach()
            u = self.u
            if self.training:
                v = F.normalize(torch.bmm(W.transpose(1, 2), u.unsqueeze(2)).squeeze(2),
                                dim=1, eps=_EPS)
                u = F.normalize(torch.bmm(W, v.unsqueeze(2)).squeeze(2), dim=1, eps=_EPS)
            v = F.normalize(torch.bmm(W.transpose(1, 2), u.unsqueeze(2)).squeeze(2),
                            dim=1, eps=_EPS)
        if self.training:
            self.u.copy_(u)
        sigma = torch.bmm(torch.bmm(u.unsqueeze(1), weight), v.unsqueeze(2))  # (S, 1, 1)
        return weight / sigma


class StackedLinear(nn.Module):
    r"""S linear layers at once: (S, N, in) -> (S, N, out), one batched product.

    Member k computes what an ``nn.Linear`` with member k's weight and bias computes:

    .. math::

        y_k = x_k W_k^\top + b_k, \qquad k = 1, \dots, S

    An input without the member axis, (N, in), goes to every member.

    Parameters
    ----------
    weight : torch.Tensor
        (S, out, in): member k's is ``nn.Linear``'s own weight. Copied (detached) into a
        new parameter.
    bias : torch.Tensor
        (S, out), copied likewise.
    """

    def __init__(self, weight: Tensor, bias: Tensor):
        super().__init__()
        self.weight = nn.Parameter(weight.detach().clone())
        self.bias = nn.Parameter(bias.detach().clone())

    def forward(self, x: Tensor) -> Tensor:
        """(S, N, in) -> (S, N, out): every member's layer on its own slice of ``x``; an
        (N, in) input goes to every member."""
        if x.dim() == 2:
            x = x.expand(self.weight.shape[0], *x.shape)
        return torch.baddbmm(self.bias.unsqueeze(1), x, self.weight.transpose(1, 2))


class _StackedMinibatchDiscrimination(nn.Module):
    """``tricks.MinibatchDiscrimination`` per member: each member's statistics
    o(x_i)_b = sum_j exp(-||M_i,b - M_j,b||_1) run over that member's own batch."""

    def __init__(self, T: Tensor, B: int, C: int):
        super().__init__()
        self.T = nn.Parameter(T.detach().clone())         # (S, A, B * C)
        self.B, self.C = B, C

    def forward(self, x: Tensor) -> Tensor:               # (S, N, A)
        S, N = x.shape[:2]
        M = torch.bmm(x, self.T).view(S, N, self.B, self.C).transpose(1, 2)  # (S, B, N, C)
        l1 = torch.cdist(M, M, p=1)                       # (S, B, N, N)
        o = torch.exp(-l1).sum(3).transpose(1, 2)         # (S, N, B)
        return torch.cat([x, o], dim=2)


def _linears(mlp: MLP) -> list[nn.Linear]:
    return [m for m in mlp.net if isinstance(m, nn.Linear)]


def _raw(layer: nn.Linear) -> tuple[Tensor, Tensor | None]:
    """A linear layer's trainable weight and, with spectral norm, its ``u``."""
    if parametrize.is_parametrized(layer, "weight"):
        param = layer.parametrizations.weight
        return param.original, getattr(param[0], "u", None)
    return layer.weight, None


class StackedMLP(nn.Module):
    """S copies of ``models.MLP`` with their weights stacked on a leading member axis.

    Build it with :func:`stack` from ordinary MLPs (member k is then exactly the k-th network
    given). x (S, N, in) -> (S, N, out) (or (S, N) for a critic); ``features`` gives the last
    hidden layer (S, N, width); ``member(k)`` returns member k as an ordinary ``MLP``.
    Spectral norm (one power-iteration vector per member) and minibatch discrimination
    (each member's statistics over its own batch) are stacked per member.

    Parameters
    ----------
    mlps : list of models.MLP
        The members, of one architecture; their weights are copied. :func:`stack` checks
        them first: call that rather than this constructor.

    Attributes
    ----------
    members : int
        S, the number of members.
    """

    def __init__(self, mlps: list[MLP]):
        super().__init__()
        first = mlps[0]
        self.members = len(mlps)
        self.in_features, self.squeeze = first.in_features, first.squeeze
        self._spec = _spec(first)
        layers: list[nn.Module] = []
        per_member = [list(m.net) for m in mlps]
        for i, layer in enumerate(first.net):
            if isinstance(layer, nn.Linear):
                raws = [_raw(net[i]) for net in per_member]
                stacked = StackedLinear(torch.stack([w for w, _ in raws]),
                                        torch.stack([net[i].bias for net in per_member]))
                if raws[0][1] is not None:   # spectral norm: one u per member
                    norm = _StackedSpectralNorm(torch.stack([u for _, u in raws]))
                    # unsafe: no trial forward (it would take a power-iteration step)
                    parametrize.register_parametrization(stacked, "weight", norm, unsafe=True)
                layers.append(stacked)
            elif type(layer).__name__ == "MinibatchDiscrimination":
                layers.append(_StackedMinibatchDiscrimination(
                    torch.stack([net[i].T for net in per_member]), layer.B, layer.C))
            else:
                layers.append(type(layer)() if not isinstance(layer, nn.LeakyReLU)
                              else nn.LeakyReLU(layer.negative_slope))
        self.net = nn.Sequential(*layers)
        self._n_hidden = first._n_hidden

    def features(self, x: Tensor) -> Tensor:
        """The last hidden layer's activations, (S, N, width), for feature matching (``x`` as
        in ``forward``)."""
        return self.net[: self._n_hidden](x)

    def forward(self, x: Tensor) -> Tensor:
        """Every member on its own slice of ``x``.

        Parameters
        ----------
        x : torch.Tensor
            (S, N, in), or (N, in) for the same input to every member.

        Returns
        -------
        torch.Tensor
            (S, N, out), or (S, N) for a critic (an MLP built with ``squeeze``).
        """
        out = self.net(x)
        return out.squeeze(-1) if self.squeeze else out

    def member(self, k: int) -> MLP:
        """Member ``k`` as an ordinary ``models.MLP``.

        The copy holds member k's current weights (and, with spectral norm, its
        power-iteration vector), sits on the ensemble's device and is in the same
        train/eval mode. Building it does not draw from the caller's global random state.

        Parameters
        ----------
        k : int
            The member, 0 <= k < ``members``.

        Returns
        -------
        models.MLP
            A new network, independent of the ensemble.

        Raises
        ------
        ValueError
            ``k`` is not a non-negative int below ``members``.
        """
        _checks.positive_int("k", k, zero_ok=True)
        if k >= self.members:
            raise ValueError(f"k must be below the number of members ({self.members}), "
                             f"got {k}")
        with torch.random.fork_rng(devices=[]):   # building draws weights: not the caller's RNG
            mlp = MLP(**self._spec)
        mlp.to(next(self.parameters()).device)
        ordinary = iter(list(mlp.net))
        with torch.no_grad():
            for layer in self.net:
                target = next(ordinary)
                if isinstance(layer, StackedLinear):
                    weight, u = _raw(target)
                    src = (layer.parametrizations.weight.original
                           if parametrize.is_parametrized(layer, "weight") else layer.weight)
                    weight.copy_(src[k])
                    target.bias.copy_(layer.bias[k])
                    if u is not None:
                        u.copy_(layer.parametrizations.weight[0].u[k])
                elif isinstance(layer, _StackedMinibatchDiscrimination):
                    target.T.copy_(layer.T[k])
        return mlp.train(self.training)


def _spec(mlp: MLP) -> dict:
    """The ``MLP`` constructor arguments that rebuild ``mlp``'s architecture."""
    linears = _linears(mlp)
    activation = next((name for name, make in ACTIVATIONS.items()
                       for layer in mlp.net if type(layer) is type(make())), "relu")
    mbd = next(((layer.B, layer.C) for layer in mlp.net
                if type(layer).__name__ == "MinibatchDiscrimination"), None)
    depth = len(linears) - 1
    return dict(in_features=mlp.in_features, out_features=linears[-1].out_features,
                width=linears[0].out_features if depth else 128, depth=depth,
                activation=activation, squeeze=mlp.squeeze,
                sn=parametrize.is_parametrized(linears[0], "weight"),
                minibatch_discrimination=mbd)


def stack(networks) -> StackedMLP:
    r"""One ``StackedMLP`` holding ``networks`` as its members.

    The networks are ordinary ``models.MLP`` networks of one architecture; their weights are
    copied, so member k computes exactly what ``networks[k]`` did. Trained by
    ``ganlab.train``, every member's loss is computed on its own slice and the sum is
    backpropagated; since member k's parameters enter only its own loss, each member gets
    exactly its own gradient:

    .. math::

        \frac{\partial}{\partial \theta_k} \sum_{j=1}^{S} L_j(\theta_j)
            = \frac{\partial L_k}{\partial \theta_k}

    Parameters
    ----------
    networks : list or tuple of models.MLP
        The members, in order, all of one architecture.

    Returns
    -------
    StackedMLP
        The ensemble, with ``members = len(networks)``.

    Raises
    ------
    TypeError
        If ``networks`` is not a list/tuple of ``ganlab.models.MLP``.
    ValueError
        If it is empty, the architectures differ, or a network uses an option the ensemble
        cannot run per member (virtual batch norm, a custom layer wrapper).
    """
    if not isinstance(networks, (list, tuple)):
        raise TypeError(f"networks must be a list of ganlab.models.MLP, got "
                        f"{type(networks).__name__}")
    if len(networks) == 0:
        raise ValueError("networks must hold at least one MLP, got an empty list")
    for i, net in enumerate(networks):
        if any(type(m).__name__ == "VirtualBatchNorm" for m in getattr(net, "modules", list)()):
            raise ValueError(f"networks[{i}] uses VirtualBatchNorm, which the ensemble cannot "
                             "run per member; train it with one fit per seed")
        if not isinstance(net, MLP):
            raise TypeError(f"networks[{i}] must be a ganlab.models.MLP (the toy network), got "
                            f"{type(net).__name__}")
    for i, net in enumerate(networks):
        for layer in _linears(net):
            if parametrize.is_parametrized(layer, "weight") and \
                    type(layer.parametrizations.weight[0]).__name__ != "SpectralNorm":
                raise ValueError(f"networks[{i}] has a layer wrapper other than ganlab's "
                                 "spectral_norm, which the ensemble cannot stack")
    shapes = [[tuple(t.shape) for t in net.state_dict().values()] for net in networks]
    specs = [_spec(net) for net in networks]
    for i in range(1, len(networks)):
        if shapes[i] != shapes[0] or specs[i] != specs[0]:
            raise ValueError(f"networks[{i}] differs from networks[0] in architecture; an "
                             "ensemble stacks copies of one network")
    return StackedMLP(list(networks))
