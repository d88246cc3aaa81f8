"""The course's plotting style and the figures several lessons share.

One look across the course: a colour-blind-safe palette (Okabe & Ito) in which
the **minority class is always vermillion** and the majority always blue, and a
second cue besides colour (marker shape, hatching, a text label) so no meaning
rests on colour alone. Every axis is labelled.

Lessons draw PR and ROC curves, confusion matrices, reliability curves and
decision boundaries with scikit-learn's Displays, the API students meet at
work. This module adds only what the Displays do not do, as thin functions
that take or return a Display or an ``Axes``:

* :func:`shared_extent` and :func:`plot_decision_surface`: several decision-
  boundary panels on one fixed extent (a ``DecisionBoundaryDisplay`` in the
  course colours, with the line where the probability of class 1 equals a
  threshold);
* :func:`plot_calibration`: several models on one reliability plot
  (``CalibrationDisplay`` per model, the course palette, bins that can be
  log-spaced for rare positives, the number of examples in each bin);
* :func:`confusion_matrix_from_counts`: a ``ConfusionMatrixDisplay`` from the
  four counts TN, FP, FN, TP;
* :func:`plot_intervals`: estimates with their intervals (strategies × a
  metric), with an optional reference line;

plus the palette, the course style, the class scatter and the class-ratio bars.
"""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from matplotlib.colors import LinearSegmentedColormap
from scipy.stats import binomtest
from sklearn.calibration import CalibrationDisplay
from sklearn.inspection import DecisionBoundaryDisplay
from sklearn.metrics import ConfusionMatrixDisplay

from helpers._validation import check_binary_labels, check_choice, check_float, check_int, check_scores

