"""Cleaning and the train/test split (the prepare stage).

Per batch: drop exact duplicates, blank out stuck and spiked sensor readings (the
detectors of :mod:`co2mix.data.detect`, the same the check stage reports with). Then take
the batches ``prepare.use`` asks for, split train/test at random or by time, and fill
every missing reading from its nearest complete training rows only, so nothing about
the test rows leaks into training.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.neighbors import NearestNeighbors

from co2mix.core.errors import InputError, ParamsError
from co2mix.core.params import Data, Detect, Prepare
from co2mix.core.schemas import BatchCleaning, BatchName, PrepareMetrics, RowSets, TruthRecord
from co2mix.data import detect, scoring
from co2mix.data.outliers import fit_rule, outlier_columns
from co2mix.data.split import split_rows


@dataclass
class CleanBatch:
    frame: pd.DataFrame  # duplicates dropped, faulty readings set to NaN
    dropped_ids: list[int]
    stuck: pd.DataFrame  # masks aligned with frame
    spikes: pd.DataFrame
    nulls_in: int


@dataclass
class Prepared:
    train: pd.DataFrame
    test: pd.DataFrame
    fresh: pd.DataFrame  # the current batch's rows that no model trains on
    metrics: PrepareMetrics


def clean_batch(frame: pd.DataFrame, data: Data, det: Detect) -> CleanBatch:
    """Drop duplicated rows; set stuck and spiked readings to NaN."""
    duplicated = detect.duplicate_rows(frame)
    dropped = frame.loc[duplicated, data.id_column].astype(int).tolist()
    kept = frame.loc[~duplicated].reset_index(drop=True)
    sensors = data.sensor_columns
    stuck = detect.stuck_cells(kept, sensors, det.stuck_min_readings)
    spikes = detect.spike_cells(kept, sensors, det.spike_z, exclude=stuck)
    nulls_in = int(kept[sensors].isna().sum().sum())
    cleaned = kept.copy()
    for column in sensors:
        cleaned[column] = cleaned[column].mask(stuck[column] | spikes[column])
    return CleanBatch(cleaned, dropped, stuck, spikes, nulls_in)


def fit_imputer(
    train: pd.DataFrame, columns: list[str], k: int, fit_rows: int = 0, seed: int = 0
) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """A filler of NaNs in ``columns``: the mean of the ``k`` nearest complete training rows.

    Distances are Euclidean in standardized units over the columns the row has. Rows are
    grouped by which columns they miss, and each group is one nearest-neighbour query
    against the training rows that miss nothing (``fit_rows`` > 0: a seeded sample of that
    many training rows). That is KNN imputation with complete donors: against the truth it
    is as accurate as scikit-learn's ``KNNImputer`` (which also takes donors with gaps of
    their own, through a slow NaN-aware distance) and several times faster (README).
    Fitted on the training rows only, it fills the test and fresh rows without leaking them.
    """
    if len(train) < 2:
        raise InputError(f"cannot impute from {len(train)} training row(s)")
    values = train[columns].to_numpy(dtype=float)
    empty = [c for c, v in zip(columns, values.T, strict=True) if np.isnan(v).all()]
    if empty:
        raise InputError(
            f"cannot impute: column(s) {empty} have no value at all in the {len(values)} "
            "training rows (expected readings to learn from)"
        )
    center = np.nanmean(values, axis=0)
    scale = np.nanstd(values, axis=0)
    scale[~np.isfinite(scale) | (scale == 0)] = 1.0
    reference = values
    if 0 < fit_rows < len(values):
        chosen = np.random.default_rng(seed).choice(len(values), fit_rows, replace=False)
        reference = values[np.sort(chosen)]
    donors = (reference[~np.isnan(reference).any(axis=1)] - center) / scale
    if len(donors) == 0:
        raise InputError("cannot impute: no training row has every numeric feature")
    fill = _nearest_donors(donors, min(k, len(donors)))

    def filled(frame: pd.DataFrame) -> pd.DataFrame:
        """Only the gaps are written: a present value goes through no scaling round trip
        ((0 - mean) / sd * sd + mean is -8.9e-16, not 0, and fails a [0, ...] range)."""
        out = frame.copy()
        if len(out):
            raw = out[columns].to_numpy(dtype=float)
            gaps = np.isnan(raw)
            if gaps.any():
                imputed = fill((raw - center) / scale) * scale + center
                out[columns] = np.where(gaps, imputed, raw)
        return out

    return filled


def impute(
    train: pd.DataFrame,
    test: pd.DataFrame,
    columns: list[str],
    k: int,
    fit_rows: int = 0,
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``train`` and ``test`` filled by :func:`fit_imputer` fitted on ``train``."""
    fill = fit_imputer(train, columns, k, fit_rows, seed)
    return fill(train), fill(test)


def _nearest_donors(donors: np.ndarray, k: int) -> Callable[[np.ndarray], np.ndarray]:
    """A filler of standardized rows: each group of rows with the same gaps is one query,
    against an index of the donors' present columns built once per gap pattern."""
    indexes: dict[bytes, NearestNeighbors] = {}

    def index_for(present: np.ndarray) -> NearestNeighbors:
        key = present.tobytes()
        if key not in indexes:
            indexes[key] = NearestNeighbors(n_neighbors=k).fit(donors[:, present])
        return indexes[key]

    def fill(scaled: np.ndarray) -> np.ndarray:
        gaps = np.isnan(scaled)
        rows = np.flatnonzero(gaps.any(axis=1))
        patterns, group = np.unique(gaps[rows], axis=0, return_inverse=True)
        for g, missing in enumerate(patterns):
            receivers = rows[group.ravel() == g]
            present = ~missing
            if not present.any():  # nothing to measure by: the donors' mean
                scaled[np.ix_(receivers, missing)] = donors[:, missing].mean(axis=0)
                continue
            _, nearest = index_for(present).kneighbors(scaled[np.ix_(receivers, present)])
            scaled[np.ix_(receivers, missing)] = donors[:, missing][nearest].mean(axis=1)
        return scaled

    return fill


