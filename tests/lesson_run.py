"""One execution of a lesson that serves every check of its outputs and of its wrong answers.

:func:`run_lesson` runs nbval (strict mode: every committed text output is
compared with a fresh run's) on a copy of the notebook with cells appended
that sweep every value of every control of its interactive figures in the
same kernel; the plugin ``tests/nbval_figures.py``, loaded into that nbval
run, keeps every committed and every re-executed PNG. Given typical wrong
answers, each solution cell that has some starts with one line that grades
them first (:func:`probe_wrong_answers`, in a copy of the kernel). The tests
then read:

* ``run.nbval`` — nbval's exit code and output (``tests/test_notebooks.py``);
* ``run.sweeps`` — one sweep report per requested cap (:func:`sweep_problems`);
* ``run.cells`` — per code cell, the committed and the fresh PNG files
  (:func:`figure_problems`);
* ``run.probes`` — one verdict per wrong answer (:func:`wrong_answer_problems`).

Nothing here is a test itself.
"""

from __future__ import annotations

import ast
import inspect
import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import numpy as np
from matplotlib.testing.compare import compare_images
from PIL import Image

from helpers.refresh import kernel_environment

ROOT = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent
SANITIZE = TESTS / "nbval_sanitize.cfg"
# A control with a huge range is swept on this many evenly spread values, ends included.
MAX_VALUES_PER_CONTROL = 200
# Root-mean-square difference allowed between a committed and a re-executed figure, on
# the 0-255 scale of matplotlib's compare_images. Agg draws the same pixels for the same
# pinned versions, so 0 is what a fresh figure gives; 1 leaves room for rounding in the
# rasteriser on another CPU, far below what a changed line or label costs (see the self-tests).
FIGURE_TOLERANCE = 1.0


def sample_evenly(values: list, cap: int) -> list:
    """At most ``cap`` of ``values``, evenly spread, first and last always kept, order kept."""
    if cap < 2:
        raise ValueError(f"cap must be at least 2, got {cap}")
    if len(values) <= cap:
        return list(values)
    last = len(values) - 1
    indices = sorted({round(i * last / (cap - 1)) for i in range(cap)})
    return [values[i] for i in indices]


def sweep_live_figures(cap: int) -> dict:
    """Runs inside the lesson's kernel: set every value of every control, report what went wrong.

    A value fails when it raises, warns, leaves an error on the figure
    (``last_error``), or gives no PNG; a control fails when moving it through
    its values changes neither the figure nor its caption.
    """
    import hashlib
    import warnings

    from helpers.widgets import control_values, live_figures

    png_signature = b"\x89PNG\r\n\x1a\n"
    problems, controls = [], []
    figures = live_figures()
    for number, figure in enumerate(figures, start=1):
        defaults = figure.values
        for name, control in figure.controls.items():
            every = control_values(control)
            values = sample_evenly(every, cap)
            controls.append({"figure": number, "control": name, "values": len(every), "swept": len(values)})
            # Empty the figure's cache so that every value is really rendered here.
            figure._cache.clear()
            seen, failed = set(), False
            for value in values:
                where = f"figure {number}, control {name!r} = {value!r}"
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("error")
                        figure.set_values(**{name: value})
                except Exception as exc:  # a warning is an exception here too
                    problems.append(f"{where}: {type(exc).__name__}: {exc}")
                    failed = True
                    continue
                error = getattr(figure, "last_error", None)
                if error is not None:
                    problems.append(f"{where}: the figure shows an error: {error}")
                    failed = True
                    continue
                png = bytes(figure.image.value or b"")  # ipywidgets may hold a memoryview
                if not (png.startswith(png_signature) and len(png) > len(png_signature)):
                    problems.append(f"{where}: the figure is not a non-empty PNG ({len(png)} bytes)")
                    failed = True
                    continue
                seen.add((hashlib.sha256(png).hexdigest(), figure.caption_text))
            if not failed and len(values) > 1 and len(seen) < 2:
                problems.append(
                    f"figure {number}, control {name!r}: its {len(values)} values all give the same figure "
                    "and the same caption (the control changes nothing)"
                )
            try:
                figure.set_values(**defaults)
            except Exception as exc:
                problems.append(f"figure {number}: back to its defaults: {type(exc).__name__}: {exc}")
    return {"figures": len(figures), "controls": controls, "problems": problems}


def sweep_cell(report: Path, cap: int) -> str:
    """Code for a cell that sweeps the kernel's live figures and writes the report to ``report``."""
    return "\n\n".join(
        [
            "import json as _json\nimport traceback as _traceback",
            inspect.getsource(sample_evenly),
            inspect.getsource(sweep_live_figures),
            "try:\n"
            f"    _report = sweep_live_figures({cap})\n"
            "except Exception:  # the sweep itself broke: report it, do not hide it in nbval's output\n"
            "    _report = {'figures': 0, 'controls': [], 'problems': [_traceback.format_exc()]}\n"
            f"open({str(report)!r}, 'w', encoding='utf-8').write(_json.dumps(_report))",
        ]
    )


