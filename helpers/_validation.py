"""Argument checks shared by the public helpers.

Every public helper validates its arguments so that a student's mistake is met
with a message naming the argument and what was expected, not a traceback from
deep inside numpy.
"""

from __future__ import annotations

import numbers

import numpy as np


def check_int(value, name: str, *, min_value: int | None = None, max_value: int | None = None) -> int:
    """Return ``value`` as an int, or raise if it is not an integer in range."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    value = int(value)
    if min_value is not None and value < min_value:
        raise ValueError(f"{name} must be >= {min_value}, got {value}")
    if max_value is not None and value > max_value:
        raise ValueError(f"{name} must be <= {max_value}, got {value}")
    return value


def check_float(
    value,
    name: str,
    *,
    min_value: float | None = None,
    max_value: float | None = None,
    min_inclusive: bool = True,
    max_inclusive: bool = True,
) -> float:
    """Return ``value`` as a float, or raise if it is not a finite number in range."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if min_value is not None and (value < min_value or (value == min_value and not min_inclusive)):
        bound = ">=" if min_inclusive else ">"
        raise ValueError(f"{name} must be {bound} {min_value}, got {value}")
    if max_value is not None and (value > max_value or (value == max_value and not max_inclusive)):
        bound = "<=" if max_inclusive else "<"
        raise ValueError(f"{name} must be {bound} {max_value}, got {value}")
    return value


def check_random_state(random_state, name: str = "random_state") -> np.random.Generator:
    """Turn an int seed (or a Generator) into a numpy Generator."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    seed = check_int(random_state, name, min_value=0)
    return np.random.default_rng(seed)


def check_binary_labels(y, name: str = "y_true") -> np.ndarray:
    """Return ``y`` as a 1-d int array of 0/1 labels (1 = the rare, positive class)."""
    array = _as_1d(y, name)
    if array.size == 0:
        raise ValueError(f"{name} must not be empty")
    if array.dtype == bool:
        return array.astype(int)
    if not np.issubdtype(array.dtype, np.number):
        raise TypeError(f"{name} must hold 0/1 labels, got dtype {array.dtype}")
    values = set(np.unique(array).tolist())
    if not values <= {0, 1}:
        raise ValueError(f"{name} must hold only 0 (majority) and 1 (minority) labels, got {sorted(values)}")
    return array.astype(int)


def check_scores(scores, name: str, *, length: int, probabilities: bool = False) -> np.ndarray:
    """Return ``scores`` as a 1-d float array of the given length."""
    array = _as_1d(scores, name)
    if not np.issubdtype(array.dtype, np.number) or array.dtype == bool:
        raise TypeError(f"{name} must be numeric, got dtype {array.dtype}")
    array = array.astype(float)
    if array.shape[0] != length:
        raise ValueError(f"{name} must have the same length as y_true ({length}), got {array.shape[0]}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    if probabilities and (array.min() < 0 or array.max() > 1):
        raise ValueError(
            f"{name} must be probabilities in [0, 1], got values in [{array.min():.3g}, {array.max():.3g}]"
        )
    return array


def check_choice(value, name: str, choices) -> object:
    """Raise unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")
    return value


def _as_1d(values, name: str) -> np.ndarray:
    if isinstance(values, (str, bytes)) or values is None:
        raise TypeError(f"{name} must be array-like, got {type(values).__name__}")
    try:
        array = np.asarray(values)
    except Exception as error:  # pragma: no cover - numpy's own message is kept
        raise TypeError(f"{name} must be array-like: {error}") from error
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-dimensional, got shape {array.shape}")
    return array
