"""The first code cell of every notebook: make ``ganlab`` importable on Colab.

The cell cannot import ganlab (it is what installs it), so each notebook holds a
copy of ``SETUP_CELL``. This module is the one place that names the install source;
``ganlab run-notebooks`` rewrites the copies from it and a unit test fails when a
notebook's first cell differs from it.

On a machine where ganlab is already installed (``make lab``, CI) the cell does
nothing. On Colab it clones the course (``GANLAB_SOURCE`` overrides the repository,
e.g. a fork), installs it with pip, and puts the clone on ``sys.path`` so the running
kernel sees it without a restart.
"""

from __future__ import annotations

__all__ = ["REPOSITORY", "SETUP_CELL"]

REPOSITORY = "https://github.com/ganlab-course/ganlab.git"

SETUP_CELL = f"""\
# Setup: makes `ganlab` importable. Does nothing where it is installed already;
# on Colab it clones and installs the course (README, "Colab").
import importlib.util, os, subprocess, sys
if importlib.util.find_spec("ganlab") is None:
    source = os.environ.get("GANLAB_SOURCE", "{REPOSITORY}")
    if not os.path.isdir("ganlab-course"):
        subprocess.run(["git", "clone", "--depth", "1", source, "ganlab-course"], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-e", "ganlab-course"],
                   check=True)
    sys.path.insert(0, os.path.abspath("ganlab-course"))"""
