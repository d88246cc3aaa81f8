"""The student release and the autograder, built from the lessons' exercises.

Session fixtures build the release of every lesson in ``notebooks/`` plus two
small toy lessons made here (so the tooling is tested even on minimal input),
then grade three students in one autograde run (two processes), once per test
session even when several xdist workers run these tests (see ``shared``):

* ``solutions`` hands in the lesson notebooks themselves: full marks;
* ``blank`` hands in the untouched release: zero for every exercise. nbgrader
  executes these copies with nbclient, errors allowed, so they also show that
  each released notebook runs top to bottom and fails only where an answer is
  missing;
* ``partial`` hands in, for one real lesson and one toy, the release with
  exactly one exercise answered: exactly that exercise's points.

Expected scores come from the notebooks' metadata, never typed in here.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pandas as pd
import pytest

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows
    fcntl = None

from helpers.refresh import kernel_environment
from helpers.release import (
    autograde,
    build_release,
    exercise_cells,
    exercise_points,
    lesson_notebooks,
    score_table,
    scores,
)

pytestmark = pytest.mark.xdist_group("release")

ROOT = Path(__file__).resolve().parent.parent
LESSONS = lesson_notebooks(ROOT / "notebooks")
TOYS = ("98_toy_minimal", "99_toy_scaffold")
# The toy exercise the partial submission answers (the second, so it is not simply the first).
TOY_ANSWERED = ("99_toy_scaffold", 2)


_LESSON_CELLS = {path.stem: nbformat.read(path, as_version=4).cells for path in LESSONS}
_REAL_GRADED = [
    name for name, cells in _LESSON_CELLS.items() if any(c.metadata.get("nbgrader", {}).get("grade") for c in cells)
]
GRADED = _REAL_GRADED + list(TOYS)
ASSIGNMENTS = list(_LESSON_CELLS) + list(TOYS)
# The partial submission answers exercise k of these assignments: one toy exercise, and the
# first exercise (which cannot depend on another) of the real lesson with the fewest code cells.
PARTIAL = {TOY_ANSWERED[0]: TOY_ANSWERED[1]}
if _REAL_GRADED:
    PARTIAL[min(_REAL_GRADED, key=lambda name: sum(c.cell_type == "code" for c in _LESSON_CELLS[name]))] = 1


# --------------------------------------------------------------------------- toy lessons


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


def write_toys(folder: Path) -> list[Path]:
    """Two toy lessons: plain exercises, and one with scaffolding around the answer."""
    folder.mkdir(parents=True, exist_ok=True)
    minimal = _toy(98, [
        *exercise_cells(98, 1, title="prevalence", points=2, task="Set `prevalence`.",
                        solution="prevalence = labels.mean()", tests="assert 0 <= prevalence <= 1",
                        hidden_tests="assert abs(prevalence - 0.02) < 1e-12"),
        *exercise_cells(98, 2, title="always-majority accuracy", points=1, task="Set `baseline_accuracy`.",
                        solution="baseline_accuracy = float(np.mean(labels == 0))",
                        tests="assert abs(baseline_accuracy - 0.98) < 1e-12"),
    ])
    scaffold = _toy(99, [
        *exercise_cells(99, 1, title="count the minority", points=1.5, task="Complete `positives`.",
                        solution="", tests="assert answer == 2", hidden_tests="assert positives([1, 1, 0]) == 2"),
        nbformat.v4.new_markdown_cell("Between the exercises: text the student keeps."),
        *exercise_cells(99, 2, title="predict, then check", points=0.5, task="Set `predicted_recall`.",
                        solution="predicted_recall = 0.0  # the majority baseline never finds a positive",
                        tests="assert 0 <= predicted_recall <= 1",
                        hidden_tests="assert predicted_recall == 0.0"),
    ])
    scaffold.cells[3].source = (  # ex99_1_solution: the answer sits inside a function the student completes
        "def positives(values):\n    \"\"\"Number of minority (1) labels.\"\"\"\n    ### BEGIN SOLUTION\n"
        "    return int(sum(1 for value in values if value == 1))\n    ### END SOLUTION\n\nanswer = positives(labels)"
    )
    paths = [folder / f"{name}.ipynb" for name in TOYS]
    for path, notebook in zip(paths, (minimal, scaffold)):
        nbformat.write(notebook, path)
    return paths


# --------------------------------------------------------------------------- the course


@dataclass
class Course:
    path: Path
    sources: dict[str, nbformat.NotebookNode]
    seconds: dict[str, float] = field(default_factory=dict)
    answered: dict[str, str] = field(default_factory=dict)  # assignment -> the test cell the partial work answers
    scores: pd.DataFrame | None = None

    def released(self, assignment: str) -> nbformat.NotebookNode:
        return nbformat.read(self.path / "release" / assignment / f"{assignment}.ipynb", as_version=4)

    def autograded(self, student: str, assignment: str) -> nbformat.NotebookNode:
        return nbformat.read(self.path / "autograded" / student / assignment / f"{assignment}.ipynb", as_version=4)

    def points(self, student: str, assignment: str) -> dict[str, float]:
        rows = self.scores[(self.scores.student == student) & (self.scores.assignment == assignment)]
        return dict(zip(rows.exercise, rows.score))


def _nbgrader(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def _kernel_environment(home: Path) -> dict[str, str]:
    """Offline kernels with their per-user folders under ``home``, headless matplotlib."""
    return {**kernel_environment(home), "MPLBACKEND": "Agg"}


def _answer(notebook, source, grade_id: str) -> nbformat.NotebookNode:
    """``notebook`` with the solution cell ``grade_id`` filled in from the lesson ``source``."""
    answer = next(cell.source for cell in source.cells if _nbgrader(cell).get("grade_id") == grade_id)
    next(cell for cell in notebook.cells if _nbgrader(cell).get("grade_id") == grade_id).source = answer
    return notebook


@contextlib.contextmanager
def _exclusive(lock: Path):
    """Hold an exclusive lock on the file ``lock`` (no-op where fcntl is missing)."""
    with open(lock, "w") as handle:
        if fcntl is not None:
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


@pytest.fixture(scope="session")
def shared(tmp_path_factory, request) -> Path:
    """A folder shared by every xdist worker of this run, so the course is built and graded once.

    The tests of this file carry an xdist group, but the slow fixtures do not rely on
    it: whichever worker comes first does the work under a lock, the other reads it.
    """
    base = tmp_path_factory.getbasetemp()  # an xdist worker's is a subfolder of the run's
    return base.parent if hasattr(request.config, "workerinput") else base


@pytest.fixture(scope="session")
def course(shared) -> Course:
    """The release of every lesson and the two toys, built once."""
    work, done = shared / "release", shared / "release" / "built.json"
    with _exclusive(shared / "release-build.lock"):
        if not done.exists():
            notebooks = LESSONS + write_toys(work / "toys")
            started = time.perf_counter()
            build_release(notebooks, work / "course")
            done.write_text(json.dumps({"build": time.perf_counter() - started}))
            print(f"\nrelease: built {len(notebooks)} assignments in {json.loads(done.read_text())['build']:.1f} s")
    copies = sorted((work / "course" / "source").glob("*/*.ipynb"))
    sources = {path.stem: nbformat.read(path, as_version=4) for path in copies}
    return Course(work / "course", sources, json.loads(done.read_text()))


@pytest.fixture(scope="session")
def graded(course, shared) -> Course:
    """The course after grading the solutions, the blank release and a partial submission in one run."""
    done = shared / "release" / "graded.json"
    course.answered = {assignment: f"ex{assignment[:2]}_{k}_tests" for assignment, k in PARTIAL.items()}
    with _exclusive(shared / "release-grade.lock"):
        if not done.exists():
            submissions = shared / "release" / "submissions"
            for assignment in GRADED:
                for student, origin in (("solutions", "source"), ("blank", "release")):
                    (submissions / student / assignment).mkdir(parents=True, exist_ok=True)
                    origin_file = course.path / origin / assignment / f"{assignment}.ipynb"
                    shutil.copy(origin_file, submissions / student / assignment)
            for assignment, k in PARTIAL.items():
                solution_id = f"ex{assignment[:2]}_{k}_solution"
                notebook = _answer(course.released(assignment), course.sources[assignment], solution_id)
                (submissions / "partial" / assignment).mkdir(parents=True, exist_ok=True)
                nbformat.write(notebook, submissions / "partial" / assignment / f"{assignment}.ipynb")
            home = shared / "release" / "home"
            home.mkdir(exist_ok=True)
            started = time.perf_counter()
            table = autograde(course.path, submissions, jobs=2, env=_kernel_environment(home))
            done.write_text(json.dumps({"autograde": time.perf_counter() - started}))
            print(f"\nrelease: graded {2 * len(GRADED) + len(PARTIAL)} notebooks in "
                  f"{json.loads(done.read_text())['autograde']:.1f} s\n{score_table(table)}")
    course.seconds.update(json.loads(done.read_text()))
    course.scores = scores(course.path)
    return course


# --------------------------------------------------------------------------- what is handed out


def test_course_directory_layout(course):
    for name in ("nbgrader_config.py", "gradebook.db"):
        assert (course.path / name).is_file(), name
    for assignment in ASSIGNMENTS:
        assert (course.path / "source" / assignment / f"{assignment}.ipynb").is_file()
        released = course.path / "release"
        files = sorted(path.relative_to(released) for path in (released / assignment).rglob("*"))
        assert files == [Path(assignment, f"{assignment}.ipynb")], files
    assert sorted(p.name for p in (course.path / "release").iterdir()) == sorted(ASSIGNMENTS)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_is_the_lesson_without_answers(course, assignment):
    source, released = course.sources[assignment], course.released(assignment)
    assert len(released.cells) == len(source.cells)
    for original, student in zip(source.cells, released.cells):
        assert student.cell_type == original.cell_type
        meta = _nbgrader(original)
        if student.cell_type == "code":
            assert student.outputs == [] and student.execution_count is None
        if meta.get("solution"):
            assert "# YOUR CODE HERE" in student.source and "raise NotImplementedError()" in student.source
            assert "BEGIN SOLUTION" not in student.source and "END SOLUTION" not in student.source
            kept = re.sub(r"^[^\n]*BEGIN SOLUTION.*?END SOLUTION[^\n]*$", "", original.source, flags=re.S | re.M)
            assert all(line in student.source for line in kept.split("\n")), "the scaffolding around the answer stays"
        elif meta.get("grade"):
            assert "HIDDEN TESTS" not in student.source
            hidden = r"^[^\n]*BEGIN HIDDEN TESTS.*?END HIDDEN TESTS[^\n]*\n?"
            visible = re.sub(hidden, "", original.source, flags=re.S | re.M)
            assert student.source.strip() == visible.strip()
        else:
            assert student.source == original.source


# --------------------------------------------------------------------------- no leaks


def _secret_and_public(notebook) -> tuple[set[str], str]:
    """Lines inside solution and hidden-test regions, and all the text outside them."""
    secret, public = set(), []
    for cell in notebook.cells:
        inside = False
        for line in cell.source.split("\n"):
            if "BEGIN SOLUTION" in line or "BEGIN HIDDEN TESTS" in line:
                inside = True
            elif "END SOLUTION" in line or "END HIDDEN TESTS" in line:
                inside = False
            elif inside:
                secret.add(line.strip())
            else:
                public.append(line)
    return secret, "\n".join(public)


def _strings(node) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [text for key, value in node.items() for text in [key, *_strings(value)]]
    if isinstance(node, list):
        return [text for item in node for text in _strings(item)]
    return []


def released_text(folder: Path) -> dict[Path, str]:
    """Every string of every file in the student release (notebooks decoded from JSON)."""
    texts = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        raw = path.read_text(errors="replace")
        texts[path] = "\n".join([raw, *_strings(json.loads(raw))]) if path.suffix == ".ipynb" else raw
    return texts


def find_leaks(sources, texts: dict[Path, str]) -> list[str]:
    """Secret lines (at least three letters or digits) that appear in the release but nowhere public."""
    secrets, public = set(), ["# YOUR CODE HERE", "raise NotImplementedError()"]
    for notebook in sources:
        lines, text = _secret_and_public(notebook)
        secrets |= lines
        public.append(text)
    public_text = "\n".join(public)
    meaningful = [line for line in sorted(secrets) if len(re.sub(r"\W", "", line)) >= 3 and line not in public_text]
    return [f"{path.name}: {line!r}" for path, text in texts.items() for line in meaningful if line in text]


def test_no_solution_or_hidden_test_reaches_the_release(course):
    secrets = set().union(*(_secret_and_public(notebook)[0] for notebook in course.sources.values()))
    assert len(secrets) > 2 * len(GRADED), "the search found the secret regions"
    texts = released_text(course.path / "release")
    assert len(texts) == len(ASSIGNMENTS)
    assert find_leaks(course.sources.values(), texts) == []


def test_leak_search_finds_a_planted_leak(course, tmp_path):
    assignment = TOYS[1]
    notebook = course.released(assignment)
    notebook.cells[0].source += "\n\nHint: `return int(sum(1 for value in values if value == 1))`"
    notebook.cells[-1].source += "\nassert predicted_recall == 0.0"
    nbformat.write(notebook, tmp_path / f"{assignment}.ipynb")
    leaks = find_leaks([course.sources[assignment]], released_text(tmp_path))
    assert len(leaks) == 2, leaks


# --------------------------------------------------------------------------- grading (slow: runs the lessons)


@pytest.mark.slow
@pytest.mark.parametrize("assignment", GRADED)
def test_solutions_score_full_marks(graded, assignment):
    expected = exercise_points(graded.sources[assignment])
    assert graded.points("solutions", assignment) == expected
    executed = graded.autograded("solutions", assignment)
    errors = [(index, output.ename) for index, cell in enumerate(executed.cells) if cell.cell_type == "code"
              for output in cell.outputs if output.output_type == "error"]
    assert errors == [], f"the lesson raised errors when graded: {errors}"


@pytest.mark.slow
@pytest.mark.parametrize("assignment", GRADED)
def test_blank_release_scores_zero(graded, assignment):
    expected = exercise_points(graded.sources[assignment])
    assert graded.points("blank", assignment) == dict.fromkeys(expected, 0.0)


@pytest.mark.slow
@pytest.mark.parametrize("assignment", GRADED)
def test_released_notebook_runs_top_to_bottom(graded, assignment):
    """Only unanswered exercises fail: in their solution cells with NotImplementedError, or in their tests."""
    executed = graded.autograded("blank", assignment)
    code = [cell for cell in executed.cells if cell.cell_type == "code"]
    assert [cell.execution_count for cell in code] == list(range(1, len(code) + 1)), "every code cell ran, in order"
    for index, cell in enumerate(executed.cells):
        if cell.cell_type != "code":
            continue
        errors = [output.ename for output in cell.outputs if output.output_type == "error"]
        meta = _nbgrader(cell)
        if meta.get("solution"):  # an answer inside a function raises only when the tests call it
            assert set(errors) <= {"NotImplementedError"}, f"cell {index} ({meta['grade_id']}): {errors}"
        elif not meta.get("grade"):
            assert errors == [], f"cell {index} is not part of an exercise but raised {errors}:\n{cell.source[:300]}"


@pytest.mark.slow
@pytest.mark.parametrize("assignment", sorted(PARTIAL))
def test_partial_submission_gets_exactly_the_answered_exercise(graded, assignment):
    expected = dict.fromkeys(exercise_points(graded.sources[assignment]), 0.0)
    answered = graded.answered[assignment]
    expected[answered] = exercise_points(graded.sources[assignment])[answered]
    assert graded.points("partial", assignment) == expected
    assert sorted(graded.scores[graded.scores.student == "partial"].assignment.unique()) == sorted(graded.answered)


@pytest.mark.slow
def test_scores_are_saved_and_tabulated(graded):
    saved = pd.read_csv(graded.path / "scores.csv")
    assert len(saved) == len(graded.scores) == len(scores(graded.path))
    total = sum(sum(exercise_points(graded.sources[name]).values()) for name in GRADED)
    table = score_table(graded.scores)
    solutions = next(line for line in table.splitlines() if line.startswith("solutions"))
    assert solutions.split()[-1] == f"{total:g}"
    assert next(line for line in table.splitlines() if line.startswith("blank")).split()[-1] == "0"


# --------------------------------------------------------------------------- arguments


def test_build_release_checks_its_arguments(tmp_path):
    with pytest.raises(ValueError, match="notebooks"):
        build_release([], tmp_path / "course")
    with pytest.raises(TypeError, match="notebooks"):
        build_release(42, tmp_path / "course")
    broken = nbformat.v4.new_notebook()
    broken.cells = exercise_cells(1, 1, title="t", points=1, task="", solution="x = 1", tests="assert x")
    nbformat.write(broken, tmp_path / "01_broken.ipynb")
    with pytest.raises(ValueError, match="needs at least 3 exercises"):
        build_release([tmp_path / "01_broken.ipynb"], tmp_path / "course")
    assert not (tmp_path / "course").exists(), "nothing is written when the lint fails"


def test_autograde_checks_its_arguments(course, tmp_path):
    with pytest.raises(ValueError, match="course_dir"):
        autograde(tmp_path)
    with pytest.raises(ValueError, match="jobs"):
        autograde(course.path, jobs=0)
    with pytest.raises(ValueError, match="students"):
        autograde(course.path, students=["nobody"])
    with pytest.raises(TypeError, match="students"):
        autograde(course.path, students="blank")
    with pytest.raises(TypeError, match="env"):
        autograde(course.path, env={"MPLBACKEND": 1})
    (tmp_path / "someone" / "42_not_an_assignment").mkdir(parents=True)
    with pytest.raises(ValueError, match="not an assignment"):
        autograde(course.path, tmp_path)
    with pytest.raises(TypeError, match="table"):
        score_table("scores")
