"""The course website's own Sphinx extension.

What it adds to a plain Sphinx + myst-nb build:

* on every notebook page, under the title: an *Open in Colab* badge pointing at that notebook
  in the repository that ``ganlab.colab.REPOSITORY`` names (the one place that names it), a
  button to download the notebook, and the list of papers the notebook cites, each linked to
  its entry in the bibliography;
* on a notebook that stores widget state (the playground), a note that the widgets need a
  running kernel, with the Colab link;
* the bibliography page, generated from ``references.yaml``: authors, year, title, venue, arXiv
  id, and which notebooks and ganlab modules cite each paper (found by searching their text);
* in a notebook page's prose, "notebook 04" links to notebook 04's page;
* MathJax 3 copied into the site from the ``django-static-mathjax`` package, so math renders
  with no network (Sphinx's default loads it from a CDN).
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.errors import ConfigError

DOCS = Path(__file__).resolve().parents[1]
ROOT = DOCS.parent
NOTEBOOKS = ROOT / "notebooks"
PACKAGE = ROOT / "ganlab"
BRANCH = "main"
NOTEBOOK_DOC = re.compile(r"^notebooks/(\d\d)_[^/]+$")
# What of MathJax's es5 tree the site needs: the TeX-to-CommonHTML bundle, the TeX extensions it
# autoloads, its fonts, and the menu/accessibility parts it loads on demand.
MATHJAX_PARTS = ["tex-chtml.js", "input/tex/extensions", "output/chtml", "ui", "a11y",
                 "adaptors", "sre"]


# -- the repository and Colab ----------------------------------------------------------------------

def github_repository() -> str:
    """``https://github.com/<owner>/<name>`` from ``ganlab.colab.REPOSITORY``."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("_ganlab_colab", PACKAGE / "colab.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)        # colab.py alone: no torch import for the config
    url = module.REPOSITORY
    match = re.fullmatch(r"https://github\.com/([\w.-]+)/([\w.-]+?)(?:\.git)?/?", url)
    if match is None:
        raise ConfigError(f"ganlab.colab.REPOSITORY must be a GitHub https URL, got {url!r}")
    return f"https://github.com/{match.group(1)}/{match.group(2)}"


def colab_url(notebook: str) -> str:
    """The Colab link that opens ``notebooks/<notebook>`` of the course repository."""
    path = github_repository().removeprefix("https://github.com/")
    return f"https://colab.research.google.com/github/{path}/blob/{BRANCH}/notebooks/{notebook}"


# -- the bibliography ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Paper:
    key: str
    authors: tuple[str, ...]
    year: int
    title: str
    venue: str
    arxiv: str | None
    url: str | None
    cited_as: tuple[str, ...]     # strings whose presence in a text means "cites this paper"

    @property
    def label(self) -> str:
        return f"bib-{self.key}"

    @property
    def short(self) -> str:
        surnames = [a.split()[-1] for a in self.authors]
        if len(surnames) == 1:
            who = surnames[0]
        elif len(surnames) == 2:
            who = f"{surnames[0]} & {surnames[1]}"
        else:
            who = f"{surnames[0]} et al."
        return f"{who} {self.year}"

    def patterns(self) -> list[str]:
        return ([self.arxiv] if self.arxiv else []) + list(self.cited_as)


@cache
def papers() -> tuple[Paper, ...]:
    entries = yaml.safe_load((DOCS / "references.yaml").read_text(encoding="utf-8"))
    out = []
    for key, e in entries.items():
        missing = {"authors", "year", "title", "venue"} - set(e)
        if missing:
            raise ConfigError(f"references.yaml: {key} lacks {sorted(missing)}")
        out.append(Paper(key, tuple(e["authors"]), int(e["year"]), e["title"], e["venue"],
                         e.get("arxiv"), e.get("url"), tuple(e.get("cited_as", ()))))
    return tuple(sorted(out, key=lambda p: (p.authors[0].split()[-1].lower(), p.year)))


def markdown_text(notebook: Path) -> str:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


def cites(text: str, paper: Paper) -> bool:
    return any(pattern in text for pattern in paper.patterns())


def numbered_notebooks() -> list[Path]:
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def bibliography_markdown() -> str:
    """The entries of the bibliography page, as MyST markdown."""
    notebooks = {nb: markdown_text(nb) for nb in numbered_notebooks()}
    modules = {py: py.read_text(encoding="utf-8") for py in sorted(PACKAGE.glob("*.py"))
               if not py.name.startswith("_")}
    lines = []
    for p in papers():
        where = [f"[{nb.name[:2]}](notebooks/{nb.name})"
                 for nb, text in notebooks.items() if cites(text, p)]
        where += [f"{{py:mod}}`ganlab.{py.stem}`" for py, text in modules.items() if cites(text, p)]
        link = (f" [arXiv:{p.arxiv}](https://arxiv.org/abs/{p.arxiv})." if p.arxiv
                else f" [{p.url}]({p.url})." if p.url else "")
        lines += [f"({p.label})=", "",
                  f"**{p.short}.** {', '.join(p.authors)}. *{p.title}.* {p.venue}, "
                  f"{p.year}.{link}"
                  + (f" Cited in: {', '.join(where)}." if where else ""), ""]
    return "\n".join(lines)


