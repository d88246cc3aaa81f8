"""Every lesson's interactive figures, used as a person would in JupyterLab in a real browser.

For each ``notebooks/NN_topic.ipynb`` (found automatically): open it, Kernel ▸
Restart Kernel and Run All Cells, wait for the last code cell's prompt number
and check that no cell shows an error. Then, for every control of every
interactive figure in the page (``.rare-cases-figure`` boxes): move it one
notch, then to its top end and to its bottom end, with the keyboard or the
mouse (a checkbox: on, off). After each move the kernel is asked what it now
holds: it must have received the change and drawn it without an exception;
when its figure changed, the image in the page must change too (seen by a
MutationObserver on its ``src``), and the caption under it must read what the
kernel's caption says (so it changes when, and only when, it should). Each
control must change the figure at least once; then the figure goes back to
its start so the next control is tried from the lesson's defaults.

Every lesson must show at least one interactive figure, and each control must
change something on screen (the image or the caption) in at least one of its
moves. An error inside a render function must show in the widget itself.

A toy notebook with every kind of control always runs too (its caption states
every value, so the page must read the value each control shows), a broken toy
(its render function raises at the top of a slider) must fail the same check,
and so must a notebook with no figure.

Needs a Chromium: Debian's ``chromium`` on PATH, else one that ``playwright
install chromium`` installed. Without one these tests skip with a hint, except
when the environment variable ``CI`` is set, where they fail. One JupyterLab server
and one browser serve the whole file: its tests share the xdist group
"browser", so ``pytest -n 2 --dist loadgroup`` runs them in one worker. The
server serves a copy of notebooks/ (outputs stripped, autosave off): nothing
is written over the committed notebooks. Nothing is timed here;
``tests/bench.py`` measures latency.
"""

from __future__ import annotations

import os
import time

import pytest

import browser as b  # tests/browser.py: pytest puts tests/ on sys.path (no __init__.py there)

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser"), pytest.mark.timeout(600)]

# Moves per control in this test: one notch, then both ends (the bench does >= 20 notches).
MOVES = ("up", "max", "min")
BINARY_MOVES = ("up", "up")  # a checkbox or a toggle button: on, then off again
STEP_TIMEOUT_MS = 15_000
TOY = "_toy/toy.ipynb"
BROKEN = "_toy/broken.ipynb"
EMPTY = "_toy/empty.ipynb"


def _ci() -> bool:
    return bool(os.environ.get("CI"))  # set, whatever its value


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = b.find_chromium()
    if path is None:
        if _ci():
            pytest.fail(f"{b.INSTALL_HINT} (CI is set: a missing browser is a failure, not a skip.)", pytrace=False)
        pytest.skip(b.INSTALL_HINT)
    return path


@pytest.fixture(scope="session")
def lab(tmp_path_factory, chromium_path):
    """JupyterLab serving a copy of notebooks/ (outputs stripped) plus the toy notebooks."""
    tmp = tmp_path_factory.mktemp("lab")
    root = b.mirror_repo(tmp / "repo")
    b.write_notebook(b.toy_notebook(), root / TOY)
    b.write_notebook(b.toy_notebook(broken=True), root / BROKEN)
    empty = b.toy_notebook()
    empty.cells = empty.cells[:2]  # the set-up cell only: no figure
    b.write_notebook(empty, root / EMPTY)
    server = b.LabServer(root, tmp / "home")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def session_page(lab, chromium_path, playwright_session):
    browser = b.launch_browser(playwright_session, chromium_path)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    yield page
    browser.close()


@pytest.fixture
def page(session_page, lab):
    """The shared JupyterLab page; after each test its notebooks are closed and kernels ended."""
    yield session_page
    try:
        if session_page.locator(".jp-Dialog").count():
            session_page.goto("about:blank")  # a dialog left open: the next test loads a fresh page
        else:
            b.close_notebooks(session_page)
    finally:
        lab.shutdown_kernels()


