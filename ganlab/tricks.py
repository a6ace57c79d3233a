"""The Improved-GAN training tricks (Salimans et al. 2016), plus BigGAN's truncated noise.

Used by notebook 07. Each trick plugs into ``ganlab.models`` / ``ganlab.train.fit`` without
copying the training loop:

* ``feature_matching_loss(real_features, fake_features)`` = ||E f(x) - E f(G(z))||^2 on an
  intermediate critic layer f (sec. 3.1); ``feature_matching_objective`` is the ready-made
  ``fit(generator_objective=...)`` for critics with a ``features`` method (MLP, DCCritic).
* ``MinibatchDiscrimination(A, B, C)`` (sec. 3.2): a layer appending to each sample's
  features how similar the sample is to the rest of its batch. It is a layer, so it lives in
  ``ganlab.models`` (the formula is there) and is exported here with the other tricks;
  ``models.MLP`` / ``DCCritic`` take ``minibatch_discrimination=(B, C)``.
* ``smooth_labels(loss, real_target)`` (sec. 3.4, one-sided): the critic's targets for real
  samples become e.g. 0.9; fake targets stay 0.
* ``HistoricalAveraging(module)`` (sec. 3.3): adds ||theta - (1/t) sum_i theta_i||^2 to a
  player's cost; pass ``weight * ha.penalty`` style callables as ``fit(d_extra=..., g_extra=...)``.
* ``VirtualBatchNorm(num_features)`` (sec. 3.5): normalise each sample with statistics of a
  fixed reference batch (plus the sample itself), so a sample's output does not depend on the
  other samples in its batch; ``WithReferenceBatch(G, z_ref)`` runs the reference pass.
* ``truncated_noise(n, dim, threshold)`` (Brock et al. 2019, sec. 3.1): standard normal noise
  with every entry of magnitude above ``threshold`` resampled.

References: Salimans, Goodfellow, Zaremba, Cheung, Radford, Chen, "Improved Techniques for
Training GANs", NeurIPS 2016 (arXiv:1606.03498); Brock, Donahue, Simonyan, "Large Scale GAN
Training for High Fidelity Natural Image Synthesis", ICLR 2019 (arXiv:1809.11096).
"""

from __future__ import annotations

import contextlib

import torch
import torch.nn.functional as F
from torch import nn

from . import _checks
from ._checks import positive_int
from .losses import GANLoss, get, registered
from .models import MinibatchDiscrimination  # the layer lives with the networks

__all__ = ["HistoricalAveraging", "MinibatchDiscrimination", "VirtualBatchNorm",
           "WithReferenceBatch", "feature_matching_loss", "feature_matching_objective",
           "smooth_labels", "truncated_noise"]

Tensor = torch.Tensor


# ------------------------------------------------------------------ feature matching --------
def feature_matching_loss(real_features: Tensor, fake_features: Tensor) -> Tensor:
    r"""Feature matching: the squared distance between the mean features of two batches.

    .. math::

        \Bigl\lVert \mathbb{E}_{x \sim p_{\rm data}} f(x)
        - \mathbb{E}_{z \sim p_z} f(G(z)) \Bigr\rVert_2^2

    with the expectations taken as batch means and :math:`f` an intermediate critic layer
    (Salimans et al. 2016, sec. 3.1). The real features are detached: the loss trains the
    generator only.

    Parameters
    ----------
    real_features, fake_features : torch.Tensor
        Non-empty batches (N, ...) and (M, ...) with the same feature shape; features are
        flattened.

    Returns
    -------
    torch.Tensor
        A scalar with its graph through ``fake_features``.

    Raises
    ------
    TypeError
        An argument is not a tensor.
    ValueError
        An empty batch, or feature shapes that differ.

    References
    ----------
    Salimans et al., "Improved Techniques for Training GANs", NeurIPS 2016
    (arXiv:1606.03498), sec. 3.1.
    """
    # shapes only: this runs every generator step (a finite check would stall a GPU)
    real_features = _checks.tensor("real_features", real_features, finite=False)
    fake_features = _checks.tensor("fake_features", fake_features, finite=False)
    for name, t in (("real_features", real_features), ("fake_features", fake_features)):
        if t.dim() < 2 or len(t) == 0:
            raise ValueError(f"{name} must be a non-empty batch (N, ...), got shape "
                             f"{tuple(t.shape)}")
    if real_features.shape[1:] != fake_features.shape[1:]:
        raise ValueError(f"real_features and fake_features must have the same feature shape, "
                         f"got {tuple(real_features.shape)} and {tuple(fake_features.shape)}")
    diff = real_features.detach().flatten(1).mean(0) - fake_features.flatten(1).mean(0)
    return diff.pow(2).sum()


