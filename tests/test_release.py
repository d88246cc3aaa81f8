"""The student release and the autograder, built from the lessons' exercises.

Session fixtures build the release of every lesson in ``notebooks/`` plus two toy
lessons (``toy_lessons.py``), then grade every submission below in ONE autograde
run (two processes), once per test session even when several xdist workers run
these tests (see ``shared``). Each lesson is executed once per submission and no
more (its solutions not at all):

* ``solutions`` hands in the lesson notebooks themselves: full marks. A lesson's
  solutions are graded from its committed outputs, not run again: that they are
  what a fresh run prints, every hidden test passing, is what each lesson's one
  execution in ``tests/test_notebooks.py`` checks. nbgrader runs a real lesson's
  solutions in ``tests/test_exchange.py`` and runs the toys' here;
* ``saved-outputs`` hands in a toy's blank release holding one planted error
  output: graded from saved outputs, only that exercise scores zero (so nothing
  was run and nothing cleared);
* ``blank`` hands in the untouched release: zero for every exercise. These copies
  also show that each released notebook runs top to bottom and fails only where
  an answer is missing;
* ``partial`` hands in, for one real lesson and one toy, the release with exactly
  one exercise answered: exactly that exercise's points;
* ``wrong-1``, ``wrong-2``, ... hand in, for the toy lesson with a
  ``tests/wrong_answers/NN_topic.yaml``, the toy with the first (second, ...)
  typical wrong answer of each exercise in place of its solution: every exercise
  carrying a wrong answer scores less than its points. This is nbgrader's own
  path for wrong answers; the lessons' wrong answers are checked in each lesson's
  one execution (``tests/test_notebooks.py``), and on the toy both ways agree.

Expected scores come from the notebooks' metadata, never typed in here.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pandas as pd
import pytest

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows
    fcntl = None

from toy_lessons import TOYS, exercise_cells, grade_id, toy_notebooks, with_answers, write_toys, wrong_answers

from helpers.refresh import kernel_environment
from helpers.release import (
    INSTALL_NOTE,
    autograde,
    build_release,
    exercise_points,
    hide_hidden_tests,
    lesson_notebooks,
    score_table,
    scores,
)

from lesson_run import run_lesson

pytestmark = pytest.mark.xdist_group("release")

ROOT = Path(__file__).resolve().parent.parent
LESSONS = lesson_notebooks(ROOT / "notebooks")
ALL_LESSONS = {path.stem: path for path in LESSONS}  # the wrong-answer files are checked against every lesson
# RELEASE_TEST_LESSONS=03,05 limits the graded lessons to those prefixes (the toys always run); "none" to none.
if os.environ.get("RELEASE_TEST_LESSONS"):
    LESSONS = [p for p in LESSONS if any(p.stem.startswith(k) for k in os.environ["RELEASE_TEST_LESSONS"].split(","))]
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
# The student and toy of the submission graded from its saved outputs, and its exercise holding an error output.
SAVED_OUTPUTS = ("saved-outputs", "99_toy_scaffold", 2)
WRONG = wrong_answers()  # {lesson: {solution grade_id: [wrong answer, ...]}}
# nbgrader grades the toys' wrong answers; the lessons' are probed in their own run (tests/test_notebooks.py).
WRONG_GRADED = sorted(name for name in WRONG if name in TOYS)


def wrong_submissions(lesson: str) -> list[dict[str, str]]:
    """Submission k replaces each exercise's solution by its k-th wrong answer, where it has one."""
    entries = WRONG[lesson]
    return [
        {key: answers[k]["code"] for key, answers in entries.items() if k < len(answers)}
        for k in range(max(map(len, entries.values())))
    ]


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
        return dict(zip(rows.exercise, rows.score, strict=False))


