"""One registry pattern: ``ganlab.registry.Registry``, and the package's registries built on it
(losses, penalties, f-divergences) -- filed, looked up, refused and read live alike."""

import pytest
import torch

from ganlab import divergences, losses, train
from ganlab.models import MLP
from ganlab.registry import Registry


def test_register_lookup_names_and_unregister():
    colours = Registry("colour")
    assert colours.register("red", (1, 0, 0)) == (1, 0, 0)     # returns what it filed
    colours.register("blue", (0, 0, 1))
    assert colours.lookup("red") == (1, 0, 0) and colours["blue"] == (0, 0, 1)
    assert colours.names() == ("red", "blue") and list(colours) == ["red", "blue"]
    assert len(colours) == 2 and "red" in colours and "green" not in colours
    colours.register("red", (0.9, 0, 0))                       # a name is replaced, not doubled
    assert colours.names() == ("red", "blue") and colours["red"] == (0.9, 0, 0)
    assert colours.unregister("red") == (0.9, 0, 0) and colours.names() == ("blue",)


def test_lookup_of_an_unknown_name_names_the_argument_and_lists_the_entries():
    colours = Registry("colour")
    colours.register("red", 1)
    with pytest.raises(ValueError,
                       match=r"shade must be one of red \(the colour names\); got 'teal'"):
        colours.lookup("teal", argument="shade")
    with pytest.raises(ValueError, match="red"):
        colours.unregister("teal")
    with pytest.raises(KeyError):                              # the mapping's own contract
        colours["teal"]


def test_bad_names_kinds_and_entries_are_refused_clearly():
    with pytest.raises(ValueError, match="kind"):
        Registry("")
    evens = Registry("even number", check=lambda name, n: None if n % 2 == 0 else (
        _ for _ in ()).throw(ValueError(f"{name}: {n} is odd")))
    with pytest.raises(ValueError, match="non-empty string"):
        evens.register("", 2)
    with pytest.raises(ValueError, match="non-empty string"):
        evens.register(3, 2)
    with pytest.raises(ValueError, match="three: 3 is odd"):
        evens.register("three", 3)
    assert evens.names() == ()                                 # nothing filed on refusal


def test_the_package_registries_are_registries():
    for reg in (losses.LOSSES, train.PENALTIES, divergences.DIVERGENCES):
        assert isinstance(reg, Registry)
    assert losses.registered() == losses.LOSSES.names()
    assert set(losses.NAMES) <= set(losses.registered())
    assert divergences.NAMES == divergences.DIVERGENCES.names()
    assert losses.get("hinge") is losses.LOSSES["hinge"]
    assert divergences.get("kl") is divergences.DIVERGENCES["kl"]
    with pytest.raises(TypeError, match="GANLoss"):
        losses.LOSSES.register("bad", object())
    with pytest.raises(ValueError, match="own name"):
        losses.LOSSES.register("other-name", losses.get("hinge"))
    with pytest.raises(TypeError, match="callable"):
        train.PENALTIES.register("bad", 3.0)


def test_a_penalty_registered_by_name_trains_in_fit_even_with_three_arguments():
    # one place to extend: file the function, then name it; a (D, real, fake) penalty is
    # given the step's random generator's slot like a callable passed directly
    seen = []

    def counted_r1(D, real, fake):
        seen.append(len(real))
        return train.PENALTIES["r1"](D, real, fake, None)

    train.PENALTIES.register("r1-counted-fit", counted_r1)
    try:
        torch.manual_seed(0)
        G, D = MLP(2, 2, width=8, depth=1), MLP(2, 1, width=8, depth=1)
        train.fit(G, D, torch.randn(64, 2), z_dim=2, steps=2, batch_size=16, n_critic=1,
                  loss="nonsaturating", penalty="r1-counted-fit", progress=False,
                  generator=torch.Generator().manual_seed(0))
    finally:
        train.PENALTIES.unregister("r1-counted-fit")
    assert seen == [16, 16]
    with pytest.raises(ValueError, match="penalty"):
        train.StepSettings(loss="wasserstein", penalty="r1-counted-fit").check()  # gone
