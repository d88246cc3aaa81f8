"""The course's data: generators with fixed seeds, and loaders that check the files.

Every data set is made here from a fixed seed and committed under ``data/``
so students can open the files anywhere; ``data/SHA256SUMS`` holds their
checksums and every loader verifies them. Regenerate the files (byte for byte
the same) with::

    python -m helpers.data --regenerate

Data sets
---------
transactions
    Card payments with a simulated fraud process (customers, terminals,
    amounts, time, three fraud scenarios), ~0.5 % fraud. :func:`make_transactions`
    scales to millions of rows in seconds.
patients
    A screening population with a rare disease and an under-represented
    group in which the disease shows differently (for the fairness part).
defects
    Sensor readings from a production line with rare defects of three
    subtypes, one of them very rare.
intents
    Short customer-service messages labelled with one of twelve intents whose
    frequencies follow a long tail.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from helpers._validation import check_float, check_int, check_random_state

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
CHECKSUM_FILE = "SHA256SUMS"
REGENERATE_COMMAND = "python -m helpers.data --regenerate"
START_DATE = pd.Timestamp("2025-04-01")
SECONDS_PER_DAY = 86_400

FRAUD_SCENARIOS = ("compromised_terminal", "stolen_card", "card_testing")
TRANSACTION_FEATURES = [
    "amount",
    "hour",
    "is_night",
    "is_weekend",
    "distance_from_home",
    "customer_n_tx_1h",
    "customer_n_tx_1d",
    "customer_n_tx_7d",
    "customer_mean_amount_30d",
    "amount_to_customer_mean",
    "terminal_n_tx_7d",
    "terminal_fraud_rate_7d",
]


class DataFileError(RuntimeError):
    """A course data file is missing or does not match its checksum."""


# --------------------------------------------------------------------------- transactions


@dataclass(frozen=True)
class _World:
    """The fixed part of the payments world: where customers live, how they pay, where terminals are."""

    customer_xy: np.ndarray
    customer_mean: np.ndarray
    customer_pace: np.ndarray
    terminal_xy: np.ndarray
    nearby_terminals: np.ndarray


def _make_world(n_transactions: int, rng: np.random.Generator) -> _World:
    n_customers = max(50, n_transactions // 100)
    n_terminals = max(50, n_transactions // 50)
    customer_xy = rng.uniform(0, 100, size=(n_customers, 2))
    customer_mean = rng.uniform(5, 100, size=n_customers)
    customer_pace = rng.uniform(0.2, 4.0, size=n_customers)  # relative transactions per day
    terminal_xy = rng.uniform(0, 100, size=(n_terminals, 2))
    _, nearby_terminals = cKDTree(terminal_xy).query(customer_xy, k=8)
    return _World(customer_xy, customer_mean, customer_pace, terminal_xy, nearby_terminals)


def _check_fraud_knobs(n_days, fraud_rate, compromise_days, compromise_share, reporting_delay_days):
    fraud_rate = check_float(fraud_rate, "fraud_rate", min_value=0, max_value=0.2, min_inclusive=False)
    compromise_days = check_int(compromise_days, "compromise_days", min_value=1, max_value=n_days - 1)
    compromise_share = check_float(compromise_share, "compromise_share", min_value=0, max_value=1, min_inclusive=False)
    reporting_delay_days = check_int(reporting_delay_days, "reporting_delay_days", min_value=0, max_value=60)
    return fraud_rate, compromise_days, compromise_share, reporting_delay_days


def make_transactions(
    n_transactions: int = 100_000,
    *,
    n_days: int = 90,
    fraud_rate: float = 0.005,
    compromise_days: int = 14,
    compromise_share: float = 0.5,
    reporting_delay_days: int = 7,
    random_state: int | np.random.Generator = 0,
) -> pd.DataFrame:
    """Simulate card transactions with a realistic fraud process.

    Customers live at a place and buy at the terminals near it, at their own
    pace and amount level, mostly by day. Fraud comes from three scenarios:

    * ``compromised_terminal``: a skimmer on a terminal for ``compromise_days``
      days; a share ``compromise_share`` of the genuine-looking payments there
      in that window are fraudulent (ordinary amounts: only the terminal's
      history gives it away);
    * ``stolen_card``: for 7 days a thief uses a card at terminals far from
      home, for 3-8 times the customer's usual amount, often at night;
    * ``card_testing``: a burst of tiny payments within an hour, to check
      that stolen card numbers work.

    Features are computed from each transaction's past only (windows per
    customer and per terminal). A terminal's fraud rate is known only after
    ``reporting_delay_days``, as chargebacks arrive late; with 0 the feature
    uses labels the moment the payments happen (the earlier payments, not the
    current one), which no deployed system can know.

    Parameters
    ----------
    n_transactions : int, default=100_000
        Number of rows, >= 1_000.
    n_days : int, default=90
        Length of the simulated period in days, >= 30.
    fraud_rate : float, default=0.005
        Target share of fraud, in (0, 0.2]; the result is close to it.
    compromise_days : int, default=14
        How long a skimmer stays on a compromised terminal, 1 to ``n_days - 1``.
    compromise_share : float, default=0.5
        Share of a skimmed terminal's payments that are fraud, in (0, 1].
    reporting_delay_days : int, default=7
        Days before a fraud is known, 0 to 60: the terminal's window (for
        ``terminal_n_tx_7d`` and ``terminal_fraud_rate_7d``) ends this many
        days before the payment. Changing it changes those two columns only,
        not the payments.
    random_state : int or numpy Generator, default=0

    Returns
    -------
    pandas.DataFrame
        One row per transaction in time order: ``transaction_id``,
        ``timestamp``, ``customer_id``, ``terminal_id``, the features in
        :data:`TRANSACTION_FEATURES`, ``is_fraud`` (0/1) and
        ``fraud_scenario`` ("none" or one of :data:`FRAUD_SCENARIOS`).

    See Also
    --------
    continue_transactions : the same world (customers, terminals) over a later period.
    """
    n_transactions = check_int(n_transactions, "n_transactions", min_value=1_000)
    n_days = check_int(n_days, "n_days", min_value=30, max_value=3_650)
    knobs = _check_fraud_knobs(n_days, fraud_rate, compromise_days, compromise_share, reporting_delay_days)
    fraud_rate, compromise_days, compromise_share, reporting_delay_days = knobs
    rng = check_random_state(random_state)
    world = _make_world(n_transactions, rng)
    payments = _simulate_payments(world, n_transactions, n_days, fraud_rate, compromise_days, compromise_share, rng)
    return _transaction_features(payments, world, reporting_delay_days=reporting_delay_days)


def continue_transactions(
    n_days: int = 30,
    *,
    n_transactions: int | None = None,
    fraud_rate: float = 0.005,
    compromise_days: int = 14,
    compromise_share: float = 0.5,
    reporting_delay_days: int = 7,
    random_state: int = 1,
    history_transactions: int = 100_000,
    history_days: int = 90,
    history_seed: int = 2025,
) -> pd.DataFrame:
    """The same world continued in time: the payments of the period after a history.

    The history is ``make_transactions(history_transactions, n_days=history_days,
    random_state=history_seed)`` (by default the course's committed
    transactions file). The next period has the same customers (homes, pace,
    usual amounts) and the same terminals, later dates, and fraud drawn anew
    with the knobs given here, so a drift in the fraud process can be staged.
    Features of the new payments see the history: a customer's 30-day mean on
    the first day of the period counts the payments of the last days of the
    history, and a terminal's fraud rate counts the history's frauds known by then.

    Parameters
    ----------
    n_days : int, default=30
        Length of the new period in days, >= 15.
    n_transactions : int, default=None
        Number of new payments, >= 1_000; when None, the history's daily
        volume times ``n_days``.
    fraud_rate, compromise_days, compromise_share, reporting_delay_days
        As in :func:`make_transactions`, for the new period (the reporting
        delay applies to the history's frauds as well).
    random_state : int, default=1
        Seed of the new period's payments and frauds.
    history_transactions, history_days, history_seed
        The arguments of the history's :func:`make_transactions` call.

    Returns
    -------
    pandas.DataFrame
        The new period only, with the columns of :func:`make_transactions`;
        ``transaction_id`` continues the history's numbering and
        ``timestamp`` starts ``history_days`` after the history's first day.
    """
    history_transactions = check_int(history_transactions, "history_transactions", min_value=1_000)
    history_days = check_int(history_days, "history_days", min_value=30, max_value=3_650)
    if isinstance(history_seed, np.random.Generator):
        raise TypeError("history_seed must be an integer seed (a Generator cannot replay the history)")
    history_rng = check_random_state(history_seed, "history_seed")
    n_days = check_int(n_days, "n_days", min_value=15, max_value=3_650)
    if n_transactions is None:
        n_transactions = max(1_000, round(history_transactions * n_days / history_days))
    n_transactions = check_int(n_transactions, "n_transactions", min_value=1_000)
    knobs = _check_fraud_knobs(n_days, fraud_rate, compromise_days, compromise_share, reporting_delay_days)
    fraud_rate, compromise_days, compromise_share, reporting_delay_days = knobs
    if isinstance(random_state, np.random.Generator):
        raise TypeError("random_state must be an integer seed here")
    period_seed = check_int(random_state, "random_state", min_value=0)

    world = _make_world(history_transactions, history_rng)
    history = _simulate_payments(world, history_transactions, history_days, 0.005, 14, 0.5, history_rng)
    # A seed of its own, mixed with the history's, so periods of different histories differ.
    rng = np.random.default_rng([history_seed, period_seed, 1])
    future = _simulate_payments(world, n_transactions, n_days, fraud_rate, compromise_days, compromise_share, rng)
    future["time"] += history_days * SECONDS_PER_DAY
    both = pd.concat([history, future], ignore_index=True)
    features = _transaction_features(both, world, reporting_delay_days=reporting_delay_days)
    return features.iloc[len(history) :].reset_index(drop=True)


def _simulate_payments(
    world: _World,
    n_transactions: int,
    n_days: int,
    fraud_rate: float,
    compromise_days: int,
    compromise_share: float,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """The payments of one period (customer, time in seconds, terminal, amount, scenario), in time order."""
    customer_mean, customer_pace = world.customer_mean, world.customer_pace
    n_customers, n_terminals = len(world.customer_xy), len(world.terminal_xy)
    nearby_terminals = world.nearby_terminals

    n_fraud = max(3, round(fraud_rate * n_transactions))
    n_card_testing = round(0.20 * n_fraud)
    n_stolen = round(0.45 * n_fraud)
    n_genuine = n_transactions - n_card_testing - n_stolen

    # Genuine payments: the customer's pace, a terminal near home, mostly by day.
    customer = rng.choice(n_customers, size=n_genuine, p=customer_pace / customer_pace.sum())
    day = rng.integers(0, n_days, size=n_genuine)
    seconds_in_day = np.clip(rng.normal(13.5, 4.5, size=n_genuine), 0, 23.999) * 3600
    terminal = nearby_terminals[customer, rng.integers(0, 8, size=n_genuine)]
    amount = customer_mean[customer] * rng.lognormal(-0.125, 0.5, size=n_genuine)
    parts = {
        "customer": [customer],
        "time": [day * SECONDS_PER_DAY + seconds_in_day],
        "terminal": [terminal],
        "amount": [amount],
        "scenario": [np.zeros(n_genuine, dtype=int)],
    }

    def add(customers, times, terminals, amounts, scenario):
        parts["customer"].append(customers)
        parts["time"].append(times)
        parts["terminal"].append(terminals)
        parts["amount"].append(amounts)
        parts["scenario"].append(np.full(len(customers), scenario))

    # Stolen cards: a week of large payments at far-away terminals, often at night.
    victims = rng.choice(n_customers, size=max(1, n_stolen // 5), replace=False)
    victim = rng.choice(victims, size=n_stolen)
    theft_day = dict(zip(victims.tolist(), rng.integers(0, n_days - 7, size=victims.size).tolist(), strict=False))
    start = np.array([theft_day[v] for v in victim.tolist()]) * SECONDS_PER_DAY
    night = rng.random(n_stolen) < 0.5
    hour = np.where(night, rng.uniform(0, 6, n_stolen), rng.uniform(6, 24, n_stolen))
    add(
        victim,
        start + rng.integers(0, 7, n_stolen) * SECONDS_PER_DAY + hour * 3600,
        rng.integers(0, n_terminals, n_stolen),
        customer_mean[victim] * rng.uniform(3, 8, n_stolen),
        2,
    )

    # Card testing: bursts of 3-8 tiny payments within an hour.
    burst_sizes = []
    while sum(burst_sizes) < n_card_testing:
        burst_sizes.append(int(rng.integers(3, 9)))
    burst_sizes[-1] -= sum(burst_sizes) - n_card_testing
    burst_sizes = np.array([size for size in burst_sizes if size > 0])
    tested = rng.choice(n_customers, size=burst_sizes.size)
    burst_start = rng.uniform(0, n_days * SECONDS_PER_DAY - 3600, size=burst_sizes.size)
    burst_of = np.repeat(np.arange(burst_sizes.size), burst_sizes)
    add(
        tested[burst_of],
        burst_start[burst_of] + rng.uniform(0, 3600, n_card_testing),
        rng.integers(0, n_terminals, n_card_testing),
        rng.uniform(0.5, 3.0, n_card_testing),
        3,
    )

    frame = pd.DataFrame({key: np.concatenate(values) for key, values in parts.items()})

    # Compromised terminals: a share of the payments at a skimmed terminal for some days.
    expected_per_terminal = compromise_share * compromise_days * n_genuine / (n_terminals * n_days)
    n_skimmed = max(1, round((n_fraud - n_stolen - n_card_testing) / max(expected_per_terminal, 0.1)))
    skimmed = rng.choice(n_terminals, size=min(n_skimmed, n_terminals), replace=False)
    skim_start = np.full(n_terminals, -1.0)
    skim_start[skimmed] = rng.integers(0, n_days - compromise_days, size=skimmed.size) * SECONDS_PER_DAY
    terminal_start = skim_start[frame["terminal"].to_numpy()]
    in_window = (
        (terminal_start >= 0)
        & (frame["time"].to_numpy() >= terminal_start)
        & (frame["time"].to_numpy() < terminal_start + compromise_days * SECONDS_PER_DAY)
    )
    hit = in_window & (frame["scenario"].to_numpy() == 0) & (rng.random(len(frame)) < compromise_share)
    frame.loc[hit, "scenario"] = 1

    frame["amount"] = np.maximum(frame["amount"].round(2), 0.5)
    frame["time"] = np.floor(frame["time"]).astype(np.int64)
    return frame.sort_values(["time", "customer"], kind="stable").reset_index(drop=True)


def _window_counts_sums(group, time, values, *, window, delay=0, include_current=True):
    """Per row: count and sum of ``values`` of the same group in a past time window.

    The window is [t - delay - window, t - delay] (the current row included
    when ``delay`` is 0 and ``include_current``). Rows are assumed sorted by time.
    """
    order = np.lexsort((np.arange(len(time)), time, group))
    key = group[order].astype(np.int64) * (10 * 3650 * SECONDS_PER_DAY) + time[order]
    cumulative = np.concatenate([[0.0], np.cumsum(values[order])])
    start = np.searchsorted(key, key - delay - window, side="left")
    if delay == 0 and include_current:
        end = np.arange(len(key)) + 1
    elif delay == 0:  # strictly earlier rows only
        end = np.maximum(np.searchsorted(key, key, side="left"), start)
    else:
        end = np.searchsorted(key, key - delay, side="right")
        end = np.maximum(end, start)
    counts = np.empty(len(key), dtype=np.int64)
    sums = np.empty(len(key))
    counts[order] = end - start
    sums[order] = cumulative[end] - cumulative[start]
    return counts, sums


def _transaction_features(frame: pd.DataFrame, world: _World, *, reporting_delay_days: int) -> pd.DataFrame:
    customer_xy, terminal_xy = world.customer_xy, world.terminal_xy
    customer = frame["customer"].to_numpy()
    terminal = frame["terminal"].to_numpy()
    time = frame["time"].to_numpy()
    amount = frame["amount"].to_numpy()
    is_fraud = (frame["scenario"].to_numpy() > 0).astype(int)
    ones = np.ones(len(frame))
    hour_of_day = (time % SECONDS_PER_DAY) / 3600
    timestamp = START_DATE + pd.to_timedelta(time, unit="s")

    n_1h, _ = _window_counts_sums(customer, time, ones, window=3600)
    n_1d, _ = _window_counts_sums(customer, time, ones, window=SECONDS_PER_DAY)
    n_7d, _ = _window_counts_sums(customer, time, ones, window=7 * SECONDS_PER_DAY)
    n_30d, amount_30d = _window_counts_sums(customer, time, amount, window=30 * SECONDS_PER_DAY)
    mean_30d = amount_30d / n_30d
    delay, week = reporting_delay_days * SECONDS_PER_DAY, 7 * SECONDS_PER_DAY
    window = {"window": week, "delay": delay, "include_current": False}
    terminal_n, _ = _window_counts_sums(terminal, time, ones, **window)
    _, terminal_frauds = _window_counts_sums(terminal, time, is_fraud.astype(float), **window)
    terminal_rate = np.divide(terminal_frauds, terminal_n, out=np.zeros(len(frame)), where=terminal_n > 0)

    scenario_names = np.array(("none",) + FRAUD_SCENARIOS)
    return pd.DataFrame(
        {
            "transaction_id": np.arange(len(frame)),
            "timestamp": timestamp.strftime("%Y-%m-%d %H:%M:%S"),
            "customer_id": customer,
            "terminal_id": terminal,
            "amount": amount,
            "hour": np.round(hour_of_day, 3),
            "is_night": (hour_of_day < 6).astype(int),
            "is_weekend": (timestamp.day_of_week >= 5).astype(int),
            "distance_from_home": np.round(np.linalg.norm(terminal_xy[terminal] - customer_xy[customer], axis=1), 2),
            "customer_n_tx_1h": n_1h,
            "customer_n_tx_1d": n_1d,
            "customer_n_tx_7d": n_7d,
            "customer_mean_amount_30d": np.round(mean_30d, 2),
            "amount_to_customer_mean": np.round(amount / mean_30d, 3),
            "terminal_n_tx_7d": terminal_n,
            "terminal_fraud_rate_7d": np.round(terminal_rate, 4),
            "is_fraud": is_fraud,
            "fraud_scenario": scenario_names[frame["scenario"].to_numpy()],
        }
    )


# --------------------------------------------------------------------------- patients


def make_patients(n_patients: int = 10_000, *, random_state: int | np.random.Generator = 0) -> pd.DataFrame:
    """Simulate a screening population with a rare disease and two groups.

    Group "B" is 10 % of the population. In group "A" the disease raises
    ``marker_1``; in group "B" it raises ``marker_2`` instead and ``marker_1``
    only a little, so a model trained on data dominated by group A finds
    fewer of group B's cases.

    Parameters
    ----------
    n_patients : int, default=10_000
        Number of rows, >= 500.
    random_state : int or numpy Generator, default=0

    Returns
    -------
    pandas.DataFrame
        ``age`` (years), ``bmi`` (kg/m²), ``marker_1``, ``marker_2``,
        ``marker_3`` (standardised lab values), ``group`` ("A"/"B") and
        ``disease`` (0/1, ~3 %).
    """
    n_patients = check_int(n_patients, "n_patients", min_value=500)
    rng = check_random_state(random_state)
    group_b = rng.random(n_patients) < 0.10
    age = np.clip(rng.normal(55, 12, n_patients), 20, 90)
    bmi = np.clip(rng.normal(27, 4.5, n_patients), 16, 50)
    risk = -3.4 + 0.035 * (age - 55) + 0.05 * (bmi - 27)
    disease = rng.random(n_patients) < 1 / (1 + np.exp(-risk))
    marker_1 = rng.normal(0, 1, n_patients) + disease * np.where(group_b, 0.6, 2.4)
    marker_2 = rng.normal(0, 1, n_patients) + disease * np.where(group_b, 2.4, 0.4)
    marker_3 = rng.normal(0, 1, n_patients) + 0.8 * disease
    return pd.DataFrame(
        {
            "age": np.round(age, 1),
            "bmi": np.round(bmi, 1),
            "marker_1": np.round(marker_1, 3),
            "marker_2": np.round(marker_2, 3),
            "marker_3": np.round(marker_3, 3),
            "group": np.where(group_b, "B", "A"),
            "disease": disease.astype(int),
        }
    )


# --------------------------------------------------------------------------- defects

DEFECT_TYPES = {  # subtype: (share of all parts, shift of the sensor readings)
    "crack": (0.010, {"vibration": 2.5, "temperature": 0.8}),
    "porosity": (0.006, {"pressure": -2.2, "humidity": 1.5}),
    "misalignment": (0.0015, {"torque": 2.8, "speed": -1.8}),
}
DEFECT_SENSORS = ["temperature", "pressure", "vibration", "humidity", "torque", "speed"]


def make_defects(n_parts: int = 20_000, *, random_state: int | np.random.Generator = 0) -> pd.DataFrame:
    """Simulate end-of-line inspection: six sensor readings, rare defects of three subtypes.

    Each defect subtype shifts a different pair of sensors, so a model that
    saw only cracks and porosity does not recognise a misalignment.

    Parameters
    ----------
    n_parts : int, default=20_000
        Number of inspected parts, >= 1_000.
    random_state : int or numpy Generator, default=0

    Returns
    -------
    pandas.DataFrame
        The sensors in :data:`DEFECT_SENSORS` (standardised), ``line``
        (production line 1-3), ``defect_type`` ("none" or a subtype of
        :data:`DEFECT_TYPES`) and ``is_defect`` (0/1, ~1.8 %).
    """
    n_parts = check_int(n_parts, "n_parts", min_value=1_000)
    rng = check_random_state(random_state)
    names = ["none", *DEFECT_TYPES]
    shares = [1 - sum(share for share, _ in DEFECT_TYPES.values())] + [share for share, _ in DEFECT_TYPES.values()]
    defect_type = rng.choice(names, size=n_parts, p=shares)
    readings = rng.normal(0, 1, size=(n_parts, len(DEFECT_SENSORS)))
    readings[:, 1] += 0.5 * readings[:, 0]  # pressure follows temperature a little
    for name, (_, shifts) in DEFECT_TYPES.items():
        rows = defect_type == name
        for sensor, shift in shifts.items():
            readings[rows, DEFECT_SENSORS.index(sensor)] += shift
    frame = pd.DataFrame(np.round(readings, 3), columns=DEFECT_SENSORS)
    frame["line"] = rng.integers(1, 4, n_parts)
    frame["defect_type"] = defect_type
    frame["is_defect"] = (defect_type != "none").astype(int)
    return frame


# --------------------------------------------------------------------------- intents

INTENT_TEMPLATES = {  # intent: (relative frequency, phrasings, topic words)
    "check_balance": (
        300,
        ["what is my {w} balance", "how much money is in my {w}", "show my {w} balance please"],
        ["account", "checking", "savings", "current"],
    ),
    "transfer_money": (
        200,
        ["send money to {w}", "transfer funds to my {w}", "move cash to {w} now"],
        ["savings", "my friend", "another bank", "my landlord"],
    ),
    "card_payment_declined": (
        140,
        ["my card was declined at the {w}", "why was my payment refused at the {w}", "card not working at {w}"],
        ["shop", "supermarket", "petrol station", "restaurant"],
    ),
    "lost_card": (
        90,
        ["i lost my {w} card", "my {w} card was stolen", "cannot find my {w} card"],
        ["debit", "credit", "bank", "visa"],
    ),
    "change_pin": (
        60,
        ["how do i change my {w}", "reset the {w} of my card", "i forgot my {w}"],
        ["pin", "pin code", "card pin", "secret code"],
    ),
    "open_account": (
        40,
        ["i want to open a {w} account", "how to start a {w} account", "create a new {w} account"],
        ["savings", "joint", "business", "student"],
    ),
    "exchange_rate": (
        25,
        ["what is the {w} exchange rate", "how much is one {w} today", "convert to {w}"],
        ["euro", "dollar", "pound", "yen"],
    ),
    "report_fraud": (
        15,
        ["there is a {w} payment i did not make", "someone used my card for a {w}", "suspicious {w} on my statement"],
        ["strange", "unknown", "fraudulent", "online"],
    ),
    "close_account": (
        10,
        ["please close my {w} account", "i want to cancel my {w} account", "end my {w} account"],
        ["savings", "checking", "old", "joint"],
    ),
    "update_address": (
        6,
        ["i moved to a new {w}", "change the {w} on my profile", "update my {w} details"],
        ["address", "home", "flat", "house"],
    ),
    "dispute_charge": (
        4,
        ["i was charged twice for the {w}", "refund the double {w} charge", "wrong amount taken for {w}"],
        ["hotel", "ticket", "order", "subscription"],
    ),
    "travel_notice": (
        2,
        ["i am travelling to {w} next week", "tell the bank i will be in {w}", "using my card in {w} soon"],
        ["spain", "japan", "canada", "brazil"],
    ),
}
_FILLER = ["", "hi ", "hello ", "please ", "urgent ", "quick question ", "hey "]


def make_intents(n_messages: int = 4_000, *, random_state: int | np.random.Generator = 0) -> pd.DataFrame:
    """Simulate customer-service messages with a long tail of intents.

    Twelve intents with frequencies from 36 % down to 0.2 %; messages are
    short phrasings with varied wording, a few typos and shared words
    between intents, so the task is not trivial.

    Parameters
    ----------
    n_messages : int, default=4_000
        Number of messages, >= 500.
    random_state : int or numpy Generator, default=0

    Returns
    -------
    pandas.DataFrame
        ``text`` and ``intent``.
    """
    n_messages = check_int(n_messages, "n_messages", min_value=500)
    rng = check_random_state(random_state)
    intents = list(INTENT_TEMPLATES)
    weights = np.array([INTENT_TEMPLATES[name][0] for name in intents], dtype=float)
    labels = rng.choice(len(intents), size=n_messages, p=weights / weights.sum())
    all_words = sorted({word for _, _, words in INTENT_TEMPLATES.values() for word in words})
    texts = []
    for label in labels:
        _, phrasings, words = INTENT_TEMPLATES[intents[label]]
        # one message in five borrows a topic word from another intent
        word = words[rng.integers(len(words))] if rng.random() > 0.2 else all_words[rng.integers(len(all_words))]
        text = _FILLER[rng.integers(len(_FILLER))] + phrasings[rng.integers(len(phrasings))].format(w=word)
        if rng.random() < 0.1:  # a typo: drop one letter
            position = int(rng.integers(1, len(text)))
            text = text[: position - 1] + text[position:]
        texts.append(text)
    return pd.DataFrame({"text": texts, "intent": np.array(intents)[labels]})


# --------------------------------------------------------------------------- files and loaders


@dataclass(frozen=True)
class DataFile:
    """A committed data file: its name, how it is made, and how it is written."""

    filename: str
    make: callable
    float_format: str | None = None


DATA_FILES = {
    "transactions": DataFile("transactions.csv.gz", lambda: make_transactions(100_000, random_state=2025)),
    "patients": DataFile("patients.csv", lambda: make_patients(10_000, random_state=7)),
    "defects": DataFile("defects.csv", lambda: make_defects(20_000, random_state=11)),
    "intents": DataFile("intents.csv", lambda: make_intents(4_000, random_state=3)),
}


def _to_bytes(frame: pd.DataFrame, filename: str) -> bytes:
    text = frame.to_csv(index=False, lineterminator="\n").encode("utf-8")
    if filename.endswith(".gz"):
        buffer = io.BytesIO()
        # mtime=0 and no file name in the header: the same data gives the same bytes.
        with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as gz:
            gz.write(text)
        return buffer.getvalue()
    return text


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _expected_checksums(data_dir: Path) -> dict[str, str]:
    path = data_dir / CHECKSUM_FILE
    if not path.exists():
        raise DataFileError(
            f"{CHECKSUM_FILE} is missing from the data folder; regenerate the data with `{REGENERATE_COMMAND}`"
        )
    sums = {}
    for line in path.read_text().splitlines():
        if line.strip():
            digest, name = line.split()
            sums[name] = digest
    return sums


def regenerate(data_dir: Path | str = DATA_DIR) -> dict[str, str]:
    """Write every data file and the checksum file; return {file name: sha256}."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    sums = {}
    for spec in DATA_FILES.values():
        path = data_dir / spec.filename
        path.write_bytes(_to_bytes(spec.make(), spec.filename))
        sums[spec.filename] = _sha256(path)
    # Other files listed in the checksum file (results written by helpers.experiment) keep their entries.
    existing = _expected_checksums(data_dir) if (data_dir / CHECKSUM_FILE).exists() else {}
    listed = {**existing, **sums}
    (data_dir / CHECKSUM_FILE).write_text("".join(f"{digest}  {name}\n" for name, digest in sorted(listed.items())))
    return sums


def load_dataset(name: str, *, data_dir: Path | str | None = None) -> pd.DataFrame:
    """Load one of the course's data sets after checking its checksum.

    Parameters
    ----------
    name : {"transactions", "patients", "defects", "intents"}
    data_dir : path, default=None
        Folder holding the files; the course's ``data/`` folder when None.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    DataFileError
        When the file is missing or damaged; the message says how to regenerate it.
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {type(name).__name__}")
    if name not in DATA_FILES:
        raise ValueError(f"name must be one of {sorted(DATA_FILES)}, got {name!r}")
    data_dir = DATA_DIR if data_dir is None else Path(data_dir)
    spec = DATA_FILES[name]
    path = data_dir / spec.filename
    if not path.exists():
        raise DataFileError(f"data file {spec.filename} is missing; regenerate it with `{REGENERATE_COMMAND}`")
    expected = _expected_checksums(data_dir).get(spec.filename)
    if expected != _sha256(path):
        raise DataFileError(
            f"data file {spec.filename} is damaged (its checksum does not match {CHECKSUM_FILE}); "
            f"regenerate it with `{REGENERATE_COMMAND}`"
        )
    return pd.read_csv(path)


def load_transactions(*, return_X_y: bool = False, data_dir: Path | str | None = None):
    """Load the card-transactions data set (100,000 payments, ~0.5 % fraud).

    Parameters
    ----------
    return_X_y : bool, default=False
        If True, return ``(X, y)``: the feature columns of
        :data:`TRANSACTION_FEATURES` and the ``is_fraud`` labels.
    data_dir : path, default=None

    Returns
    -------
    pandas.DataFrame, or (DataFrame, Series) when ``return_X_y``
    """
    if not isinstance(return_X_y, bool):
        raise TypeError(f"return_X_y must be True or False, got {return_X_y!r}")
    frame = load_dataset("transactions", data_dir=data_dir)
    if return_X_y:
        return frame[TRANSACTION_FEATURES], frame["is_fraud"]
    return frame


def load_patients(*, data_dir: Path | str | None = None) -> pd.DataFrame:
    """Load the screening population (see :func:`make_patients`)."""
    return load_dataset("patients", data_dir=data_dir)


def load_defects(*, data_dir: Path | str | None = None) -> pd.DataFrame:
    """Load the production-line inspection data (see :func:`make_defects`)."""
    return load_dataset("defects", data_dir=data_dir)


def load_intents(*, data_dir: Path | str | None = None) -> pd.DataFrame:
    """Load the customer-service messages (see :func:`make_intents`)."""
    return load_dataset("intents", data_dir=data_dir)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Regenerate or check the course's data files.")
    parser.add_argument("--regenerate", action="store_true", help="write every data file and SHA256SUMS")
    parser.add_argument("--data-dir", default=str(DATA_DIR), help="where the files go (default: the course's data/)")
    args = parser.parse_args(argv)
    if args.regenerate:
        for name, digest in regenerate(args.data_dir).items():
            print(f"{digest}  {name}")
    else:
        for name in DATA_FILES:
            frame = load_dataset(name, data_dir=args.data_dir)
            print(f"{name}: {len(frame):,} rows, checksum ok")


if __name__ == "__main__":
    main()
