"""Named objects of one kind, filed and looked up in one way.

Every registry of the package follows this one pattern: the GAN losses
(``losses.LOSSES``), the critic penalties (``train.PENALTIES``), the f-divergences
(``divergences.DIVERGENCES``) and the course's exercises (``exercises.EXERCISES``). A
:class:`Registry` is a read-only mapping from names to objects; ``register`` files an entry
and ``lookup`` finds one, with an error that names the argument and lists what is filed.
Whoever offers the choices (the playground, the command line) asks the registry when it
needs them, so an entry filed after import is offered too.

Example::

    from ganlab.train import PENALTIES

    def my_penalty(D, real, fake, generator=None):
        ...

    PENALTIES.register("mine", my_penalty)      # now fit(..., penalty="mine") works
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Generic, TypeVar

from ._checks import one_of

__all__ = ["Registry"]

T = TypeVar("T")


class Registry(Mapping[str, T], Generic[T]):
    """A mapping of names to objects of one kind, with one way in and one way out.

    Parameters
    ----------
    kind : str
        What the entries are, in words ("loss", "penalty"): used in error messages.
    check : callable, optional
        ``check(name, obj)`` raises when ``obj`` cannot be filed (e.g. a ``TypeError``
        when it is not a loss); called by ``register`` before filing.

    Examples
    --------
    >>> colours = Registry("colour")
    >>> colours.register("red", (1, 0, 0))
    (1, 0, 0)
    >>> colours.lookup("red")
    (1, 0, 0)
    >>> colours.names()
    ('red',)
    """

    def __init__(self, kind: str, check: Callable[[str, T], None] | None = None):
        if not isinstance(kind, str) or not kind:
            raise ValueError(f"kind must be a non-empty string, got {kind!r}")
        self.kind = kind
        self._check = check
        self._entries: dict[str, T] = {}

    def register(self, name: str, obj: T) -> T:
        """File ``obj`` under ``name``, replacing an entry of that name.

        Parameters
        ----------
        name : str
            A non-empty name.
        obj : object
            What to file; ``check`` (given at construction) vets it first.

        Returns
        -------
        object
            ``obj`` itself, so that a call can wrap a constructor.

        Raises
        ------
        ValueError
            ``name`` is not a non-empty string.
        TypeError, ValueError
            Whatever ``check`` raises for ``obj``.
        """
        if not isinstance(name, str) or not name:
            raise ValueError(f"a {self.kind}'s name must be a non-empty string, got {name!r}")
        if self._check is not None:
            self._check(name, obj)
        self._entries[name] = obj
        return obj

    def unregister(self, name: str) -> T:
        """Remove the entry filed under ``name`` and return it (``ValueError`` if none is)."""
        self.lookup(name)                 # the error lists what is filed
        return self._entries.pop(name)

    def lookup(self, name: str, argument: str = "name") -> T:
        """The entry filed under ``name``.

        Parameters
        ----------
        name : str
            A filed name (``names()``).
        argument : str, default "name"
            The caller's name for the argument, used in the error message.

        Returns
        -------
        object
            The entry.

        Raises
        ------
        ValueError
            ``name`` is not filed; the message names ``argument`` and lists the names.
        """
        return self._entries[one_of(argument, name, self._entries, f"the {self.kind} names")]

    def names(self) -> tuple[str, ...]:
        """Every filed name, in the order of filing (entries filed since import included)."""
        return tuple(self._entries)

    def __getitem__(self, name: str) -> T:
        return self._entries[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}: {', '.join(self._entries)})"
