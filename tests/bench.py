"""Benchmark: how fast the course's interactive figures redraw for a person in JupyterLab.

Run with ``make bench`` (or ``.venv/bin/python tests/bench.py``). Prints a table and
writes it to ``tests/BENCHMARK.md``, between the markers ``<!-- widgets:start -->``
and ``<!-- widgets:end -->``; every other marked section of that file is kept.

Targets, per control: keypress → redraw at most 100 ms median and at most 150 ms at
the 95th percentile, on first visits and back and forth; after a 2-second drag across
a slider, the figure settles at most 150 ms after the release.

What it measures
----------------
In JupyterLab in headless Chromium, after Kernel ▸ Restart Kernel and Run All, for each
control of each interactive figure, the other controls at the lesson's defaults:

* **First visits**: the control moves forward one notch at a time from its default
  (ArrowRight on a slider, the next option of a dropdown or toggle buttons, Space on a
  checkbox) to its top end, then from its bottom end up towards the default (the jump
  to the bottom is not timed), at most ``--steps`` notches, every one a value not shown
  before. Before the first step on a figure its image is clicked once, untimed, so that
  JupyterLab's activation of the cell (on the first click into it) is not counted against
  whichever control is touched first. Between two steps the script waits ``--pause``
  seconds (default 1.0 s), as a student reads the figure after each step. One step is the time from the input event's
  timestamp to the change of the figure's image ``src`` (a MutationObserver armed
  before the input). "drawn" counts the steps for which the kernel had to call the
  render function after the keypress; the others were in the figure's cache already
  (drawn ahead while the student read, or prerendered).
* **Back and forth**: ``--steps`` notches alternately back and forward around where the
  first visits ended, 0.3 s apart; these values were all shown before.
* **Drag** (sliders): the handle is pressed, dragged to the other end of the track in
  2 s (40 mouse moves) and released. "redraws" counts the image changes during the
  drag; "settle" is the time from the release to the last image change, once the
  kernel shows the value where the drag ended (0 when it already did).
* **Notebook run time** (``--runs`` executions, nbclient, default 3; 0 skips it) and ``make
  test`` wall time (``--make-test`` or ``BENCH_MAKE_TEST=1``; it runs first, alone).

``--json FILE`` keeps the raw numbers; ``--before FILE`` (a ``--json`` file of an earlier
run, e.g. with ``--helpers`` pointing at an older ``helpers/``) adds its medians to the
table as "before". ``--extra NB.ipynb`` measures notebooks from elsewhere too (copied
next to the lessons, so their relative paths work).

Timings depend on the machine and on its load: the file records both.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import re
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


@dataclass
class ControlResult:
    notebook: str
    figure: int
    control: str
    kind: str
    forward: list[float] = field(default_factory=list)
    forward_drawn: int = 0
    back: list[float] = field(default_factory=list)
    drag_redraws: int | None = None
    drag_settle_ms: float | None = None
    error: str = ""

    def key(self) -> tuple:
        return (self.notebook, self.figure, self.control)

    @property
    def meets_target(self) -> bool:
        ok = all(
            _median(times) <= TARGET_MEDIAN_MS and _p95(times) <= TARGET_P95_MS
            for times in (self.forward, self.back)
            if times
        )
        settle_ok = self.drag_settle_ms is None or self.drag_settle_ms <= TARGET_SETTLE_MS
        return ok and settle_ok and not self.error and bool(self.forward or self.back)


TARGET_SETTLE_MS = 150


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


_PY_COUNTS = """\
from helpers.widgets import live_figures
figure = live_figures()[{index}]
print(figure.render_count - getattr(figure, "ahead_count", 0))
"""


def _drawn_on_screen(page, index: int) -> int:
    """How many times the figure's render function ran for a value put on screen (not ahead)."""
    return int(b.kernel_exec(page, _PY_COUNTS.format(index=index)))


def _timed_step(page, box, control: b.Control, move: str, index: int) -> float | None:
    """One move; its latency, or None when the figure showed the very same image (nothing to time)."""
    pending = b.start_step(page, box, control, move)
    if pending is None:
        return None
    try:
        return b.finish_step(page, box, pending, timeout_ms=5_000).latency_ms
    except b.BrowserCheckError:
        probe = b.wait_until_shown(page, index)
        if probe["error"]:
            raise
        return None  # drawn, but the same picture