def feature_matching_objective(D: nn.Module, real: Tensor, fake: Tensor) -> Tensor:
    """The generator's feature-matching objective on ``D.features``, for ``fit``.

    Pass as ``fit(generator_objective=feature_matching_objective)``: the generator then
    minimises ``feature_matching_loss(D.features(real), D.features(fake))`` instead of its
    GAN loss.

    Parameters
    ----------
    D : torch.nn.Module
        A critic with a ``features`` method (``ganlab.models.MLP``: its last hidden layer;
        ``DCCritic``: its last convolutional map), or a stacked ensemble of them.
    real, fake : torch.Tensor
        A real and a generated batch, (N, ...) and (M, ...), of one sample shape.

    Returns
    -------
    torch.Tensor
        A scalar with its graph; for a stacked ensemble (``ganlab.ensemble``), one loss per
        member, shape (S,).

    Raises
    ------
    TypeError
        ``D`` has no ``features`` method.
    ValueError
        The batches are not batches of one sample shape, or ``D.features`` cannot take them.
    """
    if not hasattr(D, "features"):
        raise TypeError(f"feature matching needs a critic D with a `features` method "
                        f"(ganlab.models.MLP, DCCritic); got {type(D).__name__}")
    real = _checks.tensor("real", real, finite=False)
    fake = _checks.tensor("fake", fake, finite=False)
    for name, t in (("real", real), ("fake", fake)):
        if t.dim() < 2:
            raise ValueError(f"{name} must be a batch (N, ...), got shape {tuple(t.shape)}")
    if real.shape[1:] != fake.shape[1:]:
        raise ValueError(f"real and fake must have the same sample shape, got {tuple(real.shape)} "
                         f"and {tuple(fake.shape)}")
    features = []
    for name, t in (("real", real), ("fake", fake)):
        try:
            features.append(D.features(t))
        except RuntimeError as err:
            raise ValueError(f"D.features cannot take {name} of shape {tuple(t.shape)} "
                             f"({str(err).splitlines()[0]})") from err
    if getattr(D, "members", None):  # a stacked ensemble (ganlab.ensemble): one loss per member
        return torch.stack([feature_matching_loss(r, f) for r, f in zip(*features, strict=True)])
    return feature_matching_loss(*features)


# ------------------------------------------------------------------ label smoothing ---------
def smooth_labels(loss: str | GANLoss = "nonsaturating", real_target: float = 0.9) -> GANLoss:
    r"""A BCE loss with one-sided label smoothing (Salimans et al. 2016, sec. 3.4).

    The critic's target for real samples is :math:`\alpha` = ``real_target`` (not 1); fake
    targets stay 0 and the generator's loss is unchanged. D's loss is the binary
    cross-entropy of :math:`\sigma(s)` against these targets:

    .. math::

        L_D = \mathbb{E}\bigl[\alpha\, \mathrm{softplus}(-s_{\rm real})
        + (1 - \alpha)\, \mathrm{softplus}(s_{\rm real})\bigr]
        + \mathbb{E}\bigl[\mathrm{softplus}(s_{\rm fake})\bigr]

    Parameters
    ----------
    loss : str or GANLoss
        The loss to smooth: ``"minimax"`` or ``"nonsaturating"``.
    real_target : float
        :math:`\alpha`, in (0.5, 1].

    Returns
    -------
    GANLoss
        Named e.g. ``"nonsaturating-smooth0.9"``.

    Raises
    ------
    ValueError
        ``loss`` is not a BCE loss, or ``real_target`` is outside (0.5, 1].

    References
    ----------
    Salimans et al., "Improved Techniques for Training GANs", NeurIPS 2016
    (arXiv:1606.03498), sec. 3.4.
    """
    base = loss
    if not isinstance(base, GANLoss):
        base = get(_checks.one_of("loss", loss, registered()))
    if base.name not in ("minimax", "nonsaturating"):
        raise ValueError(f"label smoothing applies to the BCE losses 'minimax' and "
                         f"'nonsaturating', got {base.name!r}")
    if isinstance(real_target, bool) or not isinstance(real_target, (int, float)) \
            or not 0.5 < real_target <= 1:
        raise ValueError(f"real_target must be in (0.5, 1], got {real_target!r}")

    def d_loss(real: Tensor, fake: Tensor) -> Tensor:
        return (real_target * F.softplus(-real) + (1 - real_target) * F.softplus(real)).mean() \
            + F.softplus(fake).mean()

    return GANLoss(f"{base.name}-smooth{real_target:g}", d_loss, base.g_loss,
                   f"{base.description}; one-sided label smoothing, real target {real_target}")