def on_source_read(app: Sphinx, docname: str, source: list[str]) -> None:
    if docname == "bibliography":
        source[0] = source[0].replace("<!-- entries -->", bibliography_markdown())
        # Rebuilt when the entries, a notebook or a module (whose citations it lists) change.
        for path in [DOCS / "references.yaml", *numbered_notebooks(), *PACKAGE.glob("*.py")]:
            app.env.note_dependency(str(path))


# -- notebook pages: the launch row, the sources, the kernel note ----------------------------------

def _launch_row(docname: str, notebook: str) -> nodes.paragraph:
    row = nodes.paragraph(classes=["ganlab-launch"])
    badge = nodes.reference(refuri=colab_url(notebook), classes=["colab-link"])
    badge += nodes.image(uri="/_static/colab-badge.svg", alt="Open in Colab")
    row += badge
    row += nodes.Text(" ")
    download = addnodes.download_reference(
        "", "", refdoc=docname, reftarget=f"/notebooks/{notebook}", refexplicit=True,
        classes=["ganlab-download"])
    download += nodes.literal("", f"Download {notebook}")
    row += download
    return row


def _sources(docname: str, text: str) -> nodes.paragraph | None:
    cited = [p for p in papers() if cites(text, p)]
    if not cited:
        return None
    para = nodes.paragraph(classes=["ganlab-sources"])
    para += nodes.strong("", "Papers this notebook cites: ")
    for i, p in enumerate(cited):
        if i:
            para += nodes.Text("; ")
        ref = addnodes.pending_xref("", refdomain="std", reftype="ref", reftarget=p.label,
                                    refexplicit=True, refwarn=True, refdoc=docname)
        ref += nodes.inline("", p.short)
        para += ref
    para += nodes.Text(" (see the bibliography).")
    return para


def _kernel_note(notebook: str) -> nodes.note:
    note = nodes.note()
    para = nodes.paragraph()
    para += nodes.Text("This page is a static copy of the notebook: the app's controls are "
                       "ipywidgets and need a running Python kernel, so they do not appear "
                       "here. To play, ")
    para += nodes.reference("", "open the notebook in Colab", refuri=colab_url(notebook))
    para += nodes.Text(" (run it from the top) or run it locally with make lab. The guided "
                       "tour's figures below were stored by a real run.")
    note += para
    return note


NOTEBOOK_MENTION = re.compile(r"\b([Nn]otebooks? )(\d\d)\b")
NO_LINKS_INSIDE = (nodes.literal, nodes.literal_block, nodes.reference, nodes.title,
                   addnodes.pending_xref, nodes.raw, nodes.math, nodes.math_block)


