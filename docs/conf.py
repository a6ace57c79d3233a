"""Sphinx configuration of the course website (`make book`).

The site is built from the notebooks as stored (with their outputs): nothing is executed.
``docs/notebooks`` is a link to ``../notebooks``, so the pages' links (and the README's course
map, included in the introduction) point at the same files in the repository and on the site.
The rest of the book's machinery (Open-in-Colab row, sources box, bibliography, offline
MathJax) is in ``_ext/ganlab_book.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))          # the ganlab of this checkout, for autodoc
sys.path.insert(0, str(HERE / "_ext"))

from ganlab_book import github_repository  # noqa: E402

project = "ganlab"
author = "the ganlab authors"
copyright = "the ganlab authors, MIT licence"
language = "en"

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "ganlab_book",
]

root_doc = "index"
exclude_patterns = ["_build", "**.ipynb_checkpoints", "api/_templates"]
templates_path = ["api/_templates"]       # autosummary/module.rst

# -- notebooks: rendered from their stored outputs, never executed ------------------------------
nb_execution_mode = "off"
# The playground's widgets need a live kernel: their stored state is not rendered (it would load
# the widget manager from a CDN); the page says so and links to Colab instead.
nb_ipywidgets_js = {}
nb_mime_priority_overrides = [("html", "application/vnd.jupyter.widget-view+json", None)]
nb_merge_streams = True
nb_render_markdown_format = "myst"     # markdown outputs (tables) as MyST, like the cells
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
suppress_warnings = ["mystnb.unknown_mime_type"]

# -- API reference from ganlab's docstrings (numpydoc sections through napoleon) -----------------
autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"show-inheritance": True}   # members: api/_templates
autosummary_ignore_module_all = False                     # what __all__ lists
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_mock_imports: list[str] = []
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False

# -- math: MathJax 3 served from the site itself (django-static-mathjax ships it) ----------------
mathjax_path = "mathjax/tex-chtml.js"

# -- HTML ----------------------------------------------------------------------------------------
html_theme = "sphinx_book_theme"
html_title = "ganlab — a GAN-theory course you can check"
html_static_path = ["_static"]
html_css_files = ["ganlab.css"]
html_favicon = "_static/favicon.svg"
html_copy_source = False
html_show_sourcelink = False
html_last_updated_fmt = None
# pydata-sphinx-theme reads the colour mode from the context; left empty it logs a console error.
html_context = {"default_mode": "auto"}
html_theme_options = {
    "repository_url": github_repository(),
    "repository_branch": "main",
    "path_to_docs": "docs",
    "use_repository_button": True,
    "use_download_button": False,   # each notebook page has its own download button
    "use_fullscreen_button": False,
    "home_page_in_toc": True,
    "show_toc_level": 2,
    "navigation_with_keys": False,
}
