"""Student release and autograding of the lessons' exercises (instructors; the ``instructor`` extra).

This module checks the course's own exercise markup (CONTRIBUTING.md) and builds an
nbgrader course directory (layout in docs/instructors.md), one assignment per lesson
named like the notebook; nbgrader does the rest: releasing, clearing solutions and
hidden tests, grading, the gradebook. Command line::

    python -m helpers.release                       # lint, then build release/
    python -m helpers.release lint [NOTEBOOK ...]
    python -m helpers.release autograde [SUBMISSIONS] [--course release] [--jobs 2]
    python -m helpers.release scores [--course release]
"""

from __future__ import annotations

import argparse
import ast
import copy
import math
import multiprocessing
import os
import re
import shutil
import sys
import time
import warnings
from collections.abc import Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from unittest import mock

import nbformat

COURSE_ID = "rare-cases"
CONFIG_FILE = "nbgrader_config.py"
CONFIG_TEXT = f'''\
"""nbgrader settings for the Rare Cases course directory (see docs/instructors.md)."""

c = get_config()  # noqa: F821 (nbgrader provides get_config)
c.CourseDirectory.course_id = "{COURSE_ID}"
# A lesson runs in 5-20 s; this is the limit per cell when grading.
c.Execute.timeout = 120
# On a busy machine a cell's last output can arrive after nbclient's default 4 s wait, which fails the submission.
c.Execute.iopub_timeout = 60
# Feedback shows each test's message but not the hidden tests (nor tracebacks quoting them).
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "helpers.release.hide_hidden_tests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
# With JupyterHub and nbgrader's exchange, name the folder every user can write to:
# c.Exchange.root = "/srv/nbgrader/exchange"
'''
# Inserted below each released notebook's title: the one failure a student cannot fix from the lesson.
INSTALL_NOTE = (
    "> **`ModuleNotFoundError: No module named 'helpers'`?** The course is not installed where this "
    "notebook's kernel runs: run `%pip install -e /path/to/rare-cases` (your copy of the course) in a "
    "cell, then restart the kernel."
)
LESSON_NAME = re.compile(r"^(?P<number>\d{2})_[A-Za-z0-9_]+$")
GRADE_ID = re.compile(r"^ex(?P<number>\d{2})_(?P<k>[1-9][0-9]*)_(?P<part>task|solution|tests)$")
HEADING = re.compile(r"^###\s+Exercise\s+(?P<number>\d+)\.(?P<k>\d+)\b.*\((?P<points>\d+(?:\.\d+)?)\s+points?\)\s*$")
STUDENT_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.@-]*$")
SOLUTION_MARKERS = ("BEGIN SOLUTION", "END SOLUTION")
HIDDEN_MARKERS = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
MIN_EXERCISES = 3  # lessons 01..11; 00 (the welcome page) may have none
LESSONS_WITH_EXERCISES = range(1, 12)
PARTS = {  # what each of an exercise's three cells must be (CONTRIBUTING.md)
    "task": {"cell_type": "markdown", "grade": False, "solution": False, "locked": True},
    "solution": {"cell_type": "code", "grade": False, "solution": True, "locked": False},
    "tests": {"cell_type": "code", "grade": True, "solution": False, "locked": True},
}
SCORE_COLUMNS = ["student", "assignment", "exercise", "score", "max_score"]


# --------------------------------------------------------------------------- lint


def lesson_notebooks(directory: str | os.PathLike = "notebooks") -> list[Path]:
    """The lesson notebooks ``NN_topic.ipynb`` in ``directory`` (a path), in lesson order."""
    directory = _existing_dir(directory, "directory")
    return sorted(path for path in directory.glob("[0-9][0-9]_*.ipynb") if LESSON_NAME.match(path.stem))


