"""The package's import graph: layered, acyclic, and private names kept private.

Every ``ganlab/*.py`` is parsed with ``ast`` (nothing is imported) and every import of a
ganlab module is an edge, wherever it stands: an import inside a function ("lazy") is as
much a dependency as one at the top of the module.

The rules:

(a) No cycles.
(b) No private name is used across modules. A private name has one leading underscore
    (``_registry``; dunders such as ``__version__`` are public). ``from .x import _name``,
    ``from ganlab.x import _name`` and ``x._name`` on an imported ganlab module are refused.
    Private *modules* are another matter: ``_checks`` (the argument checks) and ``_version``
    are internal modules written to be shared, so any ganlab module may import them and
    their public names -- but not their private ones.
(c) Layers (``LAYERS``, lowest first): a module imports only modules of its own layer or of
    layers below it. In particular the library (the maths, the networks, training and its
    figures) never imports the course tooling (grading, notebooks, Colab, the playground,
    the CLI, the reference runs, the runtime settings): the library can be read, tested and
    reused without the course around it. Every module must be given a layer, so a new
    module's place is decided when it is added.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "ganlab"

LAYERS: tuple[tuple[str, frozenset[str]], ...] = (
    ("internal", frozenset({"_checks", "_version", "registry"})),
    ("maths and data", frozenset({"divergences", "losses", "transport", "regularizers",
                                  "spectral", "stats", "toy", "data"})),
    ("networks", frozenset({"attention", "models", "conditional", "ensemble"})),
    ("training and evaluation", frozenset({"tricks", "train", "dynamics", "metrics"})),
    ("figures", frozenset({"plots"})),
    ("course tooling", frozenset({"runtime", "colab", "notebooks", "exercises", "grading",
                                  "reference", "rescore", "playground", "cli", "__init__"})),
)
TOOLING = LAYERS[-1][1]
LIBRARY = frozenset().union(*(modules for _, modules in LAYERS[1:-1]))


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def analyse(package: Path, name: str = "ganlab"):
    """(edges, private_uses) of the package folder ``package`` (importable as ``name``).

    edges: {module: {imported ganlab module, ...}}; the package root is ``__init__``.
    private_uses: ["module: what", ...] for every private name taken from another module.
    """
    modules = {p.stem for p in package.glob("*.py")}
    edges: dict[str, set[str]] = {m: set() for m in modules}
    private_uses: list[str] = []

    def target(dotted: str | None) -> str | None:
        """The ganlab module that an absolute ``dotted`` name refers to (None if not ours)."""
        if dotted is None:
            return None
        parts = dotted.split(".")
        if parts[0] != name:
            return None
        return parts[1] if len(parts) > 1 and parts[1] in modules else "__init__"

    for module in sorted(modules):
        tree = ast.parse((package / f"{module}.py").read_text(), filename=f"{module}.py")
        bound: dict[str, str] = {}  # local name -> ganlab module it is bound to
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                if node.level > 1:
                    raise AssertionError(f"{module}: unexpected relative import level")
                source = (node.module or "") if node.level else None
                if node.level:  # relative: from . import x / from .x import y
                    base = source.split(".")[0] if source else None
                else:
                    base = target(node.module)
                    if base is None:
                        continue
                    base = None if base == "__init__" and node.module == name else base
                for alias in node.names:
                    if base is None:  # from . import x: a module, or a name of the root
                        if alias.name in modules:
                            edges[module].add(alias.name)
                            bound[alias.asname or alias.name] = alias.name
                            continue
                        origin = "__init__"
                    else:
                        origin = base
                    edges[module].add(origin)
                    if _private(alias.name) and origin != module:
                        private_uses.append(f"{module}: from {origin} import {alias.name}")
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    origin = target(alias.name)
                    if origin is None:
                        continue
                    edges[module].add(origin)
                    if alias.asname:
                        bound[alias.asname] = origin
                    else:
                        bound[name] = "__init__"
        for node in ast.walk(tree):
            if not isinstance(node, ast.Attribute) or not _private(node.attr):
                continue
            value = node.value
            origin = None
            if isinstance(value, ast.Name):
                origin = bound.get(value.id)
            elif (isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name)
                    and bound.get(value.value.id) == "__init__" and value.attr in modules):
                origin = value.attr  # ganlab.x._name
            if origin is not None and origin != module:
                private_uses.append(f"{module}: {origin}.{node.attr}")
        edges[module].discard(module)
    return edges, private_uses


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (as a path a -> ... -> a) per strongly connected group that has one."""
    found, state = [], {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == "open":
                found.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    return found


def layer_violations(edges: dict[str, set[str]]) -> list[str]:
    level = {m: i for i, (_, modules) in enumerate(LAYERS) for m in modules}
    return [f"{a} ({LAYERS[level[a]][0]}) imports {b} ({LAYERS[level[b]][0]})"
            for a in sorted(edges) for b in sorted(edges[a])
            if a in level and b in level and level[b] > level[a]]


EDGES, PRIVATE_USES = analyse(PACKAGE)


def test_every_module_has_a_layer():
    placed = [m for _, modules in LAYERS for m in modules]
    assert len(placed) == len(set(placed)), "a module is in two layers"
    assert set(placed) == set(EDGES), ("give each ganlab module one layer in LAYERS: "
                                       f"{sorted(set(EDGES) ^ set(placed))}")


def test_no_import_cycles():
    assert cycles(EDGES) == []


def test_no_private_name_crosses_a_module():
    assert PRIVATE_USES == []


def test_imports_go_down_the_layers_and_the_library_never_imports_course_tooling():
    assert layer_violations(EDGES) == []
    assert {a: sorted(EDGES[a] & TOOLING) for a in sorted(LIBRARY) if EDGES[a] & TOOLING} == {}


def test_the_graph_has_the_edges_the_code_has():
    # spot checks that the parser sees top-level, lazy, relative and root imports
    assert {"_checks", "losses", "regularizers"} <= EDGES["train"]
    assert "divergences" in EDGES["losses"]            # lazy: inside _register_fgan
    assert {"exercises", "runtime", "_version"} <= EDGES["__init__"]
    assert "tricks" in EDGES["reference"]              # lazy: inside _trick_options


@pytest.fixture
def bad_package(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    files = {
        "__init__.py": "from . import models\n",
        "_checks.py": "def ok():\n    pass\n",
        "losses.py": "from ._checks import ok\n_table = {}\n",
        "models.py": ("def f():\n    from .tricks import layer\n"    # lazy, upward
                      "from . import losses\nx = losses._table\n"),  # private attribute
        "tricks.py": "from .losses import _table\nfrom . import models\nlayer = 1\n",
        "train.py": "import pkg.runtime as rt\nfrom pkg import __version__\n",
        "runtime.py": "import pkg\ny = pkg.losses._table\n",
    }
    for file, text in files.items():
        (pkg / file).write_text(text)
    return pkg


def test_the_checks_find_what_they_look_for(bad_package):
    edges, private = analyse(bad_package, "pkg")
    assert edges["models"] == {"tricks", "losses"} and edges["train"] == {"runtime", "__init__"}
    assert sorted(private) == ["models: losses._table", "runtime: losses._table",
                               "tricks: from losses import _table"]
    assert ["models", "tricks", "models"] in cycles(edges)
    assert "models (networks) imports tricks (training and evaluation)" in layer_violations(edges)
    assert "train (training and evaluation) imports runtime (course tooling)" in \
        layer_violations(edges)
