"""helpers.data: generators, committed files, checksums, loaders, bad input."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import data

ROOT = Path(__file__).resolve().parent.parent
CARD = (ROOT / "data" / "README.md").read_text()


def card_rows() -> dict[str, list[str]]:
    """The summary table of the data card, by data set name."""
    rows = {}
    for line in CARD.split("## Summary", 1)[1].splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 7 and cells[0] in data.DATA_FILES:
            rows[cells[0]] = cells
    return rows


def test_card_lists_every_data_set():
    assert set(card_rows()) == set(data.DATA_FILES)


@pytest.mark.parametrize("name", ["transactions", "patients", "defects"])
def test_binary_data_sets_match_their_card(name):
    _, filename, rows, columns, positive, positives, rate = card_rows()[name]
    frame = data.load_dataset(name)
    label = positive.split("=")[0].strip()
    assert filename == data.DATA_FILES[name].filename
    assert len(frame) == int(rows)
    assert len(frame.columns) == int(columns)
    assert int(frame[label].sum()) == int(positives)
    assert abs(frame[label].mean() * 100 - float(rate.split()[0])) < 0.0005


def test_intents_match_their_card():
    _, filename, rows, columns, _, rarest, rate = card_rows()["intents"]
    frame = data.load_intents()
    counts = frame["intent"].value_counts()
    assert (len(frame), len(frame.columns)) == (int(rows), int(columns))
    assert counts.idxmin() == rarest.split(":")[0] and counts.min() == int(rarest.split(":")[1])
    assert abs(counts.min() / len(frame) * 100 - float(rate.split()[0])) < 0.001
    assert frame["intent"].nunique() == 12


def test_transactions_columns_are_documented():
    frame = data.load_transactions()
    documented = set(re.findall(r"^\| ([a-z0-9_, ]+) \|", CARD, flags=re.M))
    names = {name.strip() for row in documented for name in row.split(",")}
    assert set(frame.columns) <= names, set(frame.columns) - names


def test_transactions_fraud_process():
    frame = data.load_transactions()
    assert 0.002 <= frame["is_fraud"].mean() <= 0.01
    assert set(frame["fraud_scenario"]) == {"none", *data.FRAUD_SCENARIOS}
    assert ((frame["fraud_scenario"] != "none") == (frame["is_fraud"] == 1)).all()
    by_scenario = frame.groupby("fraud_scenario")
    # each scenario leaves the trace the card describes
    assert by_scenario["amount_to_customer_mean"].median()["stolen_card"] > 2.5
    assert by_scenario["amount"].max()["card_testing"] <= 3.0
    assert (
        by_scenario["terminal_fraud_rate_7d"].mean()["compromised_terminal"]
        > 10 * by_scenario["terminal_fraud_rate_7d"].mean()["none"]
    )
    assert frame["timestamp"].is_monotonic_increasing


def test_return_X_y():
    X, y = data.load_transactions(return_X_y=True)
    assert list(X.columns) == data.TRANSACTION_FEATURES
    assert y.name == "is_fraud" and len(X) == len(y)


def test_regenerate_reproduces_committed_files_byte_for_byte(tmp_path):
    sums = data.regenerate(tmp_path)
    committed = data._expected_checksums(ROOT / "data")
    regenerated = data._expected_checksums(tmp_path)
    assert regenerated == {name: committed[name] for name in regenerated} and set(regenerated) == set(sums)
    for name in sums:
        assert (tmp_path / name).read_bytes() == (ROOT / "data" / name).read_bytes(), name


def test_tampered_file_raises_the_documented_error(tmp_path):
    shutil.copytree(ROOT / "data", tmp_path / "data")
    path = tmp_path / "data" / "transactions.csv.gz"
    damaged = bytearray(path.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    path.write_bytes(bytes(damaged))
    with pytest.raises(data.DataFileError, match=r"damaged.*python -m helpers\.data --regenerate"):
        data.load_transactions(data_dir=tmp_path / "data")
    path.unlink()
    with pytest.raises(data.DataFileError, match=r"missing.*python -m helpers\.data --regenerate"):
        data.load_transactions(data_dir=tmp_path / "data")
    (tmp_path / "data" / data.CHECKSUM_FILE).unlink()
    with pytest.raises(data.DataFileError, match="SHA256SUMS is missing"):
        data.load_patients(data_dir=tmp_path / "data")


def test_one_million_transactions_in_seconds():
    start = time.perf_counter()
    frame = data.make_transactions(1_000_000, random_state=1)
    elapsed = time.perf_counter() - start
    print(f"make_transactions(1_000_000): {elapsed:.1f} s")  # reported, not asserted: timings flake
    assert len(frame) == 1_000_000
    assert 0.002 <= frame["is_fraud"].mean() <= 0.01


@settings(max_examples=15, deadline=None)
@given(
    n=st.integers(min_value=1_000, max_value=6_000),
    fraud_rate=st.floats(min_value=0.001, max_value=0.05),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_transactions_properties(n, fraud_rate, seed):
    frame = data.make_transactions(n, fraud_rate=fraud_rate, random_state=seed)
    assert len(frame) == n
    assert frame["transaction_id"].tolist() == list(range(n))
    assert frame["is_fraud"].isin([0, 1]).all()
    assert frame["is_fraud"].sum() >= 1
    assert (frame["amount"] >= 0.5).all()
    assert frame["hour"].between(0, 24).all()
    assert (frame["customer_n_tx_1h"] <= frame["customer_n_tx_1d"]).all()
    assert (frame["customer_n_tx_1d"] <= frame["customer_n_tx_7d"]).all()
    assert (frame["customer_n_tx_1h"] >= 1).all()  # the payment itself counts
    assert frame["terminal_fraud_rate_7d"].between(0, 1).all()
    np.testing.assert_allclose(
        frame["amount_to_customer_mean"], frame["amount"] / frame["customer_mean_amount_30d"], rtol=0.01, atol=0.002
    )


def test_customer_window_counts_by_brute_force():
    frame = data.make_transactions(2_000, random_state=5)
    seconds = (pd.to_datetime(frame["timestamp"]) - data.START_DATE).dt.total_seconds().to_numpy()
    for row in range(0, 2_000, 97):
        same = (frame["customer_id"] == frame["customer_id"][row]).to_numpy()
        in_day = same & (seconds <= seconds[row]) & (seconds >= seconds[row] - data.SECONDS_PER_DAY)
        # ties at the same second may fall on either side of the current row
        assert abs(frame["customer_n_tx_1d"][row] - in_day.sum()) <= (same & (seconds == seconds[row])).sum() - 1


@pytest.mark.parametrize("maker", [data.make_transactions, data.make_patients, data.make_defects, data.make_intents])
def test_generators_are_deterministic(maker):
    small = 1_000
    pd.testing.assert_frame_equal(maker(small, random_state=3), maker(small, random_state=3))
    assert not maker(small, random_state=3).equals(maker(small, random_state=4))


def test_other_generators_shape():
    patients = data.make_patients(2_000, random_state=0)
    assert set(patients["group"]) == {"A", "B"} and patients["disease"].isin([0, 1]).all()
    defects = data.make_defects(5_000, random_state=0)
    assert set(defects["defect_type"]) <= {"none", *data.DEFECT_TYPES}
    assert (defects["is_defect"] == (defects["defect_type"] != "none")).all()
    intents = data.make_intents(1_000, random_state=0)
    assert set(intents["intent"]) <= set(data.INTENT_TEMPLATES)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: data.make_transactions(10), ValueError, "n_transactions must be >= 1000"),
        (lambda: data.make_transactions(5_000.0), TypeError, "n_transactions must be an integer"),
        (lambda: data.make_transactions(5_000, fraud_rate=0), ValueError, "fraud_rate must be > 0"),
        (lambda: data.make_transactions(5_000, fraud_rate=0.5), ValueError, "fraud_rate must be <= 0.2"),
        (lambda: data.make_transactions(5_000, n_days=3), ValueError, "n_days must be >= 30"),
        (lambda: data.make_transactions(5_000, random_state=-1), ValueError, "random_state must be >= 0"),
        (lambda: data.make_transactions(5_000, random_state="a"), TypeError, "random_state must be an integer"),
        (lambda: data.make_patients(10), ValueError, "n_patients must be >= 500"),
        (lambda: data.make_defects(True), TypeError, "n_parts must be an integer"),
        (lambda: data.make_intents(-5), ValueError, "n_messages must be >= 500"),
        (lambda: data.load_dataset("fraud"), ValueError, "name must be one of"),
        (lambda: data.load_dataset(3), TypeError, "name must be a string"),
        (lambda: data.load_transactions(return_X_y="yes"), TypeError, "return_X_y must be True or False"),
    ],
)
def test_bad_input_is_named(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()


# --------------------------------------------------------------------------- the same world, continued in time


@pytest.fixture(scope="module")
def history_and_next():
    return data.load_transactions(), data.continue_transactions(30)


def test_next_period_is_the_same_world_later(history_and_next):
    history, future = history_and_next
    assert future["transaction_id"].iloc[0] == len(history)
    assert future["transaction_id"].is_monotonic_increasing and future["timestamp"].is_monotonic_increasing
    assert future["timestamp"].iloc[0] > history["timestamp"].iloc[-1]
    assert future["timestamp"].iloc[0].startswith("2025-06-30")  # 90 days after 2025-04-01
    assert future["timestamp"].iloc[-1] < "2025-07-30"
    # the same customers and terminals: each customer's home-terminal distances are the history's
    assert set(future["customer_id"]) <= set(history["customer_id"])
    assert set(future["terminal_id"]) <= set(range(history["terminal_id"].max() + 1))

    def genuine(frame):
        return frame[frame["fraud_scenario"] == "none"]

    both = pd.concat([genuine(history), genuine(future)])
    spread = both.groupby(["customer_id", "terminal_id"])["distance_from_home"].nunique()
    assert (spread == 1).all(), "a customer-terminal pair has two distances: the map changed"
    # the daily volume and the fraud mix carry on
    assert abs(len(future) - round(100_000 * 30 / 90)) <= 1
    assert 0.003 <= future["is_fraud"].mean() <= 0.008
    assert set(future["fraud_scenario"]) == {"none", *data.FRAUD_SCENARIOS}


def test_next_period_features_see_the_history(history_and_next):
    history, future = history_and_next
    first_day = future[future["timestamp"] < "2025-07-01"]
    # customers who paid in the history's last week start the period with a past, not from zero
    assert (first_day["customer_n_tx_7d"] > first_day["customer_n_tx_1d"]).mean() > 0.9
    alone = data.make_transactions(33_333, n_days=30, random_state=1)
    assert (first_day["customer_n_tx_7d"].mean()) > 2 * alone.loc[
        alone["timestamp"] < "2025-04-02", "customer_n_tx_7d"
    ].mean()


def test_continuation_replays_the_committed_history():
    # the history inside continue_transactions is the committed file: same payments, same features
    world_rng = np.random.default_rng(2025)
    world = data._make_world(100_000, world_rng)
    payments = data._simulate_payments(world, 100_000, 90, 0.005, 14, 0.5, world_rng)
    replayed = data._transaction_features(payments, world, reporting_delay_days=7)
    committed = data.load_transactions()
    pd.testing.assert_frame_equal(replayed.astype(str), committed.astype(str), check_dtype=False)


def test_reporting_delay_changes_only_the_terminal_columns():
    delayed = data.make_transactions(20_000, random_state=8)
    instant = data.make_transactions(20_000, random_state=8, reporting_delay_days=0)
    other = [column for column in delayed.columns if not column.startswith("terminal_") or column == "terminal_id"]
    pd.testing.assert_frame_equal(delayed[other], instant[other])
    skimmed = delayed["fraud_scenario"] == "compromised_terminal"
    # known at once, a skimmer's earlier frauds light up the terminal; with a week's delay, mostly not yet
    assert (
        instant.loc[skimmed, "terminal_fraud_rate_7d"].mean()
        > 2 * delayed.loc[skimmed, "terminal_fraud_rate_7d"].mean()
    )
    # the current payment's own label never enters the feature, even without delay
    seconds = (pd.to_datetime(instant["timestamp"]) - data.START_DATE).dt.total_seconds().to_numpy()
    for row in np.flatnonzero(skimmed.to_numpy())[:25]:
        same = (instant["terminal_id"] == instant["terminal_id"][row]).to_numpy()
        earlier = same & (seconds < seconds[row]) & (seconds >= seconds[row] - 7 * data.SECONDS_PER_DAY)
        expected = instant["is_fraud"].to_numpy()[earlier].mean() if earlier.any() else 0.0
        assert instant["terminal_n_tx_7d"][row] == earlier.sum()
        assert abs(instant["terminal_fraud_rate_7d"][row] - round(expected, 4)) < 1e-9


def test_compromise_knobs_change_the_skimmer_scenario():
    short = data.make_transactions(20_000, random_state=8, compromise_days=3)
    long = data.make_transactions(20_000, random_state=8, compromise_days=28)

    def count(frame):
        return (frame["fraud_scenario"] == "compromised_terminal").sum()

    # the generator keeps the fraud share near its target: fewer terminals skimmed for longer
    assert abs(count(short) - count(long)) < 0.5 * max(count(short), count(long))

    def skimmed_terminals(frame):
        return frame.loc[frame["fraud_scenario"] == "compromised_terminal", "terminal_id"].nunique()

    assert skimmed_terminals(short) > 2 * skimmed_terminals(long)
    heavy = data.continue_transactions(30, compromise_share=1.0, random_state=3)
    light = data.continue_transactions(30, compromise_share=0.25, random_state=3)

    def share(frame):
        return frame.groupby("terminal_id")["is_fraud"].max().sum()

    assert share(light) > share(heavy)  # the same fraud budget spread over more terminals


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: data.make_transactions(5_000, compromise_days=90), ValueError, "compromise_days must be <= 89"),
        (lambda: data.make_transactions(5_000, compromise_share=0), ValueError, "compromise_share must be > 0"),
        (
            lambda: data.make_transactions(5_000, reporting_delay_days=-1),
            ValueError,
            "reporting_delay_days must be >= 0",
        ),
        (
            lambda: data.make_transactions(5_000, reporting_delay_days=1.5),
            TypeError,
            "reporting_delay_days must be an integer",
        ),
        (lambda: data.continue_transactions(10), ValueError, "n_days must be >= 15"),
        (lambda: data.continue_transactions(30, n_transactions=10), ValueError, "n_transactions must be >= 1000"),
        (
            lambda: data.continue_transactions(30, random_state=np.random.default_rng(0)),
            TypeError,
            "random_state must be an integer",
        ),
        (
            lambda: data.continue_transactions(30, history_seed=np.random.default_rng(0)),
            TypeError,
            "history_seed must be an integer",
        ),
        (lambda: data.continue_transactions(30, history_seed=-3), ValueError, "history_seed must be >= 0"),
    ],
)
def test_bad_continuation_input_is_named(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()