# Okabe & Ito (2008), "Color Universal Design": distinguishable with any colour vision.
OKABE_ITO = {
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "bluish_green": "#009E73",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "reddish_purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}
MAJORITY_COLOR = OKABE_ITO["blue"]
MINORITY_COLOR = OKABE_ITO["vermillion"]
CLASS_COLORS = {0: MAJORITY_COLOR, 1: MINORITY_COLOR}
CLASS_MARKERS = {0: "o", 1: "^"}
CLASS_NAMES = {0: "majority (0)", 1: "minority (1)"}
# Colours for the other series of a figure (models, strategies), minority colour excluded.
SERIES_COLORS = [
    OKABE_ITO["blue"],
    OKABE_ITO["bluish_green"],
    OKABE_ITO["orange"],
    OKABE_ITO["reddish_purple"],
    OKABE_ITO["sky_blue"],
    OKABE_ITO["black"],
    OKABE_ITO["yellow"],
]
CHANCE_STYLE = {"color": "0.35", "linestyle": "--", "linewidth": 1.2}
# Probability of class 1, from majority blue through white to minority vermillion.
PROBABILITY_CMAP = LinearSegmentedColormap.from_list(
    "rare_cases_probability", [MAJORITY_COLOR, "#FFFFFF", MINORITY_COLOR]
)


def set_course_style() -> None:
    """Apply the course's seaborn theme and colour cycle to every later figure."""
    sns.set_theme(context="notebook", style="whitegrid", palette=SERIES_COLORS)
    mpl.rcParams.update(
        {
            "figure.figsize": (6.4, 4.0),
            "figure.dpi": 80,
            "savefig.dpi": 80,
            "axes.titlesize": "medium",
            "axes.titleweight": "bold",
            "legend.frameon": True,
            "legend.framealpha": 0.9,
            # Keep text as text in SVG and fixed hashing so saved figures are reproducible.
            "svg.hashsalt": "rare-cases",
            "figure.max_open_warning": 0,
        }
    )


def _get_ax(ax):
    if ax is None:
        _, ax = plt.subplots()
        return ax
    if not isinstance(ax, mpl.axes.Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")
    return ax


def scatter_classes(X, y, *, ax=None, alpha: float = 0.8, size: float = 25, labels=None):
    """Scatter 2-d points with the course's colour *and* marker for each class.

    Parameters
    ----------
    X : array-like of shape (n_samples, 2)
        The two features to plot.
    y : array-like of shape (n_samples,)
        Labels, 0 for the majority class and 1 for the minority class.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure when None.
    alpha : float, default=0.8
        Opacity of the markers, in (0, 1].
    size : float, default=25
        Marker area in points², > 0.
    labels : dict, default=None
        Legend text for each class; ``CLASS_NAMES`` when None.

    Returns
    -------
    matplotlib.axes.Axes
    """
    X = np.asarray(X, dtype=float) if not isinstance(X, (str, bytes)) else X
    if not isinstance(X, np.ndarray) or X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must be an array of shape (n_samples, 2), got {getattr(X, 'shape', type(X).__name__)}")
    y = check_binary_labels(y, "y")
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y must have one label per row of X ({X.shape[0]}), got {y.shape[0]}")
    alpha = check_float(alpha, "alpha", min_value=0, max_value=1, min_inclusive=False)
    size = check_float(size, "size", min_value=0, min_inclusive=False)
    labels = CLASS_NAMES if labels is None else labels
    ax = _get_ax(ax)
    for label in (0, 1):  # minority drawn last, on top
        mask = y == label
        ax.scatter(
            X[mask, 0],
            X[mask, 1],
            c=CLASS_COLORS[label],
            marker=CLASS_MARKERS[label],
            s=size if label == 0 else size * 1.6,
            alpha=alpha,
            edgecolors="white" if label == 0 else "black",
            linewidths=0.4,
            label=f"{labels[label]}: {mask.sum()}",
        )
    return ax


def plot_class_ratio(y, *, ax=None, class_names=None, title: str | None = None):
    """Bar chart of the class counts, each bar annotated with count and share.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Class labels; binary (0/1) or multiclass.
    ax : matplotlib Axes, default=None
    class_names : dict or None
        Text for each label on the x axis.
    title : str or None

    Returns
    -------
    matplotlib.axes.Axes
    """
    if isinstance(y, (str, bytes)) or y is None:
        raise TypeError(f"y must be array-like, got {type(y).__name__}")
    y = np.asarray(y)
    if y.ndim != 1 or y.size == 0:
        raise ValueError(f"y must be a non-empty 1-d array, got shape {y.shape}")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a string or None, got {type(title).__name__}")
    labels, counts = np.unique(y, return_counts=True)
    order = np.argsort(-counts, kind="stable")
    labels, counts = labels[order], counts[order]
    ax = _get_ax(ax)
    binary = set(labels.tolist()) <= {0, 1}
    names = class_names or (CLASS_NAMES if binary else {})
    colors = [CLASS_COLORS[int(lab)] if binary else SERIES_COLORS[0] for lab in labels]
    if not binary:  # the rarest classes are the minority
        colors = [MINORITY_COLOR if c < counts.max() * 0.1 else MAJORITY_COLOR for c in counts]
    positions = np.arange(len(labels))
    bars = ax.bar(positions, counts, color=colors, edgecolor="black", linewidth=0.6)
    for bar, color in zip(bars, colors, strict=False):
        if color == MINORITY_COLOR:  # a second cue besides colour
            bar.set_hatch("//")
    total = counts.sum()
    for position, count in zip(positions, counts, strict=False):
        ax.annotate(
            f"{count:,}\n({count / total:.2%})",
            (position, count),
            ha="center",
            va="bottom",
            fontsize="small",
        )
    ax.set_xticks(positions, [str(names.get(lab, lab)) for lab in labels.tolist()])
    ax.set_ylabel("number of examples")
    ax.set_xlabel("class")
    ax.set_ylim(0, counts.max() * 1.25)
    if title:
        ax.set_title(title)
    return ax


def reliability_curve(y_true, y_prob, *, n_bins: int = 10, strategy: str = "quantile"):
    """Mean predicted probability and observed frequency of positives per bin.

    Parameters
    ----------
    y_true : array-like of 0/1 labels
    y_prob : array-like of probabilities of class 1, same length
    n_bins : int in [2, 200], default=10
    strategy : {"quantile", "uniform", "log"}, default="quantile"
        Bins holding equal numbers of examples, bins of equal width, or bins
        of equal width on a log scale (for rare positives, whose
        probabilities crowd near 0).

    Returns
    -------
    mean_predicted, observed_frequency, counts : ndarray
        One entry per non-empty bin.
    """
    y_true = check_binary_labels(y_true, "y_true")
    y_prob = check_scores(y_prob, "y_prob", length=y_true.shape[0], probabilities=True)
    n_bins = check_int(n_bins, "n_bins", min_value=2, max_value=200)
    check_choice(strategy, "strategy", ["uniform", "quantile", "log"])
    if strategy == "quantile":
        edges = np.unique(np.quantile(y_prob, np.linspace(0, 1, n_bins + 1)))
    elif strategy == "log":
        # equal widths on a log scale from the smallest positive probability (at least 1e-6) to 1;
        # the first bin also holds the probabilities of exactly 0
        positive = y_prob[y_prob > 0]
        lowest = max(float(positive.min()) if positive.size else 1e-6, 1e-6)
        edges = np.geomspace(min(lowest, 0.5), 1, n_bins + 1)
        edges[0] = 0.0
    else:
        edges = np.linspace(0, 1, n_bins + 1)
    if edges.size < 2:
        edges = np.array([y_prob.min(), y_prob.max() + 1e-12])
    bins = np.clip(np.searchsorted(edges, y_prob, side="right") - 1, 0, edges.size - 2)
    counts = np.bincount(bins, minlength=edges.size - 1)
    sum_prob = np.bincount(bins, weights=y_prob, minlength=edges.size - 1)
    sum_true = np.bincount(bins, weights=y_true, minlength=edges.size - 1)
    keep = counts > 0
    return sum_prob[keep] / counts[keep], sum_true[keep] / counts[keep], counts[keep]


def _check_2d_points(X, name: str) -> np.ndarray:
    if isinstance(X, (str, bytes)) or X is None:
        raise TypeError(f"{name} must be array-like of shape (n_samples, 2), got {type(X).__name__}")
    array = np.asarray(X)
    if not np.issubdtype(array.dtype, np.number) or array.dtype == bool:
        raise TypeError(f"{name} must be numeric, got dtype {array.dtype}")
    if array.ndim != 2 or array.shape[1] != 2 or array.shape[0] == 0:
        raise ValueError(f"{name} must have shape (n_samples, 2) with n_samples >= 1, got {array.shape}")
    array = array.astype(float)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return array


def shared_extent(*X, margin: float = 0.05) -> tuple[float, float, float, float]:
    """One plotting extent that holds every point of several 2-feature data sets.

    Decision-boundary panels drawn on the same extent can be compared by eye:
    scikit-learn's ``DecisionBoundaryDisplay.from_estimator`` takes its grid
    from each panel's own data, so panels of resampled data would differ.

    Parameters
    ----------
    *X : array-like of shape (n_samples, 2)
        One or more data sets (for example the data before and after resampling).
    margin : float >= 0, default=0.05
        Room added on each side, as a share of each feature's range.

    Returns
    -------
    (x0_min, x0_max, x1_min, x1_max) : tuple of float
        Pass it to :func:`plot_decision_surface` and ``ax.set_xlim`` / ``ax.set_ylim``.
    """
    if not X:
        raise ValueError("X: give at least one array of shape (n_samples, 2)")
    margin = check_float(margin, "margin", min_value=0)
    points = np.vstack([_check_2d_points(data, f"X[{i}]") for i, data in enumerate(X)])
    low, high = points.min(axis=0), points.max(axis=0)
    room = margin * np.where(high > low, high - low, 1.0)  # a constant feature still gets a visible band
    return (float(low[0] - room[0]), float(high[0] + room[0]), float(low[1] - room[1]), float(high[1] + room[1]))


def plot_decision_surface(
    estimator,
    extent,
    *,
    ax=None,
    threshold: float | None = 0.5,
    grid_resolution: int = 200,
    alpha: float = 0.35,
    xlabel: str = "feature 1",
    ylabel: str = "feature 2",
) -> DecisionBoundaryDisplay:
    """A fitted classifier's probability of class 1 over a fixed extent, in the course colours.

    A thin layer over ``DecisionBoundaryDisplay``: the grid covers ``extent``
    (from :func:`shared_extent`) rather than the data of one panel, the
    shading runs from majority blue (probability 0) through white to minority
    vermillion (probability 1), and a black line marks where the probability
    equals ``threshold``. Scatter the points on top with :func:`scatter_classes`.

    Parameters
    ----------
    estimator : fitted binary classifier with ``predict_proba``
    extent : tuple of four floats
        ``(x0_min, x0_max, x1_min, x1_max)``.
    ax : matplotlib Axes, default=None
    threshold : float in (0, 1) or None, default=0.5
        Where to draw the boundary line; None draws no line.
    grid_resolution : int in [10, 1000], default=200
        Grid points along each feature.
    alpha : float in (0, 1], default=0.35
        Opacity of the shading.
    xlabel, ylabel : str

    Returns
    -------
    sklearn.inspection.DecisionBoundaryDisplay
        ``display.ax_`` is the Axes, ``display.surface_`` the shading and
        ``display.boundary_`` the threshold line (None when not drawn).
    """
    if not hasattr(estimator, "predict_proba"):
        raise TypeError(f"estimator must be a fitted classifier with predict_proba, got {type(estimator).__name__}")
    if isinstance(extent, (str, bytes)) or not hasattr(extent, "__len__") or len(extent) != 4:
        raise ValueError(f"extent must be four numbers (x0_min, x0_max, x1_min, x1_max), got {extent!r}")
    x0_min, x0_max, x1_min, x1_max = (check_float(v, f"extent[{i}]") for i, v in enumerate(extent))
    if not (x0_min < x0_max and x1_min < x1_max):
        raise ValueError(f"extent must have x0_min < x0_max and x1_min < x1_max, got {tuple(extent)}")
    if threshold is not None:
        threshold = check_float(
            threshold, "threshold", min_value=0, max_value=1, min_inclusive=False, max_inclusive=False
        )
    grid_resolution = check_int(grid_resolution, "grid_resolution", min_value=10, max_value=1000)
    alpha = check_float(alpha, "alpha", min_value=0, max_value=1, min_inclusive=False)
    for name, text in (("xlabel", xlabel), ("ylabel", ylabel)):
        if not isinstance(text, str):
            raise TypeError(f"{name} must be a string, got {type(text).__name__}")
    xx0, xx1 = np.meshgrid(np.linspace(x0_min, x0_max, grid_resolution), np.linspace(x1_min, x1_max, grid_resolution))
    proba = estimator.predict_proba(np.c_[xx0.ravel(), xx1.ravel()])
    if proba.ndim != 2 or proba.shape[1] != 2:
        raise ValueError(
            f"estimator must be a binary classifier (predict_proba with 2 columns), got shape {proba.shape}"
        )
    response = proba[:, 1].reshape(xx0.shape)
    display = DecisionBoundaryDisplay(xx0=xx0, xx1=xx1, n_classes=2, response=response, xlabel=xlabel, ylabel=ylabel)
    display.plot(
        ax=_get_ax(ax), plot_method="pcolormesh", cmap=PROBABILITY_CMAP, vmin=0, vmax=1, alpha=alpha, shading="auto"
    )
    display.boundary_ = None
    if threshold is not None and response.min() < threshold < response.max():
        display.boundary_ = display.ax_.contour(xx0, xx1, response, levels=[threshold], colors="black", linewidths=1.5)
    display.ax_.set_xlim(x0_min, x0_max)
    display.ax_.set_ylim(x1_min, x1_max)
    return display


def plot_calibration(
    y_true,
    probabilities,
    *,
    ax=None,
    n_bins: int = 10,
    strategy: str = "quantile",
    show_counts: bool = True,
    intervals: bool = False,
    colors=None,
    markers=None,
    counts_ax=None,
) -> dict:
    """Several models on one reliability plot, one ``CalibrationDisplay`` each.

    What ``CalibrationDisplay.from_predictions`` does not: bins that are
    log-spaced (``strategy="log"``, for rare positives whose probabilities
    crowd near 0; both axes are then logarithmic), the course's series colours
    and markers, the number of examples in each bin (a bin of 3 examples says
    little), and a Wilson 95 % interval on each bin's observed share of
    positives. On log axes a bin with no positive, whose observed share 0 has
    no place on the axis, is drawn as an open marker on a bottom row marked
    "0" (with a dotted bar up to its Wilson upper limit), and the curve joins
    only the bins with positives.

    Parameters
    ----------
    y_true : array-like of 0/1 labels
    probabilities : mapping of str to array-like
        Model name → its predicted probabilities of class 1 for ``y_true``.
    ax : matplotlib Axes, default=None
    n_bins : int in [2, 200], default=10
    strategy : {"quantile", "uniform", "log"}, default="quantile"
        As in :func:`reliability_curve`.
    show_counts : bool, default=True
        Write the number of examples in each bin next to its point (or plot
        them on ``counts_ax``).
    intervals : bool, default=False
        Draw each bin's Wilson 95 % interval for its observed share of
        positives as a vertical bar.
    colors : sequence of colours, default=None
        One per model, so that a model keeps its colour across figures;
        by default the course's series colours in order.
    markers : sequence of matplotlib marker codes, default=None
        One per model (by default squares, circles, diamonds, ... in order).
    counts_ax : matplotlib Axes, default=None
        A panel (under the plot, sharing its x axis) where the number of
        examples per bin is drawn as one line per model on a log scale,
        instead of numbers next to the points, which overlap where two
        models' bins meet.

    Returns
    -------
    dict of str to sklearn.calibration.CalibrationDisplay
        One per model, in the given order; each display's ``counts`` attribute
        holds the number of examples per (non-empty) bin and, with
        ``intervals=True``, its ``intervals`` attribute the (low, high) limits
        per bin, shape (n_bins, 2).
    """
    from collections.abc import Mapping

    if not isinstance(probabilities, Mapping) or not probabilities:
        raise TypeError("probabilities must be a non-empty mapping of model name to predicted probabilities")
    if len(probabilities) > len(SERIES_COLORS):
        raise ValueError(f"probabilities: at most {len(SERIES_COLORS)} models on one plot, got {len(probabilities)}")
    for flag, value in [("show_counts", show_counts), ("intervals", intervals)]:
        if not isinstance(value, bool):
            raise TypeError(f"{flag} must be True or False, got {type(value).__name__}")
    colors = SERIES_COLORS[: len(probabilities)] if colors is None else list(colors)
    if len(colors) != len(probabilities):
        raise ValueError(f"colors: one per model, got {len(colors)} for {len(probabilities)} models")
    markers = ["s", "o", "D", "v", "P", "X", "^"][: len(probabilities)] if markers is None else list(markers)
    if len(markers) != len(probabilities):
        raise ValueError(f"markers: one per model, got {len(markers)} for {len(probabilities)} models")
    y_true = check_binary_labels(y_true, "y_true")
    ax = _get_ax(ax)
    log = strategy == "log"
    displays, empty_bins = {}, {}
    for i, (name, y_prob) in enumerate(probabilities.items()):
        if not isinstance(name, str):
            raise TypeError(f"probabilities keys must be model names (str), got {type(name).__name__}")
        y_prob = check_scores(y_prob, f"probabilities[{name!r}]", length=y_true.shape[0], probabilities=True)
        prob_pred, prob_true, counts = reliability_curve(y_true, y_prob, n_bins=n_bins, strategy=strategy)
        display = CalibrationDisplay(prob_true, prob_pred, y_prob, estimator_name=name)
        display.plot(ax=ax, ref_line=(i == 0), color=colors[i], marker=markers[i], linewidth=1.6)
        display.counts = counts
        # On a log axis the curve joins only the bins with positives; the others go on the "0" row below.
        drawn = prob_true > 0 if log else np.ones(len(counts), dtype=bool)
        empty_bins[name] = ~drawn
        display.line_.set_data(prob_pred[drawn], prob_true[drawn])
        if intervals:
            positives = np.rint(prob_true * counts).astype(int)
            display.intervals = np.array(
                [binomtest(k, n).proportion_ci(method="wilson") for k, n in zip(positives, counts, strict=True)]
            )
            ax.errorbar(
                prob_pred[drawn],
                prob_true[drawn],
                yerr=[(prob_true - display.intervals[:, 0])[drawn], (display.intervals[:, 1] - prob_true)[drawn]],
                fmt="none",
                ecolor=colors[i],
                elinewidth=1,
                capsize=3,
            )
        if counts_ax is not None:
            counts_ax.plot(prob_pred, counts, color=colors[i], marker=markers[i], markersize=4, linewidth=1)
        elif show_counts:
            for x, y, count in zip(prob_pred, prob_true, counts, strict=True):
                ax.annotate(
                    f"{count:,}",
                    (x, y),
                    xytext=(4, -10),
                    textcoords="offset points",
                    fontsize="x-small",
                    color=colors[i],
                )
        displays[name] = display
    if log:
        # The same log scale on both axes keeps the diagonal a diagonal.
        shares = [d.prob_true[d.prob_true > 0] for d in displays.values()]
        lowest = min(float(np.min(d.prob_pred)) for d in displays.values())
        lowest = max(min([lowest] + [float(share.min()) for share in shares if share.size]) / 2, 1e-6)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(lowest, 1)
        ax._rare_cases_zero_row = {
            "lowest": lowest,
            "bins": [
                (d.prob_pred[empty_bins[name]], d.intervals[empty_bins[name], 1] if intervals else None, m, c)
                for (name, d), m, c in zip(displays.items(), markers, colors, strict=True)
                if empty_bins[name].any()
            ],
            "artists": [],
        }
        _draw_zero_rows(ax)
    if counts_ax is not None:
        counts_ax.set_yscale("log")
        counts_ax.set_ylabel("examples\nper bin")
        counts_ax.set_xlabel("mean predicted probability of class 1 (per bin)")
    ax.set_xlabel("" if counts_ax is not None else "mean predicted probability of class 1 (per bin)")
    ax.set_ylabel("observed share of class 1 (per bin)")
    ax.legend(loc="upper left", fontsize="small")
    return displays


def _draw_zero_rows(ax) -> None:
    """The bottom row of log-scale reliability plots: bins with no positive, at an observed share of "0".

    Axes that share their y axis share one row, placed below the lowest point of any of them.
    """
    group = [a for a in ax.get_shared_y_axes().get_siblings(ax) if hasattr(a, "_rare_cases_zero_row")]
    lowest = min(a._rare_cases_zero_row["lowest"] for a in group)
    if not any(a._rare_cases_zero_row["bins"] for a in group):
        ax.set_ylim(lowest, 1)
        return
    zero_row = lowest / 4  # a row below the axis proper
    for a in group:
        state = a._rare_cases_zero_row
        for artist in state["artists"]:
            artist.remove()
        state["artists"] = [a.axhline(lowest / 2, color="0.6", linewidth=0.8)] if state["bins"] else []
        for x, upper, marker, color in state["bins"]:
            state["artists"].append(
                a.scatter(x, np.full(x.size, zero_row), marker=marker, facecolors="white", edgecolors=color)
            )
            if upper is not None:  # dotted: the Wilson upper limit of a share observed as 0
                state["artists"].append(a.vlines(x, zero_row, upper, color=color, linewidth=1, linestyles=":"))
    decades = 10.0 ** np.arange(np.ceil(np.log10(lowest)), 1)
    ax.set_yticks([zero_row, *decades], ["0", *(f"{d:g}" for d in decades)])
    ax.set_ylim(zero_row / 2, 1)


def confusion_matrix_from_counts(
    tn: int,
    fp: int,
    fn: int,
    tp: int,
    *,
    ax=None,
    display_labels=("negative (0)", "positive (1)"),
    cell_names: bool = True,
) -> ConfusionMatrixDisplay:
    """A ``ConfusionMatrixDisplay`` from the four counts, in the course's blues.

    For a matrix worked out by hand or by formula (expected counts at a
    prevalence, say), where there are no labels to pass to
    ``ConfusionMatrixDisplay.from_predictions``.

    Parameters
    ----------
    tn, fp, fn, tp : int >= 0
        True negatives, false positives, false negatives, true positives.
    ax : matplotlib Axes, default=None
    display_labels : two str, default=("negative (0)", "positive (1)")
    cell_names : bool, default=True
        Write "TN", "FP", "FN", "TP" above each count.

    Returns
    -------
    sklearn.metrics.ConfusionMatrixDisplay
        ``display.confusion_matrix`` is ``[[tn, fp], [fn, tp]]``.
    """
    counts = [check_int(v, name, min_value=0) for v, name in ((tn, "tn"), (fp, "fp"), (fn, "fn"), (tp, "tp"))]
    if isinstance(display_labels, (str, bytes)) or len(display_labels) != 2:
        raise ValueError(f"display_labels must hold two names, got {display_labels!r}")
    if not isinstance(cell_names, bool):
        raise TypeError(f"cell_names must be True or False, got {type(cell_names).__name__}")
    matrix = np.array(counts).reshape(2, 2)
    display = ConfusionMatrixDisplay(matrix, display_labels=list(display_labels))
    display.plot(ax=_get_ax(ax), cmap="Blues", colorbar=False, values_format=",d")
    if cell_names:
        for (i, j), name in np.ndenumerate(np.array([["TN", "FP"], ["FN", "TP"]])):
            display.text_[i, j].set_text(f"{name}\n{matrix[i, j]:,}")
    display.ax_.grid(False)
    return display


def plot_intervals(
    estimates,
    lower,
    upper,
    *,
    labels,
    ax=None,
    reference: float | None = None,
    reference_label: str | None = None,
    xlabel: str = "estimate",
    color=None,
):
    """Point estimates with their intervals, one row per label (strategies × a metric).

    Parameters
    ----------
    estimates, lower, upper : array-like of shape (n,)
        The estimates and the two ends of each interval; ``lower <= estimates
        <= upper``.
    labels : sequence of n str
        What each row is (a strategy, a model); the first is drawn at the top.
    ax : matplotlib Axes, default=None
    reference : float or None
        A vertical dashed line (0 for differences, the chance level, a baseline).
    reference_label : str or None
        Legend text for the reference line.
    xlabel : str
        What is measured, with its unit.
    color : matplotlib colour, default=the first series colour

    Returns
    -------
    matplotlib.axes.Axes
    """
    estimates = check_scores(estimates, "estimates", length=len(np.atleast_1d(estimates)))
    n = estimates.shape[0]
    lower = check_scores(lower, "lower", length=n)
    upper = check_scores(upper, "upper", length=n)
    if isinstance(labels, (str, bytes)) or not hasattr(labels, "__len__"):
        raise TypeError(f"labels must be a sequence of str, got {type(labels).__name__}")
    if len(labels) != n:
        raise ValueError(f"labels must have one entry per estimate ({n}), got {len(labels)}")
    if np.any(lower > estimates) or np.any(estimates > upper):
        bad = int(np.flatnonzero((lower > estimates) | (estimates > upper))[0])
        raise ValueError(
            f"lower <= estimates <= upper must hold; row {bad} ({labels[bad]!r}) has "
            f"{lower[bad]:.4g} <= {estimates[bad]:.4g} <= {upper[bad]:.4g}"
        )
    if reference is not None:
        reference = check_float(reference, "reference")
    if not isinstance(xlabel, str):
        raise TypeError(f"xlabel must be a string, got {type(xlabel).__name__}")
    ax = _get_ax(ax)
    rows = np.arange(n)[::-1]  # first label on top
    ax.errorbar(
        estimates,
        rows,
        xerr=np.vstack([estimates - lower, upper - estimates]),
        fmt="o",
        color=color or SERIES_COLORS[0],
        ecolor=color or SERIES_COLORS[0],
        elinewidth=2,
        capsize=4,
        markersize=6,
    )
    if reference is not None:
        ax.axvline(reference, label=reference_label, **CHANCE_STYLE)
        if reference_label:
            ax.legend(loc="best", fontsize="small")
    ax.set_yticks(rows, [str(label) for label in labels])
    ax.set_ylim(-0.6, n - 0.4)
    ax.set_xlabel(xlabel)
    ax.grid(False, axis="y")
    return ax
