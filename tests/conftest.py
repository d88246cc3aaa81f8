"""Shared test set-up: headless matplotlib, per-user folders kept out of HOME, work spread over the workers."""

import os
import tempfile

import matplotlib
import pytest

matplotlib.use("Agg")
os.environ.setdefault("MPLBACKEND", "Agg")
# Hypothesis and matplotlib write caches; keep them out of the user's folders.
os.environ.setdefault("MPLCONFIGDIR", tempfile.mkdtemp(prefix="rare-cases-mpl-"))


def _group(item) -> str:
    """The unit of work a pytest-xdist worker takes whole (``make test`` runs ``--dist loadgroup``).

    Each lesson's tests share one execution of it (a module fixture per lesson), so a
    lesson is a unit of its own and the lessons spread over the workers; every other
    test file is one unit, so its module fixtures are set up once.
    """
    callspec = getattr(item, "callspec", None)
    if callspec is not None and "lesson" in callspec.params:
        return f"lesson-{callspec.id.split('-')[0]}"
    return item.nodeid.split("::", 1)[0]


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the marks
def pytest_collection_modifyitems(config, items):
    groups: dict[str, list] = {}
    for item in items:
        if not any(item.iter_markers("xdist_group")):
            item.add_marker(pytest.mark.xdist_group(_group(item)))
        name = next(item.iter_markers("xdist_group")).args[0]
        groups.setdefault(name, []).append(item)

    # The longest units first, so that no worker is left with a long one at the end:
    # units holding browser or slow tests, in the order collected, then the rest.
    def heavy(name):
        return not any(item.get_closest_marker("browser") or item.get_closest_marker("slow") for item in groups[name])

    items[:] = [item for name in sorted(groups, key=heavy) for item in groups[name]]


@pytest.fixture(scope="session")
def playwright_session():
    """One Playwright for the whole worker: its sync API refuses to start a second one while one is open."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright
