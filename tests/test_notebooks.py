"""Every lesson notebook: its committed outputs are fresh, complete and clean.

Each lesson is executed ONCE (``tests/lesson_run.py``), and that execution serves:

* ``test_outputs_reproduce``: nbval re-runs the notebook in strict mode, offline,
  and compares every text output with the committed one;
* ``test_figures_match_the_committed_ones``: every figure the fresh run draws
  (an interactive figure's static PNG included) is the committed PNG, within
  ``FIGURE_TOLERANCE``; a stale or blank committed figure fails;
* ``test_every_control_value``: in the same kernel, every value of every
  control of every interactive figure (``tests/test_widget_sweep.py`` holds
  the sweep's self-tests);
* ``test_typical_wrong_answers_fail_their_tests``: each typical wrong answer of
  ``tests/wrong_answers/NN_topic.yaml``, run where its solution cell stands in
  a copy of the kernel, makes its exercise's test cell raise, so nbgrader
  scores it below full marks (``tests/test_wrong_answer_probe.py`` holds the
  probe's self-tests; ``tests/test_release.py`` grades the toy lesson's wrong
  answers with nbgrader itself).

``test_committed_notebook_is_clean``: the committed file comes from one
in-order run, has no error outputs, no machine paths, and stable cell ids.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
from toy_lessons import wrong_answers

from lesson_run import (  # tests/ is on sys.path
    figure_problems,
    run_lesson,
    sweep_failure_message,
    wrong_answer_problems,
)

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
URL = re.compile(r"https?://[^\s\"')\]>]+")
WRONG = wrong_answers()  # {lesson: {solution grade_id: [wrong answer, ...]}}
MACHINE_PATH = re.compile(r"(/(home|root|work|tmp|Users|usr|opt)/|[A-Z]:\\\\(Users|Windows|Program Files)\\\\)")


def test_there_are_notebooks():
    assert NOTEBOOKS, "no lesson notebooks found in notebooks/"


@pytest.fixture(scope="module", params=NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def lesson(request, tmp_path_factory):
    """The lesson executed once: nbval's run, its figures, its sweep, its wrong answers (the four tests below)."""
    wrong = WRONG.get(request.param.stem, {})
    return run_lesson(request.param, tmp_path_factory.mktemp(request.param.stem), wrong=wrong)


@pytest.mark.slow
def test_outputs_reproduce(lesson):
    result = lesson.nbval
    name = lesson.notebook.name
    assert result.returncode == 0, f"nbval found differences or errors in {name}:\n{lesson.nbval_summary}"
    assert re.search(r"\d+ passed", result.stdout), f"nbval ran no cell of {name}:\n{lesson.nbval_summary}"


@pytest.mark.slow
def test_figures_match_the_committed_ones(lesson):
    compared, problems = figure_problems(lesson)
    name = lesson.notebook.name
    assert lesson.cells, f"no cell of {name} reached the figure comparison:\n{lesson.nbval_summary}"
    assert not problems, (
        f"{name}: committed figures that a fresh run does not draw (run `make notebooks`):\n  " + "\n  ".join(problems)
    )
    assert compared, f"{name} has no figure to compare; every lesson shows at least one"


@pytest.mark.slow
def test_every_control_value(lesson):
    name = lesson.notebook.name
    assert lesson.sweeps, f"the sweep of {name} wrote no report:\n{lesson.nbval_summary}"
    (report,) = lesson.sweeps.values()
    assert report["figures"] >= 1, f"{name} has no interactive figure; every lesson needs one"
    assert not report["problems"], sweep_failure_message(name, report)


@pytest.mark.slow
def test_typical_wrong_answers_fail_their_tests(lesson):
    name = lesson.notebook.stem
    if name not in WRONG:
        pytest.skip(f"no tests/wrong_answers/{name}.yaml")
    problems = wrong_answer_problems(lesson, WRONG[name])
    assert not problems, f"{name}: typical wrong answers nbgrader would not catch:\n  " + "\n  ".join(problems)
    assert len(lesson.probes) == sum(map(len, WRONG[name].values()))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_committed_notebook_is_clean(notebook):
    nb = nbformat.read(notebook, as_version=4)
    nbformat.validate(nb)
    code_cells = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code_cells, "a lesson has code"
    counts = [cell.execution_count for cell in code_cells]
    assert counts == list(range(1, len(code_cells) + 1)), (
        f"outputs must come from one in-order run of every cell (run `make notebooks`); execution counts: {counts}"
    )
    ids = [cell.get("id") for cell in nb.cells]
    assert all(ids) and len(set(ids)) == len(ids), "every cell needs a unique, stable id"
    for index, cell in enumerate(code_cells):
        for output in cell.outputs:
            assert output.output_type != "error", f"code cell {index + 1} has an error output"
            assert not (output.output_type == "stream" and output.name == "stderr" and "Warning" in output.text), (
                f"code cell {index + 1} prints a warning: {output.text[:300]}"
            )
    text = URL.sub("", json.dumps(nb))
    match = MACHINE_PATH.search(text)
    assert match is None, (
        f"a machine path leaked into the notebook: ...{text[max(0, match.start() - 60) : match.end() + 60]}..."
    )
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    assert "widgets" not in nb.metadata, "widget state is execution-time noise; run `make notebooks`"


def test_network_is_blocked_in_notebook_kernels(tmp_path):
    """The offline guard really blocks: a notebook reaching for the web fails with our error."""
    probe = nbformat.v4.new_notebook()
    probe.cells = [
        nbformat.v4.new_code_cell(
            "import urllib.request\n"
            "try:\n"
            "    urllib.request.urlopen('http://example.invalid/', timeout=5)\n"
            "except Exception as error:\n"
            "    print(type(error).__name__, error)\n"
        )
    ]
    probe.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "probe.ipynb"
    nbformat.write(probe, path)
    from helpers.refresh import execute_notebook

    executed = execute_notebook(path, home=tmp_path)
    printed = "".join(output.get("text", "") for output in executed.cells[0].outputs)
    assert "network access is blocked" in printed, printed
    assert "example.invalid" in printed, printed