# --------------------------------------------------------------- historical averaging -------
class HistoricalAveraging(nn.Module):
    r"""Historical averaging (Salimans et al. 2016, sec. 3.3) over the parameters of a module.

    .. math::

        \Bigl\lVert \theta - \frac{1}{t} \sum_{i \le t} \theta_i \Bigr\rVert_2^2

    Each call of ``penalty()`` records the current parameters as :math:`\theta_t` and returns
    the penalty with the running mean held fixed (no gradient through the mean), so it is 0
    at the first call and pulls :math:`\theta` back towards the mean of its own past. Pass
    ``lambda: weight * ha.penalty()`` style callables as ``fit(d_extra=..., g_extra=...)``.
    For a stacked ensemble (``ganlab.ensemble``) it returns one penalty per member, (S,).

    The history is module state: the running sums are buffers ``sum_<i>`` (one per trainable
    parameter of ``module``, in ``module.parameters()`` order) and the count ``t`` is the
    extra state, so ``state_dict()`` / ``load_state_dict`` save and restore it (the watched
    parameters themselves are not part of it). Calling the module is ``penalty()``.

    Parameters
    ----------
    module : torch.nn.Module
        The player whose trainable parameters are watched.

    Raises
    ------
    TypeError
        ``module`` is not a module.
    ValueError
        ``module`` has no trainable parameters.

    References
    ----------
    Salimans et al., "Improved Techniques for Training GANs", NeurIPS 2016
    (arXiv:1606.03498), sec. 3.3.
    """

    def __init__(self, module: nn.Module):
        super().__init__()
        _checks.module("module", module)
        self.members = getattr(module, "members", None)
        params = [p for p in module.parameters() if p.requires_grad]
        if not params:
            raise ValueError(f"{type(module).__name__} has no trainable parameters")
        self.params = params  # a plain list: the watched parameters are not this module's
        for i, p in enumerate(params):
            self.register_buffer(f"sum_{i}",
                                 torch.zeros_like(p, memory_format=torch.preserve_format))
        self.t = 0

    @property
    def sums(self) -> list[Tensor]:
        r"""The running sums of the parameters, :math:`\sum_{i \le t} \theta_i` (buffers)."""
        return [getattr(self, f"sum_{i}") for i in range(len(self.params))]

    def get_extra_state(self) -> dict:
        """The count t for ``state_dict()`` (the sums are buffers).

        Returns
        -------
        dict
            ``{"t": t}``.
        """
        return {"t": self.t}

    def set_extra_state(self, state: dict) -> None:
        """Restore the count t from ``load_state_dict``.

        Parameters
        ----------
        state : dict
            ``{"t": t}``, t a non-negative int.

        Raises
        ------
        ValueError
            t is not a non-negative int.
        """
        positive_int("t", state["t"], zero_ok=True)
        self.t = state["t"]

    def penalty(self) -> Tensor:
        r"""Record the parameters as the next :math:`\theta_t` and return the penalty.

        Returns
        -------
        torch.Tensor
            A scalar with its graph through the current parameters; for a stacked ensemble,
            shape (S,).
        """
        self.t += 1
        total = self.params[0].new_zeros((self.members,) if self.members else ())
        for p, s in zip(self.params, self.sums, strict=True):
            s.add_(p.detach())
            term = (p - s / self.t).pow(2)
            total = total + (term.flatten(1).sum(1) if self.members else term.sum())
        return total

    def forward(self) -> Tensor:
        """No input -> a scalar, or (S,) for an ensemble: :meth:`penalty`, which records the
        parameters."""
        return self.penalty()


