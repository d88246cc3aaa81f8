"""The checks of a lesson's one execution can fail: toy notebooks that break each of them.

The lessons themselves are checked in ``tests/test_notebooks.py``, each from one
execution (``tests/lesson_run.py``): nbval's strict comparison of text outputs,
the comparison of every figure with the committed PNG, and the sweep of every
value of every control of every interactive figure (ends included, the other
controls at their defaults, warnings turned into errors). A control with more
than ``MAX_VALUES_PER_CONTROL`` values is swept on that many values spread
evenly over its range, both ends always included.

Here a toy lesson with one interactive figure of every control kind and two
static figures is executed as ``make notebooks`` does (its committed outputs),
then run through the same machinery twice:

* as committed: nbval, the figures and the sweep all pass;
* broken: its figure raises at the top of one slider and warns at the bottom of
  another, a second figure has a control that changes nothing, one committed
  text output is edited, one committed figure is blank, two are swapped
  (stale) and the interactive figure's static PNG is blank: every one of these
  is reported, and nothing else.
"""

from __future__ import annotations

import base64
import io

import nbformat
import pytest
from PIL import Image

from helpers.refresh import execute_notebook

import browser as b  # tests/browser.py: pytest puts tests/ on sys.path (no __init__.py there)
from lesson_run import (
    FIGURE_TOLERANCE,
    MAX_VALUES_PER_CONTROL,
    figure_difference,
    figure_problems,
    run_lesson,
    sample_evenly,
    sweep_failure_message,
)

# plt.show(), not a trailing semicolon: nbval runs cells outside IPython's history, where
# the semicolon does not hide the last value.
STATIC_FIGURES = [
    "import matplotlib.pyplot as plt\n\nfig, ax = plt.subplots(figsize=(3, 2))\nax.plot([0, 1, 2], [0, 1, 4], marker='o')\nax.set_xlabel('x')\nax.set_ylabel('y')\nplt.show()",
    "fig, ax = plt.subplots(figsize=(3, 2))\nax.bar(['a', 'b'], [3, 1])\nax.set_ylabel('count')\nplt.show()",
]
PRINTED = "print('the toy lesson ran to its end')"
DEAD_CONTROL_FIGURE = """\
def render_ignoring_size(size, colour):
    fig = Figure(figsize=(3, 2))
    fig.add_subplot().plot([0, 1], [0, 1], color=colour)
    return fig, f"a line in {colour}"


dead = interactive_figure(
    render_ignoring_size,
    size=widgets.IntSlider(value=2, min=1, max=5, description="size"),
    colour=widgets.Dropdown(options=["black", "tab:blue"], value="black", description="colour"),
)
dead"""


def toy_lesson(*, broken: bool = False) -> nbformat.NotebookNode:
    nb = b.toy_notebook(broken=broken)
    nb.cells.extend(nbformat.v4.new_code_cell(source) for source in [*STATIC_FIGURES, PRINTED])
    return nb


def png_outputs(cell) -> list:
    return [output for output in cell.outputs if "image/png" in output.get("data", {})]


