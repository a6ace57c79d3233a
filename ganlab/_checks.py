"""Argument checks shared by the modules: one wording for the same mistake everywhere."""

from __future__ import annotations


def positive_int(name: str, value, *, integer_types: tuple[type, ...] = (int,)) -> None:
    """Raise ValueError naming ``name`` unless ``value`` is a positive integer (bools are not)."""
    if isinstance(value, bool) or not isinstance(value, integer_types) or value <= 0:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
