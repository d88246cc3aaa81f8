"""Student release and autograding of the lessons' exercises (instructors; the ``instructor`` extra).

Checks the course's exercise markup (CONTRIBUTING.md) and builds the nbgrader course directory (docs/instructors.md),
one assignment per lesson; nbgrader's API releases, clears solutions and hidden tests, grades, keeps the gradebook::

    python -m helpers.release [build [LESSONS]]     # lint, then build release/ (from notebooks/)
    python -m helpers.release lint [NOTEBOOK ...]
    python -m helpers.release autograde [SUBMISSIONS] [--course release] [--jobs 2] [--student ID]
    python -m helpers.release scores [--course release]
"""

from __future__ import annotations

import argparse
import ast
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
import pandas as pd

from helpers._validation import check_int

CONFIG_FILE = "nbgrader_config.py"
CONFIG_TEXT = '''\
"""nbgrader settings for the Rare Cases course directory (see docs/instructors.md)."""
c = get_config()  # noqa: F821 (nbgrader provides get_config)
c.CourseDirectory.course_id = "rare-cases"
c.Execute.timeout = 120  # seconds per cell when grading; a lesson runs in 5-20 s
c.Execute.iopub_timeout = 60  # a busy machine can miss nbclient's default 4 s wait for a cell's last output
c.GenerateFeedback.preprocessors = [  # feedback shows each test's message, not hidden tests nor tracebacks of them
    "nbgrader.preprocessors.GetGrades",
    "helpers.release.hide_hidden_tests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
# c.Exchange.root = "/srv/nbgrader/exchange"  # with nbgrader's exchange: the folder every user can write to
'''
INSTALL_NOTE = (  # below each released notebook's title: the one failure a student cannot fix from the lesson
    "> **`ModuleNotFoundError: No module named 'helpers'`?** The course is not installed where this notebook's kernel "
    "runs: run `%pip install -e /path/to/rare-cases` (your copy of the course) in a cell, then restart the kernel."
)
LESSON_NAME = re.compile(r"^(?P<number>\d{2})_[A-Za-z0-9_]+$")
GRADE_ID = re.compile(r"^ex(?P<number>\d{2})_(?P<k>[1-9][0-9]*)_(?P<part>task|solution|tests)$")
HEADING = re.compile(r"^###\s+Exercise\s+(?P<number>\d+)\.(?P<k>\d+)\b.*\((?P<points>\d+(?:\.\d+)?)\s+points?\)\s*$")
STUDENT_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.@-]*$")
SOLUTION_MARKERS = ("BEGIN SOLUTION", "END SOLUTION")
HIDDEN_MARKERS = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
MIN_EXERCISES = 3  # in each of lessons 01..11; 00 (the welcome page) may have none
PARTS = {  # what each of an exercise's three cells must be (CONTRIBUTING.md)
    "task": {"cell_type": "markdown", "grade": False, "solution": False, "locked": True},
    "solution": {"cell_type": "code", "grade": False, "solution": True, "locked": False},
    "tests": {"cell_type": "code", "grade": True, "solution": False, "locked": True},
}
MISPLACED = {  # what to say when a part's cell holds another part's markers
    "task": "a task cell must not hold solution or hidden-test markers",
    "solution": "hidden-test markers belong in the test cell, not the solution cell",
    "tests": "solution markers belong in the solution cell, not the test cell",
}
SCORE_COLUMNS = ["student", "assignment", "exercise", "score", "max_score"]


def lesson_notebooks(directory: str | os.PathLike = "notebooks") -> list[Path]:
    """The lesson notebooks ``NN_topic.ipynb`` in the folder ``directory``, in lesson order."""
    directory = _existing_dir(directory, "directory")
    return sorted(path for path in directory.glob("[0-9][0-9]_*.ipynb") if LESSON_NAME.match(path.stem))


