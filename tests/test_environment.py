"""The conda recipe (environment.yml) and the pip path (pyproject.toml) pin the same versions."""

from __future__ import annotations

import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent


def pip_pins() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = {}
    for line in project["dependencies"]:
        requirement = Requirement(line)
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", f"{line}: the course pins exact versions"
        pins[requirement.name.lower()] = specifier.version
    return pins


def conda_pins() -> dict[str, str]:
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    pins = {}
    for entry in environment["dependencies"]:
        if isinstance(entry, str) and entry not in ("pip",):
            name, _, version = entry.partition("=")
            pins[name.lower()] = version
    return pins


def test_environment_yml_matches_pyproject():
    conda = conda_pins()
    pip = pip_pins()
    assert conda.pop("python") == f"{sys.version_info.major}.{sys.version_info.minor}"
    assert conda == pip, {
        name: (conda.get(name), pip.get(name)) for name in conda.keys() | pip.keys() if conda.get(name) != pip.get(name)
    }


def test_every_conda_dependency_says_where_it_is_used():
    text = (ROOT / "environment.yml").read_text()
    dependencies = text.split("dependencies:", 1)[1]
    for line in dependencies.splitlines():
        if re.match(r"\s+- [a-z-]", line):
            assert "#" in line and line.split("#", 1)[1].strip(), f"no comment on: {line.strip()}"


def test_installed_versions_match_the_pins():
    for name, version in pip_pins().items():
        assert metadata.version(name) == version, f"{name}: installed {metadata.version(name)}, pinned {version}"


def test_lock_file_agrees_with_pyproject():
    lock = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            lock[name.lower().replace("_", "-")] = version
    for name, version in pip_pins().items():
        assert lock.get(name) == version, f"{name}: requirements.lock has {lock.get(name)}, pyproject pins {version}"
