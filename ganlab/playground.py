"""A GAN playground in the notebook: any loss and constraint of the course, live, on any 2-D
(or 1-D) data -- GAN Lab's idea (Kahng et al. 2018, "GAN Lab: understanding complex deep
generative models using interactive visual experimentation") with the course's losses,
penalties, spectral norm, f-GANs, exact W1 and mode coverage, and the learner's own points.

Three layers, widgets only in the last:

* ``read_points(source)`` -- the learner's points (array, tensor, pasted text, .csv / .npy
  bytes) as an (N, 2) tensor, or a ValueError saying what is wrong with them.
* ``Lab`` -- the experiment: data, the MLP pair, and ``train.stepper``'s step (the very
  step that ``fit`` repeats: there is no second training loop); ``step_d`` / ``step_g`` /
  ``step``, live changes of learning rates, lambda, c and n_critic, and the readouts.
* ``Canvas`` -- one matplotlib figure drawn off-screen (Agg) whose artists are updated in
  place each frame: the critic's heat map with the generator's pull on fake samples as
  arrows, the generator's image of a grid of z, and running curves of both losses, exact
  W1 (POT) and modes covered. ``Canvas.draw(lab)`` returns PNG bytes.
* ``Playground(data=None)`` -- the ipywidgets app (a ``VBox``): controls, Play / Pause /
  Step D / Step G / Reset, the picture and the readouts. Play trains in a background
  thread, so controls stay live; a NaN stops play with the message.
"""

from __future__ import annotations

import io
import threading
import time
from dataclasses import dataclass, field, replace

import numpy as np
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from . import _checks, toy
from .losses import registered
from .metrics import mode_coverage
from .models import MLP
from .train import PENALTIES, NonFiniteLossError, StepSettings, stepper
from .transport import wasserstein1

__all__ = ["DATASETS", "MIXTURE_1D", "Canvas", "Lab", "Playground", "Settings", "constraints",
           "losses", "read_points"]

OWN = "your points"
DATASETS = (*toy.NAMES, "mixture-1d", OWN)
MIXTURE_1D = toy.Mixture1D(means=(-2.0, 0.0, 2.0), stds=(0.25, 0.25, 0.25))
_N_EVAL = 500          # samples behind W1, modes and the scatter plots
_N_ARROWS = 64         # fake samples that carry an arrow
_GRID = 48             # heat-map resolution


def losses() -> tuple[str, ...]:
    """The losses the playground offers: every loss registered in ``ganlab.losses``.

    The registry is read when asked, so a loss registered after import is offered too.

    Returns
    -------
    tuple of str
        ``losses.registered()``.
    """
    return registered()


def constraints() -> tuple[str, ...]:
    """The critic constraints the playground offers.

    None, weight clipping, spectral norm, and every penalty in ``train.PENALTIES``, read
    when asked (a new penalty needs only its entry there).

    Returns
    -------
    tuple of str
        ``("none", "clip", "spectral-norm", *train.PENALTIES)``.
    """
    return ("none", "clip", "spectral-norm", *PENALTIES)


def read_points(source, *, filename: str | None = None) -> torch.Tensor:
    """The learner's own data set as an (N, 2) float tensor.

    Parameters
    ----------
    source : array-like, str or bytes
        An (N, 2) array / tensor / nested list; text with one point per line ("x, y" or
        "x y"; lines starting with # are skipped, and so is a header line before the
        first numbers); or the bytes of a .npy or .csv file (``filename`` says which).
    filename : str, optional
        The uploaded file's name: bytes are read as .npy when it ends in ``.npy``, else as
        text.

    Returns
    -------
    torch.Tensor
        (N, 2), float32, N >= 2.

    Raises
    ------
    ValueError
        Naming ``points`` for anything else: not numbers, another shape, fewer than 2
        points, NaN or infinite values, an unreadable .npy file.
    TypeError
        ``source`` is not a tensor, array or nested list of real numbers.
    """
    if isinstance(source, bytes):
        name = (filename or "").lower()
        if name.endswith(".npy"):
            try:
                source = np.load(io.BytesIO(source), allow_pickle=False)
            except ValueError as err:
                raise ValueError(f"points: {filename} is not a readable .npy file "
                                 f"({err})") from None
        else:
            source = source.decode("utf-8", errors="replace")
    if isinstance(source, str):
        source = _parse_text(source)
    x = _checks.tensor("points", source, dims=2, finite=False)
    if x.shape[1] != 2:
        raise ValueError(f"points must have 2 columns (x, y), got shape {tuple(x.shape)}")
    if len(x) < 2:
        raise ValueError(f"points must hold at least 2 points, got {len(x)}")
    if not torch.isfinite(x).all():
        bad = int((~torch.isfinite(x)).any(1).sum())
        raise ValueError(f"points must be finite: {bad} of {len(x)} rows hold NaN or inf")
    return x.float()


def _parse_text(text: str) -> list[list[float]]:
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.replace(",", " ").replace(";", " ").split()
        try:
            rows.append([float(p) for p in parts])
        except ValueError:
            if not rows:  # a header line such as "x,y"
                continue
            raise ValueError(f"points: line {number} is not numbers: {line[:40]!r}") from None
    if any(len(r) != 2 for r in rows):
        widths = sorted({len(r) for r in rows})
        raise ValueError(f"points must have 2 columns (x, y), got rows of {widths} numbers")
    if not rows:
        raise ValueError("points: the text holds no numbers (one 'x, y' pair per line)")
    return rows