def lint_notebook(notebook: Mapping, name: str | os.PathLike) -> list[str]:
    """Problems with the exercise markup of one lesson notebook: nbgrader's validator, then CONTRIBUTING.md.

    ``notebook`` is a mapping as nbformat reads it (not changed), ``name`` the lesson's ``NN_topic``.
    Returns one message per problem, naming the notebook and the cell (counted from 1).
    """
    if not isinstance(name, (str, os.PathLike)):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    if (match := LESSON_NAME.match(stem := Path(name).name.removesuffix(".ipynb"))) is None:
        raise ValueError(f"name must look like 'NN_topic' (two digits, underscore, topic), got {stem!r}")
    number, problems, seen, exercises = int(match["number"]), [], {}, {}  # exercises: k -> part -> (index, cell)
    for index, cell in enumerate(_cells(notebook), start=1):
        source = cell.get("source", "")  # a copy with its source as one str: nbgrader's preprocessors change it
        cell = nbformat.from_dict({**cell, "source": "".join(source) if isinstance(source, list) else str(source)})
        meta, where = cell.get("metadata", {}).get("nbgrader"), f"{stem} cell {index}"
        grade_id = meta.get("grade_id") if isinstance(meta, Mapping) else None
        id_match = GRADE_ID.match(grade_id) if isinstance(grade_id, str) else None
        if meta is None:  # nbgrader stops with an error on these (even in prose): reword
            found = [marker for marker in (SOLUTION_MARKERS[0], HIDDEN_MARKERS[0]) if marker in cell.source]
            problems += [f"{where}: '{m}' outside an exercise cell makes nbgrader fail; reword it" for m in found]
        elif not isinstance(meta, Mapping):
            problems.append(f"{where}: nbgrader metadata must be a mapping")
        elif id_match is None:
            problems.append(f"{where}: grade_id {grade_id!r} must look like exNN_k_task, exNN_k_solution, exNN_k_tests")
        elif grade_id in seen:
            problems.append(f"{where} ({grade_id}): duplicate grade_id, already used by cell {seen[grade_id]}")
        else:
            seen[grade_id] = index
            exercises.setdefault(int(id_match["k"]), {})[id_match["part"]] = (index, cell)
            problems += [f"{where} ({grade_id}): {problem}" for problem in _cell_problems(cell, number, id_match)]
    for k, parts in sorted(exercises.items()):
        label = f"{stem} exercise {number:02d}.{k}"
        missing = [part for part in PARTS if part not in parts]
        problems += [f"{label}: no {part} cell (grade_id ex{number:02d}_{k}_{part})" for part in missing]
        if not missing and not parts["task"][0] < parts["solution"][0] < parts["tests"][0]:
            problems.append(f"{label}: its task, solution and test cells must come in that order")
        if "task" not in parts:
            continue
        first_line = parts["task"][1].source.strip().split("\n")[0].strip()
        if (heading := HEADING.match(first_line)) is None:
            expected = f"### Exercise {number:02d}.{k} — title (P points)"
            problems.append(f"{label}: the task must start with '{expected}', got {first_line!r}")
            continue
        if (int(heading["number"]), int(heading["k"])) != (number, k):
            problems.append(f"{label}: the heading says exercise {heading['number']}.{heading['k']}")
        points = parts["tests"][1].metadata.nbgrader.get("points") if "tests" in parts else None
        if isinstance(points, (int, float)) and float(heading["points"]) != points:
            problems.append(f"{label}: the heading states {heading['points']} points, the test cell gives {points}")
    if sorted(exercises) != list(range(1, len(exercises) + 1)):
        problems.append(f"{stem}: exercises must be numbered 1, 2, 3, ... got {sorted(exercises)}")
    if 1 <= number <= 11 and len(exercises) < MIN_EXERCISES:
        problems.append(f"{stem}: lesson {number:02d} needs at least {MIN_EXERCISES} exercises, has {len(exercises)}")
    return problems


def lint_notebooks(paths: Iterable[str | os.PathLike]) -> list[str]:
    """:func:`lint_notebook` on each ``NN_topic.ipynb`` file of ``paths``, plus: no two lessons share a number."""
    problems, numbers = [], {}
    for path in _notebook_paths(paths, "paths"):
        if (first := numbers.setdefault(path.stem[:2], path.stem)) != path.stem:
            problems.append(f"{path.stem}: lesson number {path.stem[:2]} is also used by {first}")
        problems += lint_notebook(nbformat.read(path, as_version=4), path.stem)
    return problems


