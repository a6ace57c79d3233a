"""ganlab: the tested helpers behind a GAN-theory course.

Each module holds one concept of the course (see DESIGN.md and the README's course
map). Importing ganlab has no side effects: no printing, no device probing, no
downloads.
"""

from . import exercises
from .runtime import budget, device, info, pick, seed_everything

__version__ = "0.1.0"

__all__ = ["__version__", "budget", "device", "exercises", "info", "pick", "seed_everything"]
