"""Open a notebook in JupyterLab in headless Chromium, run all cells, check widgets and the 3D view.

What it checks, after "Run All Cells" has finished:

* every code cell ran (an exception stops "Run All", leaving later cells without a number);
* the browser console has no "Failed to load model class" (a widget whose JavaScript side is
  missing or has another version than its Python side, e.g. a mismatched nglview);
* the page has an nglview view with its WebGL canvas, and ipywidgets controls;
* no output reads "Error displaying widget".

It saves a screenshot with the 3D view in sight and prints a JSON report; exit status 0 when
all checks pass, 1 otherwise.

Set-up (once): ``apt-get install chromium`` (Debian's build; any Chromium works) and
``pip install playwright`` (the Python driver only: ``playwright install`` is not needed,
the script launches the system Chromium).

Usage::

    python tools/browser_check.py shot.png [--notebook notebooks/01_data_and_descriptors.ipynb]
        [--budget smoke] [--timeout 900] [--chromium /usr/bin/chromium]

The notebook is copied into a temporary directory that JupyterLab serves, so the committed
file keeps its cleared outputs; ``NNP_TUTORIAL_BUDGET`` is set for the kernel, and relative
paths in the notebook (e.g. its ``runs/`` directory) land in that temporary directory.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

ROOT = Path(__file__).resolve().parents[1]
MISSING_MODEL = "Failed to load model class"
#: Chromium flags: no sandbox (containers), WebGL through the SwiftShader software renderer.
CHROMIUM_ARGS = ["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lab_settings(directory: Path) -> dict[str, str]:
    """Fresh JupyterLab user settings and workspaces in ``directory``: every cell kept in the page.

    With windowing, cells scrolled out of view leave the page and could not be checked.
    """
    settings = {
        ("notebook-extension", "tracker"): {"windowingMode": "none"},
        ("apputils-extension", "notification"): {"fetchNews": "false", "checkForUpdates": False},
    }
    for (extension, plugin), values in settings.items():
        path = directory / "settings" / "@jupyterlab" / extension / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(values))
    (directory / "workspaces").mkdir()
    return {
        "JUPYTERLAB_SETTINGS_DIR": str(directory / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(directory / "workspaces"),
    }


def start_jupyterlab(root_dir: Path, port: int, token: str, budget: str) -> subprocess.Popen:
    """JupyterLab serving ``root_dir`` (a notebook's copy) on 127.0.0.1:``port``; returns once it answers."""
    env = {**os.environ, "NNP_TUTORIAL_BUDGET": budget, **lab_settings(root_dir.parent / "lab")}
    command = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
        f"--ServerApp.token={token}", f"--ServerApp.root_dir={root_dir}", "--ServerApp.open_browser=False",
        "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--ServerApp.allow_root=True",  # containers often run as root
    ]  # fmt: skip
    log = root_dir.parent / "jupyterlab.log"
    with log.open("w") as handle:
        server = subprocess.Popen(command, env=env, stdout=handle, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=2)
            return server
        except OSError:
            if server.poll() is not None:
                tail = log.read_text()[-2000:]
                raise RuntimeError(f"JupyterLab exited with status {server.returncode}:\n{tail}") from None
            time.sleep(1)
    server.terminate()
    raise RuntimeError("JupyterLab did not answer within 120 s")


def cell_counts(page: Page) -> dict:
    """Code cells, how many have run (a number in their prompt), how many are queued or running (*)."""
    prompts = page.locator(".jp-CodeCell .jp-InputArea-prompt").all_inner_texts()
    return {
        "code_cells": len(prompts),
        "executed": sum(any(ch.isdigit() for ch in p) for p in prompts),
        "still_running": sum("*" in p for p in prompts),
    }


def run_all_cells(page: Page, timeout_s: float) -> dict:
    """Click Run → Run All Cells, wait until the cells are queued, then until none is left; returns counts.

    An exception stops "Run All": the cells after it lose their place in the queue unrun.
    """
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')]"
        ".some(p => p.textContent.includes('*'))",
        timeout=60_000,
    )
    deadline = time.monotonic() + timeout_s
    while (counts := cell_counts(page))["still_running"] and time.monotonic() < deadline:
        page.wait_for_timeout(2000)
    return counts


def check(notebook: Path, screenshot: Path, budget: str, timeout_s: float, chromium: str) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="browser_check_"))
    workdir = tmp / "notebooks"
    workdir.mkdir()
    shutil.copy(notebook, workdir / notebook.name)
    port, token = free_port(), secrets.token_hex(16)
    server = start_jupyterlab(workdir, port, token, budget)
    console: list[str] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
            page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
            page.goto(f"http://127.0.0.1:{port}/lab/tree/{notebook.name}?token={token}")
            page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=120_000)
            select_kernel = page.get_by_role("dialog").filter(has_text="Select Kernel")
            try:  # a notebook without kernel metadata asks which kernel to start
                select_kernel.get_by_role("button", name="Select", exact=True).click(timeout=10_000)
            except PlaywrightTimeout:
                pass
            page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(timeout=180_000)
            cells = run_all_cells(page, timeout_s)
            page.wait_for_timeout(5000)  # let the widgets render after the last output
            canvases = page.locator(".jp-OutputArea-output canvas")
            report = {
                "notebook": str(notebook),
                "budget": budget,
                **cells,
                "failed_to_load_model_class": [m for m in console if MISSING_MODEL in m],
                "nglview_canvases": canvases.count(),
                "widget_elements": page.locator(".jp-OutputArea-output .jupyter-widgets").count(),
                "error_displaying_widget": page.get_by_text("Error displaying widget").count(),
                "console_errors": [m for m in console if m.startswith(("error", "pageerror"))][:20],
                "screenshot": str(screenshot),
            }
            if canvases.count():
                canvases.first.scroll_into_view_if_needed()
                canvases.first.hover()  # a trajectory view shows its player under the mouse
                page.wait_for_timeout(2000)
            page.screenshot(path=str(screenshot))
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)
    report["passed"] = (
        report["still_running"] == 0
        and report["executed"] == report["code_cells"] > 0
        and not report["failed_to_load_model_class"]
        and report["nglview_canvases"] > 0
        and report["widget_elements"] > 0
        and report["error_displaying_widget"] == 0
    )
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("screenshot", type=Path, help="PNG file to write")
    parser.add_argument("--notebook", type=Path, default=ROOT / "notebooks" / "01_data_and_descriptors.ipynb")
    parser.add_argument("--budget", default="smoke", help="NNP_TUTORIAL_BUDGET for the kernel")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds allowed for Run All")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = parser.parse_args()
    notebook, screenshot = args.notebook.resolve(), args.screenshot.resolve()
    report = check(notebook, screenshot, args.budget, args.timeout, args.chromium)
    print(json.dumps(report, indent=1))
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
