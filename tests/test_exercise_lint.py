"""The exercise markup of the lessons, and the lint that checks it.

The lint (``helpers.release.lint_notebook``) must pass on every lesson and
must fail, with a message that says what is wrong, on small broken notebooks
built here in memory.
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
import pytest
from toy_lessons import exercise_cells

from helpers.release import exercise_points, lesson_notebooks, lint_notebook, lint_notebooks, main

ROOT = Path(__file__).resolve().parent.parent
LESSONS = lesson_notebooks(ROOT / "notebooks")


def toy_lesson(number: int = 1, n_exercises: int = 3) -> nbformat.NotebookNode:
    """A minimal lesson: an import cell, then ``n_exercises`` well-formed exercises."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells = [
        nbformat.v4.new_markdown_cell(f"# {number:02d} · Toy lesson"),
        nbformat.v4.new_code_cell("labels = [0] * 98 + [1] * 2"),
    ]
    for k in range(1, n_exercises + 1):
        notebook.cells += exercise_cells(
            number,
            k,
            title=f"count the positives, take {k}",
            points=k,
            task="How many positives are there?",
            solution=f"answer_{k} = sum(labels)",
            tests=f"assert isinstance(answer_{k}, int)",
            hidden_tests=f"assert answer_{k} == 2",
        )
    return notebook


def cell(notebook, grade_id: str):
    return next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def lint(notebook, name: str = "01_toy") -> list[str]:
    return lint_notebook(notebook, name)


# --------------------------------------------------------------------------- the lessons


@pytest.mark.parametrize("notebook", LESSONS, ids=[path.stem for path in LESSONS])
def test_lesson_exercise_markup(notebook):
    assert lint_notebooks([notebook]) == []


def test_lesson_numbers_are_distinct():
    numbers = [path.stem[:2] for path in LESSONS]
    assert len(numbers) == len(set(numbers)), numbers


# --------------------------------------------------------------------------- good input


def test_toy_lesson_passes():
    assert lint(toy_lesson()) == []


def test_welcome_page_may_have_no_exercise():
    assert lint(toy_lesson(0, 0), "00_welcome") == []
    assert lint(toy_lesson(0, 1), "00_welcome") == []


def test_lessons_after_11_are_not_held_to_three_exercises():
    assert lint(toy_lesson(12, 1), "12_extra") == []


def test_magics_and_scaffolding_are_valid_python():
    notebook = toy_lesson()
    cell(notebook, "ex01_1_solution").source = (
        "%matplotlib inline\ndef count(values):\n    ### BEGIN SOLUTION\n    return sum(values)\n    ### END SOLUTION\n"
        "answer_1 = count(labels)"
    )
    assert lint(notebook) == []


def test_exercise_points_reads_the_test_cells():
    assert exercise_points(toy_lesson()) == {"ex01_1_tests": 1.0, "ex01_2_tests": 2.0, "ex01_3_tests": 3.0}


def test_exercise_cells_follow_the_contract():
    task, solution, tests = exercise_cells(4, 2, title="t", points=1.5, task="x", solution="y = 1", tests="assert y")
    assert task.source.startswith("### Exercise 04.2 — t (1.5 points)")
    assert task.metadata.nbgrader == {
        "grade": False,
        "solution": False,
        "locked": True,
        "grade_id": "ex04_2_task",
        "schema_version": 3,
    }
    assert solution.metadata.nbgrader["solution"] is True and "### BEGIN SOLUTION" in solution.source
    assert tests.metadata.nbgrader["points"] == 1.5 and "HIDDEN" not in tests.source


# --------------------------------------------------------------------------- bad input


def _set(target, **fields):
    def change(notebook):
        cell(notebook, target).metadata.nbgrader.update(fields)

    return change


def _delete(grade_id, key):
    def change(notebook):
        del cell(notebook, grade_id).metadata.nbgrader[key]

    return change


def _source(grade_id, source):
    def change(notebook):
        cell(notebook, grade_id).source = source

    return change


def _remove(grade_id):
    def change(notebook):
        notebook.cells.remove(cell(notebook, grade_id))

    return change


def _append(new_cell):
    def change(notebook):
        notebook.cells.append(new_cell)

    return change


