"""helpers.experiment: the committed results of lesson 09's experiment are what the script computes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from helpers import experiment
from helpers.data import load_transactions

SCORES = [
    "roc_auc",
    "average_precision",
    "brier",
    "log_loss",
    "mean_proba",
    "cost_tuned",
    "cost_face_value",
    "threshold",
]


@pytest.fixture(scope="module")
def committed():
    return experiment.load_results()


def test_results_cover_the_whole_design(committed):
    results, reliability = committed
    n_splits = experiment.N_SPLITS * experiment.N_REPEATS
    assert len(results) == n_splits * len(experiment.LEARNERS) * len(experiment.STRATEGIES)
    assert sorted(results["split"].unique()) == list(range(n_splits))
    assert set(results["strategy"]) == set(experiment.STRATEGIES) and set(results["learner"]) == set(
        experiment.LEARNERS
    )
    # every test fold is a fifth of the payments with a fifth of the frauds
    assert results["n_test"].between(19_999, 20_001).all() and results["n_fraud_test"].between(102, 103).all()
    assert (results["repeat"] == results["split"] // experiment.N_SPLITS).all()
    assert sorted(results["repeat"].unique()) == list(range(experiment.N_REPEATS))
    # the reliability counts of each repeat add up to every payment and every fraud once
    per_repeat = reliability.groupby(["repeat", "learner", "strategy"])[["n", "n_fraud"]].sum()
    assert len(per_repeat) == experiment.N_REPEATS * len(experiment.LEARNERS) * len(experiment.STRATEGIES)
    assert (per_repeat["n"] == 100_000).all() and (per_repeat["n_fraud"] == 511).all()
    # only gradient boosting has a search; the other learners report index 0
    assert (results.query("learner != 'gradient boosting'")["boosting_params"] == 0).all()


def test_repeats_draw_new_folds():
    splits = experiment.outer_splits(load_transactions(return_X_y=True)[1].to_numpy())
    assert len(splits) == experiment.N_SPLITS * experiment.N_REPEATS == 25
    # each repeat tests every payment once, and a new repeat reshuffles who is tested together
    for repeat in range(experiment.N_REPEATS):
        tested = np.concatenate([test for _, test in splits[5 * repeat : 5 * repeat + 5]])
        assert np.array_equal(np.sort(tested), np.arange(100_000))
    assert not np.array_equal(np.sort(splits[0][1]), np.sort(splits[5][1]))


@pytest.mark.parametrize(
    ("split", "learner", "repeat"),
    [(0, "logistic regression", 0), (17, "decision tree", 3)],
    ids=["first split, logistic regression", "a later repeat, decision tree"],
)
def test_a_split_reproduces_exactly(committed, split, learner, repeat):
    results, reliability = committed
    X, y = load_transactions(return_X_y=True)
    with threadpool_limits(limits=1):
        rows, counts = experiment.run_split(split, X, y, learners=[learner])
    fresh = pd.DataFrame(rows).set_index(["learner", "strategy"])
    stored = results[results["split"] == split].set_index(["learner", "strategy"]).loc[fresh.index]
    assert (stored["repeat"] == repeat).all()
    np.testing.assert_allclose(fresh[SCORES].to_numpy(float), stored[SCORES].to_numpy(float), rtol=1e-8, atol=1e-12)
    stored_counts = reliability[(reliability["split"] == split) & (reliability["learner"] == learner)]
    np.testing.assert_array_equal(counts["n"].to_numpy(), stored_counts["n"].to_numpy())


def test_the_decision_tree_is_shallow():
    model = experiment.make_strategy("class weights", "decision tree")
    tree = model.steps[-1][1]
    assert tree.max_depth == experiment.TREE_DEPTH == 3 and tree.class_weight == "balanced"


def test_one_boosting_cell_reproduces(committed):
    results, _ = committed
    X, y = load_transactions(return_X_y=True)
    with threadpool_limits(limits=1):
        rows, _ = experiment.run_split(3, X, y, learners=["gradient boosting"], strategies=["down + upweight"])
    stored = results.query("split == 3 and learner == 'gradient boosting' and strategy == 'down + upweight'").iloc[0]
    assert rows[0]["boosting_params"] == stored["boosting_params"]
    np.testing.assert_allclose([rows[0][score] for score in SCORES], stored[SCORES].to_numpy(float), rtol=1e-8)


def test_tuned_threshold_never_uses_the_test_fold():
    # the threshold comes from the validation quarter of the training fold: shuffling the test labels changes nothing
    X, y = load_transactions(return_X_y=True)
    y = y.to_numpy()
    train, _ = experiment.outer_splits(y)[0]
    with threadpool_limits(limits=1):
        tuner, _ = experiment.fit_with_validation("none", "logistic regression", X.iloc[train], y[train])
    assert experiment.THRESHOLDS.min() <= tuner.best_threshold_ <= experiment.THRESHOLDS.max()
    assert 0.005 < tuner.best_threshold_ < 0.2  # a calibrated model's cost-optimal threshold is near t* = 0.048


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: experiment.make_strategy("ADASYN", "logistic regression"), ValueError, "strategy must be one of"),
        (lambda: experiment.make_strategy("none", "svm"), ValueError, "learner must be one of"),
        (lambda: experiment.run_split(25, None, np.zeros(3)), ValueError, "split must be <= 24"),
    ],
)
def test_bad_input_is_named(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_cost_per_payment_averages_to_the_cost_per_1000():
    rng = np.random.default_rng(0)
    y_true, y_pred = rng.integers(0, 2, 500), rng.integers(0, 2, 500)
    rows = experiment.cost_per_payment(y_true, y_pred)
    assert rows.shape == (500,) and set(np.unique(rows)) <= {
        0,
        1000 * experiment.COST_FALSE_ALERT,
        1000 * experiment.COST_MISSED_FRAUD,
    }
    assert np.isclose(rows.mean(), experiment.cost_per_1000(y_true, y_pred))
    assert rows[(y_true == 1) & (y_pred == 0)].min() == 1000 * experiment.COST_MISSED_FRAUD