def lint_notebook(notebook: Mapping, name: str) -> list[str]:
    """Problems with the exercise markup of one lesson notebook (a mapping as nbformat reads it).

    nbgrader's metadata validator, then the course's conventions: ``grade_id``
    ``exNN_k_task|solution|tests`` (``NN`` from ``name``, ``NN_topic``), the flags and
    schema version 3, points > 0, markers in the right cells and balanced, valid Python
    before and after nbgrader's ClearSolutions/ClearHiddenTests, a task, solution and
    test cell per exercise in that order under a heading stating the points, and at
    least three exercises in lessons 01..11. Returns one message per problem, naming
    the notebook and the cell (counted from 1); empty if all is well.
    """
    if not isinstance(name, (str, os.PathLike)):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    if (match := LESSON_NAME.match(stem := Path(name).name.removesuffix(".ipynb"))) is None:
        raise ValueError(f"name must look like 'NN_topic' (two digits, underscore, topic), got {stem!r}")
    from nbgrader.nbgraderformat import MetadataValidator

    validator, number, problems, seen = MetadataValidator(), int(match["number"]), [], {}
    exercises: dict[int, dict[str, tuple[int, Mapping, Mapping]]] = {}  # k -> part -> (position, cell, metadata)
    for index, cell in enumerate(_cells(notebook), start=1):
        source, meta, where = _source(cell), cell.get("metadata", {}).get("nbgrader"), f"{stem} cell {index}"
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
        if (id_match := GRADE_ID.match(grade_id) if isinstance(grade_id, str) else None) is None:
            problems.append(f"{where}: grade_id {grade_id!r} must look like exNN_k_task, exNN_k_solution, exNN_k_tests")
            continue
        where = f"{stem} cell {index} ({grade_id})"
        if grade_id in seen:
            problems.append(f"{where}: duplicate grade_id, already used by cell {seen[grade_id]}")
            continue
        seen[grade_id] = index
        try:
            validator.validate_cell(nbformat.from_dict(copy.deepcopy(dict(cell))))
        except Exception as error:  # jsonschema's ValidationError, or a KeyError on a missing flag
            problems.append(f"{where}: nbgrader rejects the metadata: {str(error).splitlines()[0]}")
        if meta.get("schema_version") != 3:
            problems.append(f"{where}: schema_version must be 3, got {meta.get('schema_version')!r}")
        if int(id_match["number"]) != number:
            problems.append(f"{where}: grade_id must start with ex{number:02d}_ in lesson {number:02d}")
        part, k, expected = id_match["part"], int(id_match["k"]), PARTS[id_match["part"]]
        if cell.get("cell_type") != expected["cell_type"]:
            problems.append(
                f"{where}: a {part} cell must be a {expected['cell_type']} cell, got {cell.get('cell_type')!r}"
            )
        for flag in ("grade", "solution", "locked"):
            if meta.get(flag, False) is not expected[flag]:
                problems.append(f"{where}: '{flag}' must be {expected[flag]} on a {part} cell, got {meta.get(flag)!r}")
        points = meta.get("points")
        if part == "tests" and (
            isinstance(points, bool) or not isinstance(points, (int, float)) or not 0 < points < math.inf
        ):
            problems.append(f"{where}: a test cell needs 'points' > 0, got {points!r}")
        problems += [f"{where}: {problem}" for problem in _marker_problems(cell, source, part)]
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
    """:func:`lint_notebook` on each ``NN_topic.ipynb`` file of ``paths``, plus: no two lessons share a number."""
    problems, numbers = [], {}
    for path in _notebook_paths(paths, "paths"):
        if path.stem[:2] in numbers:
            problems.append(f"{path.stem}: lesson number {path.stem[:2]} is also used by {numbers[path.stem[:2]]}")
        numbers[path.stem[:2]] = path.stem
        problems += lint_notebook(nbformat.read(path, as_version=4), path.stem)
    return problems


