"""helpers.environment.check_environment: the same text everywhere when all is well, a clear one when not.

The bad cases replace the module's view of the interpreter and of the installed packages
(``environment.sys`` and ``environment.metadata``) with small fakes, so each test sees the
check's own logic react to a too-old Python, a missing package or a version off its pin.
"""

from __future__ import annotations

import platform
import tomllib
import types
from importlib import metadata as real_metadata
from pathlib import Path

import pytest

from helpers import environment

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


class FakeMetadata:
    """Stands in for importlib.metadata: a course package with two pins and one extra."""

    PackageNotFoundError = real_metadata.PackageNotFoundError

    def __init__(self, installed: dict[str, str], requires_python: str = ">=3.11", course_installed: bool = True):
        self.installed = installed
        self.requires_python = requires_python
        self.course_installed = course_installed

    def metadata(self, name):
        if not self.course_installed:
            raise self.PackageNotFoundError(name)
        return {"Requires-Python": self.requires_python}

    def requires(self, name):
        if not self.course_installed:
            raise self.PackageNotFoundError(name)
        return ["numpy==2.4.6", "scikit-learn==1.9.1", 'pytest-xdist==3.8.0; extra == "test"']

    def version(self, name):
        if name not in self.installed:
            raise self.PackageNotFoundError(name)
        return self.installed[name]


def run(monkeypatch, capsys, fake: FakeMetadata, python=(3, 12, 4)):
    monkeypatch.setattr(environment, "metadata", fake)
    monkeypatch.setattr(environment, "sys", types.SimpleNamespace(version_info=python))
    problems = environment.check_environment()
    return problems, capsys.readouterr().out


def test_the_real_environment_matches_and_prints_nothing_machine_specific(capsys):
    problems = environment.check_environment()
    out = capsys.readouterr().out
    assert problems == [], out
    assert "Python 3.11 or newer: yes" in out
    # counted from pyproject.toml, independently of the installed metadata the check reads
    n_pins = len(tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"])
    assert f"All {n_pins} packages match the course's pins." in out
    assert platform.python_version() not in out, "the patch version must not be printed when all is well"
    for machine_specific in (platform.system(), "/"):
        assert machine_specific not in out, machine_specific


def test_same_text_on_every_supported_python(monkeypatch, capsys):
    all_pinned = FakeMetadata({"numpy": "2.4.6", "scikit-learn": "1.9.1"})
    outputs = {run(monkeypatch, capsys, all_pinned, python)[1] for python in [(3, 11, 0), (3, 12, 9), (3, 13, 2)]}
    assert len(outputs) == 1, outputs
    (out,) = outputs
    assert "Python 3.11 or newer: yes" in out and "All 2 packages match" in out
    assert "pytest-xdist" not in out, "the test extra is not a lesson requirement"


def test_too_old_python_is_named(monkeypatch, capsys):
    problems, out = run(monkeypatch, capsys, FakeMetadata({"numpy": "2.4.6", "scikit-learn": "1.9.1"}), (3, 10, 12))
    assert len(problems) == 1 and "3.10.12" in problems[0]
    assert "Python 3.11 or newer: NO, this kernel runs Python 3.10.12." in out
    assert "make lab" in out and "restart the kernel" in out


def test_missing_package_is_named(monkeypatch, capsys):
    problems, out = run(monkeypatch, capsys, FakeMetadata({"numpy": "2.4.6"}))
    assert problems == ["scikit-learn is not installed (the course uses 1.9.1)"]
    assert "NOT INSTALLED" in out and "1 problem(s)" in out


def test_version_off_its_pin_is_named(monkeypatch, capsys):
    problems, out = run(monkeypatch, capsys, FakeMetadata({"numpy": "2.3.0", "scikit-learn": "1.9.1"}))
    assert problems == ["numpy 2.3.0 is installed, the course uses 2.4.6"]
    numpy_row = next(line for line in out.splitlines() if line.startswith("numpy"))
    assert numpy_row.split() == ["numpy", "2.4.6", "2.3.0", "DIFFERS"]
    assert "conda env update -f environment.yml" in out


def test_course_package_not_installed(monkeypatch, capsys):
    problems, out = run(monkeypatch, capsys, FakeMetadata({}, course_installed=False))
    assert len(problems) == 1 and "not installed" in problems[0]
    assert "pip install --no-deps -e ." in out


@pytest.mark.parametrize(
    "spec, words",
    [(">=3.11", "Python 3.11 or newer"), ("<3.14,>=3.11", "Python 3.11 or newer and older than 3.14")],
)
def test_python_requirement_in_words(spec, words):
    assert environment.describe_python_requirement(spec) == words


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match="distribution"):
        environment.check_environment(3)
    with pytest.raises(TypeError, match="requires_python"):
        environment.describe_python_requirement(3.11)
    with pytest.raises(ValueError, match="requires_python"):
        environment.describe_python_requirement("three eleven")
