"""ganlab: the tested helpers behind a GAN-theory course.

Each module holds one concept of the course (see DESIGN.md and the README's course
map). Importing ganlab has no side effects: no printing, no device probing, no
downloads.
"""

from . import exercises
from ._version import __version__
from .runtime import budget, device, info, pick, seed_everything

__all__ = ["__version__", "budget", "device", "exercises", "info", "pick", "seed_everything"]
