"""Every value of every control of every interactive figure, without a browser.

For each ``notebooks/NN_topic.ipynb`` (found automatically) the notebook runs
top to bottom in a fresh kernel (nbclient); then, in that same kernel, every
figure in ``helpers.widgets.live_figures()`` gets every value of
``control_values(control)`` for each of its controls in turn (ends included,
the other controls at their defaults), with warnings turned into errors. Each
value must give no exception, no warning and a non-empty PNG.

A control with more than ``MAX_VALUES_PER_CONTROL`` values is swept on that
many values spread evenly over its range, both ends always included (the
count swept is in the failure message and in ``-v`` output).

Self-tests: a toy figure with every kind of control passes; the same toy
broken (it raises at the top of one slider and warns at the bottom of
another) fails, naming both values.
"""

from __future__ import annotations

import inspect
import json

import pytest

import browser as b  # tests/browser.py: pytest puts tests/ on sys.path (no __init__.py there)

# A control with a huge range is swept on this many evenly spread values, ends included.
MAX_VALUES_PER_CONTROL = 200
_MARK = "RARE-CASES-SWEEP "


def sample_evenly(values: list, cap: int) -> list:
    """At most ``cap`` of ``values``, evenly spread, first and last always kept, order kept."""
    if cap < 2:
        raise ValueError(f"cap must be at least 2, got {cap}")
    if len(values) <= cap:
        return list(values)
    last = len(values) - 1
    indices = sorted({round(i * last / (cap - 1)) for i in range(cap)})
    return [values[i] for i in indices]


def sweep_live_figures(cap: int) -> dict:
    """Runs inside the lesson's kernel: set every value of every control, report what went wrong."""
    import warnings

    from helpers.widgets import control_values, live_figures

    png_signature = b"\x89PNG\r\n\x1a\n"
    problems, controls = [], []
    for number, figure in enumerate(live_figures(), start=1):
        defaults = figure.values
        for name, control in figure.controls.items():
            every = control_values(control)
            values = sample_evenly(every, cap)
            controls.append({"figure": number, "control": name, "values": len(every), "swept": len(values)})
            # Empty the figure's cache so that every value is really rendered here.
            figure._cache.clear()
            for value in values:
                where = f"figure {number}, control {name!r} = {value!r}"
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("error")
                        figure.set_values(**{name: value})
                except Exception as exc:  # a warning is an exception here too
                    problems.append(f"{where}: {type(exc).__name__}: {exc}")
                    continue
                png = bytes(figure.image.value or b"")  # ipywidgets may hold a memoryview
                if not (png.startswith(png_signature) and len(png) > len(png_signature)):
                    problems.append(f"{where}: the figure is not a non-empty PNG ({len(png)} bytes)")
            try:
                figure.set_values(**defaults)
            except Exception as exc:
                problems.append(f"figure {number}: back to its defaults: {type(exc).__name__}: {exc}")
    return {"figures": len(live_figures()), "controls": controls, "problems": problems}


def _sweep_code(cap: int) -> str:
    return "\n\n".join(
        [
            "import json",
            inspect.getsource(sample_evenly),
            inspect.getsource(sweep_live_figures),
            f"print({_MARK!r} + json.dumps(sweep_live_figures({cap})))",
        ]
    )


def sweep_notebook(path, home, cap: int = MAX_VALUES_PER_CONTROL) -> dict:
    """Run a notebook, then sweep its live figures in the same kernel; the report as a dict."""
    nb, _ = b.execute_notebook(path, home, extra_cells=(_sweep_code(cap),))
    text = b.cell_stdout(nb.cells[-1])
    line = next((line for line in text.splitlines() if line.startswith(_MARK)), None)
    assert line is not None, f"the sweep printed no report; its output was:\n{text}"
    return json.loads(line[len(_MARK) :])


def _failure_message(name: str, report: dict) -> str:
    swept = ", ".join(
        f"fig {c['figure']} {c['control']}: {c['swept']}"
        + (f" of {c['values']} (sampled)" if c["swept"] < c["values"] else "")
        for c in report["controls"]
    )
    problems = "\n  ".join(report["problems"])
    return f"{name}: {len(report['problems'])} problem(s):\n  {problems}\n(values swept: {swept})"


@pytest.mark.slow
@pytest.mark.parametrize("notebook", b.lesson_notebooks(), ids=lambda path: path.stem)
def test_every_control_value_of_lesson(notebook, tmp_path):
    report = sweep_notebook(notebook, tmp_path / "home")
    assert not report["problems"], _failure_message(notebook.name, report)


# ---------------------------------------------------------------- the sweep itself can fail


@pytest.fixture(scope="module")
def toy_reports(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("toys")
    good = b.write_notebook(b.toy_notebook(), tmp / "toy.ipynb")
    broken = b.write_notebook(b.toy_notebook(broken=True), tmp / "broken.ipynb")
    return {
        "good": sweep_notebook(good, tmp / "home"),
        "broken": sweep_notebook(broken, tmp / "home"),
        "capped": sweep_notebook(good, tmp / "home", cap=5),
    }


def test_toy_passes_the_sweep(toy_reports):
    report = toy_reports["good"]
    assert not report["problems"], _failure_message("toy", report)
    # every value of every control: 19 + 11 + 3 + 2 + 2
    assert report["figures"] == 1
    assert [(c["control"], c["swept"]) for c in report["controls"]] == [
        ("n_points", 19),
        ("noise", 11),
        ("kind", 3),
        ("side", 2),
        ("grid", 2),
    ]


def test_broken_toy_fails_the_sweep(toy_reports):
    problems = toy_reports["broken"]["problems"]
    assert len(problems) == 2, problems
    raised, warned = problems
    assert "'n_points' = 40" in raised and "ValueError" in raised
    assert "'noise' = 0.0" in warned and "RuntimeWarning" in warned


def test_capped_sweep_keeps_both_ends(toy_reports):
    counts = {c["control"]: (c["values"], c["swept"]) for c in toy_reports["capped"]["controls"]}
    assert counts["n_points"] == (19, 5) and counts["noise"] == (11, 5) and counts["kind"] == (3, 3)


def test_sample_evenly():
    assert sample_evenly([1, 2, 3], 5) == [1, 2, 3]
    values = list(range(1001))
    sampled = sample_evenly(values, 200)
    assert len(sampled) == 200 and sampled[0] == 0 and sampled[-1] == 1000
    assert sampled == sorted(set(sampled))
    gaps = {b - a for a, b in zip(sampled, sampled[1:], strict=False)}
    assert max(gaps) - min(gaps) <= 1
    with pytest.raises(ValueError):
        sample_evenly(values, 1)
