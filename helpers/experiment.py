"""Lesson 09's full experiment: six imbalance strategies x three learners, stratified 5-fold CV repeated 5 times.

The lesson cannot run this design in its time budget, so this script runs it
once and commits the per-fold scores; the lesson reads them, re-runs one
split live, and ``tests/test_experiment.py`` recomputes a few rows exactly::

    python -m helpers.experiment --jobs 2   # about 25 minutes of two idle cores (a split: about 100 s of one)
    python -m helpers.experiment --splits 1 --data-dir /tmp/out  # a quick look: the first split only

The design (the decision tree and the repeats were added after a first run
of one repeat with the other two learners; nothing else was changed):

* data: the course's 100,000 card payments (511 frauds), all of them, so
  that each test fold holds as many frauds as possible;
* learners: logistic regression on standardised features; a decision tree
  of depth 3 (at most 8 leaves, a deliberately weak learner, no search);
  histogram gradient boosting with a small hyperparameter search;
* outer loop: ``RepeatedStratifiedKFold(n_splits=5, n_repeats=5)``, 25
  splits: every payment is tested once in each of the 5 repeats.  Splits 0-4
  (the first repeat) are the folds a single 5-fold run would draw;
* inside each training fold, a stratified validation split (a quarter of it):
  the model is fitted on the other three quarters, gradient boosting picks
  its hyperparameters from a small grid by validation average precision, and
  ``TunedThresholdClassifierCV`` picks the cost-minimising threshold on the
  same validation quarter, for every learner and strategy alike; the test
  fold is only scored;
* scores on the test fold: ROC-AUC, average precision, Brier score, log loss,
  mean predicted probability, the cost at the tuned threshold and at Elkan's
  threshold taken at face value, and reliability counts in log-spaced bins.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from imblearn.over_sampling import SMOTE, RandomOverSampler
from imblearn.pipeline import Pipeline
from imblearn.under_sampling import RandomUnderSampler
from scipy.special import expit, logit
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, make_scorer, roc_auc_score
from sklearn.model_selection import RepeatedStratifiedKFold, StratifiedShuffleSplit, TunedThresholdClassifierCV
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from helpers._validation import check_choice, check_int
from helpers.data import DATA_DIR, load_transactions

RESULTS_FILE = "experiment_09.csv"
RELIABILITY_FILE = "experiment_09_reliability.csv"
SEED = 0
N_SPLITS, N_REPEATS = 5, 5
VALIDATION_SHARE = 0.25

STRATEGIES = ["none", "class weights", "random under", "random over", "SMOTE", "down + upweight"]
LEARNERS = ["logistic regression", "decision tree", "gradient boosting"]
TREE_DEPTH = 3  # the weak learner: a tree with at most 2**3 = 8 leaves
# Gradient boosting's small search: few, deep and slow, or many and shallow trees.
BOOSTING_GRID = [
    {"learning_rate": 0.1, "max_iter": 100, "max_leaf_nodes": 15, "l2_regularization": 1.0},
    {"learning_rate": 0.1, "max_iter": 200, "max_leaf_nodes": 31, "l2_regularization": 1.0},
    {"learning_rate": 0.05, "max_iter": 300, "max_leaf_nodes": 7, "l2_regularization": 1.0},
]

COST_MISSED_FRAUD = 100.0  # € lost when a fraud goes through (C_FN)
COST_FALSE_ALERT = 5.0  # € spent on a genuine payment that was flagged (C_FP)
T_STAR = COST_FALSE_ALERT / (COST_FALSE_ALERT + COST_MISSED_FRAUD)  # Elkan's threshold, 0.048
# Candidate thresholds evenly spaced in log-odds: fine near 0.05 and near 0.95 alike.
THRESHOLDS = expit(np.linspace(logit(0.001), logit(0.999), 161))
# Reliability bins with log-spaced edges: most predictions are tiny, the decisions happen at 0.01-0.9.
RELIABILITY_EDGES = np.array([0.0, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0])


def cost_per_payment(y_true, y_pred) -> np.ndarray:
    """Each payment's cost of its decision, times 1,000: the mean is :func:`cost_per_1000`.

    Per-row costs are what a paired bootstrap of the cost resamples (``metric="mean"``).
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    false_alert, missed = (y_pred == 1) & (y_true == 0), (y_pred == 0) & (y_true == 1)
    return 1000 * (COST_FALSE_ALERT * false_alert + COST_MISSED_FRAUD * missed)


