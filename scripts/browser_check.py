"""Real-browser check of the playground: JupyterLab, headless Chromium, Play, screenshots.

Starts JupyterLab on a copy of ``notebooks/09_playground.ipynb`` (so the course's notebook is
never autosaved over), opens it in Debian's Chromium (``/usr/bin/chromium``, driven by
Playwright; nothing is downloaded), runs the notebook's cells up to and including the app,
waits for the widget to render, saves ``before.png``, presses Play, waits until the readout
shows training steps, saves ``after.png``, presses Pause. Fails (exit 1, with the reason) if
the app does not render, if Play does not train, or if the picture does not change.

    python scripts/browser_check.py [--out runs/browser] [--chromium /usr/bin/chromium]
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "09_playground.ipynb"
APP_CELL = "app = Playground("     # the cell that shows the app


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_lab(folder: Path, port: int, token: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}",
               "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={folder}", "--LabApp.news_url="]
    if os.geteuid() == 0:
        command.append("--allow-root")
    log = open(folder / "jupyterlab.log", "w")  # noqa: SIM115 (lives as long as the server)
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=folder,
                            env={**os.environ, "GANLAB_BUDGET": "quick", "GANLAB_DEVICE": "cpu"})


def _wait_for_server(port: int, proc: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with code {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    raise RuntimeError(f"JupyterLab did not listen on port {port} within {timeout:.0f} s")


def _cells_up_to_app() -> int:
    import nbformat

    cells = nbformat.read(NOTEBOOK, as_version=4).cells
    for i, cell in enumerate(cells):
        if cell.cell_type == "code" and APP_CELL in cell.source:
            return i + 1
    raise RuntimeError(f"{NOTEBOOK.name} has no cell with {APP_CELL!r}")


def _steps(status: str) -> int:
    match = re.search(r"generator steps\s+(\d+)", status)
    return int(match.group(1)) if match else -1


def check(out: Path, chromium: str) -> None:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    n_cells = _cells_up_to_app()
    folder = Path(tempfile.mkdtemp(prefix="ganlab-browser-"))
    shutil.copy(NOTEBOOK, folder / NOTEBOOK.name)
    port, token = _free_port(), secrets.token_hex(16)
    lab = _start_lab(folder, port, token)
    try:
        _wait_for_server(port, lab)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, headless=True,
                                        args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1500, "height": 1100})
            page.goto(f"http://127.0.0.1:{port}/lab/tree/{NOTEBOOK.name}?token={token}",
                      timeout=120_000)
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']",
                                   timeout=120_000)
            page.locator(".jp-Notebook .jp-Cell").first.click()
            page.keyboard.press("Escape")              # command mode: Shift+Enter runs cells
            for _ in range(n_cells):
                page.keyboard.press("Shift+Enter")
                page.wait_for_timeout(400)             # let the notebook move to the next cell
            app = page.locator(".jp-OutputArea-output .widget-vbox").first
            try:
                app.wait_for(timeout=int(os.environ.get("BROWSER_CHECK_TIMEOUT", "240")) * 1000)
            except Exception:
                page.screenshot(path=str(out / "failure-page.png"))
                raise
            play = app.locator("button", has_text="Play")
            play.wait_for(timeout=60_000)
            image = app.locator("img").first
            image.wait_for(timeout=60_000)
            status = app.locator(".widget-html-content").last
            page.wait_for_function("el => /generator steps/.test(el.textContent)",
                                   arg=status.element_handle(), timeout=60_000)
            app.scroll_into_view_if_needed()
            before_steps = _steps(status.text_content())
            before = image.screenshot(path=str(out / "before.png"))
            page.screenshot(path=str(out / "before-page.png"))
            play.click()
            page.wait_for_function(
                "([el, n]) => { const m = /generator steps\\s+(\\d+)/.exec(el.textContent);"
                " return m && +m[1] >= n; }", arg=[status.element_handle(), 200],
                timeout=120_000)
            app.locator("button", has_text="Pause").click()
            time.sleep(1.0)
            after_steps = _steps(status.text_content())
            after = image.screenshot(path=str(out / "after.png"))
            page.screenshot(path=str(out / "after-page.png"))
            browser.close()
        if before_steps != 0:
            raise RuntimeError(f"the app did not start at step 0 (readout: {before_steps})")
        if after_steps < 200:
            raise RuntimeError(f"Play did not train: {after_steps} generator steps")
        if before == after:
            raise RuntimeError("the picture did not change after Play")
        print(f"browser check passed: the app rendered in Chromium, Play trained "
              f"{after_steps} generator steps and the picture changed; screenshots in {out}")
    finally:
        lab.terminate()
        try:
            lab.wait(timeout=20)
        except subprocess.TimeoutExpired:
            lab.kill()
        shutil.rmtree(folder, ignore_errors=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="runs/browser", help="folder for the screenshots")
    parser.add_argument("--chromium", default="/usr/bin/chromium",
                        help="the browser (Debian's package chromium)")
    args = parser.parse_args(argv)
    if not Path(args.chromium).exists():
        print(f"browser check: {args.chromium} not found (apt-get install chromium)",
              file=sys.stderr)
        return 1
    try:
        check(Path(args.out), args.chromium)
    except Exception as err:  # any failure: one line saying what, exit 1
        print(f"browser check FAILED: {type(err).__name__}: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