def _batch_metrics(
    name: BatchName, raw: pd.DataFrame, clean: CleanBatch, data: Data, truth: TruthRecord | None
) -> BatchCleaning:
    metrics: BatchCleaning = {
        "rows_in": len(raw),
        "duplicates_dropped": len(clean.dropped_ids),
        "flagged_cells": {
            "stuck": int(clean.stuck.to_numpy().sum()),
            "spike": int(clean.spikes.to_numpy().sum()),
        },
        "null_cells_in": clean.nulls_in,
    }
    if truth is None:
        return metrics
    dropped = set(clean.dropped_ids)
    metrics["detection"] = scoring.fault_scores(
        truth[name],
        clean.frame[data.id_column],
        dropped,
        {"stuck": clean.stuck, "spike": clean.spikes},
    )
    injected_duplicates = scoring.injected_duplicates(truth[name])
    metrics["rows_dropped_without_fault"] = len(dropped - injected_duplicates)
    return metrics


def _split(
    combined: pd.DataFrame, current: pd.DataFrame, data: Data, prep: Prepare
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, str]:
    """(train, test, fresh rows, where the fresh rows come from)."""
    if prep.split == "batches":  # the source split its rows: reference trains, current tests
        train = combined[combined[BATCH] == "reference"].reset_index(drop=True)
        test = combined[combined[BATCH] == "current"].reset_index(drop=True)
        fresh, origin = test.iloc[:0], "none: the current batch is the test set"
    else:
        train, test = split_rows(
            combined, prep.split, prep.test_fraction, prep.seed, data.order_column
        )
        if prep.use == "reference":
            fresh, origin = current, "the whole current batch"
        else:
            fresh, origin = test[test[BATCH] == "current"], "the current batch's test rows"
    train, test, fresh = (f.drop(columns=BATCH, errors="ignore") for f in (train, test, fresh))
    return train, test, fresh, origin


def _check_neighbours(prep: Prepare, rows: int) -> None:
    if prep.knn_k > rows:
        raise ParamsError(
            f"params.yaml: prepare.knn_k = {prep.knn_k}: more neighbours than the "
            f"{rows} training rows (expected at most {rows})"
        )


BATCH = "_batch"  # which raw batch a row came from, while the batches are combined


def drop_implausible(
    cleaned: dict[BatchName, CleanBatch], data: Data, prep: Prepare
) -> dict[str, int]:
    """``prepare.outliers: drop``: each batch without its implausible rows (the rule of
    :mod:`co2mix.data.outliers`, fitted on the reference batch); rows dropped per batch."""
    reference = cleaned["reference"].frame
    rule = fit_rule(reference, outlier_columns(data, reference), prep.seed)
    dropped: dict[str, int] = {}
    for name, batch in cleaned.items():
        flagged = rule.implausible(batch.frame)
        dropped[name] = int(flagged.sum())
        keep = ~flagged
        batch.frame = batch.frame[keep].reset_index(drop=True)
        batch.stuck = batch.stuck[keep].reset_index(drop=True)
        batch.spikes = batch.spikes[keep].reset_index(drop=True)
    return dropped


def prepare(
    batches: dict[str, pd.DataFrame],
    data: Data,
    det: Detect,
    prep: Prepare,
    truth: TruthRecord | None = None,
) -> Prepared:
    """Clean both batches; split the ones ``prep.use`` selects, impute; with metrics.

    The fresh rows are the current batch's rows that no model trains on: all of it when
    the models learn from the reference, else its rows in the test split.
    """
    names: list[BatchName] = ["reference", "current"] if prep.use == "both" else [prep.use]
    both: list[BatchName] = ["reference", "current"]
    cleaned = {name: clean_batch(batches[name], data, det) for name in both}
    dropped = drop_implausible(cleaned, data, prep) if prep.outliers == "drop" else None
    combined = pd.concat(
        [cleaned[n].frame.assign(**{BATCH: n}) for n in names], ignore_index=True
    )
    train, test, fresh, origin = _split(combined, cleaned["current"].frame, data, prep)

    numeric = [
        c
        for c in data.feature_columns(list(combined.columns))
        if c not in data.categorical and pd.api.types.is_numeric_dtype(combined[c])
    ]
    missing: RowSets = {
        "train": int(train[numeric].isna().sum().sum()),
        "test": int(test[numeric].isna().sum().sum()),
        "fresh": int(fresh[numeric].isna().sum().sum()),
    }
    _check_neighbours(prep, len(train))
    fill = fit_imputer(train, numeric, prep.knn_k, prep.knn_fit_rows, prep.seed)
    train, test, fresh = fill(train), fill(test), fill(fresh)

    metrics: PrepareMetrics = {
        "use": prep.use,
        "split": prep.split,
        "batches": {n: _batch_metrics(n, batches[n], cleaned[n], data, truth) for n in both},
        "imputed_cells": missing,
        "rows_out": {"train": len(train), "test": len(test), "fresh": len(fresh)},
        "fresh": origin,
    }
    if dropped is not None:
        metrics["outliers_dropped"] = dropped
    return Prepared(
        train.reset_index(drop=True),
        test.reset_index(drop=True),
        fresh.reset_index(drop=True),
        metrics,
    )