# ------------------------------------------------------------------ virtual batch norm ------
class VirtualBatchNorm(nn.Module):
    r"""Batch norm with statistics from a fixed reference batch, mixed with the sample itself.

    Virtual batch normalisation (Salimans et al. 2016, sec. 3.5): a sample's output does not
    depend on the other samples in its batch. For features (N, C) or (N, C, H, W), per
    channel (spatial positions are averaged), with a reference batch of n samples:

    .. math::

        m_i = \frac{n \mu_{\rm ref} + x_i}{n + 1}, \quad
        v_i = \frac{n\, \overline{x^2}_{\rm ref} + x_i^2}{n + 1} - m_i^2, \quad
        y_i = \gamma \frac{x_i - m_i}{\sqrt{v_i + \epsilon}} + \beta

    Reference statistics come from the last forward made inside ``recording()``
    (``WithReferenceBatch`` does this).

    They are stored, detached, in the buffers ``reference_mean``, ``reference_square`` (mu_ref
    and the mean second moment, (C,)) and ``reference_count`` (n; 0 until a reference batch
    has been recorded), so they move with ``.to()`` and are saved by ``state_dict()``.
    Within one ``WithReferenceBatch`` forward the statistics keep their graph, as in the
    paper's implementation (the gradient reaches the reference pass); the graph is dropped
    when that forward returns. After a plain ``recording()`` block, forwards use the stored
    (detached) statistics.

    Parameters
    ----------
    num_features : int
        C, the channels (or features) normalised.
    eps : float
        :math:`\epsilon`, added to the variance, > 0.

    Raises
    ------
    ValueError
        ``num_features`` not a positive int or ``eps`` not positive.

    References
    ----------
    Salimans et al., "Improved Techniques for Training GANs", NeurIPS 2016
    (arXiv:1606.03498), sec. 3.5.
    """

    _version = 2  # version 1 kept no statistics in the state dict

    def __init__(self, num_features: int, eps: float = 1e-5):
        super().__init__()
        positive_int("num_features", num_features)
        self.eps = _checks.positive_float("eps", eps)
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("reference_mean", torch.zeros(num_features))
        self.register_buffer("reference_square", torch.zeros(num_features))
        self.register_buffer("reference_count", torch.tensor(0))
        self._recording = False
        self._keep_graph = False
        self._live: tuple[Tensor, Tensor, int] | None = None  # with graph, one forward long

    @staticmethod
    def _moments(x: Tensor) -> tuple[Tensor, Tensor]:
        """Per-sample channel means of x and x^2: (N, C) each."""
        flat = x.flatten(2) if x.dim() > 2 else x.unsqueeze(2)
        return flat.mean(2), flat.pow(2).mean(2)

    def _reference(self) -> tuple[Tensor, Tensor, int]:
        if self._live is not None:
            return self._live
        n = int(self.reference_count)
        if n == 0:
            raise RuntimeError("VirtualBatchNorm has no reference statistics yet: run the "
                               "reference batch first (WithReferenceBatch, or inside recording())")
        return self.reference_mean, self.reference_square, n

    def forward(self, x: Tensor) -> Tensor:
        """(N, C) or (N, C, H, W) -> the same shape, normalised as the class describes;
        TypeError for a non-tensor, ValueError for another shape, RuntimeError before any
        reference batch has been recorded."""
        if not isinstance(x, Tensor):
            raise TypeError(f"VirtualBatchNorm expects an input tensor, got {type(x).__name__}")
        if x.dim() not in (2, 4) or x.shape[1] != self.weight.shape[0]:
            raise ValueError(f"expected (N, {self.weight.shape[0]}) or "
                             f"(N, {self.weight.shape[0]}, H, W), got {tuple(x.shape)}")
        m1, m2 = self._moments(x)
        if self._recording:
            ref1, ref2, n = m1.mean(0), m2.mean(0), x.shape[0]
            with torch.no_grad():  # the stored copies carry no graph
                self.reference_mean.copy_(ref1)
                self.reference_square.copy_(ref2)
                self.reference_count.fill_(n)
            self._live = (ref1, ref2, n) if self._keep_graph else None
        else:
            ref1, ref2, n = self._reference()
        mean = (n * ref1 + m1) / (n + 1)  # (N, C)
        var = ((n * ref2 + m2) / (n + 1) - mean.pow(2)).clamp(min=0)
        shape = (x.shape[0], x.shape[1]) + (1,) * (x.dim() - 2)
        normed = (x - mean.view(shape)) / torch.sqrt(var.view(shape) + self.eps)
        affine = (1, x.shape[1]) + (1,) * (x.dim() - 2)
        return normed * self.weight.view(affine) + self.bias.view(affine)

    @contextlib.contextmanager
    def recording(self):
        """A context in which forwards set the reference statistics.

        Yields
        ------
        VirtualBatchNorm
            The layer itself.
        """
        self._recording = True
        try:
            yield self
        finally:
            self._recording = False

    @contextlib.contextmanager
    def _one_step(self):
        """Inside, statistics recorded are used *with* their graph by the forwards that follow;
        the graph is dropped when the block ends (``WithReferenceBatch.forward``)."""
        self._keep_graph = True
        try:
            yield self
        finally:
            self._keep_graph = False
            self._live = None

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        if (local_metadata.get("version") or 1) < 2:  # saved without statistics: unrecorded
            for name in ("reference_mean", "reference_square", "reference_count"):
                state_dict.setdefault(prefix + name, torch.zeros_like(getattr(self, name)))
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)
        self._live = None


