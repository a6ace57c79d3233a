r"""The training dynamics of a two-player game, on the Dirac-GAN.

Used by notebook 10. The Dirac-GAN (Mescheder, Geiger & Nowozin 2018) is the smallest GAN:
the data are a point mass at 0, the generator a point mass at theta, and the critic linear,
D_psi(x) = psi * x. Gradient training moves the pair (theta, psi) along the
*gradient vector field*

.. math::

    v(\theta, \psi) = \Bigl(-\frac{\partial L_G}{\partial \theta},\;
    -\frac{\partial L_D}{\partial \psi}\Bigr),

where L_D and L_G are the critic's and the generator's losses, each to be minimised (the
course's convention, ``ganlab.losses``). The only equilibrium is (0, 0). Whether training
reaches it is decided, near it, by the eigenvalues of the Jacobian J of v there, and for
finite steps by the eigenvalues of the update operator built from J:

* ``dirac_field`` -- v on any grid of (theta, psi), by autograd of the course's losses
  (``torch.func``), with R1, R2, the WGAN-GP penalty, clipping, instance noise and consensus
  optimisation;
* ``dirac_jacobian`` -- the 2 x 2 Jacobian of v at (0, 0), by autograd;
* ``update_eigenvalues`` -- eigenvalues of the linearised simultaneous or alternating
  gradient step (I + hJ, or the product of the two players' steps);
* ``simulate`` -- trajectories of simultaneous or alternating gradient descent (with
  ``n_critic`` critic steps per generator step and one learning rate per player).

Sign convention. The course's critic scores *real* data high (``losses``: D = sigmoid(s)).
The paper writes its objective as L(theta, psi) = f(psi theta) + f(0) with f(t) = -log(1 +
e^-t), whose critic scores *generated* data high; its psi is -psi here. The Jacobian here is
therefore [[0, f'(0)], [-f'(0), 0]], the transpose of the paper's [[0, -f'(0)], [f'(0), 0]],
with the same eigenvalues +-i f'(0) (f'(0) = 1/2 for the GAN losses, 1 for WGAN).

References
----------
1. L. Mescheder, A. Geiger, S. Nowozin, "Which Training Methods for GANs do actually
   Converge?", ICML 2018, arXiv:1801.04406: the Dirac-GAN and its lemmas on unregularised
   training, WGAN, WGAN-GP, instance noise and zero-centred penalties; the penalties R1 and
   R2; Theorem 4.1, local convergence of R1- or R2-regularised training for general GANs.
   (Lemma and equation numbers are not quoted here: they were not checked against the
   paper's text.)
2. L. Mescheder, S. Nowozin, A. Geiger, "The Numerics of GANs", NeurIPS 2017,
   arXiv:1705.10461 (the gradient vector field; convergence from the eigenvalues of the
   update operator; consensus optimisation, v - gamma grad(||v||^2 / 2)).
3. I. Gulrajani et al., "Improved Training of Wasserstein GANs", NeurIPS 2017,
   arXiv:1704.00028 (the penalty lambda (||grad D|| - 1)^2).
4. C. K. Sonderby et al., "Amortised MAP Inference for Image Super-resolution", ICLR 2017,
   arXiv:1610.04490 (instance noise).
"""

from __future__ import annotations

import math

import torch
from torch.func import grad, jacrev, vmap

from . import _checks
from .losses import get as get_loss

__all__ = ["LOSSES", "SCHEMES", "dirac_field", "dirac_jacobian", "simulate",
           "update_eigenvalues"]

LOSSES = ("minimax", "nonsaturating", "wasserstein")
SCHEMES = ("simultaneous", "alternating")
_NODES = 64          # equally weighted normal quantiles for the instance-noise expectation