def cost_per_1000(y_true, y_pred) -> float:
    """Average cost of the decisions ``y_pred``, in € per 1,000 payments."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    false_alerts = np.sum((y_pred == 1) & (y_true == 0))
    missed_frauds = np.sum((y_pred == 0) & (y_true == 1))
    return 1000 * (COST_FALSE_ALERT * false_alerts + COST_MISSED_FRAUD * missed_frauds) / len(y_true)


class DownsampleUpweight(ClassifierMixin, BaseEstimator):
    """Keep every minority row and about 1/factor of the majority rows, weighted by factor.

    ``estimator`` is a pipeline whose last step accepts ``sample_weight``.
    """

    def __init__(self, estimator, factor=10, random_state=0):
        self.estimator = estimator
        self.factor = factor
        self.random_state = random_state

    def fit(self, X, y):
        y = np.asarray(y)
        rng = np.random.default_rng(self.random_state)
        keep = (y == 1) | (rng.random(len(y)) < 1 / self.factor)  # downsample the majority
        weight = np.where(y[keep] == 0, float(self.factor), 1.0)  # upweight what was downsampled
        self.estimator_ = clone(self.estimator)
        last_step = self.estimator_.steps[-1][0]
        self.estimator_.fit(X[keep], y[keep], **{f"{last_step}__sample_weight": weight})
        self.classes_ = self.estimator_.classes_
        return self

    def predict_proba(self, X):
        return self.estimator_.predict_proba(X)

    def predict(self, X):
        return self.estimator_.predict(X)


def make_classifier(learner: str, params: dict | None = None, class_weight=None):
    """Logistic regression, a depth-3 tree, or histogram gradient boosting with the given hyperparameters."""
    if learner == "logistic regression":
        return LogisticRegression(max_iter=1000, class_weight=class_weight)
    if learner == "decision tree":
        return DecisionTreeClassifier(max_depth=TREE_DEPTH, class_weight=class_weight, random_state=SEED)
    # early_stopping=False: an internal validation split would be drawn from resampled rows
    return HistGradientBoostingClassifier(
        **(params or BOOSTING_GRID[0]), max_bins=127, early_stopping=False, class_weight=class_weight, random_state=SEED
    )


def make_strategy(strategy: str, learner: str, params: dict | None = None):
    """One imbalance strategy as an estimator: its fit never sees anything but the rows it is given."""
    check_choice(strategy, "strategy", STRATEGIES)
    check_choice(learner, "learner", LEARNERS)
    scale = ("scale", StandardScaler())
    plain = make_classifier(learner, params)
    if strategy == "none":
        return Pipeline([scale, ("model", plain)])
    if strategy == "class weights":
        return Pipeline([scale, ("model", make_classifier(learner, params, class_weight="balanced"))])
    if strategy == "down + upweight":
        return DownsampleUpweight(Pipeline([scale, ("model", plain)]), factor=10, random_state=SEED)
    sampler = {
        "random under": RandomUnderSampler(random_state=SEED),
        "random over": RandomOverSampler(random_state=SEED),
        "SMOTE": SMOTE(random_state=SEED),
    }[strategy]
    return Pipeline([scale, ("resample", sampler), ("model", plain)])


def fit_with_validation(strategy: str, learner: str, X_train, y_train):
    """Fit one strategy on 3/4 of a training fold; choose hyperparameters and threshold on the other 1/4.

    Returns the fitted ``TunedThresholdClassifierCV`` (its ``estimator_`` is
    the model, its ``best_threshold_`` the threshold) and the index of the
    chosen boosting hyperparameters (0 for the other learners, which have no search).
    """
    y_train = np.asarray(y_train)
    validation = StratifiedShuffleSplit(n_splits=1, test_size=VALIDATION_SHARE, random_state=SEED)
    fit_rows, val_rows = next(validation.split(X_train, y_train))
    X_fit, y_fit = X_train.iloc[fit_rows], y_train[fit_rows]
    X_val, y_val = X_train.iloc[val_rows], y_train[val_rows]
    grid = BOOSTING_GRID if learner == "gradient boosting" else [None]
    fitted = [make_strategy(strategy, learner, params).fit(X_fit, y_fit) for params in grid]
    val_ap = [average_precision_score(y_val, model.predict_proba(X_val)[:, 1]) for model in fitted]
    chosen = int(np.argmax(val_ap))
    # cv="prefit": the model stays as fitted; the tuner scores the thresholds on the validation quarter only.
    tuner = TunedThresholdClassifierCV(
        fitted[chosen],
        scoring=make_scorer(cost_per_1000, greater_is_better=False),
        thresholds=THRESHOLDS,
        cv="prefit",
        refit=False,
    ).fit(X_val, y_val)
    return tuner, chosen


def score_test_fold(y_test, proba, threshold: float) -> dict:
    """Ranking, calibration and decision scores of one model on one test fold."""
    return {
        "roc_auc": roc_auc_score(y_test, proba),
        "average_precision": average_precision_score(y_test, proba),
        "brier": brier_score_loss(y_test, proba),
        "log_loss": log_loss(y_test, proba, labels=[0, 1]),
        "mean_proba": float(np.mean(proba)),
        "cost_tuned": cost_per_1000(y_test, proba >= threshold),
        "cost_face_value": cost_per_1000(y_test, proba >= T_STAR),
    }


def reliability_counts(y_test, proba) -> pd.DataFrame:
    """Per log-spaced bin: number of payments, sum of predicted probabilities, number of frauds."""
    bins = np.clip(np.searchsorted(RELIABILITY_EDGES, proba, side="right") - 1, 0, len(RELIABILITY_EDGES) - 2)
    return pd.DataFrame(
        {
            "bin_low": RELIABILITY_EDGES[:-1],
            "bin_high": RELIABILITY_EDGES[1:],
            "n": np.bincount(bins, minlength=len(RELIABILITY_EDGES) - 1),
            "sum_proba": np.bincount(bins, weights=proba, minlength=len(RELIABILITY_EDGES) - 1),
            "n_fraud": np.bincount(bins, weights=np.asarray(y_test, dtype=float), minlength=len(RELIABILITY_EDGES) - 1),
        }
    )


def outer_splits(y) -> list:
    """The experiment's 25 train/test splits (stratified 5-fold, repeated 5 times); the first 5 are one 5-fold run."""
    cv = RepeatedStratifiedKFold(n_splits=N_SPLITS, n_repeats=N_REPEATS, random_state=SEED)
    return list(cv.split(np.zeros(len(y)), y))


