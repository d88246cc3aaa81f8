"""The probe of typical wrong answers can fail: a toy lesson with answers it must and must not catch.

``tests/test_notebooks.py`` checks every lesson's typical wrong answers in the
lesson's one execution: each solution cell with wrong answers starts with a
line that runs each wrong answer, then the exercise's test cell, in a copy of
the kernel forked at that point (``tests/lesson_run.py``,
``probe_wrong_answers``). Here the toy lesson 98 (``tests/toy_lessons.py``),
executed as ``make notebooks`` does, goes through the same machinery with
wrong answers chosen to show that:

* a wrong answer whose tests raise is caught, and one whose tests pass (a
  correct answer written another way) is reported as scoring full marks, so a
  probe that always reported failure would fail this test;
* each answer runs in the state the graded submission has at its solution
  cell: an answer that assigns nothing fails, although the kernel running the
  lesson holds the correct value a moment later;
* an answer that changes the lesson's data in place, prints and raises
  leaves the kernel as it was: nbval still finds every committed output, and
  the next exercise's correct-in-other-words answer still passes;
* a wrong-answers entry that is never probed, or an exercise whose test cell
  shows a result (which nbgrader may read as partial credit), is reported.
"""

from __future__ import annotations

import nbformat
import pytest
from toy_lessons import TOYS, toy_notebooks

from helpers.refresh import execute_notebook

from lesson_run import run_lesson, shows_a_result, wrong_answer_problems

pytestmark = pytest.mark.slow

TOY = TOYS[0]  # 98_toy_minimal: ex98_1 sets prevalence, ex98_2 baseline_accuracy, both from `labels`
CAUGHT = [
    {"why": "minority and majority swapped", "code": "prevalence = 1 - labels.mean()"},
    {"why": "assigns nothing (the kernel holds the right value right after)", "code": "pass"},
    {"why": "empties the data in place, prints, raises", "code": "labels[:] = 0\nprint('noise')\nraise ValueError"},
]
PASSES = {"why": "a correct answer in other words", "code": "baseline_accuracy = 1 - float(labels.mean())"}
WRONG = {"ex98_1_solution": CAUGHT, "ex98_2_solution": [PASSES]}


@pytest.fixture(scope="module")
def probed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("probe")
    nbformat.write(toy_notebooks()[TOY], tmp / f"{TOY}.ipynb")
    committed = execute_notebook(tmp / f"{TOY}.ipynb", home=tmp)  # committed outputs, as `make notebooks` writes
    nbformat.write(committed, tmp / f"{TOY}.ipynb")
    return run_lesson(tmp / f"{TOY}.ipynb", tmp / "run", wrong=WRONG)


def test_the_probes_leave_the_lesson_as_committed(probed):
    assert probed.nbval.returncode == 0, probed.nbval_summary


def test_each_wrong_answer_gets_its_verdict(probed):
    verdicts = {(p["exercise"], p["k"]): p for p in probed.probes}
    assert sorted(verdicts) == [("ex98_1_solution", k) for k in (1, 2, 3)] + [("ex98_2_solution", 1)]
    assert {p["isolation"] for p in probed.probes} == {"fork"}, "a forked copy of the kernel on Linux"
    assert [verdicts["ex98_1_solution", k]["outcome"] for k in (1, 2, 3)] == ["raised"] * 3
    assert verdicts["ex98_1_solution", 2]["error"].startswith("NameError"), "no prevalence before its solution cell"
    assert verdicts["ex98_1_solution", 3]["earlier_error"].startswith("ValueError"), "the solution cell's own error"
    assert verdicts["ex98_2_solution", 1]["outcome"] == "passed", "the data the answer reads was left intact"


def test_an_answer_whose_tests_pass_is_reported(probed):
    problems = wrong_answer_problems(probed, WRONG)
    assert problems == [
        "ex98_2_solution wrong answer 1 (a correct answer in other words): its tests pass, so it scores full marks"
    ]
    assert wrong_answer_problems(probed, {"ex98_1_solution": CAUGHT}) == []


def test_an_answer_never_probed_is_reported(probed):
    extra = {"ex98_1_solution": [*CAUGHT, {"why": "not in this run", "code": "prevalence = 0"}]}
    assert wrong_answer_problems(probed, extra) == [
        "ex98_1_solution wrong answer 4 (not in this run): probed 0 times, not once"
    ]


def test_a_test_cell_showing_a_result_is_reported():
    assert shows_a_result("assert x\nscore = 0.5\nscore") and shows_a_result("%time f()")
    assert not shows_a_result("assert x, 'message'") and not shows_a_result("assert x\nprint(x)")
