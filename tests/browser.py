"""Drive the course's interactive figures in JupyterLab in a real (headless) browser.

Shared by ``tests/test_browser.py`` (do the widgets work for a person?) and
``tests/bench.py`` (how fast do they redraw?). Nothing here is a test itself.

The pieces, in the order they are used:

* :func:`find_chromium` — the browser the operating system's package manager
  installed (``apt-get install chromium``); Playwright drives it through
  ``executable_path`` and never downloads a browser of its own.
* :class:`LabServer` — JupyterLab on a free loopback port with a token, every
  Jupyter/IPython/matplotlib setting folder in a temporary directory, autosave
  off, serving a *copy* of the notebooks (so nothing the browser does can be
  written over the committed files). :meth:`LabServer.stop` ends the server,
  its kernels and anything they started, by process id.
* :func:`open_notebook` and :func:`restart_and_run_all` — what a person does:
  open the notebook, then Kernel ▸ Restart Kernel and Run All Cells.
* :func:`figure_boxes` and :func:`find_controls` — the interactive figures and
  their controls, discovered in the page (``.rare-cases-figure`` boxes).
* :func:`step_control` — change one control with the keyboard or the mouse and
  return the time from the input event to the change of the figure's image,
  observed with a ``MutationObserver``.
* :func:`kernel_exec` — run a line of Python in the notebook's own kernel and
  read what it printed (to compare the page with the kernel's state).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import nbformat
import psutil

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
INSTALL_HINT = (
    "Chromium is not installed, so the widget tests in a real browser cannot run. "
    "Install it with `apt-get install chromium` (Debian/Ubuntu, as root; no `playwright install` needed)."
)
# Flags for Debian's Chromium running headless as root in a container.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"
FIGURE = ".rare-cases-figure"
CAPTION = ".rare-cases-caption"


def lesson_notebooks() -> list[Path]:
    """The course's lesson notebooks, ``notebooks/NN_topic.ipynb``, in order."""
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def find_chromium() -> str | None:
    """Full path of the system's Chromium, or None when it is not installed."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


def launch_browser(playwright, executable_path: str):
    """Start headless Chromium through Playwright (never downloads a browser)."""
    return playwright.chromium.launch(executable_path=executable_path, headless=True, args=CHROMIUM_ARGS)


# --------------------------------------------------------------------------- toy notebooks


def toy_notebook(*, broken: bool = False) -> nbformat.NotebookNode:
    """A small lesson-like notebook with one interactive figure of each control kind.

    The figure has an IntSlider, a FloatSlider, a Dropdown, a ToggleButtons and
    a Checkbox, plus a caption that states every value. With ``broken=True`` the
    render function raises at the top end of the IntSlider and warns at the
    bottom end of the FloatSlider: the sweep and the browser test must catch it.
    """
    setup = """\
import warnings

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from helpers.widgets import interactive_figure

x = np.linspace(0, 1, 200)"""
    render = f"""\
BROKEN = {broken!r}