def _nbgrader(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def _submitted(student: str) -> list[str]:
    return [
        name
        for name in GRADED
        if student in ("solutions", "blank")
        or (student == "partial" and name in PARTIAL)
        or (student == SAVED_OUTPUTS[0] and name == SAVED_OUTPUTS[1])
        or (
            student.startswith("wrong-")
            and name in WRONG_GRADED
            and int(student.split("-")[1]) <= len(wrong_submissions(name))
        )
    ]


def _kernel_environment(home: Path) -> dict[str, str]:
    """Offline kernels with their per-user folders under ``home``, headless matplotlib."""
    return {**kernel_environment(home), "MPLBACKEND": "Agg"}


def _answer(notebook, source, solution_id: str) -> nbformat.NotebookNode:
    """``notebook`` with the solution cell ``solution_id`` filled in from the lesson ``source``."""
    answer = next(cell.source for cell in source.cells if grade_id(cell) == solution_id)
    next(cell for cell in notebook.cells if grade_id(cell) == solution_id).source = answer
    return notebook


def _with_error_output(notebook, tests_id: str) -> nbformat.NotebookNode:
    """``notebook`` with an AssertionError saved as the output of the test cell ``tests_id``."""
    cell = next(cell for cell in notebook.cells if grade_id(cell) == tests_id)
    cell.outputs = [nbformat.v4.new_output("error", ename="AssertionError", evalue="planted", traceback=[])]
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


def _write(notebook, submissions: Path, student: str, assignment: str) -> None:
    (submissions / student / assignment).mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, submissions / student / assignment / f"{assignment}.ipynb")


@pytest.fixture(scope="session")
def graded(course, shared) -> Course:
    """The course after grading every submission of the module docstring in one autograde run."""
    done = shared / "release" / "graded.json"
    course.answered = {assignment: f"ex{assignment[:2]}_{k}_tests" for assignment, k in PARTIAL.items()}
    with _exclusive(shared / "release-grade.lock"):
        if not done.exists():
            submissions = shared / "release" / "submissions"
            for assignment in GRADED:
                _write(course.sources[assignment], submissions, "solutions", assignment)
                _write(course.released(assignment), submissions, "blank", assignment)
            for assignment, k in PARTIAL.items():
                notebook = _answer(
                    course.released(assignment), course.sources[assignment], f"ex{assignment[:2]}_{k}_solution"
                )
                _write(notebook, submissions, "partial", assignment)
            for assignment in WRONG_GRADED:
                for k, answers in enumerate(wrong_submissions(assignment), start=1):
                    _write(with_answers(course.sources[assignment], answers), submissions, f"wrong-{k}", assignment)
            student, toy, k = SAVED_OUTPUTS
            _write(_with_error_output(course.released(toy), f"ex{toy[:2]}_{k}_tests"), submissions, student, toy)
            home = shared / "release" / "home"
            home.mkdir(exist_ok=True)
            saved = [(name, "solutions") for name in _REAL_GRADED] + [(toy, student)]
            started = time.perf_counter()
            table = autograde(course.path, submissions, jobs=2, env=_kernel_environment(home), saved_outputs=saved)
            count = len(list(submissions.glob("*/*/*.ipynb")))
            done.write_text(json.dumps({"autograde": time.perf_counter() - started, "submissions": count}))
            print(
                f"\nrelease: graded {count} notebooks in "
                f"{json.loads(done.read_text())['autograde']:.1f} s\n{score_table(table)}"
            )
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
    assert released.cells[1].source == INSTALL_NOTE, "the second cell says how to fix a missing 'helpers'"
    assert [cell.source for cell in source.cells[:1] + source.cells[2:]] == [
        cell.source for cell in _LESSON_CELLS.get(assignment, source.cells[:1] + source.cells[2:])
    ], "the source copy is the lesson plus that note"
    assert len(released.cells) == len(source.cells)
    for original, student in zip(source.cells, released.cells, strict=False):
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


def find_leaks(sources, texts: dict[Path, str], allowed: str = "") -> list[str]:
    """Secret lines (at least three letters or digits) found in ``texts`` but nowhere public (nor in ``allowed``)."""
    secrets, public = set(), ["# YOUR CODE HERE", "raise NotImplementedError()", allowed]
    for notebook in sources:
        lines, text = _secret_and_public(notebook)
        secrets |= lines
        public.append(text)
    public_text = "\n".join(public)
    meaningful = [line for line in sorted(secrets) if len(re.sub(r"\W", "", line)) >= 3 and line not in public_text]
    return [f"{path.name}: {line!r}" for path, text in texts.items() for line in meaningful if line in text]


