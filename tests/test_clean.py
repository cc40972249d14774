"""prepare: what is dropped, what is imputed, how it is split."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from co2mix.data.clean import clean_batch, impute, prepare
from co2mix.data.split import split_rows
from co2mix.simulate.dataset import generate


@pytest.fixture(scope="module")
def raw(make_all_params):
    data = generate(make_all_params().generate, make_all_params().data)
    return {"reference": data.reference, "current": data.current}, data.truth


@pytest.fixture(scope="module")
def prepared_both(make_all_params, raw):
    params = make_all_params(**{"prepare.use": "both"})
    batches, truth = raw
    return prepare(batches, params.data, params.detect, params.prepare, truth), params


def numeric_features(params, frame):
    return [
        c
        for c in params.data.feature_columns(list(frame.columns))
        if c not in params.data.categorical
    ]


def test_no_nan_reaches_the_prepared_data(prepared_both):
    result, _ = prepared_both
    assert not result.train.isna().any().any()
    assert not result.test.isna().any().any()


def test_only_injected_duplicates_are_dropped(prepared_both, raw):
    result, _ = prepared_both
    batches, _truth = raw
    rows_in = sum(len(f) for f in batches.values())
    dropped = sum(b["duplicates_dropped"] for b in result.metrics["batches"].values())
    assert len(result.train) + len(result.test) == rows_in - dropped
    kept_ids = set(result.train["batch_id"]) | set(result.test["batch_id"])
    all_ids = set(batches["reference"]["batch_id"]) | set(batches["current"]["batch_id"])
    assert kept_ids == all_ids  # every batch survives once
    for batch in result.metrics["batches"].values():
        assert batch["rows_dropped_without_fault"] == 0
        assert batch["detection"]["duplicate"]["recall"] == 1.0
        assert batch["detection"]["stuck"]["recall"] == 1.0
        assert batch["detection"]["stuck"]["precision"] >= 0.95


def test_imputed_values_lie_within_the_training_range(make_all_params, raw):
    params = make_all_params(**{"prepare.use": "both"})
    batches, truth = raw
    result = prepare(batches, params.data, params.detect, params.prepare, truth)
    # Recompute the cleaned, not yet imputed training rows to know what was missing.
    cleaned = pd.concat(
        [clean_batch(batches[n], params.data, params.detect).frame for n in batches],
        ignore_index=True,
    ).set_index("batch_id")
    columns = numeric_features(params, result.train)
    before_train = cleaned.loc[result.train["batch_id"], columns]
    low, high = before_train.min(), before_train.max()
    for frame in (result.train, result.test):
        holes = cleaned.loc[frame["batch_id"], columns].isna().to_numpy()
        assert holes.any()
        filled = frame[columns].to_numpy()
        for j, column in enumerate(columns):
            values = filled[holes[:, j], j]
            assert (values >= low[column] - 1e-9).all() and (values <= high[column] + 1e-9).all()


def test_the_imputer_learns_from_training_rows_only():
    rng = np.random.default_rng(1)
    train = pd.DataFrame({"a": rng.normal(0, 1, 200), "b": rng.normal(10, 1, 200)})
    train.loc[::10, "b"] = np.nan
    test_a = pd.DataFrame({"a": [0.0, 0.5], "b": [np.nan, 10.0]})
    test_b = pd.DataFrame({"a": [0.0, 0.5], "b": [np.nan, 1e6]})  # an absurd test value
    train_1, filled_a = impute(train, test_a, ["a", "b"], k=5)
    train_2, filled_b = impute(train, test_b, ["a", "b"], k=5)
    pd.testing.assert_frame_equal(train_1, train_2)
    assert filled_a.loc[0, "b"] == filled_b.loc[0, "b"]  # test rows never inform the fit
    observed = train["b"].dropna()
    assert observed.min() <= filled_a.loc[0, "b"] <= observed.max()


def test_time_split_puts_the_latest_rows_in_test(make_all_params, raw):
    params = make_all_params(**{"prepare.split": "time", "prepare.test_fraction": 0.25})
    frame = raw[0]["reference"]
    train, test = split_rows(
        frame,
        params.prepare.split,
        params.prepare.test_fraction,
        params.prepare.seed,
        "produced_at",
    )
    assert train["produced_at"].max() <= test["produced_at"].min()
    assert len(test) == round(0.25 * len(frame))


def test_random_split_is_seeded(make_all_params, raw):
    params = make_all_params()
    frame = raw[0]["reference"]
    _a_train, a_test = split_rows(
        frame,
        params.prepare.split,
        params.prepare.test_fraction,
        params.prepare.seed,
        "produced_at",
    )
    _b_train, b_test = split_rows(
        frame,
        params.prepare.split,
        params.prepare.test_fraction,
        params.prepare.seed,
        "produced_at",
    )
    pd.testing.assert_frame_equal(a_test, b_test)
    other = make_all_params(**{"prepare.seed": 1}).prepare
    _c_train, c_test = split_rows(
        frame, other.split, other.test_fraction, other.seed, "produced_at"
    )
    assert set(c_test["batch_id"]) != set(a_test["batch_id"])


@pytest.mark.parametrize("use", ["reference", "current", "both"])
def test_use_selects_the_batches(make_all_params, raw, use):
    params = make_all_params(**{"prepare.use": use})
    batches, truth = raw
    result = prepare(batches, params.data, params.detect, params.prepare, truth)
    ids = pd.concat([result.train, result.test])["batch_id"]
    first_current = batches["current"]["batch_id"].min()
    assert (ids >= first_current).any() == (use in ("current", "both"))
    assert (ids < first_current).any() == (use in ("reference", "both"))
    assert set(result.metrics["batches"]) == {"reference", "current"}  # both are cleaned
    # fresh: current rows no model trains on (all of it, or its test rows)
    fresh_ids = set(result.fresh["batch_id"])
    assert fresh_ids and min(fresh_ids) >= first_current
    assert not fresh_ids & set(result.train["batch_id"])
    if use == "reference":
        dropped = result.metrics["batches"]["current"]["duplicates_dropped"]
        assert len(result.fresh) == len(batches["current"]) - dropped
    else:
        assert fresh_ids == {i for i in result.test["batch_id"] if i >= first_current}
    assert result.metrics["rows_out"]["fresh"] == len(result.fresh)
    assert not result.fresh[numeric_features(params, result.fresh)].isna().any().any()


def test_complete_donor_imputation_is_as_accurate_as_knn_imputer_against_the_truth(
    make_all_params,
):
    """The truth of a blanked cell is the plant's reading with every fault rate 0."""
    from sklearn.impute import KNNImputer

    no_faults = {
        f"generate.faults.{k}": 0.0
        for k in ("null_rate", "spike_rate", "duplicate_rate", "tampered_start_rate")
    }
    size = {"generate.reference.rows": 5000, "generate.current.rows": 500}
    params = make_all_params(**size)
    truth = generate(make_all_params(**size, **no_faults).generate, params.data).reference
    truth = truth.set_index("batch_id")
    cleaned = clean_batch(
        generate(params.generate, params.data).reference, params.data, params.detect
    )
    train, test = split_rows(
        cleaned.frame,
        params.prepare.split,
        params.prepare.test_fraction,
        params.prepare.seed,
        "produced_at",
    )
    columns = numeric_features(params, train)
    ours, _ = impute(train, test, columns, k=5)

    values = train[columns].to_numpy(dtype=float)
    center, scale = np.nanmean(values, axis=0), np.nanstd(values, axis=0)
    knn = KNNImputer(n_neighbors=5).fit_transform((values - center) / scale) * scale + center

    holes = train[columns].isna().to_numpy()
    true = truth.loc[train["batch_id"], columns].to_numpy()
    sd = truth[columns].std().to_numpy()
    ours_error = np.sqrt(np.mean((((ours[columns].to_numpy() - true) / sd)[holes]) ** 2))
    knn_error = np.sqrt(np.mean((((knn - true) / sd)[holes]) ** 2))
    assert holes.sum() > 1000
    assert ours_error <= knn_error * 1.01
    assert ours_error < 0.8  # far better than the column mean (about 1 sd)


def test_every_cell_prepare_did_not_clean_or_impute_is_the_raw_cell_bit_for_bit(prepared_both, raw):
    """Only gaps (missing, stuck or spiked readings) are written: a present value never
    goes through the imputer's scaling round trip (it turned 0 into -8.9e-16)."""
    result, params = prepared_both
    batches, _ = raw
    key = params.data.id_column
    cleaned = pd.concat(
        [clean_batch(batches[b], params.data, params.detect).frame for b in batches]
    ).set_index(key)
    out = pd.concat([result.train, result.test, result.fresh]).set_index(key)
    out = out[~out.index.duplicated()]  # fresh rows are test rows too when use is both
    assert len(out) > 20000
    before = cleaned.loc[out.index]
    compared = 0
    for column in out.columns:
        if not pd.api.types.is_float_dtype(out[column]):
            assert out[column].astype(str).equals(before[column].astype(str)), column
            continue
        kept = before[column].notna().to_numpy()
        a = out[column].to_numpy(dtype=float)[kept]
        b = before[column].to_numpy(dtype=float)[kept]  # an int column: its exact float
        assert (a.view(np.int64) == b.view(np.int64)).all(), column  # bit for bit
        compared += int(kept.sum())
    assert compared > 20000 * 10