def first_visits(page, box, control: b.Control, index: int, steps: int, pause: float) -> tuple[list[float], int]:
    """Move forward through values not shown before; latencies and how many the kernel drew then."""
    latencies, drawn = [], 0
    seen = {b.control_state(box, control)["value"]}
    wrapped = False
    while len(latencies) < steps:
        state = b.control_state(box, control)
        if state["now"] >= state["max"]:
            if wrapped or control.kind in ("checkbox", "toggle-button"):
                break
            wrapped = True  # to the bottom end, untimed, then on up towards the default
            if b.start_step(page, box, control, "min") is not None:
                b.cancel_step(page)
                b.wait_until_shown(page, index)
                seen.add(b.control_state(box, control)["value"])
                page.wait_for_timeout(pause * 1000)
            continue
        before = _drawn_on_screen(page, index)
        latency = _timed_step(page, box, control, "up", index)
        value = b.control_state(box, control)["value"]
        if value in seen:
            break  # back where the walk started
        seen.add(value)
        b.wait_until_shown(page, index)
        if latency is not None:
            latencies.append(latency)
            drawn += _drawn_on_screen(page, index) > before
        page.wait_for_timeout(pause * 1000)
        if control.kind in ("checkbox", "toggle-button"):
            break
    return latencies, drawn


def back_and_forth(page, box, control: b.Control, index: int, steps: int, pause: float = 0.3) -> list[float]:
    latencies = []
    moves = ["down", "up"]
    for i in range(steps):
        latency = _timed_step(page, box, control, moves[i % 2], index)
        if latency is not None:
            latencies.append(latency)
        b.wait_until_shown(page, index)
        page.wait_for_timeout(pause * 1000)
    return latencies


def measure_notebook(page, lab, relative_path: str, steps: int, pause: float) -> list[ControlResult]:
    b.open_notebook(page, lab, relative_path)
    state = b.restart_and_run_all(page)
    nb_json = b.notebook_json(page)
    errors = b.error_outputs(nb_json)
    if state != "done" or errors:
        raise b.BrowserCheckError(f"{relative_path}: Run All failed: {errors}")
    figures = b.kernel_figures(page)
    shown = b.displayed_model_ids(nb_json)
    measured = [i for i, figure in enumerate(figures) if figure["model_id"] in shown]
    results = []
    for index in measured:
        box = b.figure_box(page, index)
        box.wait_for(state="attached", timeout=60_000)
        page.wait_for_timeout(2 * pause * 1000)  # a student reads the figure before touching it
        # The first click into a cell makes JupyterLab activate it, tens of milliseconds of the
        # browser's time before the click is handled. A slider step never counted it (the handle
        # is focused before the key is pressed); a click on a toggle button did. So the cell is
        # activated first, untimed, as by the student's first click on the figure.
        box.locator("img").first.click()
        page.wait_for_timeout(pause * 1000)
        for control in b.find_controls(box):
            result = ControlResult(relative_path, index + 1, control.label, control.kind)
            try:
                result.forward, result.forward_drawn = first_visits(page, box, control, index, steps, pause)
                if control.kind not in ("checkbox", "toggle-button"):
                    result.back = back_and_forth(page, box, control, index, steps)
                else:
                    result.back = back_and_forth(page, box, control, index, min(steps, 6))
                b.reset_figure(page, box, index)
                if control.kind == "slider":
                    page.wait_for_timeout(pause * 1000)
                    drag = b.drag_slider(page, box, control, index)
                    result.drag_redraws, result.drag_settle_ms = drag.redraws, drag.settle_ms
                    b.reset_figure(page, box, index)
            except b.BrowserCheckError as exc:
                result.error = str(exc)
                with contextlib.suppress(Exception):
                    b.reset_figure(page, box, index)
            results.append(result)
            print(
                f"  {relative_path} fig {index + 1} {control.label}: first visits {_ms(_median(result.forward))} / "
                f"{_ms(_p95(result.forward))} ms ({result.forward_drawn}/{len(result.forward)} drawn), "
                f"back and forth {_ms(_median(result.back))} / {_ms(_p95(result.back))} ms, "
                f"drag settle {_ms(result.drag_settle_ms)} ms" + (f"  ERROR {result.error}" if result.error else ""),
                flush=True,
            )
    return results


