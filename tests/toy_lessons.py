"""Toy lessons and submissions for the release, exchange and grading tests.

* :func:`exercise_cells` writes one exercise in the course's nbgrader markup
  (CONTRIBUTING.md), so the tests can build small lessons;
* :func:`write_toys` writes two toy lessons (98, 99) that grade in a second or two;
* :func:`wrong_answers` reads ``tests/wrong_answers/NN_topic.yaml`` and
  :func:`with_answers` builds a submission from a notebook and replacement answers.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import yaml

from helpers.release import PARTS

WRONG_ANSWERS = Path(__file__).resolve().parent / "wrong_answers"
TOYS = ("98_toy_minimal", "99_toy_scaffold")
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"


def exercise_cells(
    lesson: int, k: int, *, title: str, points: float, task: str, solution: str, tests: str, hidden_tests: str = ""
) -> list[nbformat.NotebookNode]:
    """The task, solution and test cells of exercise ``lesson.k``."""
    shown = f"{points:g}"
    heading = f"### Exercise {lesson:02d}.{k} — {title} ({shown} point{'' if shown == '1' else 's'})"
    test_source = tests.rstrip("\n")
    if hidden_tests:
        test_source += f"\n### BEGIN HIDDEN TESTS\n{hidden_tests.rstrip()}\n### END HIDDEN TESTS"

    def nbgrader(part: str, **extra) -> dict:
        flags = {flag: PARTS[part][flag] for flag in ("grade", "solution", "locked")}
        return {"nbgrader": {**flags, "grade_id": f"ex{lesson:02d}_{k}_{part}", **extra, "schema_version": 3}}

    return [
        nbformat.v4.new_markdown_cell(f"{heading}\n\n{task.strip()}", metadata=nbgrader("task")),
        nbformat.v4.new_code_cell(f"{BEGIN}\n{solution.strip()}\n{END}", metadata=nbgrader("solution")),
        nbformat.v4.new_code_cell(test_source, metadata=nbgrader("tests", points=points)),
    ]


def _toy(number: int, cells: list) -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells = [
        nbformat.v4.new_markdown_cell(f"# {number} · Toy lesson"),
        nbformat.v4.new_code_cell("import numpy as np\n\nlabels = np.array([0] * 98 + [1] * 2)\nprint(labels.mean())"),
        *cells,
        nbformat.v4.new_markdown_cell("## References"),
        nbformat.v4.new_code_cell("print('the lesson ran to its last cell')"),
    ]
    return notebook


def toy_notebooks() -> dict[str, nbformat.NotebookNode]:
    """Two toy lessons: plain exercises, and one with scaffolding around the answer."""
    minimal = _toy(
        98,
        [
            *exercise_cells(
                98,
                1,
                title="prevalence",
                points=2,
                task="Set `prevalence`.",
                solution="prevalence = labels.mean()",
                tests="assert 0 <= prevalence <= 1",
                hidden_tests="assert abs(prevalence - 0.02) < 1e-12",
            ),
            *exercise_cells(
                98,
                2,
                title="always-majority accuracy",
                points=1,
                task="Set `baseline_accuracy`.",
                solution="baseline_accuracy = float(np.mean(labels == 0))",
                tests="assert abs(baseline_accuracy - 0.98) < 1e-12",
            ),
        ],
    )
    scaffold = _toy(
        99,
        [
            *exercise_cells(
                99,
                1,
                title="count the minority",
                points=1.5,
                task="Complete `positives`.",
                solution="",
                tests="assert answer == 2",
                hidden_tests="assert positives([1, 1, 0]) == 2",
            ),
            nbformat.v4.new_markdown_cell("Between the exercises: text the student keeps."),
            *exercise_cells(
                99,
                2,
                title="predict, then check",
                points=0.5,
                task="Set `predicted_recall`.",
                solution="predicted_recall = 0.0  # the majority baseline never finds a positive",
                tests="assert 0 <= predicted_recall <= 1",
                hidden_tests="assert predicted_recall == 0.0",
            ),
        ],
    )
    scaffold.cells[3].source = (  # ex99_1_solution: the answer sits inside a function the student completes
        'def positives(values):\n    """Number of minority (1) labels."""\n    ### BEGIN SOLUTION\n'
        "    return int(sum(1 for value in values if value == 1))\n    ### END SOLUTION\n\nanswer = positives(labels)"
    )
    return dict(zip(TOYS, (minimal, scaffold), strict=False))


def write_toys(folder: Path) -> list[Path]:
    """:func:`toy_notebooks` written to ``folder``; their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, notebook in toy_notebooks().items():
        nbformat.write(notebook, folder / f"{name}.ipynb")
    return [folder / f"{name}.ipynb" for name in TOYS]


def grade_id(cell) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def wrong_answers() -> dict[str, dict[str, list[dict]]]:
    """``{lesson: {solution grade_id: [{"why": ..., "code": ...}, ...]}}`` from tests/wrong_answers/*.yaml."""
    found = {}
    for path in sorted(WRONG_ANSWERS.glob("*.yaml")):
        entries = yaml.safe_load(path.read_text()) or {}
        assert isinstance(entries, dict), f"{path.name}: must map solution grade_ids to lists of wrong answers"
        for key, answers in entries.items():
            assert isinstance(answers, list) and answers, f"{path.name}: {key} needs a list of wrong answers"
            for answer in answers:
                assert isinstance(answer, dict) and set(answer) == {"why", "code"}, (
                    f"{path.name}: {key}: each wrong answer has exactly 'why' and 'code', got {answer!r}"
                )
                assert isinstance(answer["code"], str) and answer["code"].strip(), f"{path.name}: {key}: empty code"
        found[path.stem] = entries
    return found


def with_answers(notebook, answers: dict[str, str]) -> nbformat.NotebookNode:
    """A copy of ``notebook`` whose solution regions of the cells ``answers`` names hold the given code.

    The cell keeps everything outside its ``### BEGIN SOLUTION`` / ``### END SOLUTION``
    lines; the code is indented like the BEGIN line. In a released notebook the region
    is nbgrader's stub, found by its ``# YOUR CODE HERE`` line.
    """
    notebook = nbformat.reads(nbformat.writes(notebook), as_version=4)  # a deep copy
    cells = {grade_id(cell): cell for cell in notebook.cells if grade_id(cell)}
    for key, code in answers.items():
        assert key in cells and cells[key].metadata.nbgrader.get("solution"), f"{key} is not a solution cell"
        lines, out, inside = cells[key].source.split("\n"), [], False
        stub = BEGIN not in cells[key].source
        for index, line in enumerate(lines):
            starts = "# YOUR CODE HERE" in line if stub else BEGIN in line
            if starts:
                indent = line[: len(line) - len(line.lstrip())]
                out += [indent + code_line if code_line else "" for code_line in code.rstrip("\n").split("\n")]
                inside = not stub
                if stub and index + 1 < len(lines) and "raise NotImplementedError()" in lines[index + 1]:
                    lines[index + 1] = None
            elif inside:
                inside = END not in line
            elif line is not None:
                out.append(line)
        cells[key].source = "\n".join(out)
    return notebook
