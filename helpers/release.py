"""Student release and autograding of the lessons' exercises (for instructors).

The lesson notebooks carry their exercises with the solutions, in nbgrader's
markup (CONTRIBUTING.md, "Exercises"). This module checks that markup, turns
the lessons into an nbgrader course directory and grades folders of
submissions. nbgrader is the ``instructor`` extra (``make release`` installs
it); students never need it.

One assignment per lesson, named like the notebook (``01_accuracy_paradox``),
holding that one notebook. The course directory (``release/`` by default)::

    release/
        nbgrader_config.py                  course id and time limits (kept if you edit it)
        gradebook.db                        nbgrader's gradebook: cells, points, scores
        source/NN_topic/NN_topic.ipynb      the lesson with its solutions (instructors only)
        release/NN_topic/NN_topic.ipynb     the student version: this is what you hand out
        submitted/STUDENT/NN_topic/*.ipynb  collected work (``autograde`` copies it here)
        autograded/STUDENT/NN_topic/*.ipynb executed and scored copies
        scores.csv                          one row per student and exercise

Grading runs the notebooks in kernels of the current environment, where the
course's ``helpers`` package and its data are installed, exactly as students
run them.

Command line::

    python -m helpers.release                       # lint, then build release/
    python -m helpers.release lint [NOTEBOOK ...]
    python -m helpers.release autograde SUBMISSIONS [--course release] [--jobs 2]
    python -m helpers.release scores [--course release]
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import math
import os
import re
import shutil
import subprocess
import sys
import time
import warnings
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import nbformat

COURSE_ID = "rare-cases"
CONFIG_FILE = "nbgrader_config.py"
CONFIG_TEXT = f'''\
"""nbgrader settings for the Rare Cases course directory (see docs/instructors.md)."""

c = get_config()  # noqa: F821 (nbgrader provides get_config)
c.CourseDirectory.course_id = "{COURSE_ID}"
# A lesson runs in about 10 s; this is the limit per cell when grading.
c.Execute.timeout = 120
# With JupyterHub and nbgrader's exchange, name the folder every user can write to:
# c.Exchange.root = "..."
'''

LESSON_NAME = re.compile(r"^(?P<number>\d{2})_[A-Za-z0-9_]+$")
GRADE_ID = re.compile(r"^ex(?P<number>\d{2})_(?P<k>[1-9][0-9]*)_(?P<part>task|solution|tests)$")
HEADING = re.compile(r"^###\s+Exercise\s+(?P<number>\d+)\.(?P<k>\d+)\b.*\((?P<points>\d+(?:\.\d+)?)\s+points?\)\s*$")
STUDENT_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.@-]*$")
SOLUTION_MARKERS = ("BEGIN SOLUTION", "END SOLUTION")
HIDDEN_MARKERS = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
# Lessons 01..11 need at least this many exercises; 00 (the welcome page) may have none.
MIN_EXERCISES = 3
LESSONS_WITH_EXERCISES = range(1, 12)
# What each of an exercise's three cells must be (CONTRIBUTING.md).
PARTS = {
    "task": {"cell_type": "markdown", "grade": False, "solution": False, "locked": True},
    "solution": {"cell_type": "code", "grade": False, "solution": True, "locked": False},
    "tests": {"cell_type": "code", "grade": True, "solution": False, "locked": True},
}
SCORE_COLUMNS = ["student", "assignment", "exercise", "score", "max_score"]


# --------------------------------------------------------------------------- lint


def lesson_notebooks(directory: str | os.PathLike = "notebooks") -> list[Path]:
    """The lesson notebooks ``NN_topic.ipynb`` in ``directory``, in lesson order.

    Parameters
    ----------
    directory : path, default="notebooks"

    Returns
    -------
    list of Path
    """
    directory = _existing_dir(directory, "directory")
    return sorted(path for path in directory.glob("[0-9][0-9]_*.ipynb") if LESSON_NAME.match(path.stem))


def exercise_cells(
    lesson: int, k: int, *, title: str, points: float, task: str, solution: str, tests: str, hidden_tests: str = ""
) -> list[nbformat.NotebookNode]:
    """The three cells of exercise ``lesson.k``, marked up as CONTRIBUTING.md asks.

    Parameters
    ----------
    lesson, k : int
        Lesson number (0..99) and exercise number (>= 1).
    title : str
        Goes into the heading ``### Exercise NN.k — title (P points)``.
    points : float
        Points of the test cell, > 0.
    task : str
        Markdown below the heading.
    solution : str
        The answer; it is wrapped in ``### BEGIN SOLUTION`` / ``### END SOLUTION``.
    tests, hidden_tests : str
        Visible asserts, and asserts kept out of the student release.

    Returns
    -------
    list of nbformat.NotebookNode
        Task (markdown), solution (code) and test (code) cells.
    """
    for value, name in ((lesson, "lesson"), (k, "k")):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if not 0 <= lesson <= 99 or k < 1:
        raise ValueError(f"lesson must be in 0..99 and k >= 1, got lesson={lesson}, k={k}")
    _check_points(points, "points")
    texts = {"title": title, "task": task, "solution": solution, "tests": tests, "hidden_tests": hidden_tests}
    for name, value in texts.items():
        if not isinstance(value, str):
            raise TypeError(f"{name} must be a str, got {type(value).__name__}")
    label = f"ex{lesson:02d}_{k}"
    shown = f"{points:g}"
    heading = f"### Exercise {lesson:02d}.{k} — {title} ({shown} point{'' if shown == '1' else 's'})"
    test_source = tests.rstrip("\n")
    if hidden_tests:
        test_source += f"\n### BEGIN HIDDEN TESTS\n{hidden_tests.rstrip()}\n### END HIDDEN TESTS"

    def nbgrader(part: str, **extra) -> dict:
        flags = {flag: PARTS[part][flag] for flag in ("grade", "solution", "locked")}
        return {"nbgrader": {**flags, "grade_id": f"{label}_{part}", **extra, "schema_version": 3}}

    return [
        nbformat.v4.new_markdown_cell(f"{heading}\n\n{task.strip()}", metadata=nbgrader("task")),
        nbformat.v4.new_code_cell(
            f"### BEGIN SOLUTION\n{solution.strip()}\n### END SOLUTION", metadata=nbgrader("solution")
        ),
        nbformat.v4.new_code_cell(test_source, metadata=nbgrader("tests", points=points)),
    ]


def lint_notebook(notebook: Mapping, name: str) -> list[str]:
    """Problems with the exercise markup of one lesson notebook.

    Checks every cell with nbgrader metadata (schema version 3, a ``grade_id``
    ``exNN_k_task|solution|tests`` unique in the notebook with ``NN`` the
    lesson's number, the flags of that kind of cell, points > 0 on test cells,
    solution markers in solution cells only, balanced hidden-test markers in
    test cells only, valid Python before and after the release strips them),
    then every exercise (a task, a solution and a test cell, in that order, a
    heading stating the test cell's points) and the number of exercises.

    Parameters
    ----------
    notebook : mapping
        A notebook as read by ``nbformat`` (or its JSON as a dict).
    name : str
        The notebook's name, ``NN_topic`` (``.ipynb`` allowed); gives ``NN``.

    Returns
    -------
    list of str
        One message per problem, each starting with the notebook's name and,
        where it applies, the cell's position counted from 1; empty if all is well.
    """
    if not isinstance(name, (str, os.PathLike)):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    stem = Path(name).name.removesuffix(".ipynb")
    match = LESSON_NAME.match(stem)
    if match is None:
        raise ValueError(f"name must look like 'NN_topic' (two digits, underscore, topic), got {stem!r}")
    if not isinstance(notebook, Mapping) or not isinstance(notebook.get("cells"), list):
        raise TypeError("notebook must be a notebook mapping with a 'cells' list")
    number = int(match["number"])
    problems: list[str] = []
    seen: dict[str, int] = {}
    exercises: dict[int, dict[str, tuple[int, dict, dict]]] = {}

    for index, cell in enumerate(notebook["cells"], start=1):
        source = _source(cell)
        meta = cell.get("metadata", {}).get("nbgrader")
        where = f"{stem} cell {index}"
        if meta is None:  # nbgrader stops with an error on these (even in prose): reword
            problems += [
                f"{where}: '{marker}' outside an exercise cell makes nbgrader fail; reword it"
                for marker in (SOLUTION_MARKERS[0], HIDDEN_MARKERS[0])
                if marker in source
            ]
            continue
        if not isinstance(meta, Mapping):
            problems.append(f"{where}: nbgrader metadata must be a mapping")
            continue
        grade_id = meta.get("grade_id")
        id_match = GRADE_ID.match(grade_id) if isinstance(grade_id, str) else None
        if id_match is None:
            problems.append(f"{where}: grade_id {grade_id!r} must look like exNN_k_task, exNN_k_solution, exNN_k_tests")
            continue
        where = f"{stem} cell {index} ({grade_id})"
        if grade_id in seen:
            problems.append(f"{where}: duplicate grade_id, already used by cell {seen[grade_id]}")
            continue
        seen[grade_id] = index
        if meta.get("schema_version") != 3:
            problems.append(f"{where}: schema_version must be 3, got {meta.get('schema_version')!r}")
        if int(id_match["number"]) != number:
            problems.append(f"{where}: grade_id must start with ex{number:02d}_ in lesson {number:02d}")
        part, k = id_match["part"], int(id_match["k"])
        expected = PARTS[part]
        if cell.get("cell_type") != expected["cell_type"]:
            wanted, got = expected["cell_type"], cell.get("cell_type")
            problems.append(f"{where}: a {part} cell must be a {wanted} cell, got {got!r}")
        for flag in ("grade", "solution", "locked"):
            if meta.get(flag, False) is not expected[flag]:
                problems.append(f"{where}: '{flag}' must be {expected[flag]} on a {part} cell, got {meta.get(flag)!r}")
        if part == "tests":
            points = meta.get("points")
            if isinstance(points, bool) or not isinstance(points, (int, float)) or not 0 < points < math.inf:
                problems.append(f"{where}: a test cell needs 'points' > 0, got {points!r}")
        problems += [f"{where}: {problem}" for problem in _marker_problems(source, part, cell.get("cell_type"))]
        exercises.setdefault(k, {})[part] = (index, cell, meta)

    for k, parts in sorted(exercises.items()):
        label = f"{stem} exercise {number:02d}.{k}"
        missing = [part for part in PARTS if part not in parts]
        problems += [f"{label}: no {part} cell (grade_id ex{number:02d}_{k}_{part})" for part in missing]
        if not missing and not parts["task"][0] < parts["solution"][0] < parts["tests"][0]:
            problems.append(f"{label}: its task, solution and test cells must come in that order")
        if "task" in parts:
            problems += [f"{label}: {problem}" for problem in _heading_problems(parts, number, k)]
    if sorted(exercises) != list(range(1, len(exercises) + 1)):
        problems.append(f"{stem}: exercises must be numbered 1, 2, 3, ... got {sorted(exercises)}")
    if number in LESSONS_WITH_EXERCISES and len(exercises) < MIN_EXERCISES:
        problems.append(f"{stem}: lesson {number:02d} needs at least {MIN_EXERCISES} exercises, has {len(exercises)}")
    return problems


def lint_notebooks(paths: Iterable[str | os.PathLike]) -> list[str]:
    """:func:`lint_notebook` on each file, plus: no two lessons share a number.

    Parameters
    ----------
    paths : iterable of paths to ``NN_topic.ipynb`` files

    Returns
    -------
    list of str
        Every problem found; empty if all is well.
    """
    paths = _notebook_paths(paths, "paths")
    problems: list[str] = []
    numbers: dict[str, str] = {}
    for path in paths:
        number = path.stem[:2]
        if number in numbers:
            problems.append(f"{path.stem}: lesson number {number} is also used by {numbers[number]}")
        numbers[number] = path.stem
        problems += lint_notebook(nbformat.read(path, as_version=4), path.stem)
    return problems


def exercise_points(notebook: Mapping) -> dict[str, float]:
    """Points of every test cell, by grade_id: what a full-marks submission scores.

    Parameters
    ----------
    notebook : mapping
        A notebook as read by ``nbformat``.

    Returns
    -------
    dict
        ``{"exNN_k_tests": points, ...}`` in notebook order.
    """
    if not isinstance(notebook, Mapping) or not isinstance(notebook.get("cells"), list):
        raise TypeError("notebook must be a notebook mapping with a 'cells' list")
    points = {}
    for cell in notebook["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade"):
            points[meta["grade_id"]] = float(meta["points"])
    return points


# --------------------------------------------------------------------------- release


def build_release(
    notebooks: str | os.PathLike | Iterable[str | os.PathLike] = "notebooks",
    course_dir: str | os.PathLike = "release",
) -> Path:
    """Lint the lessons and build the nbgrader course directory with the student release.

    Each notebook becomes the assignment of the same name: it is copied to
    ``source/NAME/NAME.ipynb`` and nbgrader writes ``release/NAME/NAME.ipynb``
    (solution regions replaced by ``# YOUR CODE HERE`` and
    ``raise NotImplementedError()``, hidden tests removed, outputs cleared)
    and records cells and points in ``gradebook.db``. Rebuilding keeps the
    gradebook, submissions and an edited ``nbgrader_config.py``.

    Parameters
    ----------
    notebooks : path or iterable of paths, default="notebooks"
        A folder of lesson notebooks, or the notebooks themselves.
    course_dir : path, default="release"
        The course directory to create or update.

    Returns
    -------
    Path
        The course directory.

    Raises
    ------
    ValueError
        If a notebook's exercise markup has problems (all are listed).
    RuntimeError
        If nbgrader fails.
    """
    if isinstance(notebooks, (str, os.PathLike)):
        if not Path(notebooks).is_dir():
            raise ValueError(f"notebooks must be a folder of lessons or a list of notebooks, got {str(notebooks)!r}")
        notebooks = lesson_notebooks(notebooks)
    paths = _notebook_paths(notebooks, "notebooks")
    if not paths:
        raise ValueError("notebooks must name at least one lesson notebook")
    problems = lint_notebooks(paths)
    if problems:
        raise ValueError("the exercise markup has problems:\n" + "\n".join(problems))
    if not isinstance(course_dir, (str, os.PathLike)):
        raise TypeError(f"course_dir must be a path, got {type(course_dir).__name__}")
    course_dir = Path(course_dir).resolve()
    course_dir.mkdir(parents=True, exist_ok=True)
    if not (course_dir / CONFIG_FILE).exists():
        (course_dir / CONFIG_FILE).write_text(CONFIG_TEXT)
    for path in paths:
        target = course_dir / "source" / path.stem
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        shutil.copy2(path, target / path.name)
    from nbgrader.converters import GenerateAssignment

    for path in paths:
        _run_nbgrader(course_dir, GenerateAssignment, assignment_id=path.stem, student_id=".", force=True)
    return course_dir


def autograde(
    course_dir: str | os.PathLike = "release",
    submissions: str | os.PathLike | None = None,
    *,
    students: Iterable[str] | None = None,
    jobs: int = 1,
    env: Mapping[str, str] | None = None,
):
    """Grade submissions with nbgrader and return every student's scores.

    Parameters
    ----------
    course_dir : path, default="release"
        A course directory made by :func:`build_release`.
    submissions : path or None
        A folder laid out ``STUDENT/ASSIGNMENT/NOTEBOOK.ipynb`` (nbgrader's
        ``submitted/`` layout; ``ASSIGNMENT`` is a lesson's name). It is
        copied into ``course_dir/submitted/`` first, replacing earlier copies
        of the same student's assignments. None grades what is there already.
    students : iterable of str or None
        Grade only these students; None grades every student in ``submitted/``.
    jobs : int, default=1
        Students are split among this many processes, each grading its
        students' notebooks one after the other.
    env : mapping or None
        The complete environment of the grading kernels (as for
        ``subprocess``); None keeps the current one.

    Returns
    -------
    pandas.DataFrame
        :func:`scores` of the course after grading (every student graded so far).
    """
    course_dir = _course_dir(course_dir)
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be an int >= 1, got {jobs!r}")
    if env is not None and not (isinstance(env, Mapping) and all(isinstance(v, str) for v in env.values())):
        raise TypeError("env must be a mapping of str to str, or None")
    if isinstance(students, str) or not (students is None or isinstance(students, Iterable)):
        raise TypeError("students must be an iterable of student ids (not a single str), or None")
    submitted = course_dir / "submitted"
    if submissions is not None:
        _copy_submissions(_existing_dir(submissions, "submissions"), course_dir)
    available = sorted(path.name for path in submitted.iterdir() if path.is_dir()) if submitted.is_dir() else []
    if students is None:
        students = available
    else:
        students = list(students)
        unknown = sorted(set(students) - set(available))
        if unknown:
            raise ValueError(f"students {unknown} have no submission in {submitted}")
    if not students:
        raise ValueError(f"there is nothing to grade: no submissions in {submitted}")
    jobs = min(jobs, len(students))
    if jobs == 1:
        with _environment(env):
            _autograde_here(course_dir, students)
    else:
        command = [sys.executable, "-m", "helpers.release", "autograde", "--course", str(course_dir), "--quiet"]
        groups = _balanced_groups(students, jobs, lambda student: len(list((submitted / student).glob("*/*.ipynb"))))
        workers = [
            subprocess.Popen(
                command + [arg for student in group for arg in ("--student", student)],
                env=dict(env) if env is not None else None,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for group in groups
        ]
        failures = [out for worker in workers if (out := worker.communicate()[0]) is not None and worker.returncode]
        if failures:
            raise RuntimeError("autograding failed:\n" + "\n".join(failures))
    table = scores(course_dir)
    table.to_csv(course_dir / "scores.csv", index=False)
    return table


def scores(course_dir: str | os.PathLike = "release"):
    """Scores in the gradebook: one row per student, assignment and exercise.

    Parameters
    ----------
    course_dir : path, default="release"
        A course directory made by :func:`build_release`.

    Returns
    -------
    pandas.DataFrame
        Columns ``student``, ``assignment``, ``exercise`` (the test cell's
        grade_id), ``score`` and ``max_score``.
    """
    import pandas as pd
    from nbgrader.api import Gradebook

    course_dir = _course_dir(course_dir)
    coursedir = _coursedir(course_dir)
    rows = []
    with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:
        for assignment in gradebook.assignments:
            for submission in assignment.submissions:
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        rows.append((submission.student.id, assignment.name, grade.name, grade.score, grade.max_score))
    table = pd.DataFrame(rows, columns=SCORE_COLUMNS)
    return table.sort_values(SCORE_COLUMNS[:3], ignore_index=True)


def score_table(table) -> str:
    """Text table of points per student (rows) and assignment (columns), with totals.

    Parameters
    ----------
    table : pandas.DataFrame
        As returned by :func:`scores`.

    Returns
    -------
    str
    """
    import pandas as pd

    if not isinstance(table, pd.DataFrame) or not set(SCORE_COLUMNS) <= set(table.columns):
        raise TypeError(f"table must be a DataFrame with columns {SCORE_COLUMNS}")
    if table.empty:
        return "no graded submissions"
    points = table.pivot_table(index="student", columns="assignment", values="score", aggfunc="sum")
    maxima = table.groupby(["assignment", "exercise"])["max_score"].first().groupby("assignment").sum()
    points.loc["(max)"] = maxima
    points["total"] = points.sum(axis=1)
    return points.to_string(float_format=lambda value: f"{value:g}", na_rep="-")


# --------------------------------------------------------------------------- internals


def _source(cell: Mapping) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _regions(source: str, begin: str, end: str) -> tuple[list[list[str]], str | None]:
    """Lines inside each begin/end pair (matched as nbgrader does), and a problem if unbalanced."""
    regions: list[list[str]] = []
    current: list[str] | None = None
    for line in source.split("\n"):
        if begin in line:
            if current is not None:
                return regions, f"nested '{begin}'"
            current = []
        elif end in line:
            if current is None:
                return regions, f"'{end}' without '{begin}'"
            regions.append(current)
            current = None
        elif current is not None:
            current.append(line)
    if current is not None:
        return regions, f"'{begin}' without '{end}'"
    return regions, None


def _released(source: str, part: str) -> str:
    """The cell's source as nbgrader releases it."""
    lines = []
    inside = False
    begin, end = SOLUTION_MARKERS if part == "solution" else HIDDEN_MARKERS
    for line in source.split("\n"):
        if begin in line:
            inside = True
            if part == "solution":
                indent = line[: len(line) - len(line.lstrip())]
                lines += [indent + stub for stub in CODE_STUB.split("\n")]
        elif end in line:
            inside = False
        elif not inside:
            lines.append(line)
    return "\n".join(lines)


def _marker_problems(source: str, part: str, cell_type: str | None) -> list[str]:
    problems = []
    solutions, solution_problem = _regions(source, *SOLUTION_MARKERS)
    hidden, hidden_problem = _regions(source, *HIDDEN_MARKERS)
    has_solution_marker = any(marker in source for marker in SOLUTION_MARKERS)
    has_hidden_marker = any(marker in source for marker in HIDDEN_MARKERS)
    if part == "solution":
        if solution_problem:
            problems.append(solution_problem)
        elif not solutions:
            problems.append("a solution cell needs its answer between '### BEGIN SOLUTION' and '### END SOLUTION'")
        if has_hidden_marker:
            problems.append("hidden-test markers belong in the test cell, not the solution cell")
    elif part == "tests":
        if hidden_problem:
            problems.append(hidden_problem)
        if has_solution_marker:
            problems.append("solution markers belong in the solution cell, not the test cell")
    elif has_solution_marker or has_hidden_marker:
        problems.append("a task cell must not hold solution or hidden-test markers")
    if cell_type == "code" and not problems:
        for version, text in (("the cell", source), ("the released cell", _released(source, part))):
            error = _syntax_error(text)
            if error:
                problems.append(f"{version} is not valid Python: {error}")
                break
    return problems


def _syntax_error(source: str) -> str | None:
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        ast.parse(TransformerManager().transform_cell(source))
    except SyntaxError as error:
        return f"{error.msg} (line {error.lineno})"
    return None


def _heading_problems(parts: Mapping, number: int, k: int) -> list[str]:
    source = _source(parts["task"][1]).strip()
    first_line = source.split("\n", 1)[0].strip() if source else ""
    match = HEADING.match(first_line)
    if match is None:
        return [f"the task must start with '### Exercise {number:02d}.{k} — title (P points)', got {first_line!r}"]
    problems = []
    if (int(match["number"]), int(match["k"])) != (number, k):
        problems.append(f"the heading says exercise {match['number']}.{match['k']}")
    if "tests" in parts:
        points = parts["tests"][2].get("points")
        if isinstance(points, (int, float)) and float(match["points"]) != points:
            problems.append(f"the heading states {match['points']} points, the test cell gives {points}")
    return problems


def _check_points(points, name: str) -> None:
    if isinstance(points, bool) or not isinstance(points, (int, float)):
        raise TypeError(f"{name} must be a number, got {type(points).__name__}")
    if not math.isfinite(points) or points <= 0:
        raise ValueError(f"{name} must be > 0, got {points}")


def _existing_dir(path, name: str) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{name} must be a path, got {type(path).__name__}")
    path = Path(path)
    if not path.is_dir():
        raise ValueError(f"{name} must be an existing folder, got {str(path)!r}")
    return path


def _notebook_paths(paths, name: str) -> list[Path]:
    if isinstance(paths, (str, os.PathLike)) or not isinstance(paths, Iterable):
        raise TypeError(f"{name} must be an iterable of notebook paths")
    result = []
    for path in paths:
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"{name} must hold paths, got {type(path).__name__}")
        path = Path(path)
        if path.suffix != ".ipynb" or not path.is_file() or not LESSON_NAME.match(path.stem):
            raise ValueError(f"{name} must hold existing NN_topic.ipynb files, got {str(path)!r}")
        result.append(path)
    stems = [path.stem for path in result]
    if len(set(stems)) != len(stems):
        raise ValueError(f"{name} must not hold two notebooks with the same name")
    return result


def _course_dir(course_dir) -> Path:
    course_dir = _existing_dir(course_dir, "course_dir").resolve()
    if not (course_dir / CONFIG_FILE).is_file() or not (course_dir / "gradebook.db").is_file():
        raise ValueError(f"course_dir must be a course directory made by build_release, got {str(course_dir)!r}")
    return course_dir


def _coursedir(course_dir: Path):
    """nbgrader's CourseDirectory, configured from the course's nbgrader_config.py."""
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader(CONFIG_FILE, path=str(course_dir)).load_config()
    config.CourseDirectory.root = str(course_dir)
    return CourseDirectory(config=config)


def _run_nbgrader(course_dir: Path, converter, **settings) -> None:
    """Run one nbgrader converter in this process; raise with its log if it fails."""
    from nbgrader.utils import capture_log
    from sqlalchemy.exc import SAWarning

    coursedir = _coursedir(course_dir)
    coursedir.assignment_id = settings.pop("assignment_id")
    coursedir.student_id = settings.pop("student_id")
    app = converter(coursedir=coursedir, config=coursedir.config)
    for key, value in settings.items():
        setattr(app, key, value)
    # A new gradebook asks the `alembic` command for its schema version: make sure
    # the one installed next to this Python is found even if its folder is not on PATH.
    bin_dir = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    if bin_dir not in path.split(os.pathsep):
        path = bin_dir + os.pathsep + path
    with _environment({**os.environ, "PATH": path}), warnings.catch_warnings():
        # nbgrader's gradebook triggers SQLAlchemy session warnings that do not matter here.
        warnings.simplefilter("ignore", SAWarning)
        result = capture_log(app)
    if not result["success"]:
        raise RuntimeError(f"nbgrader {converter.__name__} failed:\n{result.get('log', '')}\n{result.get('error', '')}")


def _autograde_here(course_dir: Path, students: Iterable[str]) -> None:
    """Grade every assignment each student submitted; report all failures at the end."""
    from nbgrader.converters import Autograde

    failures = []
    for student in students:
        try:
            _run_nbgrader(course_dir, Autograde, assignment_id="*", student_id=student, force=True, create_student=True)
        except RuntimeError as error:
            failures.append(f"{student}: {error}")
    if failures:
        raise RuntimeError("\n".join(failures))


def _balanced_groups(items: list[str], n_groups: int, size) -> list[list[str]]:
    """Split items into groups of about equal total size, largest items first."""
    groups: list[list[str]] = [[] for _ in range(n_groups)]
    loads = [0] * n_groups
    for item in sorted(items, key=size, reverse=True):
        lightest = loads.index(min(loads))
        groups[lightest].append(item)
        loads[lightest] += size(item)
    return [group for group in groups if group]


def _copy_submissions(submissions: Path, course_dir: Path) -> None:
    submitted = course_dir / "submitted"
    if submissions.resolve() == submitted.resolve():
        return
    assignments = {path.name for path in (course_dir / "source").iterdir() if path.is_dir()}
    found = [(s, a) for s in sorted(submissions.iterdir()) if s.is_dir() for a in sorted(s.iterdir()) if a.is_dir()]
    for student, assignment in found:
        if not STUDENT_ID.match(student.name):
            raise ValueError(f"submissions: student folder {student.name!r} is not a usable student id")
        if assignment.name not in assignments:
            where = f"{student.name}/{assignment.name}"
            raise ValueError(f"submissions: {where} is not an assignment of this course {sorted(assignments)}")
        if not any(assignment.glob("*.ipynb")):
            raise ValueError(f"submissions: {student.name}/{assignment.name} holds no notebook")
    if not found:
        raise ValueError(f"submissions must hold STUDENT/ASSIGNMENT/NOTEBOOK.ipynb; {str(submissions)!r} has none")
    for student, assignment in found:
        target = submitted / student.name / assignment.name
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(assignment, target)


@contextlib.contextmanager
def _environment(env: Mapping[str, str] | None) -> Iterator[None]:
    if env is None:
        yield
        return
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


# --------------------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    """Command line: ``build`` (the default), ``lint``, ``autograde``, ``scores``."""
    parser = argparse.ArgumentParser(prog="python -m helpers.release", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command")
    build = commands.add_parser("build", help="lint the lessons and build the course directory (default)")
    build.add_argument("--notebooks", default="notebooks", help="folder of lesson notebooks (default: notebooks)")
    build.add_argument("--course", default="release", help="course directory (default: release)")
    lint = commands.add_parser("lint", help="check the exercise markup")
    lint.add_argument("paths", nargs="*", help="notebooks (default: every lesson in notebooks/)")
    grade = commands.add_parser("autograde", help="grade submissions and print the scores")
    grade.add_argument(
        "submissions", nargs="?", help="folder STUDENT/ASSIGNMENT/NOTEBOOK.ipynb (default: the course's submitted/)"
    )
    grade.add_argument("--course", default="release", help="course directory (default: release)")
    grade.add_argument("--student", action="append", help="grade only this student (repeatable)")
    grade.add_argument("--jobs", type=int, default=1, help="processes grading in parallel (default: 1)")
    grade.add_argument("--quiet", action="store_true", help="do not print the score table")
    show = commands.add_parser("scores", help="print the scores in the gradebook")
    show.add_argument("--course", default="release", help="course directory (default: release)")
    args = parser.parse_args(argv)
    command = args.command or "build"

    try:
        if command == "lint":
            problems = lint_notebooks(args.paths or lesson_notebooks())
            print("\n".join(problems) or "exercise markup: no problem found")
            return 1 if problems else 0
        if command == "build":
            started = time.perf_counter()
            notebooks = args.notebooks if args.command else "notebooks"
            course = build_release(notebooks, args.course if args.command else "release")
            names = sorted(path.name for path in (course / "release").iterdir())
            print(f"built {len(names)} assignments in {time.perf_counter() - started:.1f} s: {', '.join(names)}")
            print(f"student release: {course / 'release'}   (instructors: see docs/instructors.md)")
            return 0
        if command == "autograde":
            table = autograde(args.course, args.submissions, students=args.student, jobs=args.jobs)
        else:
            table = scores(args.course)
    except (ValueError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if not getattr(args, "quiet", False):
        print(score_table(table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