@dataclass
class Settings:
    """One experiment: data, objective, constraint, networks and step.

    ``LIVE`` fields can change while training runs (the next step uses them); changing any
    other field rebuilds the networks (``Lab.apply``). Checked on construction.

    Parameters
    ----------
    data : str, default "8gaussians"
        One of :data:`DATASETS`.
    loss : str, default "nonsaturating"
        One of :func:`losses`.
    constraint : str, default "none"
        One of :func:`constraints`.
    minibatch_discrimination : bool, default False
        Salimans et al. 2016's layer in D (B=8, C=4).
    clip : float, default 0.01
        c, for "clip".
    penalty_weight : float, default 0.1
        lambda for "gp" / "gp-one-sided"; gamma/2 for "r1" (r1_penalty is
        E||grad D||^2, R1 = (gamma/2) E||grad D||^2).
    n_critic : int, default 1
        Critic updates per generator update.
    lr_g, lr_d : float, default 1e-3
        The two players' learning rates.
    width, depth : int, default 128, 3
        The MLPs' hidden width and depth.
    batch_size : int, default 256
        Samples per batch.
    seed : int, default 0
        Seeds the networks and the step's draws.
    steps_per_frame : int, default 5
        Training steps between two pictures while playing.

    Raises
    ------
    ValueError, TypeError
        See :meth:`check`.
    """

    data: str = "8gaussians"
    loss: str = "nonsaturating"
    constraint: str = "none"
    minibatch_discrimination: bool = False   # Salimans et al. 2016's layer in D (B=8, C=4)
    clip: float = 0.01               # c, for "clip"
    penalty_weight: float = 0.1      # lambda for "gp" / "gp-one-sided"; gamma/2 for "r1"
                                     # (r1_penalty is E||grad D||^2, R1 = (gamma/2) E||grad D||^2)
    n_critic: int = 1
    lr_g: float = 1e-3
    lr_d: float = 1e-3
    width: int = 128
    depth: int = 3
    batch_size: int = 256
    seed: int = 0
    steps_per_frame: int = 5

    LIVE = frozenset({"clip", "penalty_weight", "n_critic", "lr_g", "lr_d", "batch_size",
                      "steps_per_frame"})

    def __post_init__(self):
        self.check()

    def check(self) -> Settings:
        """Check every field; run on construction.

        Returns
        -------
        Settings
            The settings themselves.

        Raises
        ------
        ValueError
            A value the playground cannot run; the message names the field.
        TypeError
            ``minibatch_discrimination`` is not a bool.
        """
        _checks.one_of("data", self.data, DATASETS, "the playground's data sets")
        _checks.one_of("loss", self.loss, losses(), "ganlab.losses")
        _checks.one_of("constraint", self.constraint, constraints(), "the playground")
        _checks.positive_float("clip", self.clip)
        _checks.positive_float("penalty_weight", self.penalty_weight, zero_ok=True)
        _checks.positive_float("lr_g", self.lr_g)
        _checks.positive_float("lr_d", self.lr_d)
        for name in ("n_critic", "width", "depth", "batch_size", "steps_per_frame"):
            _checks.positive_int(name, getattr(self, name))
        _checks.positive_int("seed", self.seed, zero_ok=True)
        if not isinstance(self.minibatch_discrimination, bool):
            raise TypeError("minibatch_discrimination must be True or False, got "
                            f"{self.minibatch_discrimination!r}")
        return self

    def step_settings(self) -> StepSettings:
        """The training step these settings describe.

        The constraint becomes a penalty (``train.PENALTIES``) or weight clipping (spectral
        norm is in the critic), the two rates ``(lr_g, lr_d)``; Adam with WGAN-GP's toy
        betas (0.5, 0.9) for every loss.

        Returns
        -------
        train.StepSettings
        """
        return StepSettings(
            loss=self.loss, n_critic=self.n_critic, batch_size=self.batch_size,
            lr=(self.lr_g, self.lr_d), betas=(0.5, 0.9),
            penalty=self.constraint if self.constraint in PENALTIES else None,
            penalty_weight=self.penalty_weight,
            clip=self.clip if self.constraint == "clip" else None)


@dataclass
class Trace:
    """Running curves: losses per generator step, W1 and modes where measured."""

    steps: list[int] = field(default_factory=list)
    d_loss: list[float] = field(default_factory=list)
    g_loss: list[float] = field(default_factory=list)
    metric_steps: list[int] = field(default_factory=list)
    w1: list[float] = field(default_factory=list)
    modes: list[int] = field(default_factory=list)


