"""helpers.plots: the shared figure builders draw what they say, and refuse bad input."""

from __future__ import annotations

import re

import matplotlib.pyplot as plt
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.colors import to_hex
from scipy.stats import binomtest
from sklearn.linear_model import LogisticRegression

from helpers import plots as hp

rng = np.random.default_rng(0)
Y = (rng.random(400) < 0.1).astype(int)
SCORES = np.clip(Y * 0.4 + rng.random(400) * 0.6, 0, 1)
X2 = rng.normal(size=(400, 2)) + Y[:, None] * 1.5


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_palette_is_the_course_palette():
    hp.set_course_style()
    assert hp.MINORITY_COLOR == hp.CLASS_COLORS[1] != hp.CLASS_COLORS[0]
    assert hp.MINORITY_COLOR not in hp.SERIES_COLORS  # the minority colour means "minority" only
    assert hp.CLASS_MARKERS[0] != hp.CLASS_MARKERS[1]  # a second cue besides colour


def test_scatter_classes_uses_colour_and_marker_per_class():
    ax = hp.scatter_classes(X2, Y)
    majority, minority = ax.collections
    assert to_hex(minority.get_facecolor()[0]) == hp.MINORITY_COLOR.lower()
    assert to_hex(majority.get_facecolor()[0]) == hp.MAJORITY_COLOR.lower()
    assert len(minority.get_offsets()) == Y.sum()
    assert f": {Y.sum()}" in minority.get_label()


def test_class_ratio_annotates_counts_and_shares():
    ax = hp.plot_class_ratio(Y)
    texts = [text.get_text() for text in ax.texts]
    assert f"{(Y == 0).sum():,}\n({(Y == 0).mean():.2%})" in texts
    assert f"{Y.sum():,}\n({Y.mean():.2%})" in texts
    assert ax.get_ylabel() and ax.get_xlabel()


def test_class_ratio_multiclass():
    ax = hp.plot_class_ratio(np.array(["a"] * 50 + ["b"] * 3))
    assert [tick.get_text() for tick in ax.get_xticklabels()] == ["a", "b"]


