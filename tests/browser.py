"""Drive the course's interactive figures in JupyterLab in a real (headless) browser.

Shared by ``tests/test_browser.py`` (do the widgets work for a person?) and
``tests/bench.py`` (how fast do they redraw?). Nothing here is a test itself.

The pieces, in the order they are used:

* :func:`find_chromium` — the browser the operating system's package manager
  installed (``apt-get install chromium``), else the one ``playwright install
  chromium`` put in Playwright's cache; Playwright drives it through
  ``executable_path`` and nothing here downloads a browser.
* :class:`LabServer` — JupyterLab on a free loopback port with a token, every
  Jupyter/IPython/matplotlib setting folder in a temporary directory, autosave
  off, serving a *copy* of the notebooks (so nothing the browser does can be
  written over the committed files). :meth:`LabServer.stop` ends the server,
  its kernels and anything they started, by process id.
* :func:`open_notebook` and :func:`restart_and_run_all` — what a person does:
  open the notebook, then Kernel ▸ Restart Kernel and Run All Cells.
* :func:`kernel_figures`, :func:`figure_box` and :func:`find_controls` — the
  kernel's live figures (each box in the page gets the class ``rc-live-<i>``)
  and their controls, discovered in the page (``.rare-cases-figure`` boxes).
* :func:`start_step` / :func:`finish_step` (together :func:`step_control`) —
  change one control with the keyboard or the mouse and time it from the input
  event's timestamp to the change of the figure's image, observed with a
  ``MutationObserver`` armed before the input.
* :func:`kernel_exec`, :func:`kernel_probe`, :func:`reset_figure` — run Python in
  the notebook's own kernel (in a namespace of its own) to compare the page with
  the kernel's state, and to put a figure back to its defaults.
* :func:`execute_notebook` — the same notebooks without a browser (nbclient).
"""

from __future__ import annotations

