"""The course website's own pieces (docs/_ext/ganlab_book.py): bibliography coverage, Colab links,
the docstring adapter. The site itself is built and opened in a browser by make book-check."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

pytest.importorskip("sphinx")
pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs" / "_ext"))
import ganlab_book  # noqa: E402
from docutils import nodes  # noqa: E402
from docutils.core import publish_doctree  # noqa: E402

ARXIV = re.compile(r"\b(\d{4}\.\d{4,5})\b")


def _cited_arxiv_ids() -> dict[str, str]:
    """arXiv id -> the first notebook or module that names it."""
    found: dict[str, str] = {}
    for nb in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        for arxiv in ARXIV.findall(text):
            found.setdefault(arxiv, nb.name)
    for module in sorted((ROOT / "ganlab").glob("*.py")):
        for arxiv in ARXIV.findall(module.read_text(encoding="utf-8")):
            found.setdefault(arxiv, module.name)
    return found


def test_every_cited_arxiv_paper_is_in_the_bibliography():
    listed = {p.arxiv for p in ganlab_book.papers() if p.arxiv}
    cited = _cited_arxiv_ids()
    assert cited, "no arXiv id found in the course: the scan itself is broken"
    missing = {a: where for a, where in cited.items() if a not in listed}
    assert not missing, f"add these to docs/references.yaml: {missing}"


def test_every_entry_is_complete_and_its_key_unique():
    papers = ganlab_book.papers()
    assert len({p.key for p in papers}) == len(papers)
    for p in papers:
        assert p.authors and p.title and p.venue and 1900 < p.year < 2100, p.key
        assert p.arxiv is None or re.fullmatch(r"\d{4}\.\d{4,5}", p.arxiv), p.key
        assert p.url is None or p.url.startswith("https://"), p.key


def test_each_notebook_page_lists_the_papers_its_text_cites():
    nb01 = ROOT / "notebooks" / "01_minimax_optimal_d.ipynb"
    cited = [p.key for p in ganlab_book.papers()
             if ganlab_book.cites(ganlab_book.markdown_text(nb01), p)]
    assert "goodfellow2014" in cited
    assert "brock2019" not in cited


def test_colab_link_follows_the_one_repository_setting():
    from ganlab.colab import REPOSITORY

    owner, name = REPOSITORY.removesuffix(".git").split("/")[-2:]
    assert ganlab_book.colab_url("05_wgan_gp.ipynb") == (
        f"https://colab.research.google.com/github/{owner}/{name}/blob/main/notebooks/"
        "05_wgan_gp.ipynb")


def _render(lines: list[str]) -> nodes.document:
    return publish_doctree("\n".join(lines), settings_overrides={"report_level": 5})


def test_compact_docstring_fields_become_a_field_list_without_errors():
    doc = [
        "MNIST digits.",
        "source:",
        "    ``\"shipped\"`` -- the subset;",
        "    ``\"auto\"`` -- torchvision when present.",
        "train, limit: the split and how many digits.",
        "",
        "Plain prose, then |z| > threshold is redrawn.",
    ]
    out = ganlab_book.compact_fields_to_rest(doc)
    tree = _render(out)
    fields = [f[0].astext() for f in tree.findall(nodes.field)]
    assert fields == ["source", "train, limit"]
    assert not list(tree.findall(nodes.system_message)), out
    assert "|z| > threshold" in tree.astext()          # an absolute value, not a substitution


def test_prose_with_a_colon_is_left_alone():
    doc = ["Returns the cost: a scalar.", "See also: the notebook."]
    assert ganlab_book.compact_fields_to_rest(doc) == doc
    # a "Word: text" line whose sentence runs on, unindented, is a paragraph too
    run_on = ["Reference: Y. LeCun et al., the MNIST database of handwritten", "digits (1998)."]
    assert ganlab_book.compact_fields_to_rest(run_on) == run_on