def measure_latency(notebooks: list[Path], steps: int, pause: float, tmp: Path, chromium: str, helpers: Path | None):
    from playwright.sync_api import sync_playwright

    root = b.mirror_repo(tmp / "repo", helpers=helpers)
    relative = []
    for notebook in notebooks:
        if notebook.parent != b.NOTEBOOKS:  # the toy, or a notebook from elsewhere
            shutil.copy(notebook, root / notebook.name)
        relative.append(notebook.name)
    results = []
    pythonpath = root.parent if helpers is not None else None
    with b.LabServer(root, tmp / "lab-home", pythonpath=pythonpath) as lab, sync_playwright() as playwright:
        browser = b.launch_browser(playwright, chromium)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            for name in relative:
                try:
                    results.extend(measure_notebook(page, lab, name, steps, pause))
                except b.BrowserCheckError as exc:
                    results.append(ControlResult(name, 0, "-", "-", error=str(exc)))
                    print(f"  {name}: {exc}", flush=True)
                b.close_notebooks(page)
                lab.shutdown_kernels()
        finally:
            browser.close()
    return results


def _ms(value: float | None) -> str:
    return "–" if value is None or value != value else f"{value:.0f}"  # None, nan → dash


START, END = "<!-- widgets:start -->", "<!-- widgets:end -->"


def render_section(
    *,
    latency: list[ControlResult],
    before: dict[tuple, dict] | None,
    exec_times: dict[str, list[float]],
    make_test: tuple[float, int] | None,
    steps: int,
    pause: float,
    runs: int,
    loads: tuple[tuple[float, ...], tuple[float, ...]],
    chromium_version: str,
    notes: list[str],
) -> str:
    import ipywidgets
    import jupyterlab
    import matplotlib

    lines = [
        START,
        "## Interactive figures: keypress → redraw",
        "",
        "Written by `make bench` (`tests/bench.py`, whose docstring says how each number is measured).",
        f"Targets, per control: at most {TARGET_MEDIAN_MS} ms median and {TARGET_P95_MS} ms p95 from a keypress "
        "to the new figure on screen, on first visits (moving forward, as a student does) and back and forth; "
        f"after a 2-second drag across a slider the figure settles at most {TARGET_SETTLE_MS} ms after the release.",
        "",
        f"- when: {dt.datetime.now().strftime('%Y-%m-%d %H:%M')}",
        f"- machine: {os.cpu_count()} cores, {platform.system()} {platform.machine()}, "
        f"load average {loads[0][0]:.1f} before / {loads[1][0]:.1f} after (1 min): "
        + (
            "**loaded** (other work was running; the times are inflated)"
            if max(loads[0][0], loads[1][0]) > 1.5
            else "quiet"
        ),
        f"- software: Python {platform.python_version()}, JupyterLab {jupyterlab.__version__}, "
        f"ipywidgets {ipywidgets.__version__}, matplotlib {matplotlib.__version__}, {chromium_version}",
        f"- first visits: up to {steps} notches forward, {pause:g} s between steps (a student reading); "
        f"back and forth: {steps} notches, 0.3 s apart; drag: 2 s from one end of the slider to the other",
    ]
    lines += [f"- {note}" for note in notes]
    lines += [
        "",
        "first: first visits, n steps (drawn: how many the kernel drew after the keypress; the others were "
        "drawn ahead while the student read, or prerendered). back: back and forth. redraws: image changes "
        "during the drag. Times in ms." + (" before: the same measurement on the previous plumbing." if before else ""),
        "",
    ]
    header = "| notebook | fig | control | kind | first n (drawn) | first median | first p95 | back median | back p95 | drag redraws | drag settle |"
    rule = "|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|"
    if before:
        header += " before: first median / p95 | before: back median / p95 | before: settle |"
        rule += "---:|---:|---:|"
    lines += [header + " target |", rule + "---|"]
    for r in latency:
        verdict = "error" if r.error else ("met" if r.meets_target else "**missed**")
        row = (
            f"| {r.notebook} | {r.figure} | {r.control} | {r.kind} | {len(r.forward)} ({r.forward_drawn}) "
            f"| {_ms(_median(r.forward))} | {_ms(_p95(r.forward))} | {_ms(_median(r.back))} | {_ms(_p95(r.back))} "
            f"| {'–' if r.drag_redraws is None else r.drag_redraws} | {_ms(r.drag_settle_ms)} |"
        )
        if before:
            old = before.get(r.key())
            if old is None:
                row += " – | – | – |"
            else:
                row += (
                    f" {_ms(_median(old['forward']))} / {_ms(_p95(old['forward']))} "
                    f"| {_ms(_median(old['back']))} / {_ms(_p95(old['back']))} | {_ms(old['drag_settle_ms'])} |"
                )
        lines.append(row + f" {verdict} |")
    errors = [r for r in latency if r.error]
    if errors:
        lines += ["", "Errors:", ""] + [f"- {r.notebook} {r.control}: {r.error}" for r in errors]
    met = sum(r.meets_target for r in latency)
    lines += ["", f"Controls meeting every target: {met} of {len(latency)}."]
    if runs:
        lines += [
            "",
            f"### Notebook run time (nbclient, median of {runs})",
            "",
            "| notebook | median (s) | runs (s) |",
            "|---|---:|---|",
        ]
        for name, times in exec_times.items():
            lines.append(f"| {name} | {statistics.median(times):.2f} | {', '.join(f'{t:.2f}' for t in times)} |")
    lines += ["", "### make test", ""]
    if make_test is None:
        lines.append("Not measured in this run (`BENCH_MAKE_TEST=1 make bench` measures it).")
    else:
        seconds, code = make_test
        lines.append(
            f"`make test` wall time: {seconds:.0f} s (exit code {code}: {'green' if code == 0 else 'failed'})."
        )
    lines.append(END)
    return "\n".join(lines)


