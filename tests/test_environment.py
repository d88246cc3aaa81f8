"""One set of versions everywhere: pyproject.toml's pins, requirements.lock, environment.yml, the installed packages.

The running interpreter may be any Python the course supports (pyproject.toml's
classifiers: 3.11, 3.12, 3.13); its patch version never matters.
"""

from __future__ import annotations

import re
import sys
import sysconfig
import tomllib
from importlib import metadata
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def exact_pins(lines: list[str]) -> dict[str, str]:
    pins = {}
    for line in lines:
        requirement = Requirement(line)
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", f"{line}: the course pins exact versions"
        pins[canonicalize_name(requirement.name)] = specifier.version
    return pins


def course_pins() -> dict[str, str]:
    """What a student installs: the runtime dependencies."""
    return exact_pins(PROJECT["dependencies"])


def extra_pins() -> dict[str, str]:
    """The test and instructor tools (and any other extra)."""
    pins = {}
    for lines in PROJECT["optional-dependencies"].values():
        pins.update(exact_pins(lines))
    return pins


def supported_pythons() -> list[str]:
    prefix = "Programming Language :: Python :: "
    versions = [c[len(prefix) :] for c in PROJECT["classifiers"] if c.startswith(prefix) and "." in c[len(prefix) :]]
    assert versions, "pyproject.toml lists no supported Python version in its classifiers"
    return versions


def conda_dependencies() -> tuple[str, dict[str, str]]:
    """environment.yml: the python specification and the package pins."""
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    python, pins = None, {}
    for entry in environment["dependencies"]:
        if not isinstance(entry, str) or entry == "pip":
            continue
        name, version = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*(.*)", entry).groups()
        if name == "python":
            python = version
        else:
            assert version.startswith("=") and not version.startswith("=="), f"{entry}: pin with conda's name=version"
            pins[canonicalize_name(name)] = version[1:]
    assert python, "environment.yml must say which Pythons it accepts"
    return python, pins


def test_running_python_is_supported():
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert running in supported_pythons(), f"Python {running} is not one the course supports: {supported_pythons()}"
    assert SpecifierSet(PROJECT["requires-python"]).contains(f"{running}.0"), PROJECT["requires-python"]


def test_environment_yml_accepts_exactly_the_supported_pythons():
    python, _ = conda_dependencies()
    accepted = SpecifierSet(python)
    supported = supported_pythons()
    for version in supported:
        assert accepted.contains(f"{version}.0"), f"environment.yml's python{python} refuses supported Python {version}"
    major, lowest = map(int, supported[0].split("."))
    _, highest = map(int, supported[-1].split("."))
    for outside in (f"{major}.{lowest - 1}.0", f"{major}.{highest + 1}.0"):
        assert not accepted.contains(outside), f"environment.yml's python{python} accepts untested Python {outside}"


def test_environment_yml_is_the_student_environment():
    """The conda recipe pins exactly the runtime dependencies, at the same versions; no test tool."""
    _, conda = conda_dependencies()
    pip = course_pins()
    assert conda == pip, {
        name: (conda.get(name), pip.get(name)) for name in conda.keys() | pip.keys() if conda.get(name) != pip.get(name)
    }
    tools = set(conda) & set(extra_pins())
    assert not tools, f"test or instructor tools in the student environment: {sorted(tools)}"


def test_test_tools_are_not_runtime_dependencies():
    runtime = set(course_pins())
    for tool in ("pytest", "nbval", "playwright", "hypothesis", "nbgrader", "ruff", "jupyterhub"):
        assert tool not in runtime, f"{tool} is a test or instructor tool; it belongs in an extra, not in dependencies"
        assert tool in extra_pins(), f"{tool} is pinned in no extra"


def test_every_conda_dependency_says_where_it_is_used():
    text = (ROOT / "environment.yml").read_text()
    dependencies = text.split("dependencies:", 1)[1]
    for line in dependencies.splitlines():
        if re.match(r"\s+- [a-z-]", line):
            assert "#" in line and line.split("#", 1)[1].strip(), f"no comment on: {line.strip()}"


def test_installed_versions_match_the_pins():
    for name, version in (course_pins() | extra_pins()).items():
        assert metadata.version(name) == version, f"{name}: installed {metadata.version(name)}, pinned {version}"


def read_lock() -> dict[str, str]:
    lock = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            lock[canonicalize_name(name)] = version
    return lock


def test_lock_file_agrees_with_pyproject():
    lock = read_lock()
    for name, version in (course_pins() | extra_pins()).items():
        assert lock.get(name) == version, f"{name}: requirements.lock has {lock.get(name)}, pyproject pins {version}"


def test_installed_environment_follows_the_lock():
    """Every locked package that is installed has the locked version (the lock is what `make` installs)."""
    lock = read_lock()
    wrong = {}
    # Only what is installed in the environment: setuptools puts its own vendored copies of
    # platformdirs, zipp and importlib-metadata on sys.path once something imports it.
    installed = sorted({sysconfig.get_path("purelib"), sysconfig.get_path("platlib")})
    for distribution in metadata.distributions(path=installed):
        name = canonicalize_name(distribution.metadata["Name"])
        if name in lock and distribution.version != lock[name]:
            wrong[name] = (distribution.version, lock[name])
    assert not wrong, f"installed vs locked: {wrong}"