def exercise_points(notebook: Mapping) -> dict[str, float]:
    """Points of every test cell of ``notebook``, by grade_id (``{"exNN_k_tests": points}``): full marks."""
    metas = [cell.get("metadata", {}).get("nbgrader", {}) for cell in _cells(notebook)]
    return {meta["grade_id"]: float(meta["points"]) for meta in metas if meta.get("grade")}


def build_release(
    notebooks: str | os.PathLike | Iterable[str | os.PathLike] = "notebooks",
    course_dir: str | os.PathLike = "release",
) -> Path:
    """Lint the lessons and build the nbgrader course directory; return its resolved path.

    Parameters
    ----------
    notebooks : path or iterable of paths
        A folder of lessons, or the ``NN_topic.ipynb`` files. Any markup problem raises
        ValueError listing them all, and nothing is written.
    course_dir : path
        Made if missing (a rebuild keeps its gradebook, submissions and config). Each lesson goes to ``source/``
        with :data:`INSTALL_NOTE` below its title and answer cells open; nbgrader makes the student's ``release/``.
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
    api = _api(course_dir, CONFIG_FILE)
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
        _run(api.generate_assignment, path.stem)
    return course_dir


def autograde(
    course_dir: str | os.PathLike = "release",
    submissions: str | os.PathLike | None = None,
    *,
    students: Iterable[str] | None = None,
    jobs: int = 1,
    env: Mapping[str, str] | None = None,
    saved_outputs: Iterable[tuple[str, str]] = (),
):
    """Grade each submission once with nbgrader's autograde (seconds in grading_times.csv); return :func:`scores`.

    Parameters
    ----------
    course_dir : path
        A course directory made by :func:`build_release`; the scores are also saved in its scores.csv.
    submissions : path or None
        A folder ``STUDENT/ASSIGNMENT/NOTEBOOK.ipynb``, first copied into ``submitted/``.
    students : iterable of str or None
        Grade only these student ids; None: everyone in ``submitted/``.
    jobs : int
        Spawned processes sharing the SQLite gradebook; every student's row is made first (docs/instructors.md).
    env : mapping of str to str, or None
        The complete environment of the grading kernels; None keeps the current one.
    saved_outputs : iterable of (assignment, student) pairs
        Submissions graded from the outputs their notebooks already hold, without running them
        (nbgrader's ClearOutput and Execute preprocessors off). Only for notebooks whose outputs are
        known to come from a fresh run, such as the course's own lessons, whose committed outputs
        ``make test`` re-executes and compares: a student can edit saved outputs by hand.
    """
    api, jobs = _api(course_dir), check_int(jobs, "jobs", min_value=1)
    if env is not None and not (isinstance(env, Mapping) and all(isinstance(v, str) for v in env.values())):
        raise TypeError("env must be a mapping of str to str, or None")
    if isinstance(students, str) or not (students is None or isinstance(students, Iterable)):
        raise TypeError("students must be an iterable of student ids (not a single str), or None")
    if (saved := _pairs(saved_outputs)) is None:
        raise TypeError("saved_outputs must be an iterable of (assignment, student) pairs of str")
    course_dir = Path(api.coursedir.root)
    if submissions is not None:
        _copy_submissions(_existing_dir(submissions, "submissions"), course_dir)
    submitted = course_dir / "submitted"
    available = sorted(path.name for path in submitted.glob("*") if path.is_dir())
    if unknown := sorted(set(students := available if students is None else list(students)) - set(available)):
        raise ValueError(f"students {unknown} have no submission in {submitted}")
    if not (pairs := sorted((a.name, s) for s in students for a in (submitted / s).iterdir() if a.is_dir())):
        raise ValueError(f"there is nothing to grade: no submissions in {submitted}")
    if stray := sorted(saved - set(pairs)):
        raise ValueError(f"saved_outputs names submissions that are not graded here: {stray}")
    # The ones to run first, so that dealt out in turn, they are shared evenly (the saved ones take no time).
    pairs = sorted(((*pair, pair in saved) for pair in pairs), key=lambda pair: pair[2])
    with api.gradebook as gradebook:
        for student in students:  # before any process starts: two creating one student would collide
            gradebook.update_or_create_student(student)
    jobs, spawn = min(jobs, len(pairs)), multiprocessing.get_context("spawn")
    # The processes inherit the environment; dealt out in turn, each gets a share of every lesson.
    with mock.patch.dict(os.environ, env or {}, clear=env is not None), ProcessPoolExecutor(jobs, spawn) as pool:
        futures = [pool.submit(_grade, course_dir, pairs[i::jobs]) for i in range(jobs)]
    if failures := [str(future.exception()) for future in futures if future.exception()]:
        raise RuntimeError("autograding failed:\n" + "\n".join(failures))
    (table := scores(course_dir)).to_csv(course_dir / "scores.csv", index=False)
    return table


def _pairs(value) -> set[tuple[str, str]] | None:
    """The set of the (str, str) pairs an iterable (not a str) yields; None if it is anything else."""
    if isinstance(value, str) or not isinstance(value, Iterable):
        return None
    pairs = [tuple(pair) if isinstance(pair, tuple | list) else pair for pair in value]
    if all(isinstance(pair, tuple) and len(pair) == 2 and all(isinstance(x, str) for x in pair) for pair in pairs):
        return set(pairs)
    return None


def scores(course_dir: str | os.PathLike = "release"):
    """The gradebook's scores: a DataFrame of :data:`SCORE_COLUMNS` per exercise (``nbgrader export`` has totals)."""
    from nbgrader.api import Grade

    with _api(course_dir).gradebook as gradebook:
        rows = [(g.student.id, g.assignment.name, g.name, g.score, g.max_score) for g in gradebook.db.query(Grade)]
    return pd.DataFrame(rows, columns=SCORE_COLUMNS).sort_values(SCORE_COLUMNS[:3], ignore_index=True)


def score_table(table) -> str:
    """Text table of points per student (rows) and assignment (columns) of a :func:`scores` table, with totals."""
    if not isinstance(table, pd.DataFrame) or not set(SCORE_COLUMNS) <= set(table.columns):
        raise TypeError(f"table must be a DataFrame with columns {SCORE_COLUMNS}")
    if table.empty:
        return "no graded submissions"
    points = table.pivot_table(index="student", columns="assignment", values="score", aggfunc="sum")
    points.loc["(max)"] = table.groupby(["assignment", "exercise"])["max_score"].first().groupby("assignment").sum()
    points["total"] = points.sum(axis=1)
    return points.to_string(float_format=lambda value: f"{value:g}", na_rep="-")


def hide_hidden_tests(notebook, resources):
    """Feedback preprocessor: nbgrader's ClearHiddenTests; errors in cells that held hidden tests keep one line."""
    from nbgrader.preprocessors import ClearHiddenTests

    for cell in notebook.cells:
        for output in cell.get("outputs", []) if HIDDEN_MARKERS[0] in cell.source else []:
            if output.output_type == "error":
                output.traceback = [f"{output.ename}: {output.evalue}"]
    return ClearHiddenTests().preprocess(notebook, resources)


def _cells(notebook) -> list:
    if not isinstance(notebook, Mapping) or not isinstance(notebook.get("cells"), list):
        raise TypeError("notebook must be a notebook mapping with a 'cells' list")
    return notebook["cells"]


def _cell_problems(cell: nbformat.NotebookNode, number: int, grade_id: re.Match) -> list[str]:
    """What nbgrader's metadata validator and the course's conventions find wrong with an exercise cell."""
    from IPython.core.inputtransformer2 import TransformerManager
    from nbgrader.nbgraderformat import MetadataValidator
    from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions

    meta, part, problems = cell.metadata.nbgrader, grade_id["part"], []
    expected, own = PARTS[part], {"solution": SOLUTION_MARKERS, "tests": HIDDEN_MARKERS}.get(part, ())
    try:
        MetadataValidator().validate_cell(cell)
    except Exception as error:  # jsonschema's ValidationError, or a KeyError on a missing flag
        problems.append(f"nbgrader rejects the metadata: {str(error).splitlines()[0]}")
    if meta.get("schema_version") != 3:
        problems.append(f"schema_version must be 3, got {meta.get('schema_version')!r}")
    if int(grade_id["number"]) != number:
        problems.append(f"grade_id must start with ex{number:02d}_ in lesson {number:02d}")
    if cell.get("cell_type") != expected["cell_type"]:
        problems.append(f"a {part} cell must be a {expected['cell_type']} cell, got {cell.get('cell_type')!r}")
    for flag in ("grade", "solution", "locked"):
        if meta.get(flag, False) is not expected[flag]:
            problems.append(f"'{flag}' must be {expected[flag]} on a {part} cell, got {meta.get(flag)!r}")
    points = meta.get("points")
    valid_points = isinstance(points, (int, float)) and not isinstance(points, bool) and 0 < points < float("inf")
    if part == "tests" and not valid_points:
        problems.append(f"a test cell needs 'points' > 0, got {points!r}")
    markers = _order_problem(cell.source, *own) if own else []
    if part == "solution" and own[0] not in cell.source and not markers:
        markers.append("a solution cell needs its answer between '### BEGIN SOLUTION' and '### END SOLUTION'")
    if any(marker in cell.source for marker in SOLUTION_MARKERS + HIDDEN_MARKERS if marker not in own):
        markers.append(MISPLACED[part])
    if part == "task" or cell.get("cell_type") != "code" or markers:
        return problems + markers
    released, resources = nbformat.from_dict(cell), {"language": "python"}
    try:
        for preprocessor in (ClearSolutions(), ClearHiddenTests()):
            released, resources = preprocessor.preprocess_cell(released, resources, 0)
    except RuntimeError as error:
        return [*problems, f"nbgrader cannot release the cell: {error}"]
    for version, text in (("the cell", cell.source), ("the released cell", released.source)):
        try:  # as IPython runs it: magics allowed
            ast.parse(TransformerManager().transform_cell(text))
        except SyntaxError as error:
            return [*problems, f"{version} is not valid Python: {error.msg} (line {error.lineno})"]
    return problems


def _order_problem(source: str, begin: str, end: str) -> list[str]:
    """What is wrong with the order of the begin/end marker lines (matched as nbgrader does)."""
    inside = False
    for line in source.split("\n"):
        if begin in line or end in line:
            if inside == (begin in line):
                return [f"nested '{begin}'" if inside else f"'{end}' without '{begin}'"]
            inside = not inside
    return [f"'{begin}' without '{end}'"] if inside else []


def _existing_dir(path, name: str) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{name} must be a path, got {type(path).__name__}")
    if not Path(path).is_dir():
        raise ValueError(f"{name} must be an existing folder, got {str(path)!r}")
    return Path(path)


def _notebook_paths(paths, name: str) -> list[Path]:
    if isinstance(paths, (str, os.PathLike)) or not isinstance(paths, Iterable):
        raise TypeError(f"{name} must be an iterable of notebook paths")
    paths = list(paths)
    if not all(isinstance(path, (str, os.PathLike)) for path in paths):
        raise TypeError(f"{name} must hold paths (str or os.PathLike)")
    paths = [Path(path) for path in paths]
    if bad := [str(p) for p in paths if p.suffix != ".ipynb" or not p.is_file() or not LESSON_NAME.match(p.stem)]:
        raise ValueError(f"{name} must hold existing NN_topic.ipynb files, got {bad}")
    if len({path.stem for path in paths}) != len(paths):
        raise ValueError(f"{name} must not hold two notebooks with the same name")
    return paths


def _api(course_dir, *files: str, run: bool = True):
    """nbgrader's NbGraderAPI on ``course_dir``, which holds ``files`` (default: a config and a gradebook).

    ``run=False``: its autograde grades the outputs a notebook holds, clearing and running nothing.
    """
    from nbgrader.apps.api import NbGraderAPI
    from traitlets.config.loader import PyFileConfigLoader

    course_dir = _existing_dir(course_dir, "course_dir").resolve()
    if not all((course_dir / name).is_file() for name in files or (CONFIG_FILE, "gradebook.db")):
        raise ValueError(f"course_dir must be a course directory made by build_release, got {str(course_dir)!r}")
    config = PyFileConfigLoader(CONFIG_FILE, path=str(course_dir)).load_config()
    config.CourseDirectory.root = str(course_dir)
    if not run:
        config.ClearOutput.enabled = config.Execute.enabled = False
    return NbGraderAPI(config=config)


def _run(command, *args: str) -> None:
    """Run one of NbGraderAPI's commands (``api.autograde``, ...); raise with nbgrader's log if it fails."""
    from sqlalchemy.exc import SAWarning

    # A new gradebook asks the `alembic` command for its schema version: find the one beside this Python.
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    with mock.patch.dict(os.environ, PATH=path), warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)  # nbgrader's session warnings do not matter here
        result = command(*args)
    if not result["success"]:
        raise RuntimeError(f"nbgrader {command.__name__} failed:\n{result.get('log', '')}\n{result.get('error', '')}")