def test_reliability_curve_is_exact_on_known_bins():
    y_true = np.array([0, 0, 1, 1, 0, 1, 1, 1])
    y_prob = np.array([0.1, 0.1, 0.1, 0.1, 0.9, 0.9, 0.9, 0.9])
    mean_predicted, observed, counts = hp.reliability_curve(y_true, y_prob, n_bins=2, strategy="uniform")
    np.testing.assert_allclose(mean_predicted, [0.1, 0.9])
    np.testing.assert_allclose(observed, [0.5, 0.75])
    np.testing.assert_array_equal(counts, [4, 4])


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 1), st.floats(0, 1)), min_size=5, max_size=300),
    st.integers(2, 20),
    st.sampled_from(["uniform", "quantile"]),
)
def test_reliability_curve_properties(pairs, n_bins, strategy):
    y_true = np.array([label for label, _ in pairs])
    y_prob = np.array([prob for _, prob in pairs])
    mean_predicted, observed, counts = hp.reliability_curve(y_true, y_prob, n_bins=n_bins, strategy=strategy)
    assert counts.sum() == len(pairs)
    assert np.all((observed >= 0) & (observed <= 1))
    # the counts-weighted means give back the overall means
    assert np.isclose((observed * counts).sum(), y_true.sum())
    assert np.isclose((mean_predicted * counts).sum(), y_prob.sum())


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: hp.reliability_curve([0, 1], [0.5, 1.5]), ValueError, "y_prob must be probabilities in [0, 1]"),
        (lambda: hp.reliability_curve([0, 1], [0.5, 0.5], n_bins=1), ValueError, "n_bins must be >= 2"),
        (lambda: hp.reliability_curve([0, 1], [0.5, 0.5], strategy="kmeans"), ValueError, "strategy must be one of"),
        (
            lambda: hp.scatter_classes(np.zeros((3, 3)), [0, 1, 0]),
            ValueError,
            "X must be an array of shape (n_samples, 2)",
        ),
        (lambda: hp.scatter_classes(np.zeros((3, 2)), [0, 1]), ValueError, "y must have one label per row of X"),
        (lambda: hp.scatter_classes(np.zeros((2, 2)), [0, 1], alpha=0), ValueError, "alpha must be > 0"),
        (lambda: hp.plot_class_ratio([]), ValueError, "y must be a non-empty 1-d array"),
        (lambda: hp.plot_class_ratio(None), TypeError, "y must be array-like"),
        (lambda: hp.plot_class_ratio([0, 1], title=3), TypeError, "title must be a string"),
    ],
)
def test_bad_input_is_named(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()


# ---------------------------------------------------------------- thin layers over the Displays


def test_shared_extent_holds_every_point_of_every_data_set():
    small, wide = X2[:50], X2 * 3
    x0_min, x0_max, x1_min, x1_max = hp.shared_extent(small, wide, margin=0.0)
    both = np.vstack([small, wide])
    assert (x0_min, x0_max) == (both[:, 0].min(), both[:, 0].max())
    assert (x1_min, x1_max) == (both[:, 1].min(), both[:, 1].max())
    with_margin = hp.shared_extent(small, wide, margin=0.1)
    assert with_margin[0] == pytest.approx(x0_min - 0.1 * (x0_max - x0_min))
    assert with_margin[3] == pytest.approx(x1_max + 0.1 * (x1_max - x1_min))


def test_decision_surface_covers_the_extent_and_draws_the_threshold_line():
    from sklearn.inspection import DecisionBoundaryDisplay

    model = LogisticRegression().fit(X2, Y)
    extent = (-6.0, 7.0, -5.0, 8.0)  # wider than the data: the grid follows the extent, not X
    display = hp.plot_decision_surface(model, extent, grid_resolution=30, threshold=0.3)
    assert isinstance(display, DecisionBoundaryDisplay)
    assert display.xx0.min() == -6.0 and display.xx0.max() == 7.0 and display.xx1.max() == 8.0
    np.testing.assert_allclose(
        display.response, model.predict_proba(np.c_[display.xx0.ravel(), display.xx1.ravel()])[:, 1].reshape(30, 30)
    )
    assert display.ax_.get_xlim() == (-6.0, 7.0)
    # the line sits where the probability crosses 0.3: points on it have that probability
    vertices = display.boundary_.allsegs[0][0]
    np.testing.assert_allclose(model.predict_proba(vertices)[:, 1], 0.3, atol=0.02)
    assert hp.plot_decision_surface(model, extent, grid_resolution=30, threshold=None).boundary_ is None


def test_calibration_puts_each_model_on_one_axes_with_counts_per_bin():
    from sklearn.calibration import CalibrationDisplay, calibration_curve

    calibrated = np.clip(rng.random(400), 0.001, 0.999)
    y = (rng.random(400) < calibrated).astype(int)
    overconfident = np.clip(calibrated * 1.6, 0, 1)
    displays = hp.plot_calibration(y, {"calibrated": calibrated, "over": overconfident}, n_bins=5, strategy="uniform")
    assert list(displays) == ["calibrated", "over"]
    first, second = displays.values()
    assert isinstance(first, CalibrationDisplay) and first.ax_ is second.ax_
    prob_true, prob_pred = calibration_curve(y, calibrated, n_bins=5, strategy="uniform")
    np.testing.assert_allclose(first.prob_true, prob_true)
    np.testing.assert_allclose(first.prob_pred, prob_pred)
    assert first.counts.sum() == 400 and len(first.counts) == len(prob_true)
    written = sorted(
        int(t.get_text().replace(",", "")) for t in first.ax_.texts if t.get_color() == hp.SERIES_COLORS[0]
    )
    assert written == sorted(first.counts.tolist())
    assert first.line_.get_color() != second.line_.get_color()
    plt.close("all")
    chosen = hp.plot_calibration(y, {"calibrated": calibrated, "over": overconfident}, colors=["#000000", "#e69f00"])
    assert [to_hex(d.line_.get_color()) for d in chosen.values()] == ["#000000", "#e69f00"]


def test_log_bins_resolve_small_probabilities():
    y_prob = np.concatenate([np.full(100, 0.001), np.full(100, 0.01), np.full(100, 0.1), np.full(100, 0.9)])
    y = (rng.random(400) < y_prob).astype(int)
    mean_predicted, _, counts = hp.reliability_curve(y, y_prob, n_bins=8, strategy="log")
    np.testing.assert_allclose(mean_predicted, [0.001, 0.01, 0.1, 0.9])  # four bins, not one bin below 0.1
    assert counts.tolist() == [100, 100, 100, 100]
    displays = hp.plot_calibration(y, {"model": y_prob}, n_bins=8, strategy="log")
    assert displays["model"].ax_.get_xscale() == displays["model"].ax_.get_yscale() == "log"


def test_calibration_intervals_are_wilson_per_bin_and_drawn():
    from matplotlib.collections import LineCollection

    y_prob = np.repeat([0.002, 0.02, 0.2], [2000, 500, 100])
    y = (rng.random(y_prob.size) < y_prob).astype(int)
    fig, ax = plt.subplots()
    (display,) = hp.plot_calibration(y, {"m": y_prob}, ax=ax, n_bins=6, strategy="log", intervals=True).values()
    assert display.intervals.shape == (3, 2)
    for (low, high), count, observed, (start, stop) in zip(
        display.intervals, display.counts, display.prob_true, [(0, 2000), (2000, 2500), (2500, 2600)], strict=True
    ):
        k = int(y[start:stop].sum())
        assert count == stop - start and observed == k / count
        assert (low, high) == pytest.approx(binomtest(k, count).proportion_ci(method="wilson"))
        assert low < observed < high or k == 0
    bars = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(bars) == 1 and len(bars[0].get_segments()) == 3, "one vertical bar per bin"
    segments = np.array(bars[0].get_segments())
    np.testing.assert_allclose(segments[:, :, 1], display.intervals)
    without = hp.plot_calibration(y, {"m": y_prob}, n_bins=6, strategy="log")["m"]
    assert not hasattr(without, "intervals") and not any(isinstance(c, LineCollection) for c in without.ax_.collections)
    plt.close("all")


def test_log_bins_without_positives_sit_on_a_zero_row_and_counts_go_below():
    y_prob = np.repeat([0.0005, 0.005, 0.05, 0.5], [400, 400, 200, 100])
    y = np.zeros(y_prob.size, dtype=int)
    y[[800, 801, 802, 900, 1000, 1001, 1010, 1020, 1030, 1040]] = 1  # none in the two lowest bins
    fig, (ax, below) = plt.subplots(2, 1, sharex=True)
    (display,) = hp.plot_calibration(
        y, {"m": y_prob}, ax=ax, counts_ax=below, n_bins=8, strategy="log", intervals=True
    ).values()
    assert display.prob_true.tolist()[:2] == [0.0, 0.0] and len(display.counts) == 4  # the display keeps every bin
    x_line, y_line = display.line_.get_data()
    np.testing.assert_allclose(x_line, display.prob_pred[2:])  # the curve joins the bins with positives only
    labels = {t.get_text(): t.get_position()[1] for t in ax.get_yticklabels()}
    zero_row = labels["0"]
    assert zero_row < ax.get_ylim()[1] and zero_row > ax.get_ylim()[0]
    open_markers = [
        c for c in ax.collections if c.get_offsets().shape[0] == 2 and np.allclose(c.get_offsets()[:, 1], zero_row)
    ]
    assert len(open_markers) == 1, "both empty bins drawn on the 0 row"
    dotted = [s for c in ax.collections for s in getattr(c, "get_segments", list)() if np.isclose(s[0][1], zero_row)]
    np.testing.assert_allclose([s[1][1] for s in dotted], display.intervals[:2, 1])  # up to the Wilson upper limit
    assert not ax.texts, "counts are on the panel below, not written next to the points"
    np.testing.assert_allclose(below.lines[0].get_ydata(), display.counts)
    assert below.get_yscale() == "log"
    plt.close(fig)


def test_confusion_matrix_from_counts():
    from sklearn.metrics import ConfusionMatrixDisplay

    display = hp.confusion_matrix_from_counts(9_500, 300, 40, 160)
    assert isinstance(display, ConfusionMatrixDisplay)
    np.testing.assert_array_equal(display.confusion_matrix, [[9_500, 300], [40, 160]])
    assert [[t.get_text() for t in row] for row in display.text_] == [["TN\n9,500", "FP\n300"], ["FN\n40", "TP\n160"]]
    assert [t.get_text() for t in display.ax_.get_xticklabels()] == ["negative (0)", "positive (1)"]
    plain = hp.confusion_matrix_from_counts(1, 2, 3, 4, cell_names=False)
    assert plain.text_[1, 0].get_text() == "3"


def test_intervals_are_drawn_where_the_numbers_say():
    ax = hp.plot_intervals(
        [0.2, 0.5], [0.1, 0.45], [0.3, 0.6], labels=["none", "SMOTE"], reference=0.25, xlabel="recall"
    )
    (_caps_low, _caps_high), (bars,) = ax.containers[0][1], ax.containers[0][2]
    points = ax.containers[0][0].get_xydata()
    assert points.tolist() == [[0.2, 1.0], [0.5, 0.0]]  # first label on top
    segments = sorted(tuple(np.round(s[:, 0], 6)) for s in bars.get_segments())
    assert segments == [(0.1, 0.3), (0.45, 0.6)]
    rows = {float(tick): label.get_text() for tick, label in zip(ax.get_yticks(), ax.get_yticklabels(), strict=False)}
    assert rows == {1.0: "none", 0.0: "SMOTE"}
    assert ax.lines[-1].get_xdata()[0] == 0.25 and ax.get_xlabel() == "recall"


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: hp.shared_extent(), ValueError, "X: give at least one"),
        (lambda: hp.shared_extent(X2, np.zeros((3, 3))), ValueError, "X[1] must have shape (n_samples, 2)"),
        (lambda: hp.shared_extent(X2, margin=-1), ValueError, "margin must be >= 0"),
        (lambda: hp.shared_extent("points"), TypeError, "X[0] must be array-like"),
        (lambda: hp.plot_decision_surface("model", (0, 1, 0, 1)), TypeError, "estimator must be a fitted classifier"),
        (
            lambda: hp.plot_decision_surface(LogisticRegression().fit(X2, Y), (0, 1, 0)),
            ValueError,
            "extent must be four numbers",
        ),
        (
            lambda: hp.plot_decision_surface(LogisticRegression().fit(X2, Y), (1, 0, 0, 1)),
            ValueError,
            "x0_min < x0_max",
        ),
        (
            lambda: hp.plot_decision_surface(LogisticRegression().fit(X2, Y), (0, 1, 0, 1), threshold=1.0),
            ValueError,
            "threshold must be < 1",
        ),
        (lambda: hp.plot_calibration(Y, SCORES), TypeError, "probabilities must be a non-empty mapping"),
        (
            lambda: hp.plot_calibration(Y, {"m": SCORES[:10]}),
            ValueError,
            "probabilities['m'] must have the same length",
        ),
        (
            lambda: hp.plot_calibration(Y, {"m": SCORES * 2}),
            ValueError,
            "probabilities['m'] must be probabilities in [0, 1]",
        ),
        (lambda: hp.plot_calibration(Y, {"m": SCORES}, strategy="equal"), ValueError, "strategy must be one of"),
        (lambda: hp.plot_calibration(Y, {"m": SCORES}, intervals="yes"), TypeError, "intervals must be True or False"),
        (lambda: hp.plot_calibration(Y, {"m": SCORES}, colors=["red", "blue"]), ValueError, "colors: one per model"),
        (lambda: hp.confusion_matrix_from_counts(1, 2, -3, 4), ValueError, "fn must be >= 0"),
        (lambda: hp.confusion_matrix_from_counts(1, 2.5, 3, 4), TypeError, "fp must be an integer"),
        (
            lambda: hp.confusion_matrix_from_counts(1, 2, 3, 4, display_labels=["a"]),
            ValueError,
            "display_labels must hold two names",
        ),
        (lambda: hp.plot_intervals([0.2], [0.3], [0.4], labels=["a"]), ValueError, "row 0 ('a') has 0.3 <= 0.2 <= 0.4"),
        (
            lambda: hp.plot_intervals([0.2, 0.3], [0.1, 0.2], [0.3], labels=["a", "b"]),
            ValueError,
            "upper must have the same length",
        ),
        (
            lambda: hp.plot_intervals([0.2], [0.1], [0.3], labels=["a", "b"]),
            ValueError,
            "labels must have one entry per estimate",
        ),
        (lambda: hp.plot_intervals([0.2], [0.1], [0.3], labels="a"), TypeError, "labels must be a sequence of str"),
        (lambda: hp.plot_intervals([np.nan], [0.1], [0.3], labels=["a"]), ValueError, "estimates must be finite"),
    ],
)
def test_new_helpers_name_the_bad_argument(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()


def test_axes_sharing_y_share_one_zero_row():
    y = np.zeros(1_100, dtype=int)
    y[[800, 801, 900, 1000, 1001]] = 1
    low = np.repeat([0.0005, 0.005, 0.05, 0.5], [400, 400, 200, 100])
    fig, (left, right) = plt.subplots(1, 2, sharey=True)
    hp.plot_calibration(y, {"m": low}, ax=left, n_bins=8, strategy="log")
    hp.plot_calibration(y, {"m": low / 100}, ax=right, n_bins=8, strategy="log")  # a lower range, drawn second
    zero_row = dict(zip([t.get_text() for t in left.get_yticklabels()], left.get_yticks(), strict=True))["0"]
    assert zero_row < 0.0005 / 100 and right.get_yticks()[0] == zero_row  # one row, below both panels' points
    (empty,) = [c for c in left.collections if c.get_offsets().shape[0] == 2]
    np.testing.assert_allclose(empty.get_offsets()[:, 1], zero_row)  # the first panel's markers moved down with it
    plt.close(fig)