class WithReferenceBatch(nn.Module):
    """A network with ``VirtualBatchNorm`` layers, run after its reference batch each time.

    Each forward first runs the fixed reference input ``reference`` through ``net``
    (recording the statistics of every ``VirtualBatchNorm`` layer), then the actual input;
    the gradient of the output reaches the reference pass.

    Parameters
    ----------
    net : torch.nn.Module
        A network containing at least one ``VirtualBatchNorm`` layer, e.g. G.
    reference : torch.Tensor
        The reference input, a non-empty batch (n, ...) (for G: fixed noise), stored as a
        buffer.

    Raises
    ------
    TypeError
        ``net`` is not a module or ``reference`` not a tensor.
    ValueError
        ``net`` has no ``VirtualBatchNorm`` layer, or cannot take ``reference``.
    """

    def __init__(self, net: nn.Module, reference: Tensor):
        super().__init__()
        self.net = _checks.module("net", net)
        reference = _checks.tensor("reference", reference)
        if reference.dim() < 2 or len(reference) == 0:
            raise ValueError(f"reference must be a non-empty batch (N, ...), got shape "
                             f"{tuple(reference.shape)}")
        self.register_buffer("reference", reference.detach().clone())
        self.vbn = [m for m in net.modules() if isinstance(m, VirtualBatchNorm)]
        if not self.vbn:
            raise ValueError(f"{type(net).__name__} has no VirtualBatchNorm layer")
        try:  # the reference batch must fit the network (its statistics are redone per forward)
            with torch.no_grad():
                self(self.reference[:2])
        except (RuntimeError, ValueError, TypeError) as err:
            raise ValueError(f"net cannot take the reference batch of shape "
                             f"{tuple(reference.shape)}: {str(err).splitlines()[0]}") from err

    def forward(self, x: Tensor) -> Tensor:
        """x (N, ...) -> ``net(x)``, run just after ``net(reference)`` has set the statistics
        of every ``VirtualBatchNorm`` layer (kept with their graph for this call)."""
        with contextlib.ExitStack() as steps:
            for layer in self.vbn:
                steps.enter_context(layer._one_step())
            with contextlib.ExitStack() as recording:
                for layer in self.vbn:
                    recording.enter_context(layer.recording())
                self.net(self.reference)
            return self.net(x)


# ------------------------------------------------------------------ truncated noise ---------
def truncated_noise(n: int, dim: int, threshold: float,
                    generator: torch.Generator | None = None) -> Tensor:
    r"""Standard normal noise with every entry beyond ``threshold`` redrawn until inside.

    The truncation trick (Brock et al. 2019, sec. 3.1): each entry is drawn from
    :math:`\mathcal{N}(0, 1)` conditioned on :math:`\lvert z \rvert \le \tau`, which trades
    variety for fidelity as :math:`\tau` shrinks.

    Parameters
    ----------
    n, dim : int
        The shape of the noise, (n, dim).
    threshold : float
        :math:`\tau`, > 0.
    generator : torch.Generator, optional
        Source of the draws and of every redraw (torch's global random generator when
        None).

    Returns
    -------
    torch.Tensor
        Shape (n, dim), in torch's default dtype, every entry in :math:`[-\tau, \tau]`.

    Raises
    ------
    ValueError
        ``n`` or ``dim`` not a positive int, ``threshold`` not positive.
    TypeError
        ``generator`` is not a ``torch.Generator``.

    References
    ----------
    Brock, Donahue, Simonyan, "Large Scale GAN Training for High Fidelity Natural Image
    Synthesis", ICLR 2019 (arXiv:1809.11096), sec. 3.1.
    """
    positive_int("n", n)
    positive_int("dim", dim)
    _checks.positive_float("threshold", threshold)
    _checks.generator("generator", generator)
    z = torch.randn(n, dim, generator=generator)
    outside = z.abs() > threshold
    while outside.any():
        z[outside] = torch.randn(int(outside.sum()), generator=generator)
        outside = z.abs() > threshold
    return z