import contextlib
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
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from helpers.refresh import kernel_environment

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
INSTALL_HINT = (
    "No Chromium found, so the widget tests in a real browser cannot run: "
    "`apt-get install chromium` (Debian/Ubuntu, as root) or `python -m playwright install chromium`."
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
    """Full path of a Chromium to drive, or None when there is none.

    In this order: the operating system's Chromium on PATH (Debian's ``chromium``),
    then the Chromium that Playwright installed for this user (``playwright install
    chromium``, found through Playwright's own executable path).
    """
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            path = playwright.chromium.executable_path
    except Exception:  # noqa: BLE001 - no Playwright, or no browser of its own
        return None
    return path if path and Path(path).is_file() else None


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


def mirror_repo(dst: Path, *, helpers: Path | None = None) -> Path:
    """A stand-in for the repository at ``dst`` whose ``notebooks/`` is a copy, outputs stripped.

    Every other top-level entry is a symbolic link to the real one, so a lesson that
    reads ``../pyproject.toml`` or ``../data`` finds it, while whatever the browser does
    to a notebook happens to the copy. Returns ``dst / "notebooks"`` (serve that).
    ``helpers`` links ``dst / "helpers"`` to another helpers folder (to measure older
    plumbing; serve with ``LabServer(..., pythonpath=dst)`` so kernels import it).
    """
    dst.mkdir(parents=True, exist_ok=True)
    for entry in REPO.iterdir():
        if entry.name not in ("notebooks", ".git"):
            target = Path(helpers).resolve() if entry.name == "helpers" and helpers is not None else entry
            (dst / entry.name).symlink_to(target, target_is_directory=target.is_dir())
    notebooks = dst / "notebooks"
    if NOTEBOOKS.is_dir():
        shutil.copytree(NOTEBOOKS, notebooks, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    notebooks.mkdir(exist_ok=True)
    for notebook in lesson_notebooks():
        copy_without_outputs(notebook, notebooks / notebook.name)
    return notebooks


# --------------------------------------------------------------------------- environment


# What ipykernel picks when MPLBACKEND is unset, i.e. what a student's `make lab` uses. A kernel
# under MPLBACKEND=Agg shows no static figure at all (and a bare Figure only as text), so the
# browser runs keep the inline backend; it is headless too.
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


def isolated_env(home: Path, *, mpl_backend: str = "Agg", pythonpath: Path | None = None) -> dict[str, str]:
    """Environment for a server or kernel whose settings all live under ``home``.

    The course's offline kernel environment (``helpers.refresh.kernel_environment``)
    plus a runtime folder for the server, the repository on ``PYTHONPATH`` and the
    requested matplotlib backend.
    """
    home.mkdir(parents=True, exist_ok=True)
    env = kernel_environment(home)
    for key in [k for k in env if k.startswith("JPY_")]:
        del env[key]
    env.update(
        JUPYTER_RUNTIME_DIR=str(home / "jupyter-runtime"),
        MPLBACKEND=mpl_backend,
        PYTHONPATH=os.pathsep.join(filter(None, [str(pythonpath or REPO), os.environ.get("PYTHONPATH", "")])),
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

    def __init__(self, root_dir: Path, home: Path, *, startup_timeout: float = 180, pythonpath: Path | None = None):
        self.root_dir = Path(root_dir)
        self.pythonpath = pythonpath
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
        env = isolated_env(self.home, mpl_backend=INLINE_BACKEND, pythonpath=self.pythonpath)
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
            except OSError as error:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(
                        f"JupyterLab did not answer within {self.startup_timeout} s:\n{self.log_tail()}"
                    ) from error
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
        """End every session and kernel, through the server's API."""
        self._remember_children()
        try:
            for session in self.api("GET", "/api/sessions"):
                self.api("DELETE", f"/api/sessions/{session['id']}")
            for kernel in self.api("GET", "/api/kernels"):
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
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.terminate()
        _, still = psutil.wait_procs(leftovers, timeout=5)
        for proc in still:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.kill()
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


# --------------------------------------------------------------------------- the page

# The notebook panel on screen (pages are opened with ``?reset``, so it is the only one).
_PANEL_JS = "window.jupyterapp.shell.currentWidget"

_JS_KERNEL_READY = f"""() => {{
    const panel = window.jupyterapp && {_PANEL_JS};
    const kernel = panel && panel.sessionContext && panel.sessionContext.session
        && panel.sessionContext.session.kernel;
    return Boolean(kernel && kernel.connectionStatus === 'connected' && panel.content.widgets.length);
}}"""

# 'error' as soon as a cell holds an error output; 'done' once the last non-empty code cell
# shows its prompt number (outputs were stripped, so only this run can have set it).
_JS_RUN_STATE = f"""() => {{
    const cells = {_PANEL_JS}.content.widgets.filter((c) => c.model.type === 'code');
    for (const cell of cells) {{
        for (const output of cell.model.outputs.toJSON()) {{
            if (output.output_type === 'error') return 'error';
        }}
    }}
    const ran = cells.filter((c) => c.model.sharedModel.getSource().trim() !== '');
    if (!ran.length) return 'done';
    const prompt = ran[ran.length - 1].node.querySelector('.jp-InputPrompt');
    return /\\[\\d+\\]/.test(prompt ? prompt.textContent : '') ? 'done' : false;
}}"""

_JS_NOTEBOOK_JSON = f"() => {_PANEL_JS}.context.model.toJSON()"

_JS_KERNEL_EXEC = f"""async ([code, timeoutMs]) => {{
    const kernel = {_PANEL_JS}.sessionContext.session.kernel;
    const future = kernel.requestExecute({{code, silent: false, store_history: false, stop_on_error: false}});
    const result = {{stdout: '', stderr: '', error: null}};
    future.onIOPub = (msg) => {{
        const type = msg.header.msg_type;
        if (type === 'stream') result[msg.content.name] += msg.content.text;
        if (type === 'error') result.error = msg.content.ename + ': ' + msg.content.evalue;
    }};
    let timer;
    const timeout = new Promise((_, reject) => {{
        timer = setTimeout(() => reject(new Error('kernel did not answer within ' + timeoutMs + ' ms')), timeoutMs);
    }});
    try {{ await Promise.race([future.done, timeout]); }} finally {{ clearTimeout(timer); }}
    return result;
}}"""

_JS_APPEND_AND_RUN = f"""async (code) => {{
    const app = window.jupyterapp;
    const notebook = {_PANEL_JS}.content;
    notebook.activeCellIndex = notebook.widgets.length - 1;
    await app.commands.execute('notebook:insert-cell-below');
    notebook.activeCell.model.sharedModel.setSource(code);
    await app.commands.execute('notebook:run-cell');
}}"""

# Every control of a box, in page order, tagged with data-rc-control so it can be found again.
_JS_FIND_CONTROLS = """(box) => {
    const selector = '.widget-slider, .widget-dropdown, .widget-select, .widget-toggle-buttons, '
        + '.widget-radio, .widget-checkbox, button.widget-toggle-button';
    const text = (el) => (el ? el.textContent : '').replace(/\\s+/g, ' ').trim();
    const found = [];
    for (const el of box.querySelectorAll(selector)) {
        if (el.closest('.widget-output')) continue;
        if (el.matches('button') && el.closest('.widget-toggle-buttons')) continue;
        let kind;
        if (el.matches('.widget-slider')) kind = 'slider';
        else if (el.matches('.widget-dropdown')) kind = 'dropdown';
        else if (el.matches('.widget-select')) kind = 'select';
        else if (el.matches('.widget-toggle-buttons')) kind = 'toggle-buttons';
        else if (el.matches('.widget-radio')) kind = 'radio';
        else if (el.matches('.widget-checkbox')) kind = 'checkbox';
        else kind = 'toggle-button';
        let label = text(el.querySelector(':scope > .widget-label'));
        if (kind === 'checkbox') label = text(el.querySelector('.widget-label-basic'));
        if (kind === 'toggle-button') label = text(el);
        el.setAttribute('data-rc-control', String(found.length));
        found.push({index: found.length, kind, label, vertical: el.matches('.widget-vslider')});
    }
    return found;
}"""

_JS_CONTROL_STATE = """(el) => {
    const handle = el.querySelector('.noUi-handle');
    if (handle) {
        return {value: handle.getAttribute('aria-valuetext'), now: +handle.getAttribute('aria-valuenow'),
                min: +handle.getAttribute('aria-valuemin'), max: +handle.getAttribute('aria-valuemax')};
    }
    const select = el.querySelector('select');
    if (select) return {value: select.value, now: select.selectedIndex, min: 0, max: select.options.length - 1};
    const buttons = Array.from(el.querySelectorAll('button'));
    if (el.matches('.widget-toggle-buttons')) {
        const now = buttons.findIndex((b) => b.classList.contains('mod-active'));
        return {value: now >= 0 ? buttons[now].textContent.trim() : '', now, min: 0, max: buttons.length - 1};
    }
    const radios = Array.from(el.querySelectorAll('input[type=radio]'));
    if (radios.length) {
        const now = radios.findIndex((r) => r.checked);
        return {value: String(now), now, min: 0, max: radios.length - 1};
    }
    const box = el.querySelector('input[type=checkbox]');
    if (box) return {value: String(box.checked), now: +box.checked, min: 0, max: 1};
    const on = el.classList.contains('mod-active');
    return {value: String(on), now: +on, min: 0, max: 1};
}"""

# Arm one measurement: the first input event after this call starts the clock (its
# timeStamp), the first change of the box's image(s) stops it (a MutationObserver).
_JS_ARM = """(box) => {
    const images = () => Array.from(box.querySelectorAll('img'));
    const before = images();
    const beforeSrc = before.map((img) => img.getAttribute('src') || '');
    const changed = () => {
        const now = images();
        if (!now.length || !now.every((img) => img.getAttribute('src'))) return false;
        if (now.length !== before.length) return true;
        return now.some((img, i) => img !== before[i] || img.getAttribute('src') !== beforeSrc[i]);
    };
    const step = {t0: null, t1: null};
    const events = ['keydown', 'pointerdown', 'mousedown', 'input', 'change'];
    const start = (event) => { if (step.t0 === null) step.t0 = event.timeStamp; };
    const stop = () => {
        observer.disconnect();
        for (const type of events) document.removeEventListener(type, start, {capture: true});
    };
    const observer = new MutationObserver(() => {
        if (step.t1 === null && changed()) { step.t1 = performance.now(); stop(); }
    });
    for (const type of events) document.addEventListener(type, start, {capture: true});
    observer.observe(box, {subtree: true, childList: true, attributes: true, attributeFilter: ['src']});
    step.cancel = stop;
    window.__rcStep = step;
}"""


class BrowserCheckError(AssertionError):
    """Something a person would notice went wrong in the page."""


@dataclass
class Control:
    """One control of an interactive figure, as found in the page."""

    index: int
    kind: str  # slider, dropdown, select, toggle-buttons, radio, checkbox, toggle-button
    label: str
    vertical: bool = False

    def locator(self, box):
        return box.locator(f'[data-rc-control="{self.index}"]')


@dataclass
class Step:
    """One change of a control: the value it went to, and the time until the figure changed."""

    value: str
    latency_ms: float


_JS_OPEN_IN_PLACE = """async (path) => {
    const app = window.jupyterapp;
    for (const widget of Array.from(app.shell.widgets('main'))) {
        if (widget.context) widget.context.model.dirty = false;  // nothing is saved, no dialog asks
        widget.dispose();
    }
    await app.commands.execute('docmanager:open', {path});
}"""


def open_notebook(page, server: LabServer, relative_path: str, *, timeout_ms: float = 90_000) -> None:
    """Open a notebook in JupyterLab and wait until its kernel is connected.

    A page that already shows JupyterLab closes what it had open (unsaved) and
    opens the notebook in place, as with the file browser: loading the whole
    application again would cost seconds per notebook.
    """
    in_lab = page.url.startswith(server.url + "/lab") and page.evaluate("() => Boolean(window.jupyterapp)")
    if in_lab:
        page.evaluate(_JS_OPEN_IN_PLACE, relative_path)
    else:
        page.goto(server.notebook_url(relative_path))
    page.wait_for_function(
        f"(path) => {{ const p = window.jupyterapp && {_PANEL_JS}; return Boolean(p && p.context && p.context.path === path); }}",
        arg=relative_path,
        timeout=timeout_ms,
        polling=100,
    )
    page.wait_for_selector(f"{PANEL} .jp-Cell", timeout=timeout_ms)
    page.wait_for_function(_JS_KERNEL_READY, timeout=timeout_ms, polling=100)


def close_notebooks(page) -> None:
    """Close every open document without saving (their kernels keep running: see LabServer)."""
    if page.evaluate("() => Boolean(window.jupyterapp)"):
        page.evaluate(
            """() => { for (const w of Array.from(window.jupyterapp.shell.widgets('main'))) {
                if (w.context) w.context.model.dirty = false; w.dispose(); } }"""
        )


def restart_and_run_all(page, *, timeout_ms: float = 180_000) -> str:
    """Kernel ▸ Restart Kernel and Run All Cells…, confirm, and wait for the end.

    Returns ``'done'`` when the last code cell shows its prompt number, or
    ``'error'`` as soon as a cell shows an error output (Run All stops there).
    """
    page.get_by_role("menuitem", name="Kernel", exact=True).click()
    page.locator(".lm-Menu-item", has_text="Restart Kernel and Run All Cells").click()
    page.locator(".jp-Dialog .jp-mod-accept").click()
    return page.wait_for_function(_JS_RUN_STATE, timeout=timeout_ms, polling=100).json_value()


def notebook_json(page) -> dict:
    """The open notebook as nbformat JSON, outputs of this run included."""
    return page.evaluate(_JS_NOTEBOOK_JSON)


def error_outputs(nb_json: dict) -> list[str]:
    """``"cell N: Name: message"`` for every error output of the notebook."""
    errors = []
    for number, cell in enumerate(nb_json["cells"], start=1):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                errors.append(f"cell {number}: {output.get('ename')}: {output.get('evalue')}")
    return errors


def displayed_model_ids(nb_json: dict) -> set[str]:
    """Model ids of the widgets the notebook's outputs display."""
    ids = set()
    for cell in nb_json["cells"]:
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get("application/vnd.jupyter.widget-view+json")
            if view:
                ids.add(view["model_id"])
    return ids


def kernel_exec(page, code: str, *, timeout_ms: float = 60_000) -> str:
    """Run ``code`` in the notebook's kernel, in a namespace of its own; return what it printed.

    Nothing leaks into the lesson's variables. Raises on an exception in the kernel.
    """
    wrapped = f"exec({code!r}, {{'__name__': '__rare_cases_probe__'}})"
    result = page.evaluate(_JS_KERNEL_EXEC, [wrapped, timeout_ms])
    if result["error"]:
        raise BrowserCheckError(f"the kernel raised {result['error']} running:\n{code}")
    return result["stdout"]


# Ask the kernel about its interactive figures and tag each one's box with class
# rc-live-<i> (the kernel's order), so the page's boxes can be matched to them.
_PY_FIGURES = """\
import json
import sys
import types
from helpers.widgets import live_figures
figures = live_figures()
state = sys.modules.setdefault("_rare_cases_probe", types.ModuleType("_rare_cases_probe"))
state.defaults = [dict(figure.values) for figure in figures]
for i, figure in enumerate(figures):
    figure.add_class(f"rc-live-{i}")
print(json.dumps([
    {
        "model_id": figure.model_id,
        "caption": figure.caption_text,
        "controls": [
            {"name": name, "type": type(control).__name__, "description": str(control.description)}
            for name, control in figure.controls.items()
        ],
    }
    for figure in figures
]))
"""


def kernel_figures(page) -> list[dict]:
    """The kernel's live interactive figures (model id, caption, controls), oldest first.

    Side effects: each figure's box in the page gets the class ``rc-live-<i>``, and the
    kernel remembers the figures' current values for :func:`reset_figure`.
    """
    return json.loads(kernel_exec(page, _PY_FIGURES))


# A figure drawn in the kernel's own thread (older plumbing) shows its values as soon as the
# kernel answers; one drawn in the background says which values it shows.
_PY_PROBE = """\
import hashlib
import json
from helpers.widgets import live_figures
figure = live_figures()[{index}]
values = {{name: repr(value) for name, value in figure.values.items()}}
shown = getattr(figure, "shown_values", None)
shown = values if shown is None else {{name: repr(value) for name, value in shown.items()}}
print(json.dumps({{
    "values": values,
    "drawn": shown == values,
    "error": getattr(figure, "last_error", None) if shown == values else None,
    "png": hashlib.sha1(bytes(figure.image.value or b"")).hexdigest(),
    "caption": figure.caption_text,
    "render_count": figure.render_count,
}}))
"""


def kernel_probe(page, figure_index: int) -> dict:
    """The kernel's view of live figure ``figure_index``.

    ``{'values': {name: repr}, 'drawn': whether the figure shows these values now,
    'error': the figure's ``last_error`` for them (or None), 'png': sha1 of the PNG
    shown, 'caption', 'render_count'}``.
    """
    return json.loads(kernel_exec(page, _PY_PROBE.format(index=figure_index)))


_PY_RESET = """\
import hashlib
import json
import sys
from helpers.widgets import live_figures
figure = live_figures()[{index}]
before = hashlib.sha1(bytes(figure.image.value or b"")).digest()
figure.set_values(**sys.modules["_rare_cases_probe"].defaults[{index}])
print(json.dumps(hashlib.sha1(bytes(figure.image.value or b"")).digest() != before))
"""


def wait_for_kernel_change(page, box, code: str, *, timeout_ms: float = 60_000) -> None:
    """Run ``code`` in the kernel; when it prints ``true``, wait for the box's image to change."""
    box.evaluate(_JS_ARM)
    if json.loads(kernel_exec(page, code)):
        try:
            page.wait_for_function("() => window.__rcStep.t1 !== null", timeout=timeout_ms, polling="raf")
        except PlaywrightTimeoutError as exc:
            cancel_step(page)
            raise BrowserCheckError("the kernel changed the figure but the page did not show it") from exc
    else:
        cancel_step(page)


def reset_figure(page, box, figure_index: int, *, timeout_ms: float = 60_000) -> None:
    """Put every control of live figure ``figure_index`` back to where Run All left it."""
    wait_for_kernel_change(page, box, _PY_RESET.format(index=figure_index), timeout_ms=timeout_ms)


def dom_caption(box) -> str:
    """The caption text shown under a figure ('' when it has none)."""
    return box.evaluate("(b) => { const c = b.querySelector('.rare-cases-caption'); return c ? c.textContent : ''; }")


def dom_error(box) -> str:
    """The error message shown in a figure's box ('' when none)."""
    return box.evaluate("(b) => { const c = b.querySelector('.rare-cases-error'); return c ? c.textContent : ''; }")


def dom_image_src(box) -> str:
    """The ``src`` of the figure's image as the page shows it now."""
    return box.evaluate("(b) => { const i = b.querySelector('img'); return i ? i.getAttribute('src') || '' : ''; }")


def wait_until_shown(page, figure_index: int, *, timeout: float = 60) -> dict:
    """Ask the kernel until live figure ``figure_index`` shows its controls' values; the probe."""
    deadline = time.monotonic() + timeout
    while True:  # each probe is a round trip to the kernel: no event to wait on instead
        probe = kernel_probe(page, figure_index)
        if probe["drawn"]:
            return probe
        if time.monotonic() > deadline:
            raise BrowserCheckError(f"figure {figure_index + 1} never showed {probe['values']}")
        time.sleep(0.05)


# Record every change of the box's image and the release of the mouse, on the page's clock.
_JS_ARM_DRAG = """(box) => {
    const record = {changes: [], up: null, down: null};
    const observer = new MutationObserver(() => record.changes.push(performance.now()));
    observer.observe(box, {subtree: true, childList: true, attributes: true, attributeFilter: ['src']});
    document.addEventListener('pointerdown', (e) => { record.down = e.timeStamp; }, {capture: true, once: true});
    document.addEventListener('pointerup', (e) => { record.up = e.timeStamp; }, {capture: true, once: true});
    record.stop = () => observer.disconnect();
    window.__rcDrag = record;
}"""


@dataclass
class Drag:
    """A mouse drag across a slider: how often the figure changed during it, and the settle time."""

    redraws: int  # image changes between the press and the release
    seconds: float
    settle_ms: float  # release -> the last image change (0 when it already showed the end value)


def drag_slider(page, box, control: Control, figure_index: int, *, seconds: float = 2.0, moves: int = 40) -> Drag:
    """Press a slider's handle, drag it to the other end of its track in ``seconds``, release.

    The settle time runs from the release to the last change of the image, once the
    kernel shows the value where the drag ended.
    """
    element = control.locator(box)
    element.scroll_into_view_if_needed()
    handle = element.locator(".noUi-handle").first
    track = element.locator(".noUi-target").first
    hbox, tbox = handle.bounding_box(), track.bounding_box()
    if hbox is None or tbox is None:
        raise BrowserCheckError(f"slider {control.label!r} has no handle or track on screen")
    y = hbox["y"] + hbox["height"] / 2
    x_start = hbox["x"] + hbox["width"] / 2
    middle = tbox["x"] + tbox["width"] / 2
    x_end = tbox["x"] + (tbox["width"] - 1 if x_start < middle else 1)
    box.evaluate(_JS_ARM_DRAG)
    page.mouse.move(x_start, y)
    page.mouse.down()
    pause = seconds / moves
    for i in range(1, moves + 1):
        page.mouse.move(x_start + (x_end - x_start) * i / moves, y)
        page.wait_for_timeout(pause * 1000)
    page.mouse.up()
    wait_until_shown(page, figure_index)
    page.wait_for_timeout(100)  # the last image message reaches the page after the kernel answered
    record = page.evaluate(
        "() => { const r = window.__rcDrag; r.stop(); return {changes: r.changes, up: r.up, down: r.down}; }"
    )
    if record["up"] is None or record["down"] is None:
        raise BrowserCheckError(f"the drag of {control.label!r} saw no press or no release")
    during = [t for t in record["changes"] if record["down"] <= t <= record["up"]]
    after = [t for t in record["changes"] if t > record["up"]]
    return Drag(
        redraws=len(during),
        seconds=(record["up"] - record["down"]) / 1000,
        settle_ms=(after[-1] - record["up"]) if after else 0.0,
    )


def same_text(a: str, b: str) -> bool:
    """Equal up to whitespace (a line break in a caption becomes <br>, which has no text)."""
    return "".join(a.split()) == "".join(b.split())


def wait_for_caption(page, box, expected: str, *, timeout_ms: float = 10_000) -> None:
    """Wait until the caption under ``box`` reads ``expected`` (up to whitespace)."""
    target = "".join(expected.split())
    page.wait_for_function(
        """([box, target]) => {
            const c = box.querySelector('.rare-cases-caption');
            return (c ? c.textContent : '').replace(/\\s+/g, '') === target;
        }""",
        arg=[box.element_handle(), target],
        timeout=timeout_ms,
        polling=50,
    )


def find_controls(box) -> list[Control]:
    """The controls of one figure box (or baseline box), in the order they are shown."""
    return [Control(**found) for found in box.evaluate(_JS_FIND_CONTROLS)]


def control_state(box, control: Control) -> dict:
    """``{'value', 'now', 'min', 'max'}`` of a control as the page shows it."""
    return control.locator(box).evaluate(_JS_CONTROL_STATE)


MOVES = ("up", "down", "max", "min")


@dataclass
class PendingStep:
    """A change made in the page whose redraw has not been waited for yet."""

    control: Control
    before: dict  # the control's state before the change


def start_step(page, box, control: Control, move: str = "up") -> PendingStep | None:
    """Change one control, as a person would, with the redraw timer armed.

    ``move`` is ``"up"`` or ``"down"`` (one notch; at the end of its range the
    control goes the other way instead), or ``"max"`` / ``"min"`` (jump to an
    end; returns None without touching anything when already there).

    Sliders: focus the handle and press an arrow key, or End / Home. Dropdowns
    and list boxes: pick an option. Toggle buttons and radio buttons: click
    one. Checkboxes: Space (every move toggles). A toggle button: click.
    Follow with :func:`finish_step` (or :func:`cancel_step`).
    """
    if move not in MOVES:
        raise ValueError(f"move must be one of {MOVES}, got {move!r}")
    element = control.locator(box)
    state = element.evaluate(_JS_CONTROL_STATE)
    now, low, high = state["now"], state["min"], state["max"]
    binary = control.kind in ("checkbox", "toggle-button")
    if move == "up" and now >= high and not binary:
        move = "down"
    elif move == "down" and now <= low and not binary:
        move = "up"
    elif ((move == "max" and now >= high) or (move == "min" and now <= low)) and not binary:
        return None
    target = {"up": int(now) + 1, "down": int(now) - 1, "max": int(high), "min": int(low)}[move]
    element.scroll_into_view_if_needed()
    box.evaluate(_JS_ARM)
    if control.kind == "slider":
        element.locator(".noUi-handle").focus()
        keys = {"max": "End", "min": "Home"}
        if control.vertical:
            keys.update(up="ArrowUp", down="ArrowDown")
        else:
            keys.update(up="ArrowRight", down="ArrowLeft")
        page.keyboard.press(keys[move])
    elif control.kind in ("dropdown", "select"):
        element.locator("select").select_option(index=target)
    elif control.kind == "toggle-buttons":
        element.locator("button").nth(target).click()
    elif control.kind == "radio":
        element.locator("input[type=radio]").nth(target).click()
    elif control.kind == "checkbox":
        element.locator("input[type=checkbox]").focus()
        page.keyboard.press("Space")
    else:
        element.click()
    return PendingStep(control, state)


def cancel_step(page) -> None:
    """Stop watching for a redraw (the change was not expected to redraw)."""
    page.evaluate("() => window.__rcStep && window.__rcStep.cancel()")


def finish_step(page, box, pending: PendingStep, *, timeout_ms: float = 15_000) -> Step:
    """Wait for the figure's image to change; the step's latency and the control's new value.

    Raises :class:`BrowserCheckError` when the figure does not change in time.
    """
    element = pending.control.locator(box)
    try:
        page.wait_for_function("() => window.__rcStep.t1 !== null", timeout=timeout_ms, polling="raf")
    except PlaywrightTimeoutError as exc:
        cancel_step(page)
        after = element.evaluate(_JS_CONTROL_STATE)
        raise BrowserCheckError(
            f"control {pending.control.label!r} ({pending.control.kind}) went from {pending.before['value']!r} "
            f"to {after['value']!r} but the figure did not change within {timeout_ms / 1000:g} s"
        ) from exc
    timing = page.evaluate("() => ({t0: window.__rcStep.t0, t1: window.__rcStep.t1})")
    after = element.evaluate(_JS_CONTROL_STATE)
    if timing["t0"] is None:
        raise BrowserCheckError(f"no input event was seen while changing {pending.control.label!r}")
    return Step(value=after["value"], latency_ms=timing["t1"] - timing["t0"])


def step_control(page, box, control: Control, move: str = "up", *, timeout_ms: float = 15_000) -> Step | None:
    """:func:`start_step` then :func:`finish_step`: one change, timed from input event to redraw."""
    pending = start_step(page, box, control, move)
    return None if pending is None else finish_step(page, box, pending, timeout_ms=timeout_ms)


def append_and_run_cell(page, code: str) -> None:
    """Add a code cell at the end of the notebook, with ``code``, and run it."""
    page.evaluate(_JS_APPEND_AND_RUN, code)


def figure_box(page, figure_index: int):
    """The page's box of live figure ``figure_index`` (first view when shown twice)."""
    return page.locator(f"{PANEL} {FIGURE}.rc-live-{figure_index}").first


# --------------------------------------------------------------------------- without a browser


def new_client(nb: nbformat.NotebookNode, cwd: Path, *, timeout: float = 600):
    """An nbclient client for ``nb`` whose kernel runs in ``cwd``."""
    from nbclient import NotebookClient

    return NotebookClient(
        nb, timeout=timeout, kernel_name="python3", allow_errors=False, resources={"metadata": {"path": str(cwd)}}
    )


def execute_notebook(path: Path, home: Path, *, mpl_backend: str = "Agg", extra_cells: tuple[str, ...] = ()):
    """Execute a notebook top to bottom in a fresh kernel (settings under ``home``).

    ``extra_cells`` are appended and run in the same kernel after the lesson.
    Returns the executed notebook and the seconds the lesson's own cells took
    (kernel start-up excluded, as in JupyterLab where the kernel is already up).
    """
    nb = nbformat.read(path, as_version=4)
    n_lesson = len(nb.cells)
    nb.cells.extend(nbformat.v4.new_code_cell(code) for code in extra_cells)
    client = new_client(nb, Path(path).parent)
    env = isolated_env(Path(home), mpl_backend=mpl_backend)
    with client.setup_kernel(env=env):
        start = time.perf_counter()
        for index, cell in enumerate(nb.cells[:n_lesson]):
            client.execute_cell(cell, index)
        seconds = time.perf_counter() - start
        for index, cell in enumerate(nb.cells[n_lesson:], start=n_lesson):
            client.execute_cell(cell, index)
    return nb, seconds


def cell_stdout(cell) -> str:
    return "".join(output.get("text", "") for output in cell.get("outputs", []) if output.get("name") == "stdout")