def _noise_nodes(sigma: float) -> torch.Tensor:
    """Points whose equal-weight average stands for E over N(0, sigma^2): the normal's
    quantiles at (i - 1/2)/K, rescaled so that their mean square is exactly sigma^2. The
    Jacobian at the equilibrium depends on the noise only through its first two moments
    (mean 0 by symmetry, variance sigma^2), so it is exact; elsewhere the field is a
    K-point quadrature."""
    if sigma == 0:
        return torch.zeros(1, dtype=torch.float64)
    p = (torch.arange(_NODES, dtype=torch.float64) + 0.5) / _NODES
    z = math.sqrt(2) * torch.special.erfinv(2 * p - 1)
    return sigma * z / z.pow(2).mean().sqrt()


def _losses(theta, psi, *, loss, r1, r2, gp, nodes):
    """(L_D, L_G) of the Dirac-GAN at one point (theta, psi), both 0-d tensors."""
    def critic(x):
        return psi * x

    def slope(x):        # d D / d x at each sample, by autograd (psi for a linear critic)
        return vmap(grad(critic))(x)

    real, fake = nodes, theta + nodes                   # instance noise on both, or none
    d_loss = loss.discriminator(critic(real), critic(fake))
    if r1:               # R1: (gamma / 2) E_data ||grad_x D||^2  (Mescheder et al. 2018)
        d_loss = d_loss + r1 / 2 * slope(real).pow(2).mean()
    if r2:               # R2: (gamma / 2) E_G ||grad_x D||^2     (the same paper)
        d_loss = d_loss + r2 / 2 * slope(fake).pow(2).mean()
    if gp:               # lambda E (||grad D(x_hat)|| - 1)^2, x_hat between data and theta
        x_hat = 0.5 * (real + fake)          # any interpolate: the slope is psi everywhere
        d_loss = d_loss + gp * (slope(x_hat).abs() - 1).pow(2).mean()
    return d_loss, loss.generator(critic(fake))


def _game_field(theta, psi, **kw):
    """(-d L_G / d theta, -d L_D / d psi) at one point: each player's descent direction."""
    d_psi = grad(lambda p: _losses(theta, p, **kw)[0])(psi)
    d_theta = grad(lambda t: _losses(t, psi, **kw)[1])(theta)
    return torch.stack([-d_theta, -d_psi])


def _point_field(theta, psi, *, consensus, **kw):
    """The field at one point; with consensus optimisation (Mescheder et al. 2017) both
    players also descend L = ||v||^2 / 2: v - gamma grad L = v - gamma J^T v, the gradient of
    L taken by autograd through the field itself (so through every regulariser in it)."""
    v = _game_field(theta, psi, **kw)
    if consensus:
        def half_square_norm(x):
            return 0.5 * _game_field(x[0], x[1], **kw).pow(2).sum()
        v = v - consensus * grad(half_square_norm)(torch.stack([theta, psi]))
    return v


def _options(loss, r1, r2, gp, instance_noise, consensus) -> dict:
    _checks.one_of("loss", loss, LOSSES, "the Dirac-GAN's losses")
    weights = {name: _checks.positive_float(name, value, zero_ok=True)
               for name, value in (("r1", r1), ("r2", r2), ("gp", gp),
                                   ("instance_noise", instance_noise),
                                   ("consensus", consensus))}
    return dict(loss=get_loss(loss), r1=weights["r1"], r2=weights["r2"], gp=weights["gp"],
                nodes=_noise_nodes(weights["instance_noise"]), consensus=weights["consensus"])


def _clip_value(clip) -> float | None:
    return None if clip is None else _checks.positive_float("clip", clip)


def _grid(name: str, value) -> torch.Tensor:
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a number or a real tensor, got a bool")
    if isinstance(value, (int, float)):
        value = torch.tensor(float(value), dtype=torch.float64)
    return _checks.tensor(name, value).to(torch.float64)


def _pair(theta: torch.Tensor, psi: torch.Tensor, names: tuple[str, str]
          ) -> tuple[torch.Tensor, torch.Tensor]:
    try:
        return torch.broadcast_tensors(theta, psi.to(theta.device))
    except RuntimeError:
        raise ValueError(f"{names[0]} and {names[1]} must have broadcastable shapes, got "
                         f"{tuple(theta.shape)} and {tuple(psi.shape)}") from None