def render(n_points, noise, kind, side, grid):
    if BROKEN and n_points == 40:
        raise ValueError("n_points at its maximum breaks this figure")
    if BROKEN and noise == 0.0:
        warnings.warn("noise at zero divides by zero", RuntimeWarning)
    fig = Figure(figsize=(4, 2.5), layout="constrained")
    ax = fig.add_subplot()
    rng = np.random.default_rng(n_points)
    xs = x[:: max(1, 200 // n_points)]
    ys = {{"line": xs, "square": xs**2, "root": np.sqrt(xs)}}[kind] + noise * rng.standard_normal(xs.size)
    ax.plot(xs, ys if side == "up" else -ys, marker="^")
    ax.grid(grid)
    ax.set_xlabel("x (unitless)")
    ax.set_ylabel("y (unitless)")
    return fig, f"{{n_points}} points, noise {{noise:.2f}}, {{kind}}, {{side}}, grid {{'on' if grid else 'off'}}"


view = interactive_figure(
    render,
    n_points=widgets.IntSlider(value=10, min=4, max=40, step=2, description="points"),
    noise=widgets.FloatSlider(value=0.1, min=0.0, max=0.5, step=0.05, description="noise"),
    kind=widgets.Dropdown(options=["line", "square", "root"], value="line", description="curve"),
    side=widgets.ToggleButtons(options=[("up", "up"), ("down", "down")], value="up", description="side"),
    grid=widgets.Checkbox(value=False, description="grid"),
)
view"""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Toy lesson\n\nOne interactive figure with every kind of control."),
        nbformat.v4.new_code_cell(setup),
        nbformat.v4.new_markdown_cell("Move the controls."),
        nbformat.v4.new_code_cell(render),
        nbformat.v4.new_code_cell("assert view.caption_text.startswith('10 points')"),
    ]
    return nb


def write_notebook(nb: nbformat.NotebookNode, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def copy_without_outputs(src: Path, dst: Path) -> Path:
    """Copy a notebook with its outputs and prompt numbers removed.

    Saved outputs would satisfy every wait before anything ran; an empty copy
    makes "the last cell shows its prompt number" mean "Run All reached it".
    """
    nb = nbformat.read(src, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nb.metadata.pop("widgets", None)
    return write_notebook(nb, dst)


# --------------------------------------------------------------------------- environment


def isolated_env(home: Path) -> dict[str, str]:
    """Environment for a server or kernel whose settings all live under ``home``."""
    env = dict(os.environ)
    for key in [k for k in env if k.startswith(("JUPYTER", "JPY_", "IPYTHON", "MPL"))]:
        del env[key]
    env.update(
        HOME=str(home),
        JUPYTER_CONFIG_DIR=str(home / "jupyter-config"),
        JUPYTER_DATA_DIR=str(home / "jupyter-data"),
        JUPYTER_RUNTIME_DIR=str(home / "jupyter-runtime"),
        IPYTHONDIR=str(home / "ipython"),
        MPLCONFIGDIR=str(home / "matplotlib"),
        MPLBACKEND="Agg",
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH", "")])),
        PYTHONHASHSEED="0",
    )
    for key in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR", "MPLCONFIGDIR"):
        Path(env[key]).mkdir(parents=True, exist_ok=True)
    return env


# JupyterLab user settings: no autosave (the browser must never write a notebook),
# no news or update toasts over the page.
_LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --------------------------------------------------------------------------- the server


class LabServer:
    """JupyterLab serving ``root_dir`` on a free loopback port, isolated under ``home``.

    Use as a context manager, or call :meth:`start` and :meth:`stop`.
    """

    def __init__(self, root_dir: Path, home: Path, *, startup_timeout: float = 60):
        self.root_dir = Path(root_dir)
        self.home = Path(home)
        self.startup_timeout = startup_timeout
        self.token = secrets.token_hex(16)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self._log = None
        self._known: dict[int, psutil.Process] = {}

    def __enter__(self) -> LabServer:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def log_path(self) -> Path:
        return self.home / "jupyterlab.log"

    def start(self) -> None:
        env = isolated_env(self.home)
        settings = Path(env["JUPYTER_CONFIG_DIR"]) / "lab" / "user-settings"
        for name, values in _LAB_SETTINGS.items():
            write_json(settings / name, values)
        cmd = [
            sys.executable, "-m", "jupyterlab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={self.port}",
            "--port-retries=0",
            f"--ServerApp.root_dir={self.root_dir}",
            f"--IdentityProvider.token={self.token}",
            "--LabApp.expose_app_in_browser=True",
            "--LabApp.news_url=",
            "--ServerApp.open_browser=False",
            "--KernelSpecManager.ensure_native_kernel=True",
        ]  # fmt: skip
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")
        self._log = open(self.log_path, "wb")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            cmd, cwd=self.root_dir, env=env, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + self.startup_timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with code {self.process.returncode}:\n{self.log_tail()}")
            try:
                self.api("GET", "/api/status")
                break
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"JupyterLab did not answer within {self.startup_timeout} s:\n{self.log_tail()}")
                time.sleep(0.1)  # polling a port: there is no event to wait on

    def log_tail(self, n_chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n_chars:]
        except OSError:
            return ""

    def api(self, method: str, path: str, body: dict | None = None):
        request = urllib.request.Request(
            self.url + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            payload = response.read()
        return json.loads(payload) if payload else None

    def notebook_url(self, relative_path: str) -> str:
        return f"{self.url}/lab/tree/{relative_path}?reset&token={self.token}"

    def _remember_children(self) -> None:
        """Note every process the server started (kernels start their own sessions)."""
        if self.process is None:
            return
        try:
            for child in psutil.Process(self.process.pid).children(recursive=True):
                self._known.setdefault(child.pid, child)
        except psutil.NoSuchProcess:
            pass

    def shutdown_kernels(self) -> None:
        """Shut every running kernel down, through the server's API."""
        self._remember_children()
        try:
            kernels = self.api("GET", "/api/kernels")
            for kernel in kernels:
                self.api("DELETE", f"/api/kernels/{kernel['id']}")
        except OSError:
            pass

    def stop(self) -> None:
        """Stop the kernels, then the server by its PID, then anything still alive it started."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.shutdown_kernels()
            self._remember_children()
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        leftovers = [p for p in self._known.values() if _alive(p)]
        for proc in leftovers:
            try:
                proc.terminate()
            except psutil.NoSuchProcess:
                pass
        _, still = psutil.wait_procs(leftovers, timeout=5)
        for proc in still:
            try:
                proc.kill()
            except psutil.NoSuchProcess:
                pass
        psutil.wait_procs(still, timeout=5)
        if self._log is not None:
            self._log.close()
            self._log = None
        self.process = None


def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def write_json(path: Path, values) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(values))
