"""Real-browser check of the course website built by ``make book``.

Serves the built site (``_build/html``) on localhost and opens every page in Debian's headless
Chromium (``/usr/bin/chromium``, driven by Playwright; nothing is downloaded). Each page must:

* load with no console error, no uncaught exception and no failed or 4xx/5xx request;
* show every ``<img>`` decoded (naturalWidth > 0);
* have its math typeset by MathJax (one ``mjx-container`` per math element) and no raw TeX left
  in the visible text (``$…$``, ``$$``, ``\\(``, ``\\[`` outside code);
* link only to pages and anchors that exist (every internal ``href`` is fetched, its fragment
  looked up among the target's ids);
* if it is a notebook page, carry the Open-in-Colab link for that notebook (the repository is
  ``ganlab.colab.REPOSITORY``) and a download link for it.

Then the site's own search is run (``search.html?q=...``) and must list notebook pages.
Screenshots of the introduction, one notebook page and the search results are saved.
Exit 1, listing every failure, if anything is wrong.

    python scripts/book_check.py [--site _build/html] [--out runs/book] [--chromium PATH]
"""

from __future__ import annotations

import argparse
import functools
import http.server
import re
import sys
import threading
import urllib.error
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs" / "_ext"))
from ganlab_book import colab_url  # noqa: E402  (the one rule that makes the Colab links)

SEARCH_TERM = "Lipschitz"
SCREENSHOT_NOTEBOOK = "notebooks/05_wgan_gp.html"
# Raw TeX that MathJax should have replaced, looked for in the text outside code blocks.
RAW_MATH = re.compile(r"\$\$|\\\(|\\\[|(?<![\w$])\$[^\s$][^$\n]{0,200}?(?<=\S)\$(?![\w$])")

PAGE_FACTS_JS = """
async () => {
  for (const img of document.images) img.loading = 'eager';
  const imgs = await Promise.all([...document.images].map(async img => {
    try { await img.decode(); } catch (e) {}
    return {src: img.currentSrc || img.src, width: img.naturalWidth};
  }));
  const clone = (document.querySelector('main') || document.body).cloneNode(true);
  clone.querySelectorAll('pre, code, script, style, mjx-container, .highlight, textarea')
       .forEach(el => el.remove());
  return {
    imgs,
    math: document.querySelectorAll('.math').length,
    typeset: document.querySelectorAll('mjx-container').length,
    text: clone.innerText,
    links: [...document.querySelectorAll('a[href]')].map(a => a.href),
    downloads: [...document.querySelectorAll('a.download, a[download]')].map(a => a.href),
  };
}
"""


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if key in ("id", "name") and value:
                self.ids.add(value)


def _serve(site: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def _pages(site: Path) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")
                  if not p.relative_to(site).parts[0].startswith(("_static", "_downloads")))


