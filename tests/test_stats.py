"""helpers.stats: each interval against an independent computation (scikit-learn, scipy, a published or hand-worked
example, a bootstrap), group resampling keeps groups whole, and argument errors name the argument."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm
from sklearn.metrics import average_precision_score, log_loss, precision_score, roc_auc_score

from helpers import stats
from helpers.stats import _ap, _ap_matrices, _auc, _auc_matrices, _draw_counts


def tied_data(n=400, prevalence=0.08, seed=0):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < prevalence).astype(int)
    a = np.round(rng.random(n) + 0.4 * y, 1)  # rounded: many ties, some between a fraud and a genuine row
    b = np.round(rng.random(n) + 0.2 * y, 2)
    return y, a, b


def test_weighted_ap_equals_sklearn_with_sample_weight_on_ties():
    y, a, _ = tied_data()
    assert len(np.unique(a)) < 20  # the test is about ties
    counts = _draw_counts(1, 40, len(y)).astype(float)
    counts[0] = 0
    counts[0, [np.flatnonzero(y == 1)[0], np.flatnonzero(y == 0)[0]]] = 1  # a resample of two rows
    expected = [average_precision_score(y, a, sample_weight=weights) for weights in counts]
    assert np.allclose(_ap(counts.T, *_ap_matrices(y, a, None, len(y))), expected, atol=1e-12)


def test_weighted_roc_auc_equals_sklearn_with_sample_weight_on_ties():
    y, a, _ = tied_data()
    a[np.flatnonzero(y == 0)[:3]] = a.max() + 0.1  # negatives above every positive rank below none of them
    assert len(np.unique(a)) < 20 and len(np.intersect1d(a[y == 1], a[y == 0])) > 3  # ties across the classes
    counts = _draw_counts(2, 40, len(y)).astype(float)
    counts[0] = 0
    counts[0, [np.flatnonzero(y == 1)[0], np.flatnonzero(y == 0)[0]]] = 1  # a resample of two rows
    expected = [roc_auc_score(y, a, sample_weight=weights) for weights in counts]
    assert np.allclose(_auc(counts.T, *_auc_matrices(y, a, None, len(y))), expected, atol=1e-12)
    groups = np.arange(len(y)) // 4  # groups of four rows: a group's count weighs each of its rows
    group_counts = _draw_counts(3, 20, len(y) // 4).astype(float)
    expected = [roc_auc_score(y, a, sample_weight=weights[groups]) for weights in group_counts]
    assert np.allclose(_auc(group_counts.T, *_auc_matrices(y, a, groups, len(y) // 4)), expected, atol=1e-12)


def test_counts_draw_n_units_with_replacement():
    counts = _draw_counts(0, 50, 1_000)
    assert counts.shape == (50, 1_000) and np.all(counts.sum(axis=1) == 1_000)
    assert abs((counts == 0).mean() - np.exp(-1)) < 0.01  # about 37 % of the rows are left out of a resample


@pytest.mark.parametrize(
    ("metric", "score"),
    [("average_precision", average_precision_score), ("roc_auc", roc_auc_score), ("log_loss", log_loss)],
)
def test_paired_bootstrap_point_is_the_metric_difference(metric, score):
    y, a, b = tied_data()
    a, b = a / 1.5, b / 1.5  # probabilities, for the log loss
    result = stats.paired_bootstrap(y, a, b, metric=metric, n_resamples=200, random_state=0)
    assert np.isclose(result.difference, score(y, a) - score(y, b), atol=1e-12)
    assert result.low < result.difference < result.high and result.resampled.shape == (200,)
    assert np.allclose(np.percentile(result.resampled, [2.5, 97.5]), [result.low, result.high])


def test_paired_bootstrap_is_paired_and_seeded():
    y, a, _ = tied_data()
    same = stats.paired_bootstrap(y, a, a.copy(), n_resamples=50, random_state=3)
    assert same.difference == 0 and np.all(same.resampled == 0)  # one model against itself: no spread at all
    first = stats.paired_bootstrap(y, a, a[::-1].copy(), n_resamples=50, random_state=3)
    again = stats.paired_bootstrap(y, a, a[::-1].copy(), n_resamples=50, random_state=3)
    assert np.array_equal(first.resampled, again.resampled)


def test_mean_metric_matches_the_normal_interval():
    rng = np.random.default_rng(0)
    values_a, values_b = rng.exponential(1.0, 5_000), rng.exponential(1.0, 5_000)
    result = stats.paired_bootstrap(None, values_a, values_b, metric="mean", n_resamples=2_000, random_state=0)
    difference = values_a - values_b
    half_width = norm.ppf(0.975) * difference.std(ddof=1) / np.sqrt(len(difference))
    assert np.isclose(result.difference, difference.mean())
    assert abs((result.high - result.low) / (2 * half_width) - 1) < 0.08


def test_groups_are_resampled_whole():
    # Every group is 10 copies of one row: drawing the groups of the copies is drawing the rows of the originals.
    y, a, b = tied_data(n=300)
    groups = np.repeat(np.arange(len(y)), 10)
    by_row = stats.paired_bootstrap(y, a, b, n_resamples=64, random_state=5)
    by_group = stats.paired_bootstrap(
        y[groups],
        a[groups],
        b[groups],
        n_resamples=64,
        random_state=5,
        groups=np.array([f"customer {g:04d}" for g in groups]),
    )
    assert np.isclose(by_group.difference, by_row.difference)
    assert np.allclose(by_group.resampled, by_row.resampled)
    by_copy = stats.paired_bootstrap(y[groups], a[groups], b[groups], n_resamples=64, random_state=5)
    assert (by_copy.high - by_copy.low) < 0.6 * (by_group.high - by_group.low)  # rows as if independent: too narrow


def test_wilson_against_its_formula_and_the_ends():
    z = norm.ppf(0.975)
    for k, n in [(3, 40), (0, 25), (25, 25), (168, 200)]:
        p = k / n
        centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
        half = z / (1 + z**2 / n) * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
        assert np.allclose(stats.wilson_interval(k, n), (centre - half, centre + half))
    low, high = stats.wilson_interval(200, 200)
    assert 0.98 < low < 1 and high == pytest.approx(1)  # not degenerate at n/n


def test_newcombe_against_the_published_examples():
    # Newcombe (1998), Statistics in Medicine 17, 873-890, Table II, method 10.
    for args, expected in [((56, 70, 48, 80), (0.0524, 0.3339)), ((9, 10, 3, 10), (0.1705, 0.8090))]:
        result = stats.newcombe_difference(*args)
        assert np.round([result.low, result.high], 4).tolist() == list(expected)
    boundary = stats.newcombe_difference(168, 200, 200, 200)
    assert boundary.low < -0.16 < boundary.high < 0


def test_delong_on_a_hand_worked_example():
    # Positives 0.9 and 0.4, negatives 0.5 and 0.1: AUC 0.75; components (1, 0.5) and (0.5, 1), variance 0.125.
    y, a = np.array([1, 1, 0, 0]), np.array([0.9, 0.4, 0.5, 0.1])
    result = stats.delong_roc_auc_difference(y, a, np.zeros(4))  # b ties everything: AUC 0.5, no variance
    assert result.difference == pytest.approx(0.25) and result.standard_error == pytest.approx(np.sqrt(0.125))


def test_delong_against_sklearn_and_a_bootstrap():
    rng = np.random.default_rng(0)
    y = (rng.random(3_000) < 0.1).astype(int)
    shared = rng.normal(size=3_000)
    a, b = shared + 1.0 * y + rng.normal(size=3_000), np.round(shared + 0.8 * y + rng.normal(size=3_000), 1)
    result = stats.delong_roc_auc_difference(y, a, b)
    assert np.isclose(result.difference, roc_auc_score(y, a) - roc_auc_score(y, b))
    counts = _draw_counts(1, 400, len(y))
    boot = [roc_auc_score(y, a, sample_weight=w) - roc_auc_score(y, b, sample_weight=w) for w in counts]
    assert abs(result.standard_error / np.std(boot, ddof=1) - 1) < 0.12


def test_bootstrap_interval_equals_a_loop_over_sklearn_on_ties():
    # The one-model bootstrap against the definition: AP of each resample, as sample_weight=counts, on tied scores.
    y, a, _ = tied_data()
    result = stats.bootstrap_interval(y, a, n_resamples=300, confidence_level=0.9, random_state=4)
    counts = _draw_counts(4, 300, len(y))
    brute = np.array([average_precision_score(y, a, sample_weight=weights) for weights in counts])
    assert result.estimate == pytest.approx(average_precision_score(y, a), abs=1e-12)
    assert np.allclose(result.resampled, brute, atol=1e-12)
    assert np.allclose([result.low, result.high], np.percentile(brute, [5, 95]), atol=1e-12)
    assert result.low < result.estimate < result.high and result.confidence_level == 0.9


def test_bootstrap_interval_shares_the_paired_resamples():
    y, a, b = tied_data()
    pairs = [("average_precision", (a, b)), ("roc_auc", (a, b)), ("log_loss", (a / 1.5, b / 1.5)), ("mean", (a, b))]
    for metric, (x, z) in pairs:
        one, other = (stats.bootstrap_interval(y, v, metric=metric, n_resamples=64, random_state=7) for v in (x, z))
        paired = stats.paired_bootstrap(y, x, z, metric=metric, n_resamples=64, random_state=7)
        assert np.allclose(one.resampled - other.resampled, paired.resampled, atol=1e-12), metric
        assert np.isclose(one.estimate - other.estimate, paired.difference, atol=1e-12), metric
    several = stats.bootstrap_interval(y, np.stack([a, b]), n_resamples=64, random_state=7)  # two models at once
    for scores, result in zip([a, b], several, strict=True):
        alone = stats.bootstrap_interval(y, scores, n_resamples=64, random_state=7)
        assert np.isclose(result.estimate, alone.estimate) and np.allclose(result.resampled, alone.resampled)


def test_bootstrap_interval_groups_are_resampled_whole():
    y, a, _ = tied_data(n=300)
    groups = np.repeat(np.arange(len(y)), 10)
    by_row = stats.bootstrap_interval(y, a, n_resamples=64, random_state=5)
    by_group = stats.bootstrap_interval(y[groups], a[groups], n_resamples=64, random_state=5, groups=groups)
    assert np.allclose(by_group.resampled, by_row.resampled) and "whole groups" in by_group.method


def test_precision_metric_equals_sklearn_with_sample_weight():
    y, a, b = tied_data()
    flagged_a, flagged_b = (a >= 0.9).astype(int), (b >= 0.95).astype(int)
    result = stats.paired_bootstrap(y, flagged_a, flagged_b, metric="precision", n_resamples=100, random_state=1)
    counts = _draw_counts(1, 100, len(y))
    brute = [
        precision_score(y, flagged_a, sample_weight=w) - precision_score(y, flagged_b, sample_weight=w) for w in counts
    ]
    assert np.isclose(result.difference, precision_score(y, flagged_a) - precision_score(y, flagged_b))
    assert np.allclose(result.resampled, brute, atol=1e-12)
    alone = stats.bootstrap_interval(y, flagged_a, metric="precision", n_resamples=100, random_state=1)
    assert np.allclose(alone.resampled, [precision_score(y, flagged_a, sample_weight=w) for w in counts])


@pytest.mark.parametrize(
    ("call", "error", "name"),
    [
        (lambda: stats.wilson_interval(5, 4), ValueError, "k"),
        (lambda: stats.wilson_interval(1, 0), ValueError, "n"),
        (lambda: stats.wilson_interval(1.5, 4), TypeError, "k"),
        (lambda: stats.wilson_interval(1, 4, confidence_level=95), ValueError, "confidence_level"),
        (lambda: stats.newcombe_difference(1, 4, 5, 4), ValueError, "k_b"),
        (lambda: stats.paired_bootstrap([0, 1, 2], [0.1] * 3, [0.2] * 3), ValueError, "y_true"),
        (lambda: stats.paired_bootstrap([0, 1], [0.1, 0.2], [0.2]), ValueError, "scores_b"),
        (lambda: stats.paired_bootstrap([0, 1], [0.1, 0.2], [0.2, 0.3], metric="auc"), ValueError, "metric"),
        (lambda: stats.paired_bootstrap([0, 1], [0.1, 2.0], [0.2, 0.3], metric="log_loss"), ValueError, "scores_a"),
        (lambda: stats.paired_bootstrap([0, 1], [0.1, 0.2], [0.2, 0.3], n_resamples=2.5), TypeError, "n_resamples"),
        (lambda: stats.paired_bootstrap([0, 1], [0.1, 0.2], [0.2, 0.3], groups=[1]), ValueError, "groups"),
        (lambda: stats.paired_bootstrap([0, 1], [0.1, 0.2], [0.2, 0.3], random_state=-1), ValueError, "random_state"),
        (lambda: stats.paired_bootstrap(None, [0.1, 0.2], [0.2, 0.3]), ValueError, "y_true"),
        (lambda: stats.delong_roc_auc_difference([1, 1], [0.1, 0.2], [0.2, 0.3]), ValueError, "y_true"),
        (lambda: stats.bootstrap_interval([0, 1, 2], [0.1] * 3), ValueError, "y_true"),
        (lambda: stats.bootstrap_interval([1, 1], [0.1, 0.2]), ValueError, "y_true"),
        (lambda: stats.bootstrap_interval([0, 0], [0.1, 0.2], metric="roc_auc"), ValueError, "y_true"),
        (lambda: stats.bootstrap_interval(None, [0.1, 0.2]), ValueError, "y_true"),
        (lambda: stats.bootstrap_interval([0, 1], [0.1]), ValueError, "scores"),
        (lambda: stats.bootstrap_interval([0, 1], "ab"), TypeError, "scores"),
        (lambda: stats.bootstrap_interval([0, 1], [0.1, 0.2], metric="auc"), ValueError, "metric"),
        (lambda: stats.bootstrap_interval([0, 1], [0.1, 0.2], metric="precision"), ValueError, "scores"),
        (lambda: stats.bootstrap_interval([0, 1], [0.1, 0.2], n_resamples=5), ValueError, "n_resamples"),
        (lambda: stats.bootstrap_interval([0, 1], [0.1, 0.2], confidence_level=1), ValueError, "confidence_level"),
        (lambda: stats.bootstrap_interval([0, 1], [0.1, 0.2], groups=[1, 2, 3]), ValueError, "groups"),
        (lambda: stats.bootstrap_interval([0, 1], [0.1, 0.2], random_state=1.5), TypeError, "random_state"),
        (lambda: stats.paired_bootstrap([0, 1], [1, 0], [0.5, 1], metric="precision"), ValueError, "scores_b"),
        (lambda: stats.delong_roc_auc_difference([0, 1], "ab", [0.2, 0.3]), TypeError, "scores_a"),
    ],
)
def test_argument_errors_name_the_argument(call, error, name):
    with pytest.raises(error, match=rf"\b{name}\b"):
        call()


@pytest.mark.parametrize("metric", ["average_precision", "roc_auc", "log_loss"])
def test_several_candidates_are_each_compared_on_the_same_resamples(metric):
    y, a, b = tied_data()
    candidates = np.stack([a, np.round(a + 0.1 * b, 2), b[::-1]]) / 1.5
    together = stats.paired_bootstrap(y, candidates, b / 1.5, metric=metric, n_resamples=64, random_state=2)
    for candidate, result in zip(candidates, together, strict=True):
        alone = stats.paired_bootstrap(y, candidate, b / 1.5, metric=metric, n_resamples=64, random_state=2)
        assert np.isclose(result.difference, alone.difference) and np.allclose(result.resampled, alone.resampled)