def _field(theta: torch.Tensor, psi: torch.Tensor, options: dict, clip) -> torch.Tensor:
    theta, psi = _pair(theta, psi, ("theta", "psi"))
    options = {**options, "nodes": options["nodes"].to(theta.device)}
    flat = vmap(lambda t, p: _point_field(t, p, **options))(theta.reshape(-1), psi.reshape(-1))
    v = flat.reshape(*theta.shape, 2)
    if clip is not None:   # the clipped critic cannot leave [-c, c]: drop outward motion
        outward = (psi.abs() >= clip) & (v[..., 1] * psi > 0)
        v = torch.stack([v[..., 0], torch.where(outward, 0.0, v[..., 1])], dim=-1)
    return v


def dirac_field(theta, psi, *, loss: str, r1: float = 0.0, r2: float = 0.0, gp: float = 0.0,
                clip: float | None = None, instance_noise: float = 0.0,
                consensus: float = 0.0) -> torch.Tensor:
    r"""The gradient vector field of the Dirac-GAN at every point of a grid.

    .. math::

        v(\theta, \psi) = \Bigl(-\frac{\partial L_G}{\partial \theta},\;
        -\frac{\partial L_D}{\partial \psi}\Bigr)

    the direction plain gradient descent moves each player (Mescheder et al. 2018, the
    Dirac-GAN, in the course's sign convention; see the module docstring). Computed by
    autograd of the course's losses (``ganlab.losses``) with the data at 0, the generator at
    :math:`\theta` and the critic :math:`D_\psi(x) = \psi x`, plus the critic's regularisers:

    * ``r1`` = :math:`\gamma`: :math:`R_1 = \frac{\gamma}{2} \mathbb{E}_{\rm data}
      \lVert \nabla_x D \rVert^2`, here :math:`\frac{\gamma}{2} \psi^2`;
    * ``r2`` = :math:`\gamma`: :math:`R_2`, the same on generated points, also
      :math:`\frac{\gamma}{2} \psi^2`;
    * ``gp`` = :math:`\lambda`: :math:`\lambda\, \mathbb{E} (\lVert \nabla_x D(\hat x)
      \rVert - 1)^2` (Gulrajani et al. 2017), here :math:`\lambda (\lvert \psi \rvert - 1)^2`
      -- centred at :math:`\lvert \psi \rvert = 1`, not 0;
    * ``clip`` = c: WGAN's weight clipping; where :math:`\lvert \psi \rvert \ge c` the
      outward :math:`\psi`-component is set to 0 (the projected field; ``simulate`` clamps
      :math:`\psi` after each critic step);
    * ``instance_noise`` = :math:`\sigma`: data and generated points each blurred by
      :math:`\mathcal{N}(0, \sigma^2)`; the expectation is a 64-point quadrature (exact at
      the equilibrium's Jacobian);
    * ``consensus`` = :math:`\gamma`: consensus optimisation (Mescheder, Nowozin & Geiger
      2017). Not a penalty on the critic but a change of the field: both players also
      descend :math:`L = \lVert v \rVert^2 / 2`, so :math:`v` becomes
      :math:`v - \gamma \nabla L = v - \gamma J^\top v`, with :math:`v` the field of
      everything above (clipping excepted) and :math:`\nabla L` by autograd.

    Parameters
    ----------
    theta, psi : float or torch.Tensor
        Generator and critic parameters, numbers or real tensors of broadcastable shapes
        (e.g. from ``torch.meshgrid``).
    loss : {"minimax", "nonsaturating", "wasserstein"}
        The GAN loss (``ganlab.losses``).
    r1, r2, gp : float
        Non-negative weights (0: off), as listed above.
    clip : float, optional
        The clipping bound c, > 0; None: no clipping.
    instance_noise, consensus : float
        Non-negative weights (0: off), as listed above.

    Returns
    -------
    torch.Tensor
        :math:`(d\theta/dt, d\psi/dt)` at each point: float64, shape
        ``(*broadcast(theta, psi).shape, 2)``.

    Raises
    ------
    ValueError, TypeError
        An unknown ``loss``, a negative weight, a ``clip`` that is not positive, or
        ``theta`` and ``psi`` that are not real numbers of broadcastable shapes.

    References
    ----------
    Mescheder, Geiger, Nowozin, "Which Training Methods for GANs do actually Converge?",
    ICML 2018 (arXiv:1801.04406). Mescheder, Nowozin, Geiger, "The Numerics of GANs",
    NeurIPS 2017 (arXiv:1705.10461). Gulrajani et al., "Improved Training of Wasserstein
    GANs", NeurIPS 2017 (arXiv:1704.00028). Sønderby et al., "Amortised MAP Inference for
    Image Super-resolution", ICLR 2017 (arXiv:1610.04490).
    """
    options = _options(loss, r1, r2, gp, instance_noise, consensus)
    return _field(_grid("theta", theta), _grid("psi", psi), options, _clip_value(clip))