class Lab:
    """An experiment without widgets: data, networks, ``train.stepper``'s step, readouts.

    ``points`` (an (N, 2) tensor from ``read_points``) is the data when
    ``settings.data == "your points"``. Steps raise ``NonFiniteLossError`` when a loss
    becomes NaN or infinite.

    Parameters
    ----------
    settings : Settings, optional
        The experiment; default ``Settings()``.
    points : array-like, optional
        The learner's points, read by :func:`read_points`.

    Raises
    ------
    TypeError
        ``settings`` is not a ``Settings``.
    ValueError
        Bad ``points``, or ``data == "your points"`` without them.
    """

    def __init__(self, settings: Settings | None = None, points: torch.Tensor | None = None):
        if settings is not None and not isinstance(settings, Settings):
            raise TypeError(f"settings must be a playground.Settings, got "
                            f"{type(settings).__name__}")
        self.settings = settings or Settings()
        self.points = None if points is None else read_points(points)
        self.build()

    # -- the experiment ------------------------------------------------------------------
    @property
    def dim(self) -> int:
        """The data's dimension: 1 for "mixture-1d", else 2."""
        return 1 if self.settings.data == "mixture-1d" else 2

    def sample_real(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """``n`` real points of the current data set.

        Parameters
        ----------
        n : int
            How many.
        generator : torch.Generator
            The random generator to draw them from.

        Returns
        -------
        torch.Tensor
            (n, dim); the learner's points are drawn uniformly with replacement.
        """
        data = self.settings.data
        if data == "mixture-1d":
            return MIXTURE_1D.sample(n, generator)
        if data == OWN:
            return self.points[torch.randint(len(self.points), (n,), generator=generator)]
        return toy.sample(data, n, generator)

    def build(self) -> None:
        """(Re)build data, networks and optimisers from the settings; clear the curves.

        The networks' initial weights are drawn from torch's global random state, so they
        are made under ``torch.manual_seed(seed)`` in a forked copy of it (the caller's is
        left alone). The step is ``train.stepper``'s on the CPU, with its own random generator,
        seeded with ``seed``, for all of its draws (batches, noise, the penalty's
        interpolation weights); the evaluation samples come from random generators of their
        own.

        Raises
        ------
        ValueError
            ``data`` is "your points" but no points were given.
        """
        s = self.settings
        if s.data == OWN and self.points is None:
            raise ValueError("data is 'your points' but no points were given (read_points)")
        with torch.random.fork_rng(devices=[]):  # the seed decides; the caller's RNG is left
            torch.manual_seed(s.seed)
            self.G = MLP(self.dim, self.dim, width=s.width, depth=s.depth, squeeze=False)
            self.D = MLP(self.dim, 1, width=s.width, depth=s.depth,
                         sn=s.constraint == "spectral-norm",
                         minibatch_discrimination=(8, 4) if s.minibatch_discrimination else None)
        self.rng = torch.Generator().manual_seed(s.seed + 3).get_state()  # step_d's guard
        gen = torch.Generator().manual_seed(s.seed)
        self.real = self.sample_real(_N_EVAL, torch.Generator().manual_seed(s.seed + 1))
        self.z_eval = torch.randn(_N_EVAL, self.dim, generator=torch.Generator().manual_seed(7))
        self.stepper = stepper(self.G, self.D, self.sample_real, s.step_settings(),
                               z_dim=self.dim, device="cpu", generator=gen)
        self.g_steps = self.d_steps = 0
        self.last = {"d_loss": float("nan"), "g_loss": float("nan")}
        self.trace = Trace()
        self.modes = self._known_modes()
        self.w1_floor = wasserstein1(self.real, self.sample_real(
            _N_EVAL, torch.Generator().manual_seed(s.seed + 2)))
        self.measure()

    def _known_modes(self):
        data = self.settings.data
        if data in ("8gaussians", "25gaussians", "ring"):
            return toy.modes(data)
        if data == "mixture-1d":
            return torch.tensor(MIXTURE_1D.means).unsqueeze(1), max(MIXTURE_1D.stds)
        return None

    def apply(self, **changes) -> bool:
        """Change settings: live ones take effect at the next step, others rebuild.

        Parameters
        ----------
        **changes
            ``Settings`` fields and their new values.

        Returns
        -------
        bool
            True when the experiment was rebuilt, False when only live fields changed.

        Raises
        ------
        ValueError, TypeError
            A value ``Settings`` refuses, or an unknown field (the settings are unchanged);
            a rebuild that fails with ValueError restores the experiment that ran.
        """
        new = replace(self.settings, **changes)  # checked by Settings
        rebuild = any(getattr(new, k) != getattr(self.settings, k)
                      for k in changes if k not in Settings.LIVE)
        old, self.settings = self.settings, new
        if rebuild:
            try:
                self.build()
            except ValueError:  # keep the experiment that ran
                self.settings = old
                self.build()
                raise
            return True
        st, step = self.stepper, new.step_settings()  # the live fields of the step
        st.n_critic, st.batch_size = step.n_critic, step.batch_size
        st.penalty_weight, st.clip = step.penalty_weight, step.clip
        for opt, lr in zip((st.opt_g, st.opt_d), step.lr, strict=True):
            for group in opt.param_groups:
                group["lr"] = lr
        return False

    def set_points(self, points) -> None:
        """Use the learner's points and rebuild, with ``data = "your points"``.

        Parameters
        ----------
        points : array-like, str or bytes
            What :func:`read_points` reads.

        Raises
        ------
        ValueError, TypeError
            From :func:`read_points`.
        """
        self.points = read_points(points)
        self.settings = replace(self.settings, data=OWN)
        self.build()

    # -- training ------------------------------------------------------------------------
    def _checked(self, name: str, value: torch.Tensor) -> float:
        value = float(value)
        if not np.isfinite(value):
            raise NonFiniteLossError(
                f"{name} became {value} at generator step {self.g_steps} (critic update "
                f"{self.d_steps}); play stopped. Lower the learning rates or change the "
                "loss / constraint, then press Reset")
        self.last[name] = value
        return value

    def step_d(self) -> float:
        """One critic update (the constraint included); its loss.

        Its random draws -- the real batch, the noise and, for "gp" / "gp-one-sided", the
        interpolation weights -- all come from the step's own random generator, as in
        ``fit``. The update still runs in a forked copy of torch's global random state that
        the lab keeps for itself (seeded with ``seed + 3`` in :meth:`build`; the caller's
        state is restored afterwards). Nothing the playground offers draws from that state
        now: the fork is kept as a guard, so that a penalty added to ``train.PENALTIES``
        that ignores its random generator would still give each lab a run of its own,
        independent of what else ran in between.

        Returns
        -------
        float
            D's loss.

        Raises
        ------
        NonFiniteLossError
            The loss is NaN or infinite.
        """
        with torch.random.fork_rng(devices=[]):
            torch.set_rng_state(self.rng)
            d_loss, _ = self.stepper.critic_step()
            self.rng = torch.get_rng_state()
        self.d_steps += 1
        return self._checked("d_loss", d_loss)

    def step_g(self) -> float:
        """One generator update; its loss (recorded in the running curves).

        Returns
        -------
        float
            G's loss.

        Raises
        ------
        NonFiniteLossError
            The loss is NaN or infinite.
        """
        g_loss = self._checked("g_loss", self.stepper.generator_step())
        self.g_steps += 1
        self.trace.steps.append(self.g_steps)
        self.trace.d_loss.append(self.last["d_loss"])
        self.trace.g_loss.append(g_loss)
        return g_loss

    def step(self, k: int = 1) -> None:
        """``k`` training steps, each ``n_critic`` critic updates and one generator update.

        ``Stepper.step``, with the counters and NaN check of the playground.

        Parameters
        ----------
        k : int, default 1
            How many steps.

        Raises
        ------
        NonFiniteLossError
            A loss became NaN or infinite.
        """
        for _ in range(k):
            for _ in range(self.stepper.n_critic):
                self.step_d()
            self.step_g()

    # -- what the view shows ---------------------------------------------------------------
    def fake(self) -> torch.Tensor:
        """G's 500 points of the fixed evaluation noise, without gradients.

        Returns
        -------
        torch.Tensor
            (500, dim).
        """
        with torch.no_grad():
            return self.G(self.z_eval)

    def measure(self) -> None:
        """Exact W1 (POT) between 500 generated and 500 real points, and modes covered.

        The values are appended to the running curves; nothing is recorded while G's points
        are not finite. Modes are counted only for data sets with known modes.
        """
        fake = self.fake()
        if not torch.isfinite(fake).all():
            return
        self.trace.metric_steps.append(self.g_steps)
        self.trace.w1.append(wasserstein1(fake, self.real))
        if self.modes is not None:
            self.trace.modes.append(mode_coverage(fake, *self.modes).modes)

    def pull(self, x: torch.Tensor) -> torch.Tensor:
        r"""Where G's loss moves each generated point: -d(loss_G)/dx per sample.

        .. math::

            -N\, \frac{\partial L_G}{\partial x_i}, \qquad i = 1, \dots, N

        (the loss is scaled by N, the batch size, so each sample's own gradient comes out;
        D's parameters take no gradient).

        Parameters
        ----------
        x : torch.Tensor
            (N, dim) points.

        Returns
        -------
        torch.Tensor
            (N, dim).
        """
        x = x.detach().clone().requires_grad_(True)
        self.D.requires_grad_(False)
        try:
            (grad,) = torch.autograd.grad(self.stepper.loss.generator(self.D(x)) * len(x), x)
        finally:
            self.D.requires_grad_(True)
        return -grad

    def readouts(self) -> dict:
        """The numbers the playground shows beside the picture.

        Returns
        -------
        dict
            Generator steps, critic updates, the last D and G losses, the last W1, the W1
            between two real samples and, where modes are known, "covered / total".
        """
        t = self.trace
        out = {"generator steps": self.g_steps, "critic updates": self.d_steps,
               "D loss": self.last["d_loss"], "G loss": self.last["g_loss"],
               "W1": t.w1[-1] if t.w1 else float("nan"), "W1 real vs real": self.w1_floor}
        if self.modes is not None and t.modes:
            out["modes"] = f"{t.modes[-1]} / {len(self.modes[0])}"
        return out


class Canvas:
    """The playground's picture: one Agg figure whose artists are updated in place.

    Axes, ticks and the real data are drawn once into a background; each frame restores it
    and draws only the moving artists (heat map, fakes, arrows, manifold, curves) on top --
    blitting, as matplotlib's animations do. The background is redrawn only when a curve
    outgrows its axis limits (which then grow with headroom).

    Parameters
    ----------
    lab : Lab
        The experiment to draw.
    dpi : int, default 72
        The figure's resolution.

    Raises
    ------
    TypeError
        ``lab`` is not a ``Lab``.
    ValueError
        ``dpi`` is not a positive int.
    """

    def __init__(self, lab: Lab, *, dpi: int = 72):
        if not isinstance(lab, Lab):
            raise TypeError(f"lab must be a playground.Lab, got {type(lab).__name__}")
        _checks.positive_int("dpi", dpi)
        self.fig = Figure(figsize=(13.5, 3.4), dpi=dpi)
        FigureCanvasAgg(self.fig)
        self.axes = self.fig.subplots(1, 4, width_ratios=(1.1, 1, 1.2, 1.2))
        self.fig.subplots_adjust(left=0.04, right=0.965, bottom=0.16, top=0.9, wspace=0.5)
        self.twins: list = []   # second y-axes, remade with the artists
        self.lab = None
        self.max_pull = float("nan")
        self.full_redraws = 0
        self.setup(lab)

    def _moving(self, artist):
        artist.set_animated(True)
        self.animated.append(artist)
        return artist

    def setup(self, lab: Lab) -> None:
        """Make the artists for this experiment (after a rebuild).

        Parameters
        ----------
        lab : Lab
            The experiment to draw.
        """
        for ax in self.axes:
            ax.clear()
        for twin in self.twins:
            twin.remove()
        self.twins, self.animated, self.background = [], [], None
        self.lab, self.built = lab, lab.trace
        ax_field, ax_g, ax_loss, ax_metric = self.axes
        lo, hi = lab.real.min(0).values, lab.real.max(0).values
        centre = ((lo + hi) / 2).tolist()
        half = float(((hi - lo).max() / 2 * 1.35).clamp(min=1e-3))
        real = lab.real.numpy()
        if lab.dim == 2:
            self.box = (centre[0] - half, centre[0] + half, centre[1] - half, centre[1] + half)
            gx, gy = np.meshgrid(np.linspace(*self.box[:2], _GRID),
                                 np.linspace(*self.box[2:], _GRID))
            self.grid = torch.tensor(np.stack([gx.ravel(), gy.ravel()], 1), dtype=torch.float32)
            self.heat = self._moving(ax_field.imshow(
                np.zeros((_GRID, _GRID)), origin="lower", extent=self.box, cmap="RdBu_r",
                alpha=0.8, aspect="equal"))
            self._moving(ax_field.scatter(real[:, 0], real[:, 1], s=3, c="C2", alpha=0.5,
                                          label="real"))
            self.fake_dots = self._moving(ax_field.scatter(
                real[:, 0], real[:, 1], s=3, c="C1", alpha=0.7, label="generated"))
            xy = real[:_N_ARROWS]
            self.arrows = self._moving(ax_field.quiver(
                xy[:, 0], xy[:, 1], np.zeros(len(xy)), np.zeros(len(xy)), angles="xy",
                scale_units="xy", scale=1.0, width=0.005, color="k", alpha=0.7))
            ax_field.set(xlim=self.box[:2], ylim=self.box[2:], xlabel="x1", ylabel="x2")
            self.field_title = self._moving(ax_field.set_title("critic score"))
            ax_field.legend(loc="lower right", fontsize=7, markerscale=3)
            dense = np.linspace(-2.5, 2.5, 60)
            z_lines = [np.stack([np.full_like(dense, c), dense], 1) for c in
                       np.linspace(-2.5, 2.5, 13)]
            z_lines += [line[:, ::-1] for line in z_lines]
            self.z_lines = torch.tensor(np.concatenate(z_lines), dtype=torch.float32)
            self.n_line = len(dense)
            ax_g.scatter(real[:, 0], real[:, 1], s=2, c="C2", alpha=0.25)
            self.manifold = self._moving(LineCollection([], colors="C1", linewidths=0.6))
            ax_g.add_collection(self.manifold)
            ax_g.set(xlim=self.box[:2], ylim=self.box[2:], aspect="equal", xlabel="x1",
                     ylabel="x2", title="G's image of a grid of z")
        else:
            self.box = (centre[0] - half, centre[0] + half)
            self.xs = torch.linspace(*self.box, 200).unsqueeze(1)
            self.edges = np.linspace(*self.box, 61)
            real_hist, _ = np.histogram(real.ravel(), self.edges, density=True)
            mids = (self.edges[1:] + self.edges[:-1]) / 2
            ax_field.fill_between(mids, real_hist, step="mid", color="C2", alpha=0.4,
                                  label="real")
            (self.fake_hist,) = ax_field.step(mids, real_hist, where="mid", color="C1",
                                              label="generated")
            self._moving(self.fake_hist)
            self.twin = ax_field.twinx()
            self.twins.append(self.twin)
            (self.critic_curve,) = self.twin.plot(self.xs.numpy().ravel(),
                                                  np.zeros(len(self.xs)), "k-", lw=1)
            self._moving(self.critic_curve)
            self.twin.set_ylabel("critic score")
            self.arrows = self._moving(ax_field.quiver(
                np.zeros(_N_ARROWS), np.zeros(_N_ARROWS), np.zeros(_N_ARROWS),
                np.zeros(_N_ARROWS), angles="xy", scale_units="xy", scale=1.0, width=0.004,
                color="k", alpha=0.7))
            ax_field.set(xlim=self.box, ylim=(-0.1 * real_hist.max(), real_hist.max() * 1.6),
                         xlabel="x", ylabel="density", title="densities, critic; G's pull")
            ax_field.legend(loc="upper left", fontsize=7)
            self.z_line = torch.linspace(-3, 3, 200).unsqueeze(1)
            (self.g_curve,) = ax_g.plot(self.z_line.numpy().ravel(), np.zeros(200), "C1-")
            self._moving(self.g_curve)
            ax_g.set(xlim=(-3, 3), ylim=self.box, xlabel="z", ylabel="G(z)",
                     title="the generator x = G(z)")
        (self.d_curve,) = ax_loss.plot([], [], "C0-", lw=1, label="D loss")
        (self.g_loss_curve,) = ax_loss.plot([], [], "C1-", lw=1, label="G loss")
        ax_loss.set(xlabel="generator step", ylabel="loss", title="losses")
        ax_loss.legend(loc="upper right", fontsize=7)
        (self.w1_curve,) = ax_metric.plot([], [], "C3.-", lw=1, ms=3, label="exact W1")
        ax_metric.axhline(lab.w1_floor, color="C3", ls=":", lw=1, label="W1 real vs real")
        ax_metric.set(xlabel="generator step", ylabel="W1 (POT)", ylim=(0, None),
                      title="W1 to the data" + (", modes" if lab.modes else ""))
        ax_metric.legend(loc="upper right", fontsize=7)
        curves = [self.d_curve, self.g_loss_curve, self.w1_curve]
        if lab.modes is not None:
            self.mode_axis = ax_metric.twinx()
            self.twins.append(self.mode_axis)
            (self.mode_curve,) = self.mode_axis.plot([], [], "C4s-", lw=1, ms=3)
            self.mode_axis.set(ylim=(-0.5, len(lab.modes[0]) + 0.5), ylabel="modes covered")
            curves.append(self.mode_curve)
        for curve in curves:
            self._moving(curve)
        for ax in (ax_loss, ax_metric):
            ax.set_xlim(0, 100)

    def _limits_fit(self) -> bool:
        """Grow the curve axes (with headroom) to hold their data; True if any changed."""
        changed = False
        t = self.lab.trace
        last = max(t.steps[-1] if t.steps else 0, t.metric_steps[-1] if t.metric_steps else 0)
        for ax in self.axes[2:]:
            if last > ax.get_xlim()[1]:
                ax.set_xlim(0, last * 2)
                changed = True
        if self.lab.modes is not None:
            self.mode_axis.set_xlim(self.axes[3].get_xlim())
        pairs = [(self.axes[2], t.d_loss + t.g_loss, False), (self.axes[3], t.w1, True)]
        if self.lab.dim == 1:
            pairs.append((self.twin, self.critic_curve.get_ydata(), False))
        for ax, values, from_zero in pairs:
            values = np.asarray(values, dtype=float)
            if not len(values) or not np.isfinite(values).all():
                continue
            lo, hi = float(values.min()), float(values.max())
            if from_zero:
                lo = 0.0
            low, high = ax.get_ylim()
            span = max(hi - lo, 1e-6)
            if lo < low or hi > high or (high - low) > 6 * span:   # outgrown, or far too wide
                pad = 0.25 * span
                ax.set_ylim(lo if from_zero else lo - pad, hi + pad)
                changed = True
        return changed

    def update(self, lab: Lab) -> None:
        """Move the artists to the lab's current state (no new artists).

        A new or rebuilt lab is set up first (:meth:`setup`).

        Parameters
        ----------
        lab : Lab
            The experiment to draw.
        """
        if lab is not self.lab or lab.trace is not self.built:  # a new or rebuilt lab
            self.setup(lab)
        fake = lab.fake()
        shown = fake[:_N_ARROWS]
        pull = lab.pull(shown)
        norm = pull.norm(dim=1).max().clamp(min=1e-12)
        arrows = (pull / norm * 0.12 * float(self.box[1] - self.box[0])).numpy()
        self.max_pull = float(norm)
        with torch.no_grad():
            if lab.dim == 2:
                scores = lab.D(self.grid).reshape(_GRID, _GRID).numpy()
                self.heat.set_data(scores)
                self.heat.set_clim(scores.min(), scores.max() + 1e-9)
                self.field_title.set_text(f"critic, range {np.ptp(scores):.2g}; G's pull")
                self.fake_dots.set_offsets(fake.numpy())
                self.arrows.set_offsets(shown.numpy())
                self.arrows.set_UVC(arrows[:, 0], arrows[:, 1])
                self.manifold.set_segments(list(lab.G(self.z_lines).numpy().reshape(
                    -1, self.n_line, 2)))
            else:
                hist, _ = np.histogram(fake.numpy().ravel(), self.edges, density=True)
                self.fake_hist.set_ydata(hist)
                self.critic_curve.set_ydata(lab.D(self.xs).numpy())
                xs = shown.numpy().ravel()
                self.arrows.set_offsets(np.stack([xs, np.zeros_like(xs)], 1))
                self.arrows.set_UVC(arrows[:, 0], np.zeros_like(xs))
                self.g_curve.set_ydata(lab.G(self.z_line).numpy().ravel())
        t = lab.trace
        self.d_curve.set_data(t.steps, t.d_loss)
        self.g_loss_curve.set_data(t.steps, t.g_loss)
        self.w1_curve.set_data(t.metric_steps, t.w1)
        if lab.modes is not None:
            self.mode_curve.set_data(t.metric_steps, t.modes)

    def render(self) -> np.ndarray:
        """The figure as an RGBA array.

        The background (redrawn only when the axes changed) and the moving artists blitted
        over it.

        Returns
        -------
        numpy.ndarray
            (height, width, 4), uint8: a view of the canvas buffer.
        """
        canvas = self.fig.canvas
        if self._limits_fit() or self.background is None:
            canvas.draw()   # axes, ticks, static data: the animated artists are skipped
            self.background = canvas.copy_from_bbox(self.fig.bbox)
            self.full_redraws += 1
        canvas.restore_region(self.background)
        for artist in self.animated:
            self.fig.draw_artist(artist)
        return np.asarray(canvas.buffer_rgba())

    def draw(self, lab: Lab) -> bytes:
        """The current picture as PNG bytes.

        Parameters
        ----------
        lab : Lab
            The experiment to draw.

        Returns
        -------
        bytes
            The PNG file (RGB).
        """
        from PIL import Image

        self.update(lab)
        buffer = io.BytesIO()
        Image.fromarray(self.render()[..., :3]).save(buffer, format="png", compress_level=1)
        return buffer.getvalue()


def _widgets():
    import ipywidgets  # the app's only import of ipywidgets: Lab and Canvas run without it

    return ipywidgets


class Playground:
    """The ipywidgets app: controls, buttons, the picture and the readouts.

    ``Playground(data=points)`` starts on the learner's points (an (N, 2) array or tensor;
    see ``read_points``); ``Playground()`` on 8 Gaussians. ``app.widget`` is the VBox to
    display (the object displays itself in a notebook). Buttons can be pressed from code
    (``app.buttons["Step D"].click()``); ``run(frames)`` plays a fixed number of frames in
    the calling thread (tests, static figures).

    Parameters
    ----------
    data : array-like, optional
        The learner's points; ``settings.data`` then becomes "your points".
    settings : Settings, optional
        The experiment; default ``Settings()``.
    measure_every : int, default 5
        Measure W1 and modes every this many frames while playing.

    Raises
    ------
    ValueError
        ``measure_every`` is not a positive int, or bad ``data``.
    TypeError
        ``settings`` is not a ``Settings``.
    """

    def __init__(self, data=None, *, settings: Settings | None = None, measure_every: int = 5):
        w = _widgets()
        _checks.positive_int("measure_every", measure_every)
        settings = settings or Settings()
        points = None
        if data is not None:
            points = read_points(data)
            settings = replace(settings, data=OWN)
        self.lab = Lab(settings, points)
        self.canvas = Canvas(self.lab)
        self.measure_every = measure_every
        self.frames = 0
        self.error: str | None = None
        self._lock = threading.RLock()
        self._thread: threading.Thread | None = None
        self._playing = threading.Event()
        self._quiet = False   # set while the app itself moves a control
        s = self.lab.settings
        self.controls = {
            "data": w.Dropdown(options=DATASETS, value=s.data, description="data"),
            "loss": w.Dropdown(options=losses(), value=s.loss, description="loss"),
            "constraint": w.Dropdown(options=constraints(), value=s.constraint,
                                     description="constraint"),
            "clip": w.FloatLogSlider(value=s.clip, base=10, min=-4, max=0, description="clip c"),
            "penalty_weight": w.FloatLogSlider(value=max(s.penalty_weight, 1e-3), base=10,
                                               min=-3, max=2, description="λ or γ/2"),
            "n_critic": w.IntSlider(value=s.n_critic, min=1, max=10, description="n_critic"),
            "lr_g": w.FloatLogSlider(value=s.lr_g, base=10, min=-5, max=-1, description="lr G"),
            "lr_d": w.FloatLogSlider(value=s.lr_d, base=10, min=-5, max=-1, description="lr D"),
            "width": w.IntSlider(value=s.width, min=8, max=256, step=8, description="width"),
            "depth": w.IntSlider(value=s.depth, min=1, max=5, description="depth"),
            "batch_size": w.Dropdown(options=(32, 64, 128, 256, 512), value=s.batch_size,
                                     description="batch"),
            "minibatch_discrimination": w.Checkbox(
                value=s.minibatch_discrimination, description="minibatch discrimination",
                indent=False),
            "seed": w.BoundedIntText(value=s.seed, min=0, max=2**31 - 1, description="seed"),
            "steps_per_frame": w.IntSlider(value=s.steps_per_frame, min=1, max=50,
                                           description="steps/frame"),
        }
        for name, control in self.controls.items():
            control.layout = w.Layout(width="270px")
            control.style = {"description_width": "95px"}
            control.observe(lambda change, name=name: self._changed(name, change["new"]),
                            names="value")
        self.buttons = {label: w.Button(description=label, layout=w.Layout(width="90px"))
                        for label in ("Play", "Pause", "Step D", "Step G", "Reset")}
        self.buttons["Play"].on_click(lambda _: self.play())
        self.buttons["Pause"].on_click(lambda _: self.pause())
        self.buttons["Step D"].on_click(lambda _: self._single(self.lab.step_d))
        self.buttons["Step G"].on_click(lambda _: self._single(self.lab.step_g))
        self.buttons["Reset"].on_click(lambda _: self.reset())
        self.pasted = w.Textarea(placeholder="paste x, y pairs, one per line",
                                 layout=w.Layout(width="250px", height="80px"))
        self.upload = w.FileUpload(accept=".csv,.npy,.txt", multiple=False,
                                   description="load .csv/.npy")
        self.use_points = w.Button(description="use these points")
        self.use_points.on_click(lambda _: self._own_points())
        self.image = w.Image(format="png", layout=w.Layout(width="100%"))
        self.status = w.HTML()
        self.message = w.HTML()
        c = self.controls
        column = lambda *names: w.VBox([c[n] for n in names])  # noqa: E731
        self.widget = w.VBox([
            w.HBox([column("data", "loss", "constraint", "minibatch_discrimination", "seed"),
                    column("clip", "penalty_weight", "n_critic", "steps_per_frame"),
                    column("lr_g", "lr_d", "width", "depth", "batch_size"),
                    w.VBox([self.pasted, self.upload, self.use_points])],
                   layout=w.Layout(flex_flow="row wrap")),
            w.HBox(list(self.buttons.values())), self.message, self.image, self.status])
        self.redraw()

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

    # -- actions -------------------------------------------------------------------------
    def redraw(self, measure: bool = True) -> None:
        """Redraw the picture and the readouts.

        Parameters
        ----------
        measure : bool, default True
            Measure W1 and modes first (``Lab.measure``).
        """
        with self._lock:
            if measure:
                self.lab.measure()
            self.image.value = self.canvas.draw(self.lab)
            parts = [f"<b>{k}</b> {v:.4g}" if isinstance(v, float) else f"<b>{k}</b> {v}"
                     for k, v in self.lab.readouts().items()]
            parts.append(f"<b>largest pull on a fake</b> {self.canvas.max_pull:.3g}")
            self.status.value = " &nbsp; ".join(parts)

    def _fail(self, err: Exception) -> None:
        self._playing.clear()
        self.error = str(err)
        self.message.value = f"<span style='color:#b00'>{self.error}</span>"

    def _ok(self, text: str = "") -> None:
        self.error = None
        self.message.value = text

    def _single(self, action) -> None:
        self.pause()
        with self._lock:
            try:
                action()
            except NonFiniteLossError as err:
                self._fail(err)
                return
            self._ok()
            self.redraw()

    def frame(self) -> bool:
        """One frame: ``steps_per_frame`` training steps and a redraw.

        A NaN or infinite loss stops play and shows its message; the picture stays at the
        last finite frame.

        Returns
        -------
        bool
            False after a NaN, else True.
        """
        with self._lock:
            try:
                self.lab.step(self.lab.settings.steps_per_frame)
            except NonFiniteLossError as err:
                self._fail(err)  # the picture stays at the last finite frame
                return False
            self.frames += 1
            self.redraw(measure=self.frames % self.measure_every == 0)
        return True

    def run(self, frames: int) -> None:
        """Play ``frames`` frames in this thread (stops early at a NaN); ``frames`` must be a
        positive int (``ValueError`` otherwise)."""
        _checks.positive_int("frames", frames)
        self.pause()
        for _ in range(frames):
            if not self.frame():
                break

    def play(self) -> None:
        """Train in a background thread until Pause, a NaN or a rebuild.

        Does nothing while the thread is already playing.
        """
        if self._thread is not None and self._thread.is_alive():
            return
        self._ok()
        self._playing.set()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while self._playing.is_set() and self.frame():
            time.sleep(0.001)  # let the kernel handle widget messages between frames

    def pause(self) -> None:
        """Stop playing and wait for the background thread to finish its frame."""
        self._playing.clear()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        self._thread = None

    def reset(self) -> None:
        """Fresh networks with the same settings.

        Play stops, the frame count starts again and the picture is redrawn.
        """
        self.pause()
        with self._lock:
            self.lab.build()
            self.frames = 0
            self._ok()
            self.redraw(measure=False)

    def _set_control(self, name: str, value) -> None:
        self._quiet = True
        try:
            self.controls[name].value = value
        finally:
            self._quiet = False

    def _changed(self, name: str, value) -> None:
        if self._quiet:
            return
        live = name in Settings.LIVE
        playing = self._playing.is_set()
        if not live:
            self.pause()
        with self._lock:
            try:
                if name == "data" and value == OWN and self.lab.points is None:
                    raise ValueError("paste or load your points first, then press "
                                     "'use these points'")
                self.lab.apply(**{name: value})
            except ValueError as err:
                self._fail(err)
                self._set_control(name, getattr(self.lab.settings, name))  # back to what runs
                return
            self._ok("" if live or not playing else "rebuilt; press Play to continue")
            if not live:
                self.frames = 0
                self.redraw(measure=False)

    def _own_points(self) -> None:
        self.pause()
        try:
            if self.upload.value:
                item = self.upload.value[0]
                self.upload.value = ()  # read once: a later paste is not shadowed by it
                source = read_points(bytes(item["content"]), filename=item["name"])
            else:
                source = read_points(self.pasted.value)
            with self._lock:
                self.lab.set_points(source)
                self.frames = 0
        except ValueError as err:
            self._fail(err)
            return
        self._set_control("data", OWN)
        self._ok(f"using your {len(source)} points")
        self.redraw(measure=False)