def test_answer_cells_open_in_the_release(course):
    """A solution cell the lesson collapses (a predict-then-check answer) is open for the student to write in."""
    collapsed = [
        (name, grade_id(cell))
        for name, cells in _LESSON_CELLS.items()
        for cell in cells
        if _nbgrader(cell).get("solution") and cell.metadata.get("jupyter", {}).get("source_hidden")
    ]
    if not collapsed and _REAL_GRADED and os.environ.get("RELEASE_TEST_LESSONS"):
        pytest.skip("none of the lessons chosen by RELEASE_TEST_LESSONS collapses an answer cell")
    assert collapsed or not _REAL_GRADED, "no lesson collapses an answer cell: this test would check nothing"
    for name, solution_id in collapsed:
        cell = next(c for c in course.released(name).cells if grade_id(c) == solution_id)
        assert not cell.metadata.get("jupyter", {}).get("source_hidden"), f"{name}: {solution_id} is collapsed"
        assert "hide-input" not in cell.metadata.get("tags", []), f"{name}: {solution_id} is tagged hide-input"


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


def test_feedback_preprocessor_removes_hidden_tests_and_their_tracebacks():
    notebook = toy_notebooks()[TOYS[0]]
    tests = next(cell for cell in notebook.cells if grade_id(cell) == "ex98_1_tests")
    tests.outputs = [
        nbformat.v4.new_output(
            "error",
            ename="AssertionError",
            evalue="did you count the majority?",
            traceback=["assert abs(prevalence - 0.02) < 1e-12", "AssertionError"],
        )
    ]
    visible = next(cell for cell in notebook.cells if grade_id(cell) == "ex98_2_tests")
    visible.outputs = [nbformat.v4.new_output("error", ename="AssertionError", evalue="", traceback=["line 1"])]
    cleaned, _ = hide_hidden_tests(notebook, {})
    text = nbformat.writes(cleaned)
    assert "HIDDEN" not in text and "0.02" not in text, "no hidden assert, in the source or a traceback"
    assert cleaned.cells[notebook.cells.index(tests)].outputs[0].traceback == [
        "AssertionError: did you count the majority?"
    ]
    assert cleaned.cells[notebook.cells.index(visible)].outputs[0].traceback == ["line 1"], "visible tests keep theirs"


# --------------------------------------------------------------------------- grading (slow: runs the lessons)


