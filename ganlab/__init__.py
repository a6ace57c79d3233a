"""ganlab: the tested helpers behind a GAN-theory course.

Each module holds one concept of the course: the README's "Course map" names the modules
each notebook uses, and the API reference of the course website (``docs/api.md``) is
generated from their docstrings. The modules are layered -- the library (maths, networks,
training, figures) below the course tooling (runtime, notebooks, exercises, reference runs,
playground, CLI) -- as ``tests/test_import_graph.py`` states and checks. Importing ganlab
has no side effects: no printing, no device probing, no downloads.
"""

from . import exercises
from ._version import __version__
from .runtime import budget, device, info, pick, seed_everything

__all__ = ["__version__", "budget", "device", "exercises", "info", "pick", "seed_everything"]
