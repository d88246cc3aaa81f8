"""A class through nbgrader's exchange with real Unix accounts, and a class of three graded at once.

``test_exchange_end_to_end`` creates an instructor and three student accounts, a
shared exchange folder and runs, as each account, nbgrader's own commands:
release_assignment → fetch_assignment → the students answer (one fully, one partly,
one leaves it blank and hands in after the due date) → submit → collect → autograde
→ generate_feedback → release_feedback → fetch_feedback. The toy lesson keeps it fast;
the student who answers everything also hands in the shortest real lesson, so a real
lesson goes the whole way too.

It needs root on Linux (``useradd``). Elsewhere it is skipped with the reason, except
when the environment variable ``CI`` is set and the tests run as root: then a missing
piece is a failure. Where the Python running the tests sits in a folder other accounts
cannot enter (pyenv under a private ``/root``), each account's commands run in a
private mount namespace that shows them only that Python's own folder in its place
(``unshare``); nothing on the machine changes.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
import secrets
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest
from bench_grading import grade_class
from test_release import LESSONS, find_leaks
from toy_lessons import TOYS, grade_id, write_toys

from helpers.refresh import kernel_environment
from helpers.release import build_release, exercise_points, scores

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("exchange")]

COURSE = "rare-cases"
TOY = TOYS[1]  # 99_toy_scaffold: two exercises, one answer inside a function, hidden tests
KERNEL_VARIABLES = (
    "HOME",
    "IPYTHONDIR",
    "JUPYTER_CONFIG_DIR",
    "JUPYTER_DATA_DIR",
    "MPLCONFIGDIR",
    "PYTHONHASHSEED",
    "PYDEVD_DISABLE_FILE_VALIDATION",
    "TQDM_DISABLE",
)


def _shortest_real_lesson() -> Path | None:
    graded = [path for path in LESSONS if exercise_points(nbformat.read(path, as_version=4))]
    return min(
        graded, key=lambda p: sum(c.cell_type == "code" for c in nbformat.read(p, as_version=4).cells), default=None
    )


def _missing() -> str | None:
    """Why accounts cannot be made here, or None."""
    if not sys.platform.startswith("linux"):
        return "Unix accounts for the exchange test are made with Linux's useradd"
    if os.geteuid() != 0:
        return "creating Unix accounts needs root (run the tests as root, e.g. in a container)"
    tools = ("useradd", "userdel", "setpriv", "unshare", "mount")
    missing = [tool for tool in tools if shutil.which(tool) is None]
    return f"missing commands: {', '.join(missing)}" if missing else None


def _private_ancestors(path: Path) -> list[Path]:
    """Folders above ``path`` that other accounts cannot enter."""
    return [parent for parent in reversed(path.parents) if not os.stat(parent).st_mode & stat.S_IXOTH]


class Accounts:
    """Unix accounts made for one test, each with a home under ``base``; removed afterwards."""

    def __init__(self, base: Path, names: list[str]):
        self.base, self.names, self.made = base, names, []
        prefix = Path(sys.base_prefix).resolve()
        private = _private_ancestors(prefix)
        if any(_private_ancestors(Path(p).resolve()) for p in (sys.prefix, Path(__file__).parent)):
            pytest.fail("the course checkout or its .venv sits in a folder other accounts cannot enter")
        # unshare: replace the outermost private folder by an empty tmpfs holding only the interpreter.
        self.wrapper = []
        if private:
            hold = base / ".interpreter"
            hold.mkdir()
            script = (
                f'mount --bind "{prefix}" "{hold}" && mount -t tmpfs -o mode=755 tmpfs "{private[0]}" && '
                f'mkdir -p "{prefix}" && mount --move "{hold}" "{prefix}" && exec "$@"'
            )
            self.wrapper = ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh"]
        for name in names:
            home = self.home(name)
            subprocess.run(
                [
                    "useradd",
                    "--no-create-home",
                    "--home-dir",
                    str(home),
                    "--shell",
                    "/usr/sbin/nologin",
                    "--user-group",
                    name,
                ],
                check=True,
                capture_output=True,
                text=True,
            )
            self.made.append(name)
            home.mkdir(parents=True)
            shutil.chown(home, name, name)
            home.chmod(0o700)

    def home(self, name: str) -> Path:
        return self.base / "home" / name

    def env(self, name: str) -> dict[str, str]:
        """What the account's own shell would give: its home and user name, the course's Python first."""
        kernel = kernel_environment(self.home(name))  # as root: hand the folders it made to the account
        subprocess.run(["chown", "-R", f"{name}:{name}", str(self.home(name))], check=True)
        env = {key: kernel[key] for key in KERNEL_VARIABLES}
        return {
            **env,
            "USER": name,
            "LOGNAME": name,
            "MPLBACKEND": "Agg",
            "LANG": "C.UTF-8",
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/bin", "/bin"]),
        }

    def run(self, name: str, *command: str, cwd: Path | None = None, stdin: str | None = None) -> str:
        """Run ``command`` as the account ``name`` (its uid, gid and no other group); its output."""
        uid = subprocess.run(["id", "-u", name], capture_output=True, text=True, check=True).stdout.strip()
        drop = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--"]
        result = subprocess.run(
            self.wrapper + drop + list(command),
            cwd=cwd or self.home(name),
            env=self.env(name),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if result.returncode:
            raise AssertionError(
                f"as {name}: {' '.join(command)} failed ({result.returncode}):\n"
                f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            )
        return result.stdout + result.stderr

    def nbgrader(self, name: str, *args: str, cwd: Path | None = None) -> str:
        return self.run(name, sys.executable, "-m", "nbgrader", *args, cwd=cwd)

    def write(self, name: str, path: Path, notebook) -> None:
        """The account itself writes ``notebook`` to ``path`` (as a student saving in JupyterLab)."""
        code = "import sys; open(sys.argv[1], 'w').write(sys.stdin.read())"
        self.run(name, sys.executable, "-c", code, str(path), stdin=nbformat.writes(notebook))

    def readable(self, name: str, roots: list[Path]) -> dict[str, str]:
        """Every file under ``roots`` the account can read, with its text."""
        code = (
            "import json, os, sys\nfound = {}\n"
            "for root in sys.argv[1:]:\n"
            "    for folder, _, files in os.walk(root):\n"
            "        for file in files:\n"
            "            path = os.path.join(folder, file)\n"
            "            try:\n"
            "                found[path] = open(path, errors='replace').read()\n"
            "            except OSError:\n"
            "                pass\n"
            "print(json.dumps(found))\n"
        )
        return json.loads(self.run(name, sys.executable, "-c", code, *map(str, roots)).splitlines()[-1])

    def remove(self) -> None:
        for name in self.made:
            subprocess.run(["userdel", name], capture_output=True)


@pytest.fixture
def accounts():
    reason = _missing()
    if reason:
        (pytest.fail if os.environ.get("CI") and os.geteuid() == 0 else pytest.skip)(reason)
    base = Path(tempfile.mkdtemp(prefix="rare-cases-exchange-", dir="/tmp"))
    base.chmod(0o755)
    tag = secrets.token_hex(3)  # names unique to this run: other runs may share the machine
    made = None
    try:
        made = Accounts(base, [f"rc{tag}{role}" for role in ("i", "a", "b", "c")])
        yield made
    except subprocess.CalledProcessError as error:
        message = f"could not create accounts: {error.stderr.strip()}"
        (pytest.fail if os.environ.get("CI") else pytest.skip)(message)
    finally:
        if made is not None:
            made.remove()
        shutil.rmtree(base, ignore_errors=True)


def _answer(notebook, source, solution_ids: set[str], signature: str):
    """The fetched notebook with the solutions of ``solution_ids`` typed in and the student's name in a comment."""
    answers = {
        grade_id(cell): "\n".join(line for line in cell.source.split("\n") if "SOLUTION" not in line)
        for cell in source.cells
        if grade_id(cell) in solution_ids
    }
    first = True
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = answers.get(grade_id(cell), cell.source)
            if first:
                cell.source = f"# {signature}\n{cell.source}"
                first = False
    return notebook