@pytest.mark.slow
@pytest.mark.parametrize("assignment", GRADED)
def test_solutions_score_full_marks(graded, assignment):
    expected = exercise_points(graded.sources[assignment])
    assert graded.points("solutions", assignment) == expected
    executed = graded.autograded("solutions", assignment)
    errors = [
        (index, output.ename)
        for index, cell in enumerate(executed.cells)
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
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
def test_saved_outputs_are_graded_as_they_are(graded):
    """Graded from saved outputs, a blank release scores full marks except where an error is saved: nothing ran."""
    student, toy, k = SAVED_OUTPUTS
    expected = exercise_points(graded.sources[toy])
    expected[f"ex{toy[:2]}_{k}_tests"] = 0.0
    assert graded.points(student, toy) == expected
    assert graded.points("blank", toy) == dict.fromkeys(expected, 0.0), "run, the same notebook scores zero"
    with pytest.raises(ValueError, match="saved_outputs"):  # checked before anything is graded
        autograde(graded.path, students=["blank"], saved_outputs=[(toy, student)])


@pytest.mark.slow
def test_scores_are_saved_and_tabulated(graded):
    saved = pd.read_csv(graded.path / "scores.csv")
    assert len(saved) == len(graded.scores) == len(scores(graded.path))
    total = sum(sum(exercise_points(graded.sources[name]).values()) for name in GRADED)
    table = score_table(graded.scores)
    solutions = next(line for line in table.splitlines() if line.startswith("solutions"))
    assert solutions.split()[-1] == f"{total:g}"
    assert next(line for line in table.splitlines() if line.startswith("blank")).split()[-1] == "0"


@pytest.mark.slow
def test_every_submission_is_graded_exactly_once(graded):
    on_disk = sorted(
        (path.parent.name, path.parent.parent.name) for path in (graded.path / "submitted").glob("*/*/*.ipynb")
    )
    assert len(on_disk) == graded.seconds["submissions"]
    with open(graded.path / "grading_times.csv") as log:
        runs = Counter((row[0], row[1]) for row in csv.reader(log))
    assert sorted(runs) == on_disk and set(runs.values()) == {1}, "each submission graded by exactly one run"
    rows = graded.scores.groupby(["assignment", "student"]).size()
    assert sorted(rows.index) == on_disk
    assert graded.scores.score.notna().all()
    for (assignment, student), n in rows.items():
        assert n == len(exercise_points(graded.sources[assignment])), (assignment, student)
    for student in {student for _, student in on_disk}:
        assert sorted(graded.scores[graded.scores.student == student].assignment.unique()) == sorted(
            _submitted(student)
        )


# --------------------------------------------------------------------------- typical wrong answers


def wrong_answer_key_problems(lesson: str, entries: dict) -> list[str]:
    """Keys of a wrong-answers file that are not a solution cell of ``lesson``."""
    if lesson not in ALL_LESSONS and lesson not in TOYS:
        return [f"{lesson}.yaml: no lesson is called {lesson} ({', '.join([*ALL_LESSONS, *TOYS])})"]
    notebook = toy_notebooks()[lesson] if lesson in TOYS else nbformat.read(ALL_LESSONS[lesson], as_version=4)
    solutions = {grade_id(cell) for cell in notebook.cells if _nbgrader(cell).get("solution")}
    return [
        f"{lesson}.yaml: {key} is not the grade_id of a solution cell of {lesson}"
        for key in entries
        if key not in solutions
    ]


@pytest.mark.parametrize("lesson", sorted(WRONG))
def test_wrong_answer_files_name_real_solution_cells(lesson):
    assert wrong_answer_key_problems(lesson, WRONG[lesson]) == []


def test_wrong_answer_key_check_catches_a_typo():
    assert len(wrong_answer_key_problems(TOYS[1], {"ex99_1_solution": [], "ex99_l_solution": []})) == 1
    assert len(wrong_answer_key_problems(TOYS[1], {"ex99_1_tests": []})) == 1, "a test cell is not a solution cell"
    assert len(wrong_answer_key_problems("42_no_such_lesson", {})) == 1


def test_the_toy_has_wrong_answers():
    assert TOYS[1] in WRONG_GRADED and len(wrong_submissions(TOYS[1])) >= 2


@pytest.mark.slow
@pytest.mark.parametrize("lesson", WRONG_GRADED)
def test_typical_wrong_answers_score_less_than_full_marks(graded, lesson):
    points = exercise_points(graded.sources[lesson])
    for k, answers in enumerate(wrong_submissions(lesson), start=1):
        student = f"wrong-{k}"
        handed_in = {grade_id(cell): cell.source for cell in graded.autograded(student, lesson).cells}
        scored = graded.points(student, lesson)
        for solution_id, code in answers.items():
            tests_id = solution_id.removesuffix("_solution") + "_tests"
            assert code.strip().split("\n")[0].strip() in handed_in[solution_id], "the wrong answer was handed in"
            why = next(a["why"] for a in WRONG[lesson][solution_id] if a["code"] == code)
            assert scored[tests_id] < points[tests_id], f"{solution_id} scores full marks with: {why}"


@pytest.mark.slow
def test_the_probe_agrees_with_nbgrader_on_the_toy(graded, tmp_path):
    """The probe that checks the lessons' wrong answers gives, on the toy, the verdicts nbgrader's grading gives."""
    lesson = WRONG_GRADED[0]
    run = run_lesson(graded.path / "source" / lesson / f"{lesson}.ipynb", tmp_path, wrong=WRONG[lesson])
    assert run.nbval.returncode == 0, run.nbval_summary
    points = exercise_points(graded.sources[lesson])
    probed = {(p["exercise"], p["k"]): p["outcome"] for p in run.probes}
    graded_below_full = {
        (solution_id, k): graded.points(f"wrong-{k}", lesson)[solution_id.removesuffix("_solution") + "_tests"]
        < points[solution_id.removesuffix("_solution") + "_tests"]
        for solution_id, answers in WRONG[lesson].items()
        for k in range(1, len(answers) + 1)
    }
    assert sorted(probed) == sorted(graded_below_full)
    assert {key: outcome == "raised" for key, outcome in probed.items()} == graded_below_full


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
    with pytest.raises(TypeError, match="saved_outputs"):
        autograde(course.path, saved_outputs="blank")
    with pytest.raises(TypeError, match="saved_outputs"):
        autograde(course.path, saved_outputs=[(TOYS[0], "solutions", True)])
    (tmp_path / "someone" / "42_not_an_assignment").mkdir(parents=True)
    with pytest.raises(ValueError, match="not an assignment"):
        autograde(course.path, tmp_path)
    with pytest.raises(TypeError, match="table"):
        score_table("scores")