def write_section(path: Path, section: str) -> None:
    """Put ``section`` between the widget markers of ``path``, keeping every other marked section."""
    text = path.read_text() if path.exists() else ""
    blocks = [
        m.group(0) for m in re.finditer(r"<!-- (?!widgets:)([\w-]+):start -->.*?<!-- \1:end -->", text, flags=re.S)
    ]
    if START in text and END in text:
        head, rest = text.split(START, 1)
        tail = rest.split(END, 1)[1]
        path.write_text(head + section + tail)
        return
    intro = "# Benchmark\n\nSections below are written by the project's measuring scripts; each keeps to its markers.\n"
    path.write_text("\n\n".join([intro.rstrip("\n"), section, *blocks]) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=20, help="notches per control and measurement (default 20)")
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between first-visit steps (default 1.0)")
    parser.add_argument("--runs", type=int, default=3, help="nbclient executions per notebook (default 3; 0: none)")
    parser.add_argument(
        "--make-test",
        action="store_true",
        default=os.environ.get("BENCH_MAKE_TEST") == "1",
        help="also time `make test` (or set BENCH_MAKE_TEST=1)",
    )
    parser.add_argument("--notebooks", nargs="*", default=None, help="only these notebooks (names or NN prefixes)")
    parser.add_argument("--extra", nargs="*", type=Path, default=[], help="notebooks from elsewhere to measure too")
    parser.add_argument("--helpers", type=Path, default=None, help="measure with this helpers/ folder instead")
    parser.add_argument("--json", type=Path, default=None, help="also write the raw numbers here")
    parser.add_argument("--before", type=Path, default=None, help="a --json file of an earlier run, shown as 'before'")
    parser.add_argument("--note", action="append", default=[], help="a line to add to the report (repeatable)")
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the section (default tests/BENCHMARK.md)")
    parser.add_argument("--no-write", action="store_true", help="print the section, write no markdown")
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
        if args.notebooks is not None:
            notebooks = [nb for nb in notebooks if any(nb.name.startswith(k) for k in args.notebooks)]
        notebooks += [path.resolve() for path in args.extra]
        if not notebooks:
            notebooks = [b.write_notebook(b.toy_notebook(), tmp / "toy" / "toy.ipynb")]
        exec_times = {}
        if args.runs:
            print("notebook run times ...", flush=True)
            exec_times = time_notebooks(notebooks, args.runs, tmp / "exec-home")
        print("keypress -> redraw in the browser ...", flush=True)
        latency = measure_latency(notebooks, args.steps, args.pause, tmp, chromium, args.helpers)

    if args.json:
        args.json.write_text(json.dumps([r.__dict__ for r in latency], indent=1))
    before = None
    if args.before:
        before = {(r["notebook"], r["figure"], r["control"]): r for r in json.loads(args.before.read_text())}
    section = render_section(
        latency=latency,
        before=before,
        exec_times=exec_times,
        make_test=make_test,
        steps=args.steps,
        pause=args.pause,
        runs=args.runs,
        loads=(load_before, os.getloadavg()),
        chromium_version=chromium_version,
        notes=args.note,
    )
    print()
    print(section)
    if not args.no_write:
        write_section(args.out, section)
        print(f"written to {args.out}")
    return 1 if any(r.error for r in latency) else 0


if __name__ == "__main__":
    sys.exit(main())