def probe_wrong_answers(report: str, attempts: list[dict], timeout: float = 300.0) -> None:
    """Runs inside the lesson's kernel, first thing in a solution cell: the verdict on each wrong answer.

    An attempt is the code nbgrader runs from here in a submission holding that one
    wrong answer: the solution cell with the wrong code in place, the code cells up to
    the exercise's test cell, the test cell. Each runs in a child process forked from
    the kernel, whose memory is a copy of the kernel's at this moment, which is the
    state the submission's run has here. The kernel itself is not touched, so the
    correct solution and the rest of the lesson then run as if nothing had happened,
    and the next probe starts from the same state as the real run. As in nbgrader, an
    error in the solution cell does not stop the run; the verdict is whether the test
    cell raised (nbgrader gives a test cell full marks exactly when it raises nothing,
    given it shows no result: :func:`wrong_answer_problems` checks that). Where there
    is no fork (Windows), attempts run here on a shallow copy of the namespace: new
    names do not leak, but a change made in place to a shared object would.
    Appends one JSON line per attempt to ``report``.
    """
    import contextlib
    import io
    import json
    import os
    import signal
    import sys
    import time
    import warnings

    from IPython import get_ipython

    shell = get_ipython()

    def run(namespace: dict, sources: list[str]) -> dict:
        verdict = {"outcome": "passed", "error": None, "earlier_error": None}
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            for index, source in enumerate(sources):
                try:
                    exec(compile(shell.transform_cell(source), f"<attempt cell {index + 1}>", "exec"), namespace)
                except BaseException as error:  # noqa: BLE001 - SystemExit too: the kernel reports it as an error
                    text = f"{type(error).__name__}: {error}"[:500]
                    if index == len(sources) - 1:
                        verdict.update(outcome="raised", error=text)
                    else:
                        verdict["earlier_error"] = verdict["earlier_error"] or text
        return verdict

    for attempt in attempts:
        started = time.perf_counter()
        if not hasattr(os, "fork"):
            verdict = {**run(dict(shell.user_ns), attempt["sources"]), "isolation": "shallow copy"}
        else:
            result = f"{report}.{os.getpid()}.verdict"
            if "helpers.widgets" in sys.modules:  # no fork while its drawing thread holds a lock
                sys.modules["helpers.widgets"].wait_until_idle()
            with warnings.catch_warnings():  # Python 3.12+ warns that the kernel has threads
                warnings.simplefilter("ignore", DeprecationWarning)
                child = os.fork()
            if child == 0:  # the copy: never return to the kernel's loop, send nothing to the front end
                status = 1
                try:
                    shell.display_pub.publish = lambda *args, **kwargs: None
                    quiet = os.open(os.devnull, os.O_WRONLY)  # the kernel forwards what reaches fds 1 and 2
                    os.dup2(quiet, 1)
                    os.dup2(quiet, 2)
                    verdict = run(shell.user_ns, attempt["sources"])
                    with open(result, "w", encoding="utf-8") as handle:
                        json.dump(verdict, handle)
                    status = 0
                finally:
                    os._exit(status)
            deadline = time.monotonic() + timeout
            while (ended := os.waitpid(child, os.WNOHANG))[0] == 0 and time.monotonic() < deadline:
                time.sleep(0.02)
            if ended[0] == 0:
                os.kill(child, signal.SIGKILL)
                os.waitpid(child, 0)
                verdict = {"outcome": "broken", "error": f"the attempt ran longer than {timeout:g} s"}
            elif os.path.exists(result):
                with open(result, encoding="utf-8") as handle:
                    verdict = {**json.load(handle), "isolation": "fork"}
                os.remove(result)
            else:
                verdict = {"outcome": "broken", "error": f"the attempt's process ended without a verdict ({ended[1]})"}
        record = {key: attempt[key] for key in ("exercise", "k", "why", "tests")}
        record["seconds"] = round(time.perf_counter() - started, 2)
        with open(report, "a", encoding="utf-8") as log:
            log.write(json.dumps({**record, **verdict}) + "\n")


def probe_line(report: Path, attempts: list[dict]) -> str:
    """One line of code that runs :func:`probe_wrong_answers` in a namespace of its own (no name is left behind)."""
    program = inspect.getsource(probe_wrong_answers) + f"\nprobe_wrong_answers({str(report)!r}, {attempts!r})\n"
    return f"exec({program!r}, {{'__name__': 'rare_cases_probe'}})  # typical wrong answers (tests/lesson_run.py)"