def dirac_jacobian(loss: str, *, r1: float = 0.0, r2: float = 0.0, gp: float = 0.0,
                   instance_noise: float = 0.0, consensus: float = 0.0) -> torch.Tensor:
    r"""The 2 x 2 Jacobian of ``dirac_field`` at the equilibrium (0, 0), by autograd.

    Rows: :math:`(\theta, \psi)` velocities; columns: derivatives in :math:`(\theta, \psi)`.
    Without regulariser

    .. math:: J = \begin{pmatrix} 0 & f'(0) \\ -f'(0) & 0 \end{pmatrix},

    eigenvalues :math:`\pm i f'(0)`: purely imaginary, so the continuous dynamics circle the
    equilibrium (Mescheder et al. 2018). R1 or R2 with weight :math:`\gamma` add
    :math:`-\gamma` to the lower-right entry: eigenvalues
    :math:`-\gamma/2 \pm \sqrt{\gamma^2/4 - f'(0)^2}`, real parts < 0. Instance noise
    :math:`\sigma` adds :math:`2 \sigma^2 f''(0)` there: eigenvalues
    :math:`\sigma^2 f''(0) \pm \sqrt{\sigma^4 f''(0)^2 - f'(0)^2}` (the same paper;
    :math:`f''(0) = -1/4` for the GAN, 0 for WGAN, which noise therefore does not help).
    Consensus optimisation with weight :math:`\gamma` turns :math:`J` into
    :math:`J - \gamma J^\top J` (the second-derivative term of
    :math:`\nabla \lVert v \rVert^2 / 2` is multiplied by :math:`v`, which is 0 at the
    equilibrium). Unregularised, :math:`J^\top J = f'(0)^2 I`: eigenvalues
    :math:`-\gamma f'(0)^2 \pm i f'(0)` (derived here; Mescheder et al. 2017 for the
    method).

    The WGAN-GP penalty :math:`\lambda (\lvert \psi \rvert - 1)^2` has no derivative at
    :math:`\psi = 0`, so ``gp > 0`` is rejected: there is no Jacobian to take (simulate it
    instead). Clipping does not change the field near (0, 0) and is not an argument.

    Parameters
    ----------
    loss : {"minimax", "nonsaturating", "wasserstein"}
        The GAN loss.
    r1, r2 : float
        Non-negative weights (0: off), as in ``dirac_field``.
    gp : float
        Must be 0 (see above).
    instance_noise, consensus : float
        Non-negative weights (0: off), as in ``dirac_field``.

    Returns
    -------
    torch.Tensor
        :math:`J`, float64, shape (2, 2).

    Raises
    ------
    ValueError
        ``gp > 0``, an unknown ``loss`` or a negative weight.

    References
    ----------
    Mescheder, Geiger, Nowozin, "Which Training Methods for GANs do actually Converge?",
    ICML 2018 (arXiv:1801.04406). Mescheder, Nowozin, Geiger, "The Numerics of GANs",
    NeurIPS 2017 (arXiv:1705.10461).
    """
    if gp:
        _checks.positive_float("gp", gp, zero_ok=True)
        raise ValueError(f"gp={gp!r}: the penalty gp (|psi| - 1)^2 is not differentiable at "
                         "the equilibrium psi = 0, so the Jacobian there does not exist; use "
                         "simulate or dirac_field instead")
    options = _options(loss, r1, r2, gp, instance_noise, consensus)
    origin = torch.zeros(2, dtype=torch.float64)
    return jacrev(lambda x: _point_field(x[0], x[1], **options))(origin)