def test_exchange_end_to_end(accounts, tmp_path):
    instructor, full, partial, late = accounts.names
    students = (full, partial, late)
    exchange = accounts.base / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)  # as nbgrader asks: every user can write; it sets the folders inside itself
    real = _shortest_real_lesson()
    notebooks = write_toys(tmp_path / "toys")[1:] + ([real] if real else [])
    course = build_release(notebooks, accounts.home(instructor) / "course")
    with open(course / "nbgrader_config.py", "a") as config:
        config.write(f'c.Exchange.root = "{exchange}"\n')
    subprocess.run(["chown", "-R", f"{instructor}:{instructor}", str(accounts.home(instructor))], check=True)
    for student in students:  # a student server's nbgrader config: the same exchange and course
        config_dir = accounts.home(student) / ".jupyter"
        config_dir.mkdir()
        (config_dir / "nbgrader_config.py").write_text(
            f'c = get_config()\nc.Exchange.root = "{exchange}"\nc.CourseDirectory.course_id = "{COURSE}"\n'
        )
        shutil.chown(config_dir, student, student)
        shutil.chown(config_dir / "nbgrader_config.py", student, student)
    assignments = [path.stem for path in notebooks]
    sources = {name: nbformat.read(course / "source" / name / f"{name}.ipynb", as_version=4) for name in assignments}

    for name in assignments:
        accounts.nbgrader(instructor, "release_assignment", name, cwd=course)
    listed = accounts.nbgrader(late, "list")
    assert all(name in listed for name in assignments), listed
    toy_solutions = [grade_id(c) for c in sources[TOY].cells if c.metadata.get("nbgrader", {}).get("solution")]
    answered = {full: set(toy_solutions), partial: {toy_solutions[1]}, late: set()}
    written = {student: "" for student in students}  # what each student typed: theirs to read back
    for student in students:
        accounts.nbgrader(student, "fetch_assignment", TOY)
        fetched = accounts.home(student) / TOY / f"{TOY}.ipynb"
        notebook = _answer(nbformat.read(fetched, as_version=4), sources[TOY], answered[student], f"by {student}")
        accounts.write(student, fetched, notebook)
        written[student] += "\n".join(cell.source for cell in notebook.cells)
    if real:
        accounts.nbgrader(full, "fetch_assignment", real.stem)
        fetched = accounts.home(full) / real.stem / real.name
        solutions = {grade_id(c) for c in sources[real.stem].cells if c.metadata.get("nbgrader", {}).get("solution")}
        notebook = _answer(nbformat.read(fetched, as_version=4), sources[real.stem], solutions, f"by {full}")
        accounts.write(full, fetched, notebook)
        written[full] += "\n".join(cell.source for cell in notebook.cells)
        accounts.nbgrader(full, "submit", real.stem)
    for student in (full, partial):
        accounts.nbgrader(student, "submit", TOY)
    due = dt.datetime.now(dt.UTC)  # after two students handed in, before the third
    accounts.nbgrader(
        instructor, "db", "assignment", "add", TOY, f"--duedate={due:%Y-%m-%d %H:%M:%S.%f} UTC", cwd=course
    )
    accounts.nbgrader(late, "submit", TOY)

    for name in assignments:
        accounts.nbgrader(instructor, "collect", name, cwd=course)
        accounts.nbgrader(instructor, "autograde", name, cwd=course)
        accounts.nbgrader(instructor, "generate_feedback", name, cwd=course)
        accounts.nbgrader(instructor, "release_feedback", name, cwd=course)
    accounts.nbgrader(instructor, "export", cwd=course)

    # Scores: full marks, exactly the answered exercise, zero; the late flag on the late one only.
    points = exercise_points(sources[TOY])
    table = scores(course)
    for student in students:
        expected = {
            key: (value if key.replace("_tests", "_solution") in answered[student] else 0.0)
            for key, value in points.items()
        }
        rows = table[(table.student == student) & (table.assignment == TOY)]
        assert dict(zip(rows.exercise, rows.score, strict=False)) == expected, student
    if real:
        rows = table[(table.student == full) & (table.assignment == real.stem)]
        assert dict(zip(rows.exercise, rows.score, strict=False)) == exercise_points(sources[real.stem])
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE) as gradebook:
        late_by = {s: gradebook.find_submission(TOY, s).total_seconds_late for s in students}
    assert late_by[late] > 0 and late_by[full] == late_by[partial] == 0, late_by
    exported = (course / "grades.csv").read_text()
    assert all(student in exported for student in students)

    # Feedback: each student fetches their own, and nobody else's.
    for student in students:
        accounts.nbgrader(student, "fetch_feedback", TOY)
        feedback = list((accounts.home(student) / TOY / "feedback").glob("*/*.html"))
        assert len(feedback) == 1, feedback
        text = feedback[0].read_text()
        assert f"by {student}" in text
        assert not any(f"by {other}" in text for other in students if other != student)

    # Nothing a student can read holds a solution they did not type, or a hidden test.
    roots = [exchange, accounts.base / "home"]
    for student in students:
        readable = accounts.readable(student, roots)
        assert not [path for path in readable if path.startswith(str(accounts.home(instructor)))]
        assert any(path.endswith(".html") for path in readable), "the student's own feedback is readable"
        texts = {Path(path): _plain(path, text) for path, text in readable.items()}
        leaks = find_leaks(list(sources.values()), texts, allowed=written[student])
        assert leaks == [], f"{student} can read: {leaks[:5]}"
    # The search sees a hidden test in feedback made without the course's feedback preprocessor.
    from nbconvert import HTMLExporter

    graded = nbformat.read(course / "autograded" / late / TOY / f"{TOY}.ipynb", as_version=4)
    plain = {Path("plain.html"): _plain("plain.html", HTMLExporter().from_notebook_node(graded)[0])}
    assert find_leaks([sources[TOY]], plain, allowed=written[late]), "hidden tests show in nbgrader's default feedback"


def _plain(path: str, text: str) -> str:
    """An HTML page's text (tags dropped, entities decoded), so a highlighted line reads as typed."""
    if not path.endswith(".html"):
        return text
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def test_a_class_of_three_is_graded_with_nothing_lost(tmp_path):
    """The benchmark's path (tests/bench_grading.py) with three submissions of a toy lesson."""
    toy = write_toys(tmp_path / "toys")[1]
    result = grade_class(toy, 3, tmp_path / "class")
    assert result["problems"] == [] and result["graded"] == 3, result