def wrong_answer_attempts(notebook, wrong: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """For each solution cell with wrong answers, by grade_id: what a submission with each one runs up to its test cell."""
    from toy_lessons import grade_id, with_answers

    cells = notebook.cells
    position = {grade_id(cell): index for index, cell in enumerate(cells) if grade_id(cell)}
    attempts = {}
    for solution_id, answers in wrong.items():
        start, end = position[solution_id], position[solution_id.removesuffix("_solution") + "_tests"]
        between = [cell.source for cell in cells[start + 1 : end + 1] if cell.cell_type == "code"]
        attempts[solution_id] = [
            {
                "exercise": solution_id,
                "k": k,
                "why": answer["why"],
                "tests": grade_id(cells[end]),
                "sources": [
                    next(
                        c
                        for c in with_answers(notebook, {solution_id: answer["code"]}).cells
                        if grade_id(c) == solution_id
                    ).source,
                    *between,
                ],
            }
            for k, answer in enumerate(answers, start=1)
        ]
    return attempts


def shows_a_result(source: str) -> bool:
    """True when a cell ends with an expression other than print(...): a result nbgrader may read as partial credit."""
    from IPython.core.inputtransformer2 import TransformerManager

    body = ast.parse(TransformerManager().transform_cell(source)).body
    if not body or not isinstance(last := body[-1], ast.Expr):
        return False
    return not (isinstance(last.value, ast.Call) and getattr(last.value.func, "id", None) == "print")


def wrong_answer_problems(run: LessonRun, wrong: dict[str, list[dict]]) -> list[str]:
    """Every wrong answer of ``wrong`` (as in tests/wrong_answers/) that was not probed once, or whose tests passed."""
    problems = []
    tests = {
        cell.metadata.nbgrader["grade_id"]: cell.source
        for cell in nbformat.read(run.notebook, as_version=4).cells
        if cell.metadata.get("nbgrader", {}).get("grade")
    }
    for solution_id, answers in sorted(wrong.items()):
        tests_id = solution_id.removesuffix("_solution") + "_tests"
        if shows_a_result(tests[tests_id]):
            problems.append(f"{tests_id} ends with an expression: nbgrader may read it as partial credit")
        for k, answer in enumerate(answers, start=1):
            verdicts = [p for p in run.probes if (p["exercise"], p["k"]) == (solution_id, k)]
            where = f"{solution_id} wrong answer {k} ({answer['why']})"
            if len(verdicts) != 1:
                problems.append(f"{where}: probed {len(verdicts)} times, not once")
            elif verdicts[0]["outcome"] == "passed":
                problems.append(f"{where}: its tests pass, so it scores full marks")
            elif verdicts[0]["outcome"] != "raised":
                problems.append(f"{where}: the probe broke: {verdicts[0]['error']}")
    return problems


@dataclass
class LessonRun:
    notebook: Path
    nbval: subprocess.CompletedProcess
    sweeps: dict[int, dict]  # cap -> report
    cells: list[
        dict
    ]  # per code cell: {"cell", "ran", "committed_run", "checked", "committed": [paths], "fresh": [paths]}
    probes: list[dict] = field(default_factory=list)  # one verdict per wrong answer (probe_wrong_answers)

    @property
    def nbval_summary(self) -> str:
        return self.nbval.stdout[-6000:] + self.nbval.stderr[-2000:]


def _mirror(repo: Path) -> Path:
    """A stand-in for the repository whose ``notebooks/`` is empty; everything else links to the real one.

    A lesson that reads ``../data`` or ``../pyproject.toml`` finds it, while the
    copy with appended cells runs in its own folder.
    """
    repo.mkdir(parents=True, exist_ok=True)
    for entry in ROOT.iterdir():
        if entry.name not in ("notebooks", ".git") and not entry.name.startswith(".venv"):
            (repo / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    (repo / "notebooks").mkdir()
    return repo / "notebooks"


def run_lesson(
    notebook: Path,
    workdir: Path,
    *,
    caps: tuple[int, ...] = (MAX_VALUES_PER_CONTROL,),
    wrong: dict[str, list[dict]] | None = None,
) -> LessonRun:
    """Execute ``notebook`` once under nbval, sweep its figures, keep its PNGs, probe the ``wrong`` answers.

    ``wrong`` maps solution grade_ids to typical wrong answers, as a file of
    ``tests/wrong_answers/`` does (see the module docstring).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    home, figures, probes = workdir / "home", workdir / "figures", workdir / "wrong-answers.jsonl"
    home.mkdir(exist_ok=True)
    nb = nbformat.read(notebook, as_version=4)
    for solution_id, attempts in wrong_answer_attempts(nb, wrong or {}).items():
        cell = next(cell for cell in nb.cells if cell.metadata.get("nbgrader", {}).get("grade_id") == solution_id)
        # First in the cell, not a cell of its own: nbval's cell numbers and every output stay as committed.
        assert not cell.source.startswith("%%"), f"{solution_id}: a cell magic must stay first in its cell"
        cell.source = probe_line(probes, attempts) + "\n" + cell.source
    reports = {cap: workdir / f"sweep-{cap}.json" for cap in caps}
    for cap, report in reports.items():
        # Unrun cells (no execution count, no outputs): nbval runs them and compares nothing.
        cell = nbformat.v4.new_code_cell(sweep_cell(report, cap))
        cell.id = f"rare-cases-sweep-{cap}"
        nb.cells.append(cell)
    copy = _mirror(workdir / "repo") / notebook.name
    nbformat.write(nb, copy)
    arguments = [
        "--nbval", "--nbval-current-env", f"--nbval-sanitize-with={SANITIZE}", "--nbval-cell-timeout=300",
        "-p", "nbval_figures", f"--figure-dir={figures}",
        "-p", "no:cacheprovider", "-p", "no:xdist", "-q", "-o", "addopts=", f"--rootdir={workdir}", str(copy),
    ]  # fmt: skip
    # The plugin is imported from tests/ without putting tests/ on the kernel's path.
    launcher = f"import sys; sys.path.insert(0, {str(TESTS)!r}); import pytest; sys.exit(pytest.main({arguments!r}))"
    result = subprocess.run(
        [sys.executable, "-c", launcher],
        cwd=workdir,
        env=kernel_environment(home),
        capture_output=True,
        text=True,
        timeout=1800,
    )
    sweeps = {cap: json.loads(path.read_text()) for cap, path in reports.items() if path.is_file()}
    log = figures / "cells.jsonl"
    cells = [json.loads(line) for line in log.read_text().splitlines()] if log.is_file() else []
    for cell in cells:
        for kind in ("committed", "fresh"):
            cell[kind] = [figures / name for name in cell[kind]]
    verdicts = [json.loads(line) for line in probes.read_text().splitlines()] if probes.is_file() else []
    return LessonRun(notebook=notebook, nbval=result, sweeps=sweeps, cells=cells, probes=verdicts)


def is_blank(path: Path) -> bool:
    """True for an image of a single colour (a figure that shows nothing)."""
    pixels = np.asarray(Image.open(path).convert("RGBA"))
    return bool((pixels == pixels[0, 0]).all())


def figure_difference(committed: Path, fresh: Path, tolerance: float = FIGURE_TOLERANCE) -> str | None:
    """Why the committed figure is not the re-executed one, or None when they agree within ``tolerance``."""
    if is_blank(committed):
        return "the committed figure is blank"
    if is_blank(fresh):
        return "the re-executed figure is blank"
    size_committed, size_fresh = Image.open(committed).size, Image.open(fresh).size
    if size_committed != size_fresh:
        return f"the committed figure is {size_committed[0]}x{size_committed[1]} px, a fresh run draws {size_fresh[0]}x{size_fresh[1]}"
    failure = compare_images(str(committed), str(fresh), tol=tolerance, in_decorator=True)
    if failure is None:
        return None
    return f"RMS pixel difference {failure['rms']:.2f} > {tolerance} (difference image: {failure['diff']})"


def figure_problems(run: LessonRun) -> tuple[int, list[str]]:
    """How many figures were compared, and every committed figure that a fresh run does not draw."""
    compared, problems = 0, []
    for cell in run.cells:
        where = f"code cell {cell['cell'] + 1}"
        if not cell["ran"] or not cell["committed_run"]:
            continue  # nbval could not run it (test_outputs_reproduce says why), or it was committed unrun
        committed, fresh = cell["committed"], cell["fresh"]
        if len(committed) != len(fresh):
            problems.append(f"{where}: {len(committed)} committed figure(s), a fresh run shows {len(fresh)}")
            continue
        if not cell["checked"]:
            continue  # nbval is told to ignore this cell's output (a figure of measured times): count only
        for index, (old, new) in enumerate(zip(committed, fresh, strict=True), start=1):
            compared += 1
            difference = figure_difference(old, new)
            if difference:
                problems.append(f"{where}, figure {index}: {difference}")
    return compared, problems


def sweep_failure_message(name: str, report: dict) -> str:
    swept = ", ".join(
        f"fig {c['figure']} {c['control']}: {c['swept']}"
        + (f" of {c['values']} (sampled)" if c["swept"] < c["values"] else "")
        for c in report["controls"]
    )
    problems = "\n  ".join(report["problems"])
    return f"{name}: {len(report['problems'])} problem(s):\n  {problems}\n(values swept: {swept})"