def _grade(course_dir: Path, pairs: Iterable[tuple[str, str, bool]]) -> None:
    """Autograde each (assignment, student, graded from saved outputs) once, logging its seconds; failures at the end."""
    api, saved_api, failures = _api(course_dir), _api(course_dir, run=False), []
    for assignment, student, saved in pairs:
        started = time.perf_counter()
        try:
            _run((saved_api if saved else api).autograde, assignment, student)
        except RuntimeError as error:
            failures.append(f"{student}/{assignment}: {error}")
        with open(course_dir / "grading_times.csv", "a") as log:  # one short line per write: appends do not mix
            log.write(f"{assignment},{student},{time.perf_counter() - started:.2f},{os.getpid()}\n")
    if failures:
        raise RuntimeError("\n".join(failures))


def _copy_submissions(submissions: Path, course_dir: Path) -> None:
    """Copy each folder ``STUDENT/ASSIGNMENT`` of ``submissions`` into ``submitted/``, all checked first."""
    if submissions.resolve() == (submitted := course_dir / "submitted").resolve():
        return
    assignments = sorted(path.name for path in (course_dir / "source").iterdir() if path.is_dir())
    if not (found := sorted(folder for folder in submissions.glob("*/*") if folder.is_dir())):
        raise ValueError(f"submissions must hold STUDENT/ASSIGNMENT/NOTEBOOK.ipynb; {str(submissions)!r} has none")
    for folder in found:
        if not STUDENT_ID.match(folder.parent.name):
            raise ValueError(f"submissions: student folder {folder.parent.name!r} is not a usable student id")
        if folder.name not in assignments:
            raise ValueError(f"submissions: {folder.parent.name}/{folder.name} is not an assignment of {assignments}")
        if not any(folder.glob("*.ipynb")):
            raise ValueError(f"submissions: {folder.parent.name}/{folder.name} holds no notebook")
    for folder in found:
        shutil.rmtree(target := submitted / folder.parent.name / folder.name, ignore_errors=True)
        shutil.copytree(folder, target)


