"""Benchmark: autograde a class of submissions of one lesson, and every lesson once.

Run with ``make bench-grading`` (or ``.venv/bin/python tests/bench_grading.py``). It
writes its figures between ``<!-- grading:start -->`` and ``<!-- grading:end -->`` in
``tests/BENCHMARK.md`` and leaves the rest of that file as it is.

What it measures
----------------
* **A class**: ``--students`` submissions (default 30) of one lesson (``--lesson``,
  default: the real lesson with the fewest code cells), made from the solution
  notebook: student 0 answers everything, student 1 nothing (the blank release), the
  others every exercise but a rotating one or two. Each submission starts with one
  extra cell that appends the student's id to a log when it runs, so a submission
  graded twice or never is seen independently of the grader's own bookkeeping. They
  are graded through the course's entry point, ``helpers.release.autograde``, with
  ``--jobs`` processes (default 1; see docs/instructors.md on SQLite). Checked: one
  gradebook row per exercise and submission, a score for each, every id logged exactly
  once, full marks for student 0, zero for student 1, zero for every unanswered
  exercise. Reported: the total and the per-submission seconds (``grading_times.csv``).
* **Every lesson once** (``--lessons``): each lesson's solutions graded alone, serially;
  seconds per lesson, next to the same notebook executed by nbclient without nbgrader.

The machine's load average is recorded before and after: timings on a loaded machine
are inflated, and the table says so.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import platform
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from toy_lessons import grade_id  # noqa: E402

from helpers.refresh import execute_notebook, kernel_environment  # noqa: E402
from helpers.release import autograde, build_release, exercise_points, lesson_notebooks  # noqa: E402

OUT = HERE / "BENCHMARK.md"
START, END = "<!-- grading:start -->", "<!-- grading:end -->"


def shortest_lesson() -> Path:
    graded = [
        path
        for path in lesson_notebooks(HERE.parent / "notebooks")
        if exercise_points(nbformat.read(path, as_version=4))
    ]
    return min(graded, key=lambda path: sum(c.cell_type == "code" for c in nbformat.read(path, as_version=4).cells))


def class_submissions(course: Path, assignment: str, n_students: int, folder: Path, log: Path) -> dict:
    """Write ``n_students`` submissions of ``assignment``; return {student: set of unanswered solution ids}."""
    source = nbformat.read(course / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    released = nbformat.read(course / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    stubs = {grade_id(cell): cell.source for cell in released.cells if grade_id(cell)}
    solutions = [grade_id(cell) for cell in source.cells if cell.metadata.get("nbgrader", {}).get("solution")]
    plan = {}
    for i in range(n_students):
        if i == 0:
            removed = set()
        elif i == 1:
            removed = set(solutions)
        else:  # one or two exercises left out, rotating through the lesson
            removed = {solutions[i % len(solutions)]} | (
                {solutions[(i // 2) % len(solutions)]} if i % 3 == 0 else set()
            )
        student = f"s{i:02d}"
        notebook = nbformat.reads(nbformat.writes(source), as_version=4)
        for cell in notebook.cells:
            if grade_id(cell) in removed:
                cell.source = stubs[grade_id(cell)]
        notebook.cells.insert(
            0,
            nbformat.v4.new_code_cell(
                f"with open({str(log)!r}, 'a') as _log:\n    _log.write({student!r} + '\\n')", id="graded-log"
            ),
        )
        (folder / student / assignment).mkdir(parents=True)
        nbformat.write(notebook, folder / student / assignment / f"{assignment}.ipynb")
        plan[student] = removed
    return plan


def grade_class(notebook: Path, n_students: int, work: Path, jobs: int = 1) -> dict:
    """Build a course of ``notebook``, grade a class of ``n_students``, check nothing is lost; figures."""
    course = build_release([notebook], work / "course")
    assignment = notebook.stem
    log = work / "executed.log"
    plan = class_submissions(course, assignment, n_students, work / "submissions", log)
    points = exercise_points(nbformat.read(notebook, as_version=4))
    home = work / "home"
    home.mkdir()
    env = {**kernel_environment(home), "MPLBACKEND": "Agg"}
    started = time.perf_counter()
    table = autograde(course, work / "submissions", jobs=jobs, env=env)
    total = time.perf_counter() - started

    problems = []
    executed = log.read_text().split() if log.exists() else []
    for student in plan:
        if executed.count(student) != 1:
            problems.append(f"{student} ran {executed.count(student)} times")
        rows = table[table.student == student]
        if sorted(rows.exercise) != sorted(points) or rows.score.isna().any():
            problems.append(f"{student}: gradebook rows {sorted(rows.exercise)}")
        scored = dict(zip(rows.exercise, rows.score, strict=False))
        for solution_id in plan[student]:
            if scored.get(solution_id.removesuffix("_solution") + "_tests") != 0:
                problems.append(f"{student}: unanswered {solution_id} scored {scored.get(solution_id)}")
    if dict(zip(*[table[table.student == "s00"][c] for c in ("exercise", "score")], strict=False)) != points:
        problems.append("s00 (every answer) did not score full marks")
    if table[table.student == "s01"].score.sum() != 0:
        problems.append("s01 (the blank release) did not score zero")
    with open(course / "grading_times.csv") as handle:
        seconds = [float(row[2]) for row in csv.reader(handle)]
    return {
        "lesson": assignment,
        "students": n_students,
        "jobs": jobs,
        "total": total,
        "seconds": seconds,
        "problems": problems,
        "graded": len(seconds),
    }


def grade_every_lesson(work: Path) -> list[tuple[str, float, float]]:
    """(lesson, seconds autograding its solutions alone, seconds executing it with nbclient)."""
    rows = []
    for path in lesson_notebooks(HERE.parent / "notebooks"):
        if not exercise_points(nbformat.read(path, as_version=4)):
            continue
        folder = work / path.stem
        course = build_release([path], folder / "course")
        (folder / "sub" / "solutions" / path.stem).mkdir(parents=True)
        shutil.copy(course / "source" / path.stem / path.name, folder / "sub" / "solutions" / path.stem)
        (folder / "home").mkdir()
        env = {**kernel_environment(folder / "home"), "MPLBACKEND": "Agg"}
        autograde(course, folder / "sub", env=env)
        with open(course / "grading_times.csv") as handle:
            graded = float(next(csv.reader(handle))[2])
        (folder / "exec-home").mkdir()
        started = time.perf_counter()
        execute_notebook(path, home=folder / "exec-home")
        rows.append((path.stem, graded, time.perf_counter() - started))
        print(f"{path.stem}: autograde {graded:.1f} s, nbclient {rows[-1][2]:.1f} s", flush=True)
    return rows


def render(result: dict | None, lessons: list | None, loads: tuple) -> str:
    lines = [
        START,
        "## Autograding (nbgrader, `make bench-grading`)",
        "",
        f"- when: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} cores, "
        f"{platform.system()} {platform.machine()}, Python {platform.python_version()}",
        # Only the load before says whether other work was running: the one after includes the grading itself.
        f"- load average (1 min) before / after: {loads[0]:.1f} / {loads[1]:.1f}"
        + (" — the machine was loaded: these times are inflated" if loads[0] > 1.5 else " (idle before the run)"),
        "",
    ]
    if result:
        seconds = result["seconds"]
        lines += [
            f"A class of {result['students']} submissions of {result['lesson']} through "
            f"`helpers.release.autograde` with {result['jobs']} process(es): "
            f"{result['total']:.0f} s in all, {result['graded']} submissions graded.",
            "",
            "| per submission | median (s) | min (s) | max (s) |",
            "|---|---:|---:|---:|",
            f"| {result['lesson']} | {statistics.median(seconds):.1f} | {min(seconds):.1f} | {max(seconds):.1f} |",
            "",
            "Nothing lost or graded twice: "
            + ("yes" if not result["problems"] else "NO — " + "; ".join(result["problems"])),
            "",
        ]
    if lessons:
        lines += [
            "Every lesson's solutions graded alone (serially), next to the same notebook run by nbclient:",
            "",
            "| lesson | autograde (s) | nbclient (s) |",
            "|---|---:|---:|",
        ]
        lines += [f"| {name} | {graded:.1f} | {plain:.1f} |" for name, graded, plain in lessons]
        lines += [f"| all | {sum(r[1] for r in lessons):.0f} | {sum(r[2] for r in lessons):.0f} |", ""]
    return "\n".join(lines + [END])


def write_section(section: str, out: Path = OUT) -> None:
    """Replace the grading section of ``out`` (or append it), keeping everything else."""
    text = out.read_text() if out.exists() else ""
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    text = pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section
    out.write_text(text.rstrip("\n") + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=30, help="size of the class (default 30; 0: no class)")
    parser.add_argument("--lesson", default=None, help="lesson notebook name (default: the shortest graded one)")
    parser.add_argument("--jobs", type=int, default=1, help="grading processes (default 1)")
    parser.add_argument("--lessons", action="store_true", help="also grade every lesson once")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    notebook = shortest_lesson() if args.lesson is None else HERE.parent / "notebooks" / f"{args.lesson}.ipynb"
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="rare-cases-grading-") as tmp:
        result = grade_class(notebook, args.students, Path(tmp) / "class", args.jobs) if args.students else None
        lessons = grade_every_lesson(Path(tmp) / "lessons") if args.lessons else None
    section = render(result, lessons, (load_before, os.getloadavg()[0]))
    print(section)
    write_section(section, args.out)
    return 1 if result and result["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
