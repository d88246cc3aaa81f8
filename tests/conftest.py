"""Shared test set-up: headless matplotlib, per-user folders kept out of HOME, work spread over the workers."""

import os
import re
import tempfile

import matplotlib
import pytest

matplotlib.use("Agg")
os.environ.setdefault("MPLBACKEND", "Agg")
# Hypothesis and matplotlib write caches; keep them out of the user's folders.
os.environ.setdefault("MPLCONFIGDIR", tempfile.mkdtemp(prefix="rare-cases-mpl-"))


# A test of a lesson's execution: tests/test_notebooks.py, parametrized by the lesson's name.
LESSON_TEST = re.compile(r"^(?P<path>[^:]*test_notebooks\.py)::\w+\[(?P<lesson>\d\d_\w+)\]$")


# Test files that create Unix accounts: one worker runs them one after the other, so that two
# `useradd`s never compete for the lock on /etc/passwd.
ACCOUNT_TESTS = {"test_exchange.py", "test_hub.py"}


def work_unit(nodeid: str) -> str:
    """The unit of work a pytest-xdist worker takes whole (``make test`` runs two workers).

    Each lesson's tests share one execution of it (a module fixture per lesson), so a
    lesson is a unit of its own and the lessons spread over the workers; the tests that
    create Unix accounts are one unit; every other test file is one unit, so its module
    fixtures are set up once. Worked out from the test's id alone, which is all xdist's
    controller sees.
    """
    path = nodeid.split("::", 1)[0]
    if path.rsplit("/", 1)[-1] in ACCOUNT_TESTS:
        return "unix-accounts"
    return f"lesson-{match['lesson']}" if (match := LESSON_TEST.match(nodeid)) else path


def pytest_xdist_make_scheduler(config, log):
    """Deal out whole :func:`work_unit` s, in the order collected (``--dist loadgroup`` would read
    ``xdist_group`` marks through a node id that pytest 9 no longer lets xdist 3.8 change, so it
    dealt out single tests, and two workers each ran the same lesson)."""
    if config.getvalue("dist") != "loadgroup":
        return None  # another --dist asked for by name: xdist's own
    from xdist.scheduler import LoadScopeScheduling

    class WorkUnitScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    return WorkUnitScheduling(config, log)


def pytest_collection_modifyitems(config, items):
    """The longest units first, so that no worker is left with a long one at the end: units holding
    browser or slow tests, in the order collected, then the rest."""
    units: dict[str, list] = {}
    for item in items:
        units.setdefault(work_unit(item.nodeid), []).append(item)

    def light(unit):
        return not any(item.get_closest_marker("browser") or item.get_closest_marker("slow") for item in units[unit])

    items[:] = [item for unit in sorted(units, key=light) for item in units[unit]]


@pytest.fixture(scope="session")
def playwright_session():
    """One Playwright for the whole worker: its sync API refuses to start a second one while one is open."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright
