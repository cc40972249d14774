"""Imputation against the truth: prepare's complete-donor nearest neighbours against
scikit-learn's ``KNNImputer`` (the method it replaced), on the default reference batch of
several seeds. The truth of a blanked cell is the plant's reading without any fault
(the same seed with every fault rate 0: fault rates never change the clean data).

    python bench/bench_imputation.py [seed ...]      # default 42 7 2024
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.impute import KNNImputer

from co2mix.core.params_file import load_params
from co2mix.data import clean
from co2mix.data.split import split_rows
from co2mix.simulate.dataset import generate

ROOT = Path(__file__).resolve().parents[1]


def knn_imputer(train, test, columns, k, fit_rows, seed):
    """The previous prepare: KNNImputer on standardized values, fitted on training rows."""
    values = train[columns].to_numpy(dtype=float)
    center, scale = np.nanmean(values, axis=0), np.nanstd(values, axis=0)
    scale[~np.isfinite(scale) | (scale == 0)] = 1.0
    reference = values
    if 0 < fit_rows < len(values):
        chosen = np.random.default_rng(seed).choice(len(values), fit_rows, replace=False)
        reference = values[np.sort(chosen)]
    imputer = KNNImputer(n_neighbors=k, keep_empty_features=True).fit((reference - center) / scale)
    out = []
    for frame in (train, test):
        frame = frame.copy()
        scaled = (frame[columns].to_numpy(dtype=float) - center) / scale
        frame[columns] = imputer.transform(scaled) * scale + center
        out.append(frame)
    return tuple(out)


def error_against_truth(before, after, truth, columns, sd) -> np.ndarray:
    """Standardized errors of every imputed cell."""
    errors = []
    for b, a in zip(before, after, strict=True):
        ids = b["batch_id"].to_numpy()
        for c in columns:
            holes = b[c].isna().to_numpy()
            errors.append((a[c].to_numpy()[holes] - truth.loc[ids[holes], c].to_numpy()) / sd[c])
    return np.concatenate(errors)


def main(seeds: list[int]) -> None:
    os.chdir(ROOT)
    params = load_params()
    prep = params.prepare
    print("| seed | imputed cells | method | seconds | RMSE / sd |\n|---:|---:|---|---:|---:|")
    for seed in seeds:
        g = params.generate.model_copy(update={"seed": seed})
        no_faults = g.faults.model_copy(
            update={
                k: 0.0 for k in ("null_rate", "spike_rate", "duplicate_rate", "tampered_start_rate")
            }
        )
        truth = generate(g.model_copy(update={"faults": no_faults}), params.data).reference
        truth = truth.set_index(params.data.id_column)
        cleaned = clean.clean_batch(generate(g, params.data).reference, params.data, params.detect)
        train, test = split_rows(
            cleaned.frame, prep.split, prep.test_fraction, prep.seed, params.data.order_column
        )
        numeric = [
            c
            for c in params.data.feature_columns(list(train.columns))
            if c not in params.data.categorical and pd.api.types.is_numeric_dtype(train[c])
        ]
        sd = truth[numeric].std()
        for name, method in (
            ("KNNImputer (before)", knn_imputer),
            ("complete donors", clean.impute),
        ):
            start = time.perf_counter()
            after = method(train, test, numeric, prep.knn_k, prep.knn_fit_rows, prep.seed)
            seconds = time.perf_counter() - start
            e = error_against_truth((train, test), after, truth, numeric, sd)
            print(f"| {seed} | {len(e)} | {name} | {seconds:.2f} | {np.sqrt(np.mean(e**2)):.4f} |")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [42, 7, 2024])