def _rates(lr) -> tuple[float, float]:
    if isinstance(lr, (tuple, list)):
        if len(lr) != 2:
            raise ValueError(f"lr must be one rate or a pair (lr_g, lr_d), got {lr!r}")
        return (_checks.positive_float("lr[0] (the generator's rate)", lr[0]),
                _checks.positive_float("lr[1] (the critic's rate)", lr[1]))
    rate = _checks.positive_float("lr", lr)
    return rate, rate


def _jacobian_matrix(J) -> torch.Tensor:
    J = _checks.tensor("J", J)
    if J.shape != (2, 2):
        raise ValueError(f"J must be a 2 x 2 matrix, got shape {tuple(J.shape)}")
    return J.to(torch.float64)


def update_eigenvalues(J, lr, scheme: str = "simultaneous", *, n_critic: int = 1
                       ) -> torch.Tensor:
    r"""Eigenvalues of the linearised gradient step at the equilibrium.

    With :math:`h_g, h_d` the two learning rates (``lr`` = h or :math:`(h_g, h_d)`) and
    :math:`J` the Jacobian of the field (rows and columns ordered :math:`(\theta, \psi)`):

    .. math::

        F_{\rm sim} = I + H J, \quad H = \mathrm{diag}(h_g, h_d); \qquad
        F_{\rm alt} = (I + h_g E_g J)\,(I + h_d E_d J)^{n_{\rm critic}}

    where :math:`E_g, E_d` keep only the generator's or the critic's row: alternating means
    ``n_critic`` critic steps, then one generator step with the new critic, as
    ``ganlab.train.fit`` does.

    Training converges locally if every eigenvalue has modulus < 1 (spectral radius of
    :math:`F` below 1) and not if one has modulus > 1 (Mescheder, Nowozin & Geiger 2017).
    For the unregularised Dirac-GAN, simultaneous steps give :math:`1 \pm i h f'(0)`, modulus
    :math:`\sqrt{1 + h^2 f'(0)^2} > 1`; alternating steps give a product with determinant 1,
    on the unit circle while :math:`\alpha = \sqrt{n_{\rm critic} h_g h_d}\, f'(0) \le 2`.

    Parameters
    ----------
    J : torch.Tensor or array_like
        The Jacobian, shape (2, 2) (``dirac_jacobian``).
    lr : float or tuple of float
        The learning rate h, or one per player :math:`(h_g, h_d)`, each > 0.
    scheme : {"simultaneous", "alternating"}
        The update scheme.
    n_critic : int
        Critic steps per generator step; more than 1 needs ``scheme="alternating"``.

    Returns
    -------
    torch.Tensor
        The two eigenvalues of :math:`F`, complex128, shape (2,).

    Raises
    ------
    ValueError, TypeError
        ``J`` not a finite 2 x 2 matrix, a rate that is not positive, an unknown
        ``scheme``, or ``n_critic > 1`` with simultaneous steps.

    References
    ----------
    Mescheder, Nowozin, Geiger, "The Numerics of GANs", NeurIPS 2017 (arXiv:1705.10461).
    """
    J = _jacobian_matrix(J)
    h_g, h_d = _rates(lr)
    _checks.one_of("scheme", scheme, SCHEMES, "the update schemes")
    _checks.positive_int("n_critic", n_critic)
    eye = torch.eye(2, dtype=torch.float64, device=J.device)
    if scheme == "simultaneous":
        if n_critic != 1:
            raise ValueError(f"n_critic={n_critic} needs scheme='alternating' (simultaneous "
                             "steps update both players at once)")
        F = eye + torch.diag(torch.tensor([h_g, h_d], dtype=torch.float64, device=J.device)) @ J
    else:
        step_g = eye.clone()
        step_g[0] += h_g * J[0]
        step_d = eye.clone()
        step_d[1] += h_d * J[1]
        F = step_g @ torch.linalg.matrix_power(step_d, n_critic)
    return torch.linalg.eigvals(F)