def link_notebook_mentions(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Turn "notebook 04" in a notebook's prose into a link to that notebook's page."""
    pages = {NOTEBOOK_DOC.match(d).group(1): d for d in app.env.found_docs
             if NOTEBOOK_DOC.match(d)}
    for text in list(doctree.findall(nodes.Text)):
        parent = text.parent
        if parent is None or any(isinstance(a, NO_LINKS_INSIDE) for a in _ancestors(text)):
            continue
        pieces, last, value = [], 0, str(text)
        for match in NOTEBOOK_MENTION.finditer(value):
            target = pages.get(match.group(2))
            if target is None or target == docname:
                continue
            pieces.append(nodes.Text(value[last:match.start(2)]))
            ref = addnodes.pending_xref("", refdomain="std", reftype="doc",
                                        reftarget="/" + target, refexplicit=True,
                                        refwarn=True, refdoc=docname)
            ref += nodes.inline("", match.group(2))
            pieces.append(ref)
            last = match.end(2)
        if pieces:
            pieces.append(nodes.Text(value[last:]))
            parent.replace(text, pieces)


def _ancestors(node: nodes.Node):
    while node.parent is not None:
        node = node.parent
        yield node


def on_doctree_read(app: Sphinx, doctree: nodes.document) -> None:
    docname = app.env.docname
    if not NOTEBOOK_DOC.match(docname):
        return
    link_notebook_mentions(app, doctree, docname)
    path = Path(app.env.doc2path(docname))
    notebook = path.name
    app.env.note_dependency(str(DOCS / "references.yaml"))   # its sources box
    content = json.loads(path.read_text(encoding="utf-8"))
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is None:
        raise ValueError(f"{notebook}: its first cell must open with a '# ' title")
    title_at = section.index(next(iter(section.findall(nodes.title))))
    extra = [_launch_row(docname, notebook)]
    if "widgets" in content.get("metadata", {}):
        extra.append(_kernel_note(notebook))
    sources = _sources(docname, markdown_text(path))
    if sources is not None:
        extra.append(sources)
    for offset, node in enumerate(extra, start=1):
        section.insert(title_at + offset, node)


# -- docstrings: the package's compact "name: meaning" style as field lists ----------------------

FIELD_NAME = re.compile(r"^\*{0,2}[A-Za-z_]\w*(\s*\([^)]*\))?$")
FIELD_LINE = re.compile(r"^(?P<names>[^:`]{1,80}):(?:\s+(?P<rest>.*))?$")
LITERAL = re.compile(r"(``.*?``)")


def _field(line: str) -> tuple[str, str] | None:
    """``("a, b", text)`` when ``line`` opens with argument names and a colon, else None."""
    match = FIELD_LINE.match(line)
    if match is None or line[:1].isspace():
        return None
    names = [n.strip() for n in re.split(r"[,/]", match.group("names"))]
    if not all(FIELD_NAME.match(n) for n in names):
        return None
    return match.group("names").strip(), match.group("rest") or ""


def _escape_bars(line: str) -> str:
    # |x| is an absolute value here, never a reST substitution: escape bars outside literals.
    parts = LITERAL.split(line)
    return "".join(p if i % 2 else p.replace("|", "\\|") for i, p in enumerate(parts))


def compact_fields_to_rest(lines: list[str]) -> list[str]:
    """Rewrite ganlab's docstring style (``name: meaning``, continuation lines indented) as
    reST field lists, which docutils renders as a two-column table of the arguments."""
    out: list[str] = []
    in_field = False
    for i, line in enumerate(lines):
        field = _field(line)
        following = lines[i + 1] if i + 1 < len(lines) else ""
        if field is not None and following.strip() and not following[:1].isspace() \
                and _field(following) is None:
            field = None                   # "Word: text" running on unindented: a paragraph
        if field is not None:
            if out and out[-1].strip() and not in_field:
                out.append("")
            out.append(f":{field[0]}: {field[1]}".rstrip())
            in_field = True
        elif in_field and line[:1].isspace() and line.strip():
            out.append("   " + line.strip())
        else:
            if in_field and line.strip():
                out.append("")
            in_field = False
            out.append(line)
    return [_escape_bars(line) for line in out]


def on_process_docstring(app, what, name, obj, options, lines: list[str]) -> None:
    if not any(line.strip() == "-" * len(line.strip()) and line.strip() for line in lines):
        lines[:] = compact_fields_to_rest(lines)      # numpydoc-sectioned ones: napoleon's job


# -- the notebooks, copied into the source tree ---------------------------------------------------

def sync_notebooks(app: Sphinx) -> None:
    """Copy ``notebooks/NN_*.ipynb`` to ``docs/notebooks/`` (mtimes kept, stale copies removed),
    so that the pages' links ``notebooks/NN_x.ipynb`` and the README's resolve the same way."""
    target = DOCS / "notebooks"
    target.mkdir(exist_ok=True)
    wanted = {nb.name: nb for nb in numbered_notebooks()}
    for old in target.glob("*.ipynb"):
        if old.name not in wanted:
            old.unlink()
    for name, nb in wanted.items():
        copy = target / name
        if not copy.exists() or copy.stat().st_mtime_ns != nb.stat().st_mtime_ns \
                or copy.stat().st_size != nb.stat().st_size:
            shutil.copy2(nb, copy)


# -- MathJax from the site itself --------------------------------------------------------------

def _mathjax_source() -> Path:
    try:
        import mathjax  # the django-static-mathjax package: MathJax's files, no Django needed
    except ImportError as exc:
        raise ConfigError("MathJax is missing: pip install -e '.[docs]' "
                          "(django-static-mathjax)") from exc
    es5 = Path(mathjax.__path__[0]) / "static" / "mathjax" / "es5"
    if not (es5 / "tex-chtml.js").is_file():
        raise ConfigError(f"no tex-chtml.js under {es5}")
    return es5


def on_build_finished(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    source, target = _mathjax_source(), Path(app.outdir) / "_static" / "mathjax"
    for part in MATHJAX_PARTS:
        src = source / part
        if src.is_dir():
            shutil.copytree(src, target / part, dirs_exist_ok=True)
        elif src.is_file():
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target / part)


def setup(app: Sphinx) -> dict:
    _mathjax_source()                       # fail early, before any page is read
    app.connect("builder-inited", sync_notebooks)
    app.connect("autodoc-process-docstring", on_process_docstring)
    app.connect("source-read", on_source_read)
    # Before the environment's collectors (priority 500) so that they register the download
    # and the badge image this adds.
    app.connect("doctree-read", on_doctree_read, priority=400)
    app.connect("build-finished", on_build_finished)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