class Checker:
    def __init__(self, site: Path, base: str) -> None:
        self.site, self.base = site, base
        self.failures: list[str] = []
        self.links: dict[str, set[str]] = {}       # internal URL -> pages linking to it
        self.counts = {"pages": 0, "images": 0, "math": 0, "links": 0, "notebooks": 0}

    def fail(self, page: str, what: str) -> None:
        self.failures.append(f"{page}: {what}")

    def visit(self, browser, rel: str) -> None:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(f"console {m.type}: {m.text}")
                if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(f"exception: {e}"))
        page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
        page.on("response", lambda r: errors.append(f"HTTP {r.status}: {r.url}")
                if r.status >= 400 else None)
        page.goto(self.base + rel, wait_until="load", timeout=60_000)
        facts = page.evaluate(PAGE_FACTS_JS)
        if facts["math"]:
            try:
                page.wait_for_function(
                    "n => document.querySelectorAll('mjx-container').length >= n",
                    arg=facts["math"], timeout=30_000)
            except Exception:
                pass                                    # reported below with the counts
            facts = page.evaluate(PAGE_FACTS_JS)
        page.close()
        self.record(rel, facts, errors)

    def record(self, rel: str, facts: dict, errors: list[str]) -> None:
        self.counts["pages"] += 1
        for e in errors:
            self.fail(rel, e)
        for img in facts["imgs"]:
            self.counts["images"] += 1
            if img["width"] <= 0:
                self.fail(rel, f"image not decoded: {img['src']}")
        self.counts["math"] += facts["math"]
        if facts["typeset"] < facts["math"]:
            self.fail(rel, f"math not typeset: {facts['typeset']} of {facts['math']}")
        raw = RAW_MATH.search(facts["text"])
        if raw:
            self.fail(rel, f"raw TeX in the visible text: {raw.group(0)[:60]!r}")
        for href in facts["links"]:
            if href.startswith(self.base):
                self.counts["links"] += 1
                self.links.setdefault(href, set()).add(rel)
        if rel.startswith("notebooks/"):
            self.counts["notebooks"] += 1
            name = Path(rel).with_suffix(".ipynb").name
            if colab_url(name) not in facts["links"]:
                self.fail(rel, f"no Open-in-Colab link to {colab_url(name)}")
            if not any(d.endswith("/" + name) for d in facts["downloads"]):
                self.fail(rel, f"no download link for {name}")

    def check_links(self) -> None:
        ids: dict[str, set[str] | None] = {}
        for href, pages in sorted(self.links.items()):
            url, fragment = urldefrag(href)
            if url not in ids:
                try:
                    with urllib.request.urlopen(url, timeout=30) as response:
                        body = response.read()
                    parser = _Ids()
                    if urlsplit(url).path.endswith((".html", "/")):
                        parser.feed(body.decode("utf-8", "replace"))
                    ids[url] = parser.ids
                except urllib.error.URLError as err:
                    ids[url] = None
                    self.fail(sorted(pages)[0], f"broken link {href} ({err})")
            if ids[url] is not None and fragment and fragment not in ids[url]:
                self.fail(sorted(pages)[0], f"link to a missing anchor: {href}")

    def check_search(self, browser, out: Path) -> None:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{self.base}search.html?q={SEARCH_TERM}", wait_until="load")
        try:
            page.wait_for_function(
                "() => document.querySelectorAll('#search-results li').length > 0",
                timeout=60_000)
        except Exception:
            self.fail("search.html", f"searching {SEARCH_TERM!r} listed nothing")
        hits = page.eval_on_selector_all("#search-results li a", "as => as.map(a => a.href)")
        page.screenshot(path=str(out / "search.png"))
        page.close()
        if not any("/notebooks/" in h for h in hits):
            self.fail("search.html", f"searching {SEARCH_TERM!r} found no notebook page")
        self.counts["search hits"] = len(hits)

    def screenshots(self, browser, out: Path) -> None:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(self.base + "index.html", wait_until="load")
        page.wait_for_selector("mjx-container", timeout=30_000)
        page.screenshot(path=str(out / "index.png"))
        page.goto(self.base + SCREENSHOT_NOTEBOOK, wait_until="load")
        page.screenshot(path=str(out / "notebook.png"))
        figure = page.locator("main img").nth(1)
        figure.scroll_into_view_if_needed()
        page.screenshot(path=str(out / "notebook-figure.png"))
        page.close()


def check(site: Path, out: Path, chromium: str) -> Checker:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    server, base = _serve(site)
    checker = Checker(site, base)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, headless=True,
                                        args=["--no-sandbox", "--disable-gpu"])
            for rel in _pages(site):
                checker.visit(browser, rel)
            checker.check_search(browser, out)
            checker.screenshots(browser, out)
            browser.close()
        checker.check_links()
    finally:
        server.shutdown()
    return checker


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", default="_build/html", help="the built site (make book)")
    parser.add_argument("--out", default="runs/book", help="folder for the screenshots")
    parser.add_argument("--chromium", default="/usr/bin/chromium",
                        help="the browser (Debian's package chromium)")
    args = parser.parse_args(argv)
    site = Path(args.site)
    if not (site / "index.html").is_file():
        print(f"book check: no site at {site} (run make book)", file=sys.stderr)
        return 1
    if not Path(args.chromium).exists():
        print(f"book check: {args.chromium} not found (apt-get install chromium)",
              file=sys.stderr)
        return 1
    checker = check(site, Path(args.out), args.chromium)
    counts = ", ".join(f"{v} {k}" for k, v in checker.counts.items())
    if checker.failures:
        print(f"book check FAILED ({len(checker.failures)} problems; {counts}):",
              file=sys.stderr)
        for failure in checker.failures:
            print(f"  {failure}", file=sys.stderr)
        return 1
    print(f"book check passed: {counts}; internal links and anchors resolve; "
          f"screenshots in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
