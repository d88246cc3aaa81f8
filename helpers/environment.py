"""Check that the running kernel has the Python and the package versions the course was run with.

The course pins exact versions (``pyproject.toml``, and the same ones in ``environment.yml``) so that
a student's outputs match the committed ones. The pins are read from the installed course package's
metadata, so this module never needs to find ``pyproject.toml`` on disk.

When all is well the report is the same text on every machine: it names the required Python series,
never the interpreter's patch version, a path, the operating system or the number of cores.
"""

from __future__ import annotations

import sys
from importlib import metadata

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet

COURSE_DISTRIBUTION = "rare-cases"

_FIX_ADVICE = (
    "To get the course's environment:\n"
    "  * pip/venv: run `make lab` in the course folder; it creates .venv with the pinned versions\n"
    "    (run `make clean` first to rebuild a .venv that was changed by hand);\n"
    "  * conda: run `conda env update -f environment.yml`;\n"
    "then restart the kernel (Kernel > Restart Kernel) and run this cell again."
)

_COMPARISONS = {">=": "{} or newer", ">": "newer than {}", "<": "older than {}", "<=": "{} or older", "==": "{}"}


def describe_python_requirement(requires_python: str) -> str:
    """Say a ``Requires-Python`` specifier in words.

    Parameters
    ----------
    requires_python : str
        A specifier set as in a package's metadata, e.g. ``">=3.11"`` or ``">=3.11,<3.14"``.

    Returns
    -------
    str
        For example ``"Python 3.11 or newer"`` or ``"Python 3.11 or newer and older than 3.14"``.

    Raises
    ------
    TypeError
        If ``requires_python`` is not a string.
    ValueError
        If ``requires_python`` is not a valid, non-empty specifier set.
    """
    if not isinstance(requires_python, str):
        raise TypeError(f"requires_python must be a string such as '>=3.11', got {type(requires_python).__name__}")
    try:
        specifiers = SpecifierSet(requires_python)
    except InvalidSpecifier:
        raise ValueError(
            f"requires_python must be a version specifier such as '>=3.11', got {requires_python!r}"
        ) from None
    if not len(specifiers):
        raise ValueError("requires_python must not be empty")
    parts = []
    for specifier in sorted(specifiers, key=lambda s: (s.operator not in (">=", ">"), s.version)):
        template = _COMPARISONS.get(specifier.operator, specifier.operator + " {}")
        parts.append(template.format(specifier.version))
    return "Python " + " and ".join(parts)


def _course_pins(distribution: str) -> tuple[str, dict[str, str]]:
    """Return the course's ``Requires-Python`` and its pins (name -> version), extras left out."""
    requires_python = metadata.metadata(distribution)["Requires-Python"] or ""
    pins = {}
    for line in metadata.requires(distribution) or []:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            raise ValueError(
                f"the course package {distribution!r} declares an unreadable requirement {line!r}"
            ) from None
        if requirement.marker is not None and "extra" in str(requirement.marker):
            continue  # the test and instructor extras are not needed to run the lessons
        pinned = [specifier.version for specifier in requirement.specifier if specifier.operator == "=="]
        pins[requirement.name] = pinned[0] if pinned else str(requirement.specifier)
    return requires_python, pins


def check_environment(distribution: str = COURSE_DISTRIBUTION) -> list[str]:
    """Compare the running Python and packages with the course's pins, and print the result.

    Parameters
    ----------
    distribution : str, default "rare-cases"
        The installed package whose metadata holds the pins (the course's own).

    Returns
    -------
    list of str
        One line per problem found (too old a Python, a missing package, a version that differs
        from its pin); empty when the environment matches the course.

    Raises
    ------
    TypeError
        If ``distribution`` is not a string.

    Notes
    -----
    The printed text names the running interpreter's version only when it is too old, and a
    package's installed version only in the table next to its pin, so a correct environment
    prints the same text on every supported Python and operating system.
    """
    if not isinstance(distribution, str) or not distribution:
        raise TypeError(f"distribution must be a package name (a non-empty string), got {distribution!r}")
    try:
        requires_python, pins = _course_pins(distribution)
    except metadata.PackageNotFoundError:
        problem = f"the course package {distribution!r} is not installed in this kernel's environment"
        print(f"PROBLEM: {problem}, so its pins cannot be read.")
        print(
            "Run `make lab` in the course folder (or `pip install --no-deps -e .` there), "
            "then restart the kernel and run this cell again."
        )
        return [problem]

    problems = []
    running = ".".join(str(part) for part in sys.version_info[:3])
    if requires_python:
        wanted = describe_python_requirement(requires_python)
        if SpecifierSet(requires_python).contains(running):
            print(f"{wanted}: yes")
        else:
            print(f"{wanted}: NO, this kernel runs Python {running}.")
            problems.append(f"Python {running} does not meet the course's requirement ({wanted})")

    print()
    print(f"{'package':18s} {'course pin':12s} {'installed':14s} status")
    for package, pinned in pins.items():
        try:
            installed = metadata.version(package)
        except metadata.PackageNotFoundError:
            installed, status = "-", "NOT INSTALLED"
            problems.append(f"{package} is not installed (the course uses {pinned})")
        else:
            status = "ok" if installed == pinned else "DIFFERS"
            if status != "ok":
                problems.append(f"{package} {installed} is installed, the course uses {pinned}")
        print(f"{package:18s} {pinned:12s} {installed:14s} {status}")

    print()
    if problems:
        print(f"{len(problems)} problem(s): your outputs may differ from the printed ones.")
        for problem in problems:
            print(f"  - {problem}")
        print(_FIX_ADVICE)
    else:
        print(f"All {len(pins)} packages match the course's pins.")
    return problems