def run_split(split: int, X, y, *, learners=LEARNERS, strategies=STRATEGIES):
    """Every (learner, strategy) of one outer split: a list of result rows and the reliability counts."""
    split = check_int(split, "split", min_value=0, max_value=N_SPLITS * N_REPEATS - 1)
    y = np.asarray(y)
    train, test = outer_splits(y)[split]
    X_train, X_test, y_train, y_test = X.iloc[train], X.iloc[test], y[train], y[test]
    rows, reliability = [], []
    for learner in learners:
        for strategy in strategies:
            tuner, chosen = fit_with_validation(strategy, learner, X_train, y_train)
            proba = tuner.estimator_.predict_proba(X_test)[:, 1]
            key = {"split": split, "repeat": split // N_SPLITS, "learner": learner, "strategy": strategy}
            rows.append(
                {
                    **key,
                    "boosting_params": chosen,
                    "threshold": float(tuner.best_threshold_),
                    "n_test": len(y_test),
                    "n_fraud_test": int(y_test.sum()),
                    **score_test_fold(y_test, proba, tuner.best_threshold_),
                }
            )
            reliability.append(reliability_counts(y_test, proba).assign(**key))
    return rows, pd.concat(reliability, ignore_index=True)


def load_results(data_dir: Path | str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The committed per-fold results and reliability counts, checked against ``SHA256SUMS``."""
    from helpers.data import DataFileError, _expected_checksums, _sha256

    data_dir = DATA_DIR if data_dir is None else Path(data_dir)
    sums = _expected_checksums(data_dir)
    frames = []
    for name in (RESULTS_FILE, RELIABILITY_FILE):
        path = data_dir / name
        if not path.exists() or sums.get(name) != _sha256(path):
            raise DataFileError(
                f"{name} is missing or damaged; rerun the experiment with `python -m helpers.experiment`"
            )
        frames.append(pd.read_csv(path))
    return frames[0], frames[1]


def _run_split_single_threaded(split: int):
    from threadpoolctl import threadpool_limits

    X, y = load_transactions(return_X_y=True)
    with threadpool_limits(limits=1):  # one thread per process: the same numbers on any machine
        return run_split(split, X, y)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run lesson 09's experiment and write its results to data/.")
    parser.add_argument("--splits", type=int, default=N_SPLITS * N_REPEATS, help="run only the first N splits")
    parser.add_argument("--jobs", type=int, default=1, help="processes running splits side by side (same results)")
    parser.add_argument("--data-dir", default=str(DATA_DIR))
    args = parser.parse_args(argv)
    from concurrent.futures import ProcessPoolExecutor

    started = time.perf_counter()
    outputs = {}
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(_run_split_single_threaded, split): split for split in range(args.splits)}
        for future in futures:  # in split order, so the files do not depend on which process finished first
            outputs[futures[future]] = future.result()
            print(
                f"split {futures[future] + 1}/{args.splits} done after {time.perf_counter() - started:.0f} s",
                file=sys.stderr,
                flush=True,
            )
    rows = [row for split in sorted(outputs) for row in outputs[split][0]]
    reliability = pd.concat([outputs[split][1] for split in sorted(outputs)], ignore_index=True)
    out = Path(args.data_dir)
    pd.DataFrame(rows).to_csv(out / RESULTS_FILE, index=False, float_format="%.10g", lineterminator="\n")
    reliability.to_csv(out / RELIABILITY_FILE, index=False, float_format="%.10g", lineterminator="\n")
    print(f"wrote {out / RESULTS_FILE} and {out / RELIABILITY_FILE}; update SHA256SUMS", file=sys.stderr)


if __name__ == "__main__":
    main()