def _swap(first, second):
    def change(notebook):
        i, j = notebook.cells.index(cell(notebook, first)), notebook.cells.index(cell(notebook, second))
        notebook.cells[i], notebook.cells[j] = notebook.cells[j], notebook.cells[i]

    return change


def _as_code(grade_id):
    def change(notebook):
        old = cell(notebook, grade_id)
        notebook.cells[notebook.cells.index(old)] = nbformat.v4.new_code_cell(old.source, metadata=old.metadata)

    return change


def _renumber(old_k, new_k):
    def change(notebook):
        for part in ("task", "solution", "tests"):
            cell(notebook, f"ex01_{old_k}_{part}").metadata.nbgrader["grade_id"] = f"ex01_{new_k}_{part}"
        task = cell(notebook, f"ex01_{new_k}_task")
        task.source = task.source.replace(f"01.{old_k}", f"01.{new_k}")

    return change


BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"

# case: (change made to a good three-exercise lesson, text the lint's report must contain)
BROKEN = {
    "duplicate grade_id": (_set("ex01_2_tests", grade_id="ex01_1_tests"), "duplicate grade_id"),
    "missing points": (_delete("ex01_2_tests", "points"), "needs 'points' > 0"),
    "zero points": (_set("ex01_2_tests", points=0), "needs 'points' > 0"),
    "negative points": (_set("ex01_2_tests", points=-1), "needs 'points' > 0"),
    "boolean points": (_set("ex01_2_tests", points=True), "needs 'points' > 0"),
    "text points": (_set("ex01_2_tests", points="2"), "needs 'points' > 0"),
    "orphan test cell": (_remove("ex01_2_solution"), "no solution cell"),
    "exercise without tests": (_remove("ex01_2_tests"), "no tests cell"),
    "exercise without task": (_remove("ex01_2_task"), "no task cell"),
    "schema version": (_set("ex01_1_solution", schema_version=2), "schema_version must be 3"),
    "missing schema version": (_delete("ex01_1_task", "schema_version"), "schema_version must be 3"),
    "grade_id of another lesson": (_set("ex01_1_tests", grade_id="ex02_1_tests"), "must start with ex01_"),
    "malformed grade_id": (_set("ex01_1_tests", grade_id="exercise-1-tests"), "must look like"),
    "missing grade_id": (_delete("ex01_1_tests", "grade_id"), "must look like"),
    "solution without markers": (_source("ex01_1_solution", "answer_1 = 2"), "between '### BEGIN SOLUTION'"),
    "solution without end marker": (_source("ex01_1_solution", f"{BEGIN}\nanswer_1 = 2"), "without 'END SOLUTION'"),
    "nested solution markers": (_source("ex01_1_solution", f"{BEGIN}\n{BEGIN}\nanswer_1 = 2\n{END}"), "nested"),
    "end before begin": (_source("ex01_1_solution", f"{END}\nanswer_1 = 2\n{BEGIN}"), "without 'BEGIN SOLUTION'"),
    "unbalanced hidden tests": (
        _source("ex01_1_tests", f"assert answer_1\n{BEGIN_HIDDEN}\nassert answer_1 == 2"),
        "without 'END HIDDEN TESTS'",
    ),
    "hidden end without begin": (
        _source("ex01_1_tests", f"assert answer_1\n{END_HIDDEN}"),
        "without 'BEGIN HIDDEN TESTS'",
    ),
    "hidden tests in the solution cell": (
        _source("ex01_1_solution", f"{BEGIN}\nanswer_1 = 2\n{END}\n{BEGIN_HIDDEN}\n{END_HIDDEN}"),
        "belong in the test cell",
    ),
    "solution in the test cell": (
        _source("ex01_1_tests", f"{BEGIN}\nanswer_1 = 2\n{END}\nassert answer_1"),
        "belong in the solution cell",
    ),
    "markers in a task": (
        _source("ex01_1_task", f"### Exercise 01.1 — t (1 point)\n{BEGIN}\n{END}"),
        "task cell must not",
    ),
    "hidden tests in a plain cell": (
        _append(nbformat.v4.new_code_cell(f"{BEGIN_HIDDEN}\nassert True\n{END_HIDDEN}")),
        "outside an exercise cell",
    ),
    "solution marker in prose": (_append(nbformat.v4.new_markdown_cell(f"Answers sit below `{BEGIN}`.")), "reword it"),
    "graded solution cell": (_set("ex01_1_solution", grade=True), "'grade' must be False"),
    "unlocked test cell": (_set("ex01_1_tests", locked=False), "'locked' must be True"),
    "locked solution cell": (_set("ex01_1_solution", locked=True), "'locked' must be False"),
    "test cell not graded": (_set("ex01_1_tests", grade=False), "'grade' must be True"),
    "flag as text": (_set("ex01_1_tests", grade="true"), "'grade' must be True"),
    "task as a code cell": (_as_code("ex01_1_task"), "must be a markdown cell"),
    "tests before the solution": (_swap("ex01_1_solution", "ex01_1_tests"), "in that order"),
    "heading missing": (_source("ex01_1_task", "Count the positives."), "must start with '### Exercise 01.1"),
    "heading with the wrong points": (
        _source("ex01_1_task", "### Exercise 01.1 — count (5 points)"),
        "states 5 points",
    ),
    "heading with the wrong number": (
        _source("ex01_1_task", "### Exercise 01.2 — count (1 point)"),
        "says exercise 01.2",
    ),
    "solution that is not Python": (_source("ex01_1_solution", f"{BEGIN}\nanswer_1 = (\n{END}"), "not valid Python"),
    "released test cell not Python": (
        _source("ex01_1_tests", f"if answer_1:\n{BEGIN_HIDDEN}\n    assert answer_1 == 2\n{END_HIDDEN}"),
        "released cell is not valid Python",
    ),
    "numbering gap": (_renumber(3, 4), "numbered 1, 2, 3"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_lint_reports(case):
    change, expected = BROKEN[case]
    notebook = toy_lesson()
    change(notebook)
    problems = lint(notebook)
    assert any(expected in problem for problem in problems), problems
    assert all(problem.startswith("01_toy") for problem in problems), problems


@pytest.mark.parametrize("n_exercises", [0, 1, 2])
def test_lint_reports_too_few_exercises(n_exercises):
    problems = lint(toy_lesson(1, n_exercises))
    assert problems == [f"01_toy: lesson 01 needs at least 3 exercises, has {n_exercises}"]


def test_lint_does_not_change_the_notebook():
    notebook = toy_lesson()
    before = copy.deepcopy(notebook)
    lint(notebook)
    assert notebook == before


def test_lint_notebooks_reports_a_shared_number(tmp_path):
    for name in ("03_one", "03_two"):
        nbformat.write(toy_lesson(3), tmp_path / f"{name}.ipynb")
    problems = lint_notebooks(sorted(tmp_path.glob("*.ipynb")))
    assert problems == ["03_two: lesson number 03 is also used by 03_one"]


def test_command_line_lint(tmp_path, capsys):
    good, bad = tmp_path / "01_good.ipynb", tmp_path / "02_bad.ipynb"
    nbformat.write(toy_lesson(1), good)
    nbformat.write(toy_lesson(2, 1), bad)
    assert main(["lint", str(good)]) == 0
    assert main(["lint", str(good), str(bad)]) == 1
    assert "02_bad: lesson 02 needs at least 3 exercises" in capsys.readouterr().out


# --------------------------------------------------------------------------- arguments


def test_lint_notebook_checks_its_arguments():
    with pytest.raises(TypeError, match="notebook"):
        lint_notebook([], "01_toy")
    with pytest.raises(TypeError, match="name"):
        lint_notebook(toy_lesson(), 1)
    with pytest.raises(ValueError, match="name"):
        lint_notebook(toy_lesson(), "toy")


def test_lint_notebooks_checks_its_arguments(tmp_path):
    with pytest.raises(TypeError, match="paths"):
        lint_notebooks(str(tmp_path / "01_toy.ipynb"))
    with pytest.raises(ValueError, match="paths"):
        lint_notebooks([tmp_path / "01_missing.ipynb"])
    with pytest.raises(TypeError, match="paths"):
        lint_notebooks([1])


def test_exercise_points_and_lesson_notebooks_check_their_arguments():
    with pytest.raises(TypeError, match="notebook"):
        exercise_points("01_toy.ipynb")
    with pytest.raises(ValueError, match="directory"):
        lesson_notebooks(ROOT / "no-such-folder")