def simulate(theta0, psi0, *, loss: str, lr, steps: int, scheme: str = "simultaneous",
             n_critic: int = 1, r1: float = 0.0, r2: float = 0.0, gp: float = 0.0,
             clip: float | None = None, instance_noise: float = 0.0,
             consensus: float = 0.0) -> torch.Tensor:
    r"""Gradient-descent trajectories of the Dirac-GAN from :math:`(\theta_0, \psi_0)`.

    Simultaneous: :math:`(\theta, \psi) \mathrel{+}= H v(\theta, \psi)`. Alternating:
    ``n_critic`` times :math:`\psi \mathrel{+}= h_d v_\psi(\theta, \psi)` (clamped to
    [-clip, clip] with ``clip``), then :math:`\theta \mathrel{+}= h_g v_\theta(\theta, \psi)`
    with the new :math:`\psi` -- the order of ``ganlab.train.fit``. Regularisers as in
    ``dirac_field``; ``lr`` = h or :math:`(h_g, h_d)` (two time-scales, Heusel et al. 2017).

    Parameters
    ----------
    theta0, psi0 : float or torch.Tensor
        Starting points, numbers or real tensors of broadcastable shapes (many starts at
        once).
    loss : {"minimax", "nonsaturating", "wasserstein"}
        The GAN loss.
    lr : float or tuple of float
        The learning rate h, or one per player :math:`(h_g, h_d)`, each > 0.
    steps : int
        Generator updates, positive.
    scheme : {"simultaneous", "alternating"}
        The update scheme.
    n_critic : int
        Critic steps per generator step (alternating only).
    r1, r2, gp : float
        Non-negative weights (0: off), as in ``dirac_field``.
    clip : float, optional
        Clamp :math:`\psi` to [-clip, clip] after each critic step.
    instance_noise, consensus : float
        Non-negative weights (0: off), as in ``dirac_field``.

    Returns
    -------
    torch.Tensor
        The iterates, starting point first: float64, shape
        ``(steps + 1, *broadcast shape, 2)``.

    Raises
    ------
    ValueError, TypeError
        Bad options (as for ``dirac_field`` and ``update_eigenvalues``), or ``n_critic > 1``
        with simultaneous steps.

    References
    ----------
    Heusel et al., "GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash
    Equilibrium", NeurIPS 2017 (arXiv:1706.08500).
    """
    options = _options(loss, r1, r2, gp, instance_noise, consensus)
    c = _clip_value(clip)
    h_g, h_d = _rates(lr)
    _checks.positive_int("steps", steps)
    _checks.positive_int("n_critic", n_critic)
    _checks.one_of("scheme", scheme, SCHEMES, "the update schemes")
    if scheme == "simultaneous" and n_critic != 1:
        raise ValueError(f"n_critic={n_critic} needs scheme='alternating'")
    theta, psi = _pair(_grid("theta0", theta0), _grid("psi0", psi0), ("theta0", "psi0"))
    path = [torch.stack([theta, psi], dim=-1)]
    for _ in range(steps):
        if scheme == "simultaneous":
            v = _field(theta, psi, options, None)
            theta, psi = theta + h_g * v[..., 0], psi + h_d * v[..., 1]
            psi = psi if c is None else psi.clamp(-c, c)
        else:
            for _ in range(n_critic):
                psi = psi + h_d * _field(theta, psi, options, None)[..., 1]
                psi = psi if c is None else psi.clamp(-c, c)
            theta = theta + h_g * _field(theta, psi, options, None)[..., 0]
        path.append(torch.stack([theta, psi], dim=-1))
    return torch.stack(path)