def check_widgets_in_browser(
    page, lab, relative_path: str, *, step_timeout_ms: float = STEP_TIMEOUT_MS, require_figure: bool = True
) -> list[dict]:
    """Run the notebook in the page and move every control of every figure.

    Returns what the page showed after each move: ``{'figure', 'control', 'value'
    (as the control shows it), 'caption' (as the page shows it)}``.
    """
    b.open_notebook(page, lab, relative_path)
    state = b.restart_and_run_all(page)
    nb_json = b.notebook_json(page)
    errors = b.error_outputs(nb_json)
    assert not errors, f"{relative_path}: Run All shows error output(s): {errors}"
    assert state == "done", f"{relative_path}: Run All did not reach the last code cell"

    figures = b.kernel_figures(page)
    shown = b.displayed_model_ids(nb_json)
    on_screen = [index for index, figure in enumerate(figures) if figure["model_id"] in shown]
    if require_figure:
        assert on_screen, f"{relative_path}: the lesson shows no interactive figure (every lesson needs one)"
    seen = []
    for index in on_screen:
        figure = figures[index]
        box = b.figure_box(page, index)
        try:
            box.wait_for(state="attached", timeout=30_000)
        except b.PlaywrightTimeoutError as exc:
            raise AssertionError(
                f"{relative_path}: interactive figure {index + 1} is in the notebook's outputs "
                "but its widget never appeared in the page"
            ) from exc
        controls = b.find_controls(box)
        expected = [control["description"] for control in figure["controls"]]
        found = [control.label for control in controls]
        assert len(found) == len(expected) and all(map(b.same_text, found, expected)), (
            f"{relative_path}: figure {index + 1} has controls {expected} in the kernel, but the page shows {found}"
        )
        assert b.same_text(b.dom_caption(box), figure["caption"]), (
            f"{relative_path}: figure {index + 1} shows caption {b.dom_caption(box)!r}, "
            f"the kernel has {figure['caption']!r}"
        )
        for control, spec in zip(controls, figure["controls"], strict=True):
            where = f"{relative_path}: figure {index + 1}, control {control.label!r}"
            previous = b.kernel_probe(page, index)
            changed_on_screen = 0
            for move in BINARY_MOVES if control.kind in ("checkbox", "toggle-button") else MOVES:
                src_before, caption_before = b.dom_image_src(box), b.dom_caption(box)
                pending = b.start_step(page, box, control, move)
                if pending is None:
                    continue  # already at that end
                probe = _kernel_after_change(page, index, spec["name"], previous, where)
                at = f"{where} at {probe['values'][spec['name']]}"
                if probe["error"]:
                    b.cancel_step(page)
                    _check_error_shown(page, box, probe["error"], at)
                    raise AssertionError(
                        f"{where}: at {probe['values'][spec['name']]} the kernel raised {probe['error']}"
                    )
                if probe["png"] != previous["png"]:
                    try:
                        b.finish_step(page, box, pending, timeout_ms=step_timeout_ms)
                    except b.BrowserCheckError as exc:
                        raise AssertionError(f"{where}: {exc}") from exc
                else:
                    b.cancel_step(page)  # the kernel drew the very same figure: nothing to show
                _check_caption(page, box, probe["caption"], at)
                caption_after = b.dom_caption(box)
                changed_on_screen += b.dom_image_src(box) != src_before or caption_after != caption_before
                seen.append(
                    {
                        "figure": index + 1,
                        "control": control.label,
                        "value": b.control_state(box, control)["value"],
                        "caption": caption_after,
                    }
                )
                previous = probe
            assert changed_on_screen, f"{where}: none of its moves changed the figure or its caption on screen"
            b.reset_figure(page, box, index)
            _check_caption(page, box, b.kernel_probe(page, index)["caption"], f"{where}, back to the start")

    # Every figure box in the page belongs to a figure the kernel knows about.
    untagged = page.locator(f"{b.PANEL} {b.FIGURE}:not([class*='rc-live-'])").count()
    assert untagged == 0, f"{relative_path}: {untagged} figure box(es) in the page match no live figure"
    return seen


def _kernel_after_change(page, index: int, name: str, previous: dict, where: str, timeout: float = 60) -> dict:
    """Ask the kernel until it has received the page's change of ``name`` and shows it (or its error)."""
    deadline = time.monotonic() + timeout
    while True:  # each probe is a round trip to the kernel: no event to wait on instead
        probe = b.kernel_probe(page, index)
        if probe["values"][name] != previous["values"][name] and probe["drawn"]:
            return probe
        if time.monotonic() > deadline:
            raise AssertionError(f"{where}: the kernel never received or never drew the change made in the page")
        time.sleep(0.05)


def _check_error_shown(page, box, error: str, where: str) -> None:
    """The widget itself must say what failed (not only the kernel's log)."""
    try:
        page.wait_for_function(
            "([box, text]) => { const e = box.querySelector('.rare-cases-error'); return Boolean(e && e.textContent.includes(text)); }",
            arg=[box.element_handle(), error.split(" (with ")[0]],
            timeout=10_000,
            polling=50,
        )
    except b.PlaywrightTimeoutError as exc:
        raise AssertionError(
            f"{where}: the kernel has the error {error!r} but the widget shows {b.dom_error(box)!r}"
        ) from exc


def _check_caption(page, box, expected: str, where: str) -> None:
    try:
        b.wait_for_caption(page, box, expected)
    except b.PlaywrightTimeoutError as exc:
        raise AssertionError(f"{where}: the caption reads {b.dom_caption(box)!r}, the kernel has {expected!r}") from exc


@pytest.mark.parametrize("notebook", b.lesson_notebooks(), ids=lambda path: path.stem)
def test_lesson_widgets_in_browser(page, lab, notebook):
    check_widgets_in_browser(page, lab, notebook.name)


def test_toy_widgets_in_browser(page, lab):
    # The toy's caption states every control's value: after each move the page must read
    # the value the control shows, so a figure that redraws stale or wrong states fails.
    seen = check_widgets_in_browser(page, lab, TOY, require_figure=True)
    assert {entry["control"] for entry in seen} == {"points", "noise", "curve", "side", "grid"}
    for entry in seen:
        caption, value = entry["caption"], entry["value"]
        control = entry["control"]
        if control == "points":
            expected = f"{value} points"
        elif control == "noise":
            expected = f"noise {float(value):.2f}"
        elif control == "grid":
            expected = f"grid {'on' if value == 'true' else 'off'}"
        else:  # curve, side: the option's own name
            expected = value
        assert expected in caption, f"after moving {entry['control']!r} to {value!r} the caption reads {caption!r}"


def test_broken_widget_fails_in_browser(page, lab):
    # The broken toy raises when its slider "points" reaches its top end; the widget must say so.
    with pytest.raises(AssertionError, match=r"'points': at 40 the kernel raised ValueError: n_points at its maximum"):
        check_widgets_in_browser(page, lab, BROKEN, step_timeout_ms=3_000)


def test_a_notebook_without_a_figure_fails(page, lab):
    with pytest.raises(AssertionError, match="shows no interactive figure"):
        check_widgets_in_browser(page, lab, EMPTY)
