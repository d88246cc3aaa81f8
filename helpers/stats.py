"""Intervals for the comparisons the lessons make on one test set.

Thin functions in scikit-learn's style; scipy and scikit-learn do the work where
they already can.

* :func:`wilson_interval`: the Wilson score interval of one proportion
  (``scipy.stats.binomtest(k, n).proportion_ci(method="wilson")``);
* :func:`newcombe_difference`: Newcombe's hybrid score interval for the
  difference of two independent proportions (it behaves at 0/n and n/n, where a
  percentile bootstrap of a proportion collapses to a point);
* :func:`bootstrap_interval`: one model's metric (AP, ROC-AUC, log loss, a per-row mean) with a bootstrap percentile
  interval, on the same resamples as :func:`paired_bootstrap`;
* :func:`paired_bootstrap`: metric(a) - metric(b) for two models scored on the
  same rows, with a paired bootstrap percentile interval; rows, or whole
  groups of rows (customers), are resampled;
* :func:`delong_roc_auc_difference`: ROC-AUC(a) - ROC-AUC(b) on the same rows,
  with DeLong's normal interval.

Every function returns a :class:`Difference`, an :class:`Interval` (``bootstrap_interval``) or a ``(low, high)`` pair.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from scipy.sparse import coo_matrix
from scipy.stats import binomtest, norm

from helpers._validation import check_binary_labels, check_choice, check_float, check_int, check_scores

__all__ = [
    "Difference",
    "Interval",
    "bootstrap_interval",
    "delong_roc_auc_difference",
    "newcombe_difference",
    "paired_bootstrap",
    "wilson_interval",
]

METRICS = ("average_precision", "roc_auc", "log_loss", "mean", "precision")
_CHUNK = 32  # resamples drawn and scored at a time: bounds the memory to 32 x n_rows weights


@dataclass(frozen=True)
class Difference:
    """A difference between two models (or two proportions) and its confidence interval.

    Attributes
    ----------
    difference : float
        The statistic of a minus that of b, on the data as given.
    low, high : float
        The ends of the confidence interval of the difference.
    confidence_level : float
    method : str
        How the interval was computed.
    resampled : ndarray or None
        The bootstrap's resampled differences (``paired_bootstrap`` only).
    standard_error : float or None
        The standard error of the difference (``delong_roc_auc_difference`` only).
    """

    difference: float
    low: float
    high: float
    confidence_level: float
    method: str
    resampled: np.ndarray | None = field(default=None, repr=False)
    standard_error: float | None = None


@dataclass(frozen=True)
class Interval:
    """One model's statistic and its confidence interval (:func:`bootstrap_interval`).

    Attributes
    ----------
    estimate : float
        The statistic on the data as given.
    low, high : float
        The ends of the confidence interval.
    confidence_level : float
    method : str
        How the interval was computed.
    resampled : ndarray or None
        The bootstrap's resampled statistics.
    """

    estimate: float
    low: float
    high: float
    confidence_level: float
    method: str
    resampled: np.ndarray | None = field(default=None, repr=False)


def wilson_interval(k, n, confidence_level=0.95):
    """Wilson score interval of the proportion k / n.

    Parameters
    ----------
    k : int
        Number of successes, ``0 <= k <= n``.
    n : int
        Number of trials, ``n >= 1``.
    confidence_level : float, default=0.95

    Returns
    -------
    (low, high) : tuple of float
    """
    n = check_int(n, "n", min_value=1)
    k = check_int(k, "k", min_value=0, max_value=n)
    interval = binomtest(k, n).proportion_ci(confidence_level=_check_level(confidence_level), method="wilson")
    return float(interval.low), float(interval.high)


def newcombe_difference(k_a, n_a, k_b, n_b, confidence_level=0.95):
    """k_a / n_a - k_b / n_b with Newcombe's hybrid score interval (his method 10, from two Wilson intervals).

    For two *independent* proportions. Applied to two overlapping samples (two models' top-k lists that share
    rows, both positively correlated), it is conservative: it ignores the correlation that narrows the difference.

    Returns
    -------
    Difference
    """
    n_a, n_b = check_int(n_a, "n_a", min_value=1), check_int(n_b, "n_b", min_value=1)
    k_a, k_b = check_int(k_a, "k_a", min_value=0, max_value=n_a), check_int(k_b, "k_b", min_value=0, max_value=n_b)
    (low_a, high_a), (low_b, high_b) = (
        wilson_interval(k_a, n_a, confidence_level),
        wilson_interval(k_b, n_b, confidence_level),
    )
    p_a, p_b = k_a / n_a, k_b / n_b
    low = p_a - p_b - np.hypot(p_a - low_a, high_b - p_b)
    high = p_a - p_b + np.hypot(high_a - p_a, p_b - low_b)
    return Difference(p_a - p_b, float(low), float(high), float(confidence_level), "Newcombe hybrid score")


def bootstrap_interval(
    y_true,
    scores,
    *,
    metric="average_precision",
    n_resamples=1000,
    confidence_level=0.95,
    groups=None,
    random_state=None,
):
    """metric(scores) on the rows given, with a bootstrap percentile interval.

    The one-model counterpart of :func:`paired_bootstrap`, with the same arguments and the same resamples: given
    the same seed and rows, ``bootstrap_interval(y, a).resampled - bootstrap_interval(y, b).resampled`` is
    ``paired_bootstrap(y, a, b).resampled``.

    Parameters
    ----------
    y_true : array-like of shape (n_rows,)
        0/1 labels (1 = the rare class). May be None when ``metric="mean"``.
    scores : array-like of shape (n_rows,) or (n_candidates, n_rows)
        The model's scores, or those of several models, each scored on the same resamples.
    metric, n_resamples, confidence_level, groups, random_state
        As in :func:`paired_bootstrap`.

    Returns
    -------
    Interval, or a list of them (one per model)
        With ``resampled``: the metric on each of the n_resamples resamples.
    """
    y_true, candidates, several, n_rows = _check_bootstrap_inputs(y_true, scores, "scores", metric)
    n_resamples, level = check_int(n_resamples, "n_resamples", min_value=10), _check_level(confidence_level)
    point, resampled = _bootstrap(y_true, candidates, None, metric, n_resamples, groups, n_rows, random_state)
    method = "bootstrap, percentile" + ("" if groups is None else ", whole groups")
    results = [
        Interval(float(v), *_percentile_ends(r, level), level, method, resampled=r)
        for v, r in zip(point, resampled, strict=True)
    ]
    return results if several else results[0]


def paired_bootstrap(
    y_true,
    scores_a,
    scores_b,
    *,
    metric="average_precision",
    n_resamples=1000,
    confidence_level=0.95,
    groups=None,
    random_state=None,
):
    """metric(a) - metric(b) on the same rows, with a paired bootstrap percentile interval.

    Each resample draws n rows (or, with ``groups``, n groups) with replacement and counts how often each one is
    drawn; both models are scored on the same counts, so the interval is that of the paired difference.

    Parameters
    ----------
    y_true : array-like of shape (n_rows,)
        0/1 labels (1 = the rare class). May be None when ``metric="mean"``.
    scores_a : array-like of shape (n_rows,) or (n_candidates, n_rows)
        The scores of model a, or of several candidates, each compared with b on the same resamples.
    scores_b : array-like of shape (n_rows,)
        The scores of model b (probabilities for ``"log_loss"``; per-row values for ``"mean"``; 0/1 decisions for
        ``"precision"``).
    metric : {"average_precision", "roc_auc", "log_loss", "mean", "precision"}, default="average_precision"
        ``"average_precision"`` equals scikit-learn's ``average_precision_score`` with the counts as
        ``sample_weight`` (ties share one threshold), and ``"roc_auc"`` its ``roc_auc_score`` (a tie between a
        positive and a negative counts one half); ``"log_loss"`` is the mean per-row log loss;
        ``"mean"`` averages per-row values given as scores (a loss or a cost per row, or 0/1 indicators such as
        "this fraud is caught"); ``"precision"`` is the share of positives among the rows a model flags (scores
        are its 0/1 decisions; a resample in which it flags nothing has no precision and is left out).
    n_resamples : int, default=1000
    confidence_level : float, default=0.95
    groups : array-like of shape (n_rows,), default=None
        Group labels (e.g. customer ids): the rows of a group are drawn together.
    random_state : int or numpy.random.Generator, default=None
        Seed of the resamples (None: fresh randomness, as in scikit-learn). Comparisons given the same seed and
        rows are scored on the same resamples.

    Returns
    -------
    Difference, or a list of them (one per candidate)
        With ``resampled``: the n_resamples resampled differences.
    """
    y_true, candidates, several, n_rows = _check_bootstrap_inputs(y_true, scores_a, "scores_a", metric, scores_b)
    b = _check_metric_scores(scores_b, "scores_b", n_rows, metric)
    n_resamples, level = check_int(n_resamples, "n_resamples", min_value=10), _check_level(confidence_level)
    point, resampled = _bootstrap(y_true, candidates, b, metric, n_resamples, groups, n_rows, random_state)
    method = "paired bootstrap, percentile" + ("" if groups is None else ", whole groups")
    results = [
        Difference(float(d), *_percentile_ends(r, level), level, method, resampled=r)
        for d, r in zip(point, resampled, strict=True)
    ]
    return results if several else results[0]


def delong_roc_auc_difference(y_true, scores_a, scores_b, confidence_level=0.95):
    """ROC-AUC(a) - ROC-AUC(b) on the same rows, with DeLong's normal interval (ties count one half).

    DeLong, DeLong & Clarke-Pearson (1988): the variance comes from each positive's share of negatives scored
    below it and each negative's share of positives scored above it, in both models.

    Returns
    -------
    Difference
        With ``standard_error``.
    """
    y_true = check_binary_labels(y_true, "y_true")
    if y_true.min() == y_true.max():
        raise ValueError("y_true must hold both classes")
    a = check_scores(scores_a, "scores_a", length=len(y_true))
    b = check_scores(scores_b, "scores_b", length=len(y_true))
    level = _check_level(confidence_level)
    (pos_a, neg_a), (pos_b, neg_b) = _delong_components(y_true, a), _delong_components(y_true, b)
    difference = pos_a.mean() - pos_b.mean()
    variance = np.var(pos_a - pos_b, ddof=1) / len(pos_a) + np.var(neg_a - neg_b, ddof=1) / len(neg_a)
    half_width = norm.ppf(0.5 + level / 2) * np.sqrt(variance)
    return Difference(
        float(difference),
        float(difference - half_width),
        float(difference + half_width),
        level,
        "DeLong",
        standard_error=float(np.sqrt(variance)),
    )


def _check_bootstrap_inputs(y_true, scores, name, metric, scores_b=None):
    # The labels, the candidates' scores (a list), whether several were given, and the number of rows.
    metric = check_choice(metric, "metric", METRICS)
    several = np.ndim(scores) == 2  # several candidates, each scored on the same resamples
    if y_true is None:
        if metric != "mean":
            raise ValueError(f"y_true is needed for metric={metric!r}")
        reference = scores_b if scores_b is not None else (scores[0] if several else scores)
        n_rows = np.shape(reference)[0] if np.ndim(reference) == 1 else -1  # else check_scores says what is wrong
    else:
        y_true = check_binary_labels(y_true, "y_true")
        n_rows = len(y_true)
        if metric in ("average_precision", "roc_auc", "log_loss") and y_true.min() == y_true.max():
            raise ValueError(f"y_true must hold both classes for metric={metric!r}")
    candidates = [_check_metric_scores(a, name, n_rows, metric) for a in (scores if several else [scores])]
    return y_true, candidates, several, n_rows


def _check_metric_scores(scores, name, n_rows, metric):
    scores = check_scores(scores, name, length=n_rows, probabilities=metric == "log_loss")
    if metric == "precision" and not np.isin(scores, (0, 1)).all():
        raise ValueError(f"{name} must be 0/1 decisions (1 = flagged) for metric='precision'")
    return scores


def _bootstrap(y_true, candidates, reference, metric, n_resamples, groups, n_rows, random_state):
    # Each candidate's metric, minus the reference's if there is one, on the rows given (point: candidates) and on
    # every resample (resampled: candidates x n_resamples). Every candidate is scored on the same counts.
    group_of = None if groups is None else _group_index(groups, n_rows)
    n_units = n_rows if group_of is None else int(group_of.max()) + 1

    if metric in ("average_precision", "roc_auc"):  # ranking metrics: sparse matrices over the ranking, built once
        build, evaluate = (_ap_matrices, _ap) if metric == "average_precision" else (_auc_matrices, _auc)
        ranked = [build(y_true, a, group_of, n_units) for a in candidates]
        matrices_b = None if reference is None else build(y_true, reference, group_of, n_units)

        def score(counts):  # counts: units x resamples; returns candidates x resamples
            metric_b = 0 if matrices_b is None else evaluate(counts, *matrices_b)
            return np.array([evaluate(counts, *matrices) - metric_b for matrices in ranked])

    elif metric == "precision":  # per unit: the positives flagged and the rows flagged

        def per_unit(values):
            return values if group_of is None else np.bincount(group_of, values, minlength=n_units)

        flagged = [(per_unit(y_true * a), per_unit(a)) for a in candidates]
        flagged_b = None if reference is None else (per_unit(y_true * reference), per_unit(reference))

        def precision(counts, caught, alerts):
            caught, alerts = caught @ counts, alerts @ counts
            return np.divide(caught, alerts, out=np.full(caught.shape, np.nan), where=alerts > 0)

        def score(counts):
            precision_b = 0 if flagged_b is None else precision(counts, *flagged_b)
            return np.array([precision(counts, *pair) - precision_b for pair in flagged])

    else:
        per_row = (lambda v: v) if metric == "mean" else (lambda p: _row_log_loss(y_true, p))
        offset = 0 if reference is None else per_row(reference)
        differences, sizes = np.column_stack([per_row(a) - offset for a in candidates]), np.ones(n_rows)
        if group_of is not None:  # per group: the sums of the differences, and the number of rows
            differences = np.stack([np.bincount(group_of, column) for column in differences.T], axis=1)
            sizes = np.bincount(group_of).astype(float)

        def score(counts):
            return differences.T @ counts / (sizes @ counts)

    if isinstance(random_state, np.random.Generator) or random_state is None:
        counts = _draw_counts(random_state, n_resamples, n_units)
    else:  # a seed: the same resamples as every other call with this seed and these sizes
        counts = _seeded_counts(check_int(random_state, "random_state", min_value=0), n_resamples, n_units)
    point = score(np.ones((n_units, 1)))[:, 0]
    with np.errstate(invalid="ignore", divide="ignore"):  # a resample without a positive (or an alert): NaN
        resampled = np.concatenate(
            [score(np.ascontiguousarray(counts[i : i + _CHUNK].T, dtype=float)) for i in range(0, n_resamples, _CHUNK)],
            axis=1,
        )
    return point, resampled


def _percentile_ends(resampled, level):
    tail = (1 - level) / 2 * 100
    return tuple(map(float, np.nanpercentile(resampled, [tail, 100 - tail])))


def _draw_counts(random_state, n_resamples, n_units):
    # How often each unit (row or group) is drawn when n_units are drawn with replacement: one resample per row.
    rng = np.random.default_rng(random_state)
    counts = np.empty((n_resamples, n_units), dtype=np.uint8)  # a count above 255: chance about 1e-500
    for start in range(0, n_resamples, _CHUNK):
        size = min(_CHUNK, n_resamples - start)
        drawn = rng.integers(0, n_units, size=(size, n_units)) + n_units * np.arange(size)[:, None]
        counts[start : start + size] = np.bincount(drawn.ravel(), minlength=size * n_units).reshape(size, n_units)
    return counts


@lru_cache(maxsize=2)
def _seeded_counts(seed, n_resamples, n_units):
    # The same seed, the same resamples: comparisons scored alike reuse them instead of drawing them again.
    counts = _draw_counts(seed, n_resamples, n_units)
    counts.flags.writeable = False
    return counts


def _delong_components(y_true, scores):
    # Per positive: share of negatives below it; per negative: share of positives above it (ties one half).
    pos, neg = scores[y_true == 1], scores[y_true == 0]
    neg_sorted, pos_sorted = np.sort(neg), np.sort(pos)
    below = (np.searchsorted(neg_sorted, pos, "left") + np.searchsorted(neg_sorted, pos, "right")) / 2 / len(neg)
    at_or_below = (np.searchsorted(pos_sorted, neg, "left") + np.searchsorted(pos_sorted, neg, "right")) / 2
    return below, 1 - at_or_below / len(pos)


def _ap_matrices(y_true, scores, group_of, n_units):
    # Two sparse (steps x units) matrices: which rows count as seen, and as caught, at each recall step of the
    # ranking (a step is a run of equal scores that holds a positive; ties share one threshold, as in sklearn).
    order = np.argsort(-scores, kind="stable")
    ranked, labels = scores[order], y_true[order]
    run_end = np.flatnonzero(np.r_[ranked[1:] != ranked[:-1], True])  # last row of each run of equal scores
    run_of = np.repeat(np.arange(len(run_end)), np.diff(np.r_[-1, run_end]))
    step_end = run_end[np.unique(run_of[labels == 1])]
    kept = np.arange(step_end[-1] + 1)  # rows ranked below the last positive add no step
    step_of = np.searchsorted(step_end, kept)
    units = order[kept] if group_of is None else group_of[order[kept]]
    shape = (len(step_end), n_units)
    seen = coo_matrix((np.ones(len(kept)), (step_of, units)), shape=shape).tocsr()
    positive = labels[kept] == 1
    caught = coo_matrix((np.ones(positive.sum()), (step_of[positive], units[positive])), shape=shape)
    return seen, caught.tocsr()


def _ap(counts, seen, caught):
    seen, caught = np.cumsum(seen @ counts, axis=0), np.cumsum(caught @ counts, axis=0)  # at or above each step
    step = np.diff(caught, axis=0, prepend=0)
    precision = np.divide(caught, seen, out=np.zeros_like(caught), where=seen > 0)
    with np.errstate(invalid="ignore", divide="ignore"):  # a resample without a positive has no AP: NaN
        return (step * precision).sum(axis=0) / caught[-1]


def _auc_matrices(y_true, scores, group_of, n_units):
    # Over the runs of equal scores that hold a positive, lowest first, three sparse (runs x units) matrices: the
    # positives of each run, its tied negatives, and the negatives ranked below it but not below the run before it
    # (tied ones included); and the negatives of each unit. Negatives above the top positive run are below none.
    order = np.argsort(scores, kind="stable")
    ranked, labels = scores[order], y_true[order]
    run_end = np.flatnonzero(np.r_[ranked[1:] != ranked[:-1], True])  # last row of each run of equal scores
    run_of = np.repeat(np.arange(len(run_end)), np.diff(np.r_[-1, run_end]))
    positive_runs = np.unique(run_of[labels == 1])
    step = np.searchsorted(positive_runs, run_of)  # the lowest positive run at or above each row
    tied = positive_runs[np.minimum(step, len(positive_runs) - 1)] == run_of
    units = order if group_of is None else group_of[order]
    negative = labels == 0

    def matrix(rows):
        rows = rows & (step < len(positive_runs))
        shape = (len(positive_runs), n_units)
        return coo_matrix((np.ones(rows.sum()), (step[rows], units[rows])), shape=shape).tocsr()

    negatives = np.bincount(units[negative], minlength=n_units).astype(float)
    return matrix(~negative), matrix(negative & tied), matrix(negative), negatives


def _auc(counts, positives, tied, negatives_up_to, negatives):
    # Each positive scores the negatives ranked below it, and half of those tied with it.
    positives, tied = positives @ counts, tied @ counts
    at_or_below = np.cumsum(negatives_up_to @ counts, axis=0)  # negatives at or below each positive run
    with np.errstate(invalid="ignore", divide="ignore"):  # a resample without a positive or a negative: NaN
        return (positives * (at_or_below - tied / 2)).sum(axis=0) / (positives.sum(axis=0) * (negatives @ counts))


def _row_log_loss(y_true, p):
    p = np.clip(p, np.finfo(float).eps, 1 - np.finfo(float).eps)  # as sklearn's log_loss clips
    return -(y_true * np.log(p) + (1 - y_true) * np.log1p(-p))


def _check_level(confidence_level):
    return check_float(
        confidence_level, "confidence_level", min_value=0, max_value=1, min_inclusive=False, max_inclusive=False
    )


def _group_index(groups, n_rows):
    groups = np.asarray(groups)
    if groups.ndim != 1 or len(groups) != n_rows:
        raise ValueError(f"groups must be 1-dimensional with one label per row ({n_rows}), got shape {groups.shape}")
    return np.unique(groups, return_inverse=True)[1].ravel()