def main(argv: list[str] | None = None) -> int:
    """Command line (see the module's docstring); returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m helpers.release", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", nargs="?", default="build", choices=["build", "lint", "autograde", "scores"])
    parser.add_argument("paths", nargs="*", help="build: the lessons' folder; lint: notebooks; autograde: SUBMISSIONS")
    parser.add_argument("--course", default="release", help="course directory (default: release)")
    parser.add_argument("--student", action="append", help="autograde only this student (repeatable)")
    parser.add_argument("--jobs", type=int, default=1, help="processes grading in parallel (default: 1)")
    args = parser.parse_args(argv)
    if len(args.paths) > {"lint": len(args.paths), "build": 1, "autograde": 1}.get(args.command, 0):
        parser.error(f"too many paths for {args.command}")
    try:
        if args.command == "lint":
            problems = lint_notebooks(args.paths or lesson_notebooks())
            print("\n".join(problems) or "exercise markup: no problem found")
            return 1 if problems else 0
        if args.command == "build":
            course = build_release(args.paths[0] if args.paths else "notebooks", args.course)
            print(f"student release: {course / 'release'}  (instructors: see docs/instructors.md)")
            return 0
        if args.command == "autograde":
            table = autograde(args.course, *args.paths, students=args.student, jobs=args.jobs)
        else:
            table = scores(args.course)
    except (ValueError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(score_table(table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
