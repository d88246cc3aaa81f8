"""Benchmark: notebook run times, and keypress-to-redraw latency of every widget control.

Run with ``make bench`` (or ``.venv/bin/python tests/bench.py``). Prints a table and
writes it to ``tests/BENCHMARK.md``.

What it measures
----------------
* **Notebook run time**: each ``notebooks/NN_topic.ipynb`` executed top to bottom with
  nbclient, ``--runs`` times (default 3), in a fresh kernel each time; the median of the
  lesson's own cells (kernel start-up excluded).
* **Keypress → redraw** in JupyterLab in headless Chromium: after Kernel ▸ Restart
  Kernel and Run All, each control of each interactive figure is moved ``--steps`` notches
  (default 20; arrow keys on sliders, the next option of a dropdown, a click on toggle
  buttons, Space on a checkbox; at an end of its range it turns round). One step is the
  time from the input event's timestamp to the change of the figure's image ``src``
  (a MutationObserver). Median and 95th percentile over the steps.
* **Naive baseline**, in the same kernel and the same run: for each figure, the same
  render function behind ``ipywidgets.interactive`` with copies of the same controls,
  shown into an ``Output`` on every change and never cached — what ``interact`` with
  ``plt.show()`` does. (The lessons' render functions build ``matplotlib.figure.Figure``
  objects, which pyplot does not manage, so ``plt.show()`` would show nothing;
  ``display(fig)`` is what the inline backend's ``plt.show()`` does for each figure it
  manages.) A figure built once (``figure=``) is updated by its function and then drawn
  whole. It is moved through the same values; ratio = figure median / naive median.
  "new" counts the steps that reached a value not shown before in the run; "drawn" the
  steps for which the kernel called the render function (asked of the kernel after each
  step): the others came from the figure's cache, because the value was seen before or
  the figure was prerendered.
* **make test wall time**: only with ``--make-test`` (or ``BENCH_MAKE_TEST=1 make bench``),
  since it takes minutes; it runs first, alone, so it does not compete with the browser.

No lesson notebook yet? The bench runs on the toy notebook of ``tests/browser.py``.
Timings depend on the machine and on its load: the file records both.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import browser as b  # tests/browser.py (this script's own folder is on sys.path)

OUT = Path(__file__).resolve().parent / "BENCHMARK.md"
TARGET_MEDIAN_MS = 100
TARGET_P95_MS = 150

# Shown once after Run All: every live figure again, behind ipywidgets.interactive,
# with copies of its controls and no cache; each box is tagged rc-baseline-<i>.
_BASELINE_CELL = '''\
import ipywidgets as widgets
from IPython.display import display
from helpers.widgets import live_figures

_TRAITS = ("options", "min", "max", "step", "base", "value", "description", "readout_format", "orientation")


def _same_control(control):
    return type(control)(**{key: getattr(control, key) for key in _TRAITS if control.has_trait(key)})


def _naive(figure):
    render, built_once = figure._render, figure._figure

    def show(**values):
        result = render(**values)
        if built_once is not None:  # figure= mode: render updated the figure's artists; draw all of it
            result = built_once
        display(result[0] if isinstance(result, tuple) else result)  # what plt.show() does inline

    return widgets.interactive(show, **{name: _same_control(c) for name, c in figure.controls.items()})


import sys as _sys

_state = _sys.modules["_rare_cases_probe"]
_state.baselines = []
for _index, _figure in enumerate(live_figures()):
    _box = _naive(_figure)
    _box.add_class(f"rc-baseline-{_index}")
    _state.baselines.append(_box)
    display(_box)
'''

# Put control <j> of baseline <i> back to its start value; prints whether it moved.
_PY_RESET_BASELINE = """\
import json
import sys
state = sys.modules["_rare_cases_probe"]
control = state.baselines[{index}].kwargs_widgets[{control}]
value = list(state.defaults[{index}].values())[{control}]
changed = control.value != value
control.value = value
print(json.dumps(bool(changed)))
"""


@dataclass
class ControlResult:
    notebook: str
    figure: int
    control: str
    kind: str
    latencies: list[float] = field(default_factory=list)
    new_values: int = 0
    drawn: int = 0
    unchanged: int = 0
    naive: list[float] = field(default_factory=list)
    error: str = ""

    @property
    def median(self) -> float:
        return _median(self.latencies)

    @property
    def p95(self) -> float:
        return _p95(self.latencies)

    @property
    def naive_median(self) -> float:
        return _median(self.naive)

    @property
    def naive_p95(self) -> float:
        return _p95(self.naive)

    @property
    def meets_target(self) -> bool:
        return self.median <= TARGET_MEDIAN_MS and self.p95 <= TARGET_P95_MS


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _p95(values: list[float]) -> float:
    return float(np.percentile(values, 95)) if values else float("nan")


def run_make_test() -> tuple[float, int]:
    print("make test ...", flush=True)
    start = time.perf_counter()
    code = subprocess.run(["make", "test"], cwd=b.REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    return time.perf_counter() - start, code


def time_notebooks(notebooks: list[Path], runs: int, home: Path) -> dict[str, list[float]]:
    times = {}
    for notebook in notebooks:
        times[notebook.name] = []
        for run in range(runs):
            _, seconds = b.execute_notebook(notebook, home, mpl_backend=b.INLINE_BACKEND)
            times[notebook.name].append(seconds)
            print(f"  {notebook.name} run {run + 1}: {seconds:.2f} s", flush=True)
    return times


_PY_PNG = """\
import hashlib
from helpers.widgets import live_figures
figure = live_figures()[{index}]
print(hashlib.sha1(bytes(figure.image.value or b"")).hexdigest(), figure.render_count)
"""


def _png(page, index: int) -> tuple[str, int]:
    """The sha1 of the PNG a live figure shows, and how many times it has called its render function."""
    digest, render_count = b.kernel_exec(page, _PY_PNG.format(index=index)).split()
    return digest, int(render_count)


def sweep_steps(page, box, control: b.Control, steps: int, figure_index: int | None = None):
    """Move a control ``steps`` notches, turning round at the ends.

    Returns the latencies, the values reached, how many timed steps the kernel drew
    (called the render function) rather than took from the figure's cache, and how many
    steps left the figure as it was (the kernel showed the very same PNG, so the page
    had nothing to show; such steps are not timed). ``figure_index`` names the live
    figure to ask the kernel about; None for the naive baseline, whose Output is redrawn
    on every change (every step counts as drawn).
    """
    latencies, values, drawn, unchanged = [], [], 0, 0
    direction = 1
    # The kernel's state after one step is the state before the next: one query per step.
    shown = (None, 0) if figure_index is None else _png(page, figure_index)
    for _ in range(steps):
        state = b.control_state(box, control)
        if direction > 0 and state["now"] >= state["max"]:
            direction = -1
        elif direction < 0 and state["now"] <= state["min"]:
            direction = 1
        before, renders_before = shown
        pending = b.start_step(page, box, control, "up" if direction > 0 else "down")
        try:
            step = b.finish_step(page, box, pending, timeout_ms=20_000)
        except b.BrowserCheckError:
            if before is None:
                raise
            probe = b.kernel_probe(page, figure_index)
            if probe["error"] or not probe["drawn"] or probe["png"] != before:
                raise
            unchanged += 1
            values.append(b.control_state(box, control)["value"])
            shown = _png(page, figure_index)
            continue
        latencies.append(step.latency_ms)
        values.append(step.value)
        if figure_index is None:
            drawn += 1
        else:
            shown = _png(page, figure_index)
            drawn += shown[1] > renders_before
    return latencies, values, drawn, unchanged


def measure_notebook(page, lab, relative_path: str, steps: int) -> list[ControlResult]:
    b.open_notebook(page, lab, relative_path)
    state = b.restart_and_run_all(page)
    nb_json = b.notebook_json(page)
    errors = b.error_outputs(nb_json)
    if state != "done" or errors:
        raise b.BrowserCheckError(f"{relative_path}: Run All failed: {errors}")
    figures = b.kernel_figures(page)
    shown = b.displayed_model_ids(nb_json)
    measured = [i for i, figure in enumerate(figures) if figure["model_id"] in shown]
    b.append_and_run_cell(page, _BASELINE_CELL)
    results = []
    for index in measured:
        box = b.figure_box(page, index)
        naive_box = page.locator(f"{b.PANEL} .rc-baseline-{index}").first
        box.wait_for(state="attached", timeout=60_000)
        naive_box.locator(".widget-output img").first.wait_for(state="attached", timeout=120_000)
        controls = b.find_controls(box)
        naive_controls = b.find_controls(naive_box)
        for number, (control, naive_control) in enumerate(zip(controls, naive_controls, strict=True)):
            result = ControlResult(relative_path, index + 1, control.label, control.kind)
            try:
                seen = {b.control_state(box, control)["value"]}
                result.latencies, values, result.drawn, result.unchanged = sweep_steps(page, box, control, steps, index)
                for value in values:
                    result.new_values += value not in seen
                    seen.add(value)
                result.naive, _, _, _ = sweep_steps(page, naive_box, naive_control, steps)
                # Back to the lesson's defaults before the next control (waiting for both redraws).
                b.reset_figure(page, box, index)
                b.wait_for_kernel_change(page, naive_box, _PY_RESET_BASELINE.format(index=index, control=number))
            except b.BrowserCheckError as exc:
                result.error = str(exc)
            results.append(result)
            print(
                f"  {relative_path} fig {index + 1} {control.label}: median {result.median:.0f} ms, "
                f"p95 {result.p95:.0f} ms; naive {result.naive_median:.0f} / {result.naive_p95:.0f} ms"
                + (f"  ERROR {result.error}" if result.error else ""),
                flush=True,
            )
    return results


def measure_latency(notebooks: list[Path], steps: int, tmp: Path, chromium: str) -> list[ControlResult]:
    from playwright.sync_api import sync_playwright

    root = b.mirror_repo(tmp / "repo")
    relative = []
    for notebook in notebooks:
        if notebook.parent != b.NOTEBOOKS:  # the toy
            shutil.copy(notebook, root / notebook.name)
        relative.append(notebook.name)
    results = []
    with b.LabServer(root, tmp / "lab-home") as lab, sync_playwright() as playwright:
        browser = b.launch_browser(playwright, chromium)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            for name in relative:
                try:
                    results.extend(measure_notebook(page, lab, name, steps))
                except b.BrowserCheckError as exc:
                    results.append(ControlResult(name, 0, "-", "-", error=str(exc)))
                    print(f"  {name}: {exc}", flush=True)
                b.close_notebooks(page)
                lab.shutdown_kernels()
        finally:
            browser.close()
    return results


def _ms(value: float) -> str:
    return "–" if value != value else f"{value:.0f}"  # nan → dash


def render_report(
    *,
    exec_times: dict[str, list[float]],
    latency: list[ControlResult],
    make_test: tuple[float, int] | None,
    toy: bool,
    steps: int,
    runs: int,
    loads: tuple[tuple[float, ...], tuple[float, ...]],
    chromium_version: str,
) -> str:
    import ipywidgets
    import jupyterlab
    import matplotlib

    lines = [
        "# Benchmark",
        "",
        "Written by `make bench` (`tests/bench.py`; how each number is measured is in its docstring).",
        "Targets (COURSE.md §5): keypress → redraw ≤ 100 ms median and ≤ 150 ms p95.",
        "",
        f"- when: {dt.datetime.now().strftime('%Y-%m-%d %H:%M')}",
        f"- machine: {os.cpu_count()} cores, {platform.system()} {platform.machine()}, "
        f"load average {loads[0][0]:.1f} before / {loads[1][0]:.1f} after (1 min)",
        f"- software: Python {platform.python_version()}, JupyterLab {jupyterlab.__version__}, "
        f"ipywidgets {ipywidgets.__version__}, matplotlib {matplotlib.__version__}, {chromium_version}",
    ]
    if toy:
        lines += ["- no lesson notebook exists yet: measured on the toy notebook of `tests/browser.py`"]
    lines += ["", f"## Notebook run time (nbclient, median of {runs})", "", "| notebook | median (s) | runs (s) |", "|---|---:|---|"]
    for name, times in exec_times.items():
        lines.append(f"| {name} | {statistics.median(times):.2f} | {', '.join(f'{t:.2f}' for t in times)} |")
    lines += [
        "",
        f"## Keypress → redraw in JupyterLab (Chromium, {steps} steps per control)",
        "",
        "new: steps that reached a value not shown before in this run. drawn: timed steps for which "
        "the kernel called the render function; the others came from the figure's cache (a value seen "
        "before, or every state drawn ahead by `prerender()`). same: steps after which the kernel showed "
        "the very same PNG, so nothing changed on screen; they are not timed. ratio: median / naive median.",
        "",
        "| notebook | fig | control | kind | new | drawn | same | median (ms) | p95 (ms) | naive median (ms) "
        "| naive p95 (ms) | ratio | target |",
        "|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in latency:
        ratio = r.median / r.naive_median if r.naive and r.latencies else float("nan")
        verdict = "error" if r.error else ("met" if r.meets_target else "**missed**")
        lines.append(
            f"| {r.notebook} | {r.figure} | {r.control} | {r.kind} | {r.new_values}/{steps} "
            f"| {r.drawn}/{len(r.latencies)} | {r.unchanged} "
            f"| {_ms(r.median)} | {_ms(r.p95)} | {_ms(r.naive_median)} | {_ms(r.naive_p95)} "
            f"| {'–' if ratio != ratio else f'{ratio:.2f}'} | {verdict} |"
        )
    errors = [r for r in latency if r.error]
    if errors:
        lines += ["", "Errors:", ""] + [f"- {r.notebook} {r.control}: {r.error}" for r in errors]
    measured = [r for r in latency if r.latencies]
    if measured:
        slowest = max(measured, key=lambda r: r.median)
        lines += [
            "",
            f"Slowest control: {slowest.notebook}, figure {slowest.figure}, {slowest.control!r} "
            f"({_ms(slowest.median)} ms median, {_ms(slowest.p95)} ms p95).",
        ]
    lines += ["", "## make test", ""]
    if make_test is None:
        lines.append("Not measured in this run (`BENCH_MAKE_TEST=1 make bench` measures it).")
    else:
        seconds, code = make_test
        lines.append(f"`make test` wall time: {seconds:.0f} s (exit code {code}).")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=20, help="notches per control (default 20)")
    parser.add_argument("--runs", type=int, default=3, help="executions per notebook (default 3)")
    parser.add_argument("--make-test", action="store_true", default=os.environ.get("BENCH_MAKE_TEST") == "1",
                        help="also time `make test` (or set BENCH_MAKE_TEST=1)")
    parser.add_argument("--notebooks", nargs="*", default=None, help="only these notebooks (names or NN prefixes)")
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the table (default tests/BENCHMARK.md)")
    args = parser.parse_args(argv)
    # `kill` ends the run like Ctrl+C does: the server, the browser and the kernels are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.steps < 20:
        print("note: fewer than 20 steps per control; p95 means little", file=sys.stderr)

    chromium = b.find_chromium()
    if chromium is None:
        print(b.INSTALL_HINT, file=sys.stderr)
        return 2
    chromium_version = subprocess.run([chromium, "--version"], capture_output=True, text=True).stdout.strip()
    load_before = os.getloadavg()
    make_test = run_make_test() if args.make_test else None

    with tempfile.TemporaryDirectory(prefix="rare-cases-bench-") as tmp_name:
        tmp = Path(tmp_name)
        notebooks = b.lesson_notebooks()
        if args.notebooks:
            notebooks = [nb for nb in notebooks if any(nb.name.startswith(k) for k in args.notebooks)]
        toy = not notebooks
        if toy:
            notebooks = [b.write_notebook(b.toy_notebook(), tmp / "toy" / "toy.ipynb")]
        print("notebook run times ...", flush=True)
        exec_times = time_notebooks(notebooks, args.runs, tmp / "exec-home")
        print("keypress -> redraw in the browser ...", flush=True)
        latency = measure_latency(notebooks, args.steps, tmp, chromium)

    report = render_report(
        exec_times=exec_times,
        latency=latency,
        make_test=make_test,
        toy=toy,
        steps=args.steps,
        runs=args.runs,
        loads=(load_before, os.getloadavg()),
        chromium_version=chromium_version,
    )
    print()
    print(report)
    args.out.write_text(report)
    print(f"written to {args.out}")
    return 1 if any(r.error for r in latency) else 0


if __name__ == "__main__":
    sys.exit(main())