def blank_like(encoded_png: str) -> str:
    size = Image.open(io.BytesIO(base64.b64decode(encoded_png))).size
    buffer = io.BytesIO()
    Image.new("RGBA", size, "white").save(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def break_committed(committed: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The broken toy's sources with the committed toy's outputs, tampered with."""
    nb = toy_lesson(broken=True)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    done = [cell for cell in committed.cells if cell.cell_type == "code"]
    assert len(code) == len(done)
    for cell, old in zip(code, done, strict=True):
        cell.outputs, cell.execution_count = old.outputs, old.execution_count
    interactive, first, second, printed = (cell for cell in code if png_outputs(cell) or "print(" in cell.source)
    (live,) = png_outputs(interactive)
    live.data["image/png"] = blank_like(live.data["image/png"])  # the static fallback is blank
    (a,), (c,) = png_outputs(first), png_outputs(second)
    a.data["image/png"], c.data["image/png"] = c.data["image/png"], a.data["image/png"]  # stale: swapped
    printed.outputs[0].text = printed.outputs[0].text.replace("its end", "its middle")
    nb.cells.append(nbformat.v4.new_code_cell(DEAD_CONTROL_FIGURE))  # not run when committed
    return nb


@pytest.fixture(scope="module")
def toy_runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("toys")
    source = b.write_notebook(toy_lesson(), tmp / "source" / "toy.ipynb")
    committed = execute_notebook(source, home=tmp)  # what `make notebooks` writes
    good = b.write_notebook(committed, tmp / "good" / "toy.ipynb")
    broken = b.write_notebook(break_committed(committed), tmp / "broken" / "toy.ipynb")
    return {
        "good": run_lesson(good, tmp / "run-good", caps=(MAX_VALUES_PER_CONTROL, 5)),
        "broken": run_lesson(broken, tmp / "run-broken"),
    }


def test_toy_passes_every_check(toy_runs):
    run = toy_runs["good"]
    assert run.nbval.returncode == 0, run.nbval_summary
    compared, problems = figure_problems(run)
    assert not problems, problems
    assert compared == 3, f"the interactive figure's PNG and two static figures, compared {compared}"
    report = run.sweeps[MAX_VALUES_PER_CONTROL]
    assert not report["problems"], sweep_failure_message("toy", report)
    # every value of every control: 19 + 11 + 3 + 2 + 2
    assert report["figures"] == 1
    assert [(c["control"], c["swept"]) for c in report["controls"]] == [
        ("n_points", 19),
        ("noise", 11),
        ("kind", 3),
        ("side", 2),
        ("grid", 2),
    ]


def test_capped_sweep_keeps_both_ends(toy_runs):
    report = toy_runs["good"].sweeps[5]
    counts = {c["control"]: (c["values"], c["swept"]) for c in report["controls"]}
    assert counts["n_points"] == (19, 5) and counts["noise"] == (11, 5) and counts["kind"] == (3, 3)
    assert not report["problems"], report["problems"]


def test_broken_toy_fails_the_sweep(toy_runs):
    report = toy_runs["broken"].sweeps[MAX_VALUES_PER_CONTROL]
    problems = report["problems"]
    assert report["figures"] == 2
    assert len(problems) == 3, problems
    raised, warned, dead = problems
    assert "'n_points' = 40" in raised and "ValueError" in raised
    assert "'noise' = 0.0" in warned and "RuntimeWarning" in warned
    assert "figure 2, control 'size'" in dead and "changes nothing" in dead
    assert not any("'colour'" in problem for problem in problems), "the dropdown that works was reported"


def test_broken_toy_fails_the_figure_comparison(toy_runs):
    compared, problems = figure_problems(toy_runs["broken"])
    assert compared == 3, compared
    assert len(problems) == 3, problems
    blank, stale_first, stale_second = problems
    assert "blank" in blank
    assert "RMS pixel difference" in stale_first or "px" in stale_first
    assert "RMS pixel difference" in stale_second or "px" in stale_second


def test_broken_toy_fails_nbval(toy_runs):
    run = toy_runs["broken"]
    assert run.nbval.returncode != 0
    assert "its middle" in run.nbval.stdout and "its end" in run.nbval.stdout, run.nbval_summary
    assert "1 failed" in run.nbval.stdout, run.nbval_summary


def test_figure_difference_tolerance(tmp_path):
    """The tolerance admits the same drawing and rejects a one-pixel-wide line moved by a few pixels."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    def draw(path, offset):
        fig = Figure(figsize=(3, 2), dpi=100)
        ax = fig.add_subplot()
        ax.plot([0, 1], [0, 1], linewidth=1)
        ax.set_xlim(-offset, 1)
        fig.savefig(path)
        return path

    same = figure_difference(draw(tmp_path / "a.png", 0), draw(tmp_path / "b.png", 0))
    assert same is None, same
    moved = figure_difference(draw(tmp_path / "c.png", 0), draw(tmp_path / "d.png", 0.05))
    assert moved is not None and "RMS" in moved, moved
    assert FIGURE_TOLERANCE < 5


def test_sample_evenly():
    assert sample_evenly([1, 2, 3], 5) == [1, 2, 3]
    values = list(range(1001))
    sampled = sample_evenly(values, 200)
    assert len(sampled) == 200 and sampled[0] == 0 and sampled[-1] == 1000
    assert sampled == sorted(set(sampled))
    gaps = {b - a for a, b in zip(sampled, sampled[1:], strict=False)}
    assert max(gaps) - min(gaps) <= 1
    with pytest.raises(ValueError):
        sample_evenly(values, 1)