def exercise_points(notebook: Mapping) -> dict[str, float]:
    """Points of every test cell of ``notebook``, by grade_id (``{"exNN_k_tests": points}``): full marks."""
    metas = [cell.get("metadata", {}).get("nbgrader", {}) for cell in _cells(notebook)]
    return {meta["grade_id"]: float(meta["points"]) for meta in metas if meta.get("grade")}


# --------------------------------------------------------------------------- release and grading


def build_release(
    notebooks: str | os.PathLike | Iterable[str | os.PathLike] = "notebooks",
    course_dir: str | os.PathLike = "release",
) -> Path:
    """Lint the lessons and build the nbgrader course directory; return its path.

    ``notebooks`` is a folder of lessons or a list of them. Each is copied to
    ``source/NAME/NAME.ipynb`` with :data:`INSTALL_NOTE` below its title, and nbgrader's
    generate_assignment writes ``release/NAME/NAME.ipynb`` and records cells and points in
    the gradebook. Rebuilding keeps the gradebook, submissions and an edited config.
    Raises ValueError listing every markup problem (nothing is written then), or
    RuntimeError if nbgrader fails.
    """
    if isinstance(notebooks, (str, os.PathLike)):  # a folder of lessons
        notebooks = lesson_notebooks(_existing_dir(notebooks, "notebooks"))
    if not (paths := _notebook_paths(notebooks, "notebooks")):
        raise ValueError("notebooks must name at least one lesson notebook")
    if problems := lint_notebooks(paths):
        raise ValueError("the exercise markup has problems:\n" + "\n".join(problems))
    if not isinstance(course_dir, (str, os.PathLike)):
        raise TypeError(f"course_dir must be a path, got {type(course_dir).__name__}")
    (course_dir := Path(course_dir).resolve()).mkdir(parents=True, exist_ok=True)
    if not (course_dir / CONFIG_FILE).exists():
        (course_dir / CONFIG_FILE).write_text(CONFIG_TEXT)
    from nbgrader.converters import GenerateAssignment

    for path in paths:
        shutil.rmtree(target := course_dir / "source" / path.stem, ignore_errors=True)
        target.mkdir(parents=True)
        notebook = nbformat.read(path, as_version=4)
        notebook.cells.insert(1, nbformat.v4.new_markdown_cell(INSTALL_NOTE, id="install-note"))
        for cell in notebook.cells:  # the lesson collapses some answers; a student's answer cell opens
            if cell.metadata.get("nbgrader", {}).get("solution"):
                cell.metadata.get("jupyter", {}).pop("source_hidden", None)
                if "hide-input" in cell.metadata.get("tags", []):
                    cell.metadata["tags"].remove("hide-input")
        nbformat.write(notebook, target / path.name)
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
    """Grade submissions with nbgrader's autograde; return :func:`scores` (also saved as scores.csv).

    ``submissions`` (a folder ``STUDENT/ASSIGNMENT/NOTEBOOK.ipynb``) is first copied into
    ``submitted/``; None grades what is there. ``students`` limits grading to those ids.
    Each submission is graded exactly once, by one nbgrader run, and its seconds are
    appended to ``grading_times.csv``. ``jobs`` processes share the submissions and the
    SQLite gradebook: every student row is created here first, so each process only
    inserts rows of its own submissions (docs/instructors.md says why that is safe).
    ``env`` is the complete environment of the grading kernels (None keeps the current one).
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
    if unknown := sorted(set(students := available if students is None else list(students)) - set(available)):
        raise ValueError(f"students {unknown} have no submission in {submitted}")
    if not (pairs := sorted((a.name, s) for s in students for a in (submitted / s).iterdir() if a.is_dir())):
        raise ValueError(f"there is nothing to grade: no submissions in {submitted}")
    from nbgrader.api import Gradebook

    with Gradebook((coursedir := _coursedir(course_dir)).db_url, coursedir.course_id) as gradebook:
        for student in students:  # before any worker starts: two creating one student would collide
            gradebook.update_or_create_student(student)
    with _environment(env):  # processes started here inherit this environment
        if (jobs := min(jobs, len(pairs))) == 1:
            _grade(course_dir, pairs)
        else:  # dealt out in turn: each process gets a share of every lesson
            with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
                futures = [pool.submit(_grade, course_dir, pairs[i::jobs]) for i in range(jobs)]
            if failures := [str(future.exception()) for future in futures if future.exception()]:
                raise RuntimeError("autograding failed:\n" + "\n".join(failures))
    (table := scores(course_dir)).to_csv(course_dir / "scores.csv", index=False)
    return table


def scores(course_dir: str | os.PathLike = "release"):
    """Scores in the gradebook of ``course_dir``, one row per student, assignment and exercise: a DataFrame.

    Columns :data:`SCORE_COLUMNS` (``exercise`` is the test cell's grade_id); nbgrader's
    own ``nbgrader export`` gives only one total per student and assignment.
    """
    import pandas as pd
    from nbgrader.api import Gradebook

    coursedir = _coursedir(_course_dir(course_dir))
    with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:
        rows = [
            (submission.student.id, assignment.name, grade.name, grade.score, grade.max_score)
            for assignment in gradebook.assignments
            for submission in assignment.submissions
            for notebook in submission.notebooks
            for grade in notebook.grades
        ]
    return pd.DataFrame(rows, columns=SCORE_COLUMNS).sort_values(SCORE_COLUMNS[:3], ignore_index=True)


def score_table(table) -> str:
    """Text table of points per student (rows) and assignment (columns) of a :func:`scores` table, with totals."""
    import pandas as pd

    if not isinstance(table, pd.DataFrame) or not set(SCORE_COLUMNS) <= set(table.columns):
        raise TypeError(f"table must be a DataFrame with columns {SCORE_COLUMNS}")
    if table.empty:
        return "no graded submissions"
    points = table.pivot_table(index="student", columns="assignment", values="score", aggfunc="sum")
    points.loc["(max)"] = table.groupby(["assignment", "exercise"])["max_score"].first().groupby("assignment").sum()
    points["total"] = points.sum(axis=1)
    return points.to_string(float_format=lambda value: f"{value:g}", na_rep="-")


def hide_hidden_tests(notebook, resources):
    """nbconvert preprocessor for nbgrader's feedback: the graded notebook without its hidden tests.

    nbgrader's ClearHiddenTests removes the hidden regions from the test cells; an
    error in such a cell keeps only its last line (``AssertionError: message``),
    since the traceback quotes the hidden assert.
    """
    from nbgrader.preprocessors import ClearHiddenTests

    had_hidden = [HIDDEN_MARKERS[0] in cell.source for cell in notebook.cells]
    notebook, resources = ClearHiddenTests().preprocess(notebook, resources)
    for cell, hidden in zip(notebook.cells, had_hidden, strict=False):
        for output in cell.get("outputs", []) if hidden else []:
            if output.output_type == "error":
                output.traceback = [f"{output.ename}: {output.evalue}"]
    return notebook, resources


# --------------------------------------------------------------------------- internals


def _cells(notebook) -> list:
    if not isinstance(notebook, Mapping) or not isinstance(notebook.get("cells"), list):
        raise TypeError("notebook must be a notebook mapping with a 'cells' list")
    return notebook["cells"]


def _source(cell: Mapping) -> str:
    return "".join(source) if isinstance(source := cell.get("source", ""), list) else str(source)


def _order_problem(source: str, begin: str, end: str) -> list[str]:
    """What is wrong with the order of the begin/end marker lines (matched as nbgrader does)."""
    inside = False
    for line in source.split("\n"):
        if begin in line or end in line:
            if inside == (begin in line):
                return [f"nested '{begin}'" if inside else f"'{end}' without '{begin}'"]
            inside = not inside
    return [f"'{begin}' without '{end}'"] if inside else []


def _marker_problems(cell: Mapping, source: str, part: str) -> list[str]:
    if part == "task":
        markers = SOLUTION_MARKERS + HIDDEN_MARKERS
        return (
            ["a task cell must not hold solution or hidden-test markers"] if any(m in source for m in markers) else []
        )
    own, other = (SOLUTION_MARKERS, HIDDEN_MARKERS) if part == "solution" else (HIDDEN_MARKERS, SOLUTION_MARKERS)
    problems = _order_problem(source, *own)
    if part == "solution" and own[0] not in source and not problems:
        problems.append("a solution cell needs its answer between '### BEGIN SOLUTION' and '### END SOLUTION'")
    if any(marker in source for marker in other):
        problems.append(
            "hidden-test markers belong in the test cell, not the solution cell"
            if part == "solution"
            else "solution markers belong in the solution cell, not the test cell"
        )
    if cell.get("cell_type") == "code" and not problems:
        from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions

        released, resources = nbformat.from_dict(copy.deepcopy(dict(cell))), {"language": "python"}
        try:
            for preprocessor in (ClearSolutions(), ClearHiddenTests()):
                released, resources = preprocessor.preprocess_cell(released, resources, 0)
        except RuntimeError as error:
            return [f"nbgrader cannot release the cell: {error}"]
        from IPython.core.inputtransformer2 import TransformerManager

        for version, text in (("the cell", source), ("the released cell", released.source)):
            try:  # as IPython runs it: magics allowed
                ast.parse(TransformerManager().transform_cell(text))
            except SyntaxError as error:
                return [f"{version} is not valid Python: {error.msg} (line {error.lineno})"]
    return problems


def _heading_problems(parts: Mapping, number: int, k: int) -> list[str]:
    source = _source(parts["task"][1]).strip()
    first_line = source.split("\n", 1)[0].strip() if source else ""
    match = HEADING.match(first_line)
    if match is None:
        return [f"the task must start with '### Exercise {number:02d}.{k} — title (P points)', got {first_line!r}"]
    problems = []
    if (int(match["number"]), int(match["k"])) != (number, k):
        problems.append(f"the heading says exercise {match['number']}.{match['k']}")
    points = parts["tests"][2].get("points") if "tests" in parts else None
    if isinstance(points, (int, float)) and float(match["points"]) != points:
        problems.append(f"the heading states {match['points']} points, the test cell gives {points}")
    return problems


def _existing_dir(path, name: str) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{name} must be a path, got {type(path).__name__}")
    if not Path(path).is_dir():
        raise ValueError(f"{name} must be an existing folder, got {str(path)!r}")
    return Path(path)


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
    if len({path.stem for path in result}) != len(result):
        raise ValueError(f"{name} must not hold two notebooks with the same name")
    return result


def _course_dir(course_dir) -> Path:
    course_dir = _existing_dir(course_dir, "course_dir").resolve()
    if not all((course_dir / name).is_file() for name in (CONFIG_FILE, "gradebook.db")):
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
    coursedir.assignment_id, coursedir.student_id = settings.pop("assignment_id"), settings.pop("student_id")
    app = converter(coursedir=coursedir, config=coursedir.config)
    for key, value in settings.items():
        setattr(app, key, value)
    # A new gradebook asks the `alembic` command for its schema version: find the one beside this Python.
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    with _environment({**os.environ, "PATH": path}), warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)  # nbgrader's session warnings do not matter here
        result = capture_log(app)
    if not result["success"]:
        raise RuntimeError(f"nbgrader {converter.__name__} failed:\n{result.get('log', '')}\n{result.get('error', '')}")


def _grade(course_dir: Path, pairs: Iterable[tuple[str, str]]) -> None:
    """Autograde each (assignment, student) once, logging its seconds; report all failures at the end."""
    from nbgrader.converters import Autograde

    failures = []
    for assignment, student in pairs:
        started = time.perf_counter()
        try:
            _run_nbgrader(
                course_dir, Autograde, assignment_id=assignment, student_id=student, force=True, create_student=True
            )
        except RuntimeError as error:
            failures.append(f"{student}/{assignment}: {error}")
        with open(course_dir / "grading_times.csv", "a") as log:  # one short line per write: appends do not mix
            log.write(f"{assignment},{student},{time.perf_counter() - started:.2f},{os.getpid()}\n")
    if failures:
        raise RuntimeError("\n".join(failures))


def _copy_submissions(submissions: Path, course_dir: Path) -> None:
    submitted = course_dir / "submitted"
    if submissions.resolve() == submitted.resolve():
        return
    assignments = {path.name for path in (course_dir / "source").iterdir() if path.is_dir()}
    found = [(s, a) for s in sorted(submissions.iterdir()) if s.is_dir() for a in sorted(s.iterdir()) if a.is_dir()]
    if not found:
        raise ValueError(f"submissions must hold STUDENT/ASSIGNMENT/NOTEBOOK.ipynb; {str(submissions)!r} has none")
    for student, assignment in found:
        where = f"submissions: {student.name}/{assignment.name}"
        if not STUDENT_ID.match(student.name):
            raise ValueError(f"submissions: student folder {student.name!r} is not a usable student id")
        if assignment.name not in assignments:
            raise ValueError(f"{where} is not an assignment of this course {sorted(assignments)}")
        if not any(assignment.glob("*.ipynb")):
            raise ValueError(f"{where} holds no notebook")
    for student, assignment in found:
        target = submitted / student.name / assignment.name
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(assignment, target)


def _environment(env: Mapping[str, str] | None):
    """os.environ replaced by ``env`` (None: unchanged) until the block ends."""
    return mock.patch.dict(os.environ, {} if env is None else env, clear=env is not None)


# --------------------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    """Command line: ``build`` (the default), ``lint``, ``autograde``, ``scores``."""
    parser = argparse.ArgumentParser(prog="python -m helpers.release", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command")
    build, lint = commands.add_parser("build", help="lint and build the course (default)"), commands.add_parser("lint")
    grade, show = commands.add_parser("autograde", help="grade and print the scores"), commands.add_parser("scores")
    for command in (build, grade, show):
        command.add_argument("--course", default="release", help="course directory (default: release)")
    build.add_argument("--notebooks", default="notebooks", help="folder of lessons (default: notebooks)")
    lint.add_argument("paths", nargs="*", help="notebooks (default: every lesson in notebooks/)")
    grade.add_argument("submissions", nargs="?", help="folder STUDENT/ASSIGNMENT/NOTEBOOK.ipynb (default: submitted/)")
    grade.add_argument("--student", action="append", help="grade only this student (repeatable)")
    grade.add_argument("--jobs", type=int, default=1, help="processes grading in parallel (default: 1)")
    grade.add_argument("--quiet", action="store_true", help="do not print the score table")
    args = parser.parse_args(argv)
    try:
        if args.command == "lint":
            problems = lint_notebooks(args.paths or lesson_notebooks())
            print("\n".join(problems) or "exercise markup: no problem found")
            return 1 if problems else 0
        if args.command in (None, "build"):
            started = time.perf_counter()
            course = build_release(getattr(args, "notebooks", "notebooks"), getattr(args, "course", "release"))
            names = sorted(path.name for path in (course / "release").iterdir())
            print(
                f"built {len(names)} assignments in {time.perf_counter() - started:.1f} s: {', '.join(names)}\n"
                f"student release: {course / 'release'}   (instructors: see docs/instructors.md)"
            )
            return 0
        grade = args.command == "autograde"
        table = (
            autograde(args.course, args.submissions, students=args.student, jobs=args.jobs)
            if grade
            else scores(args.course)
        )
    except (ValueError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if not getattr(args, "quiet", False):
        print(score_table(table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
