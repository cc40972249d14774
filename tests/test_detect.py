"""Fault detectors: unit behaviour, and recall/precision against the plant's truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from co2mix.data import detect
from co2mix.data.clean import clean_batch
from co2mix.simulate.dataset import generate


def test_stuck_runs_flag_every_repeat_but_the_first_reading():
    frame = pd.DataFrame({"t": [1.0, 2.0, 5.0, 5.0, 5.0, 3.0, 4.0, 4.0, 7.0], "id": range(9)})
    flags = detect.stuck_cells(frame, ["t"], min_readings=2)["t"].tolist()
    assert flags == [False, False, False, True, True, False, False, True, False]
    longer = detect.stuck_cells(frame, ["t"], min_readings=3)["t"].tolist()
    assert longer == [False, False, False, True, True, False, False, False, False]


def test_a_gap_ends_a_run_and_a_duplicated_row_is_not_a_stuck_sensor():
    frame = pd.DataFrame({"t": [5.0, np.nan, 5.0, 6.0, 6.0], "id": [1, 2, 3, 4, 4]})
    flags = detect.stuck_cells(frame, ["t"], min_readings=2)["t"].tolist()
    assert flags == [False, False, False, False, False]
    assert detect.duplicate_rows(frame).tolist() == [False, False, False, False, True]


def test_spikes_are_found_and_a_point_mass_does_not_hide_a_wide_tail():
    rng = np.random.default_rng(0)
    normal = rng.normal(20.0, 2.0, 2000)
    normal[[10, 500]] = [20.0 + 9 * 2.0, 20.0 - 12 * 2.0]
    # A heater meter: standby 0.15 kWh on 60 % of batches, up to ~15 kWh in the cold.
    heater = np.where(rng.random(2000) < 0.6, 0.15, rng.uniform(0.5, 15.0, 2000))
    frame = pd.DataFrame({"temp": normal, "heater": heater})
    flags = detect.spike_cells(frame, ["temp", "heater"], z=6.0)
    assert sorted(np.flatnonzero(flags["temp"])) == [10, 500]
    assert not flags["heater"].any()


@pytest.mark.parametrize("seed", [42, 7, 2024])
@pytest.mark.parametrize("batch", ["reference", "current"])
def test_duplicates_and_stuck_runs_are_found_with_full_recall(make_all_params, seed, batch):
    params = make_all_params(**{"generate.seed": seed, "generate.current.scenario": "none"})
    data = generate(params.generate, params.data)
    frame = getattr(data, batch)
    cleaned = clean_batch(frame, params.data, params.detect)
    faults = data.truth[batch]["faults"]

    injected_duplicates = set(faults["duplicate"]["batch_ids"])
    assert set(cleaned.dropped_ids) == injected_duplicates  # recall 1, precision 1

    injected = {(b, r["column"]) for r in faults["tampered"] for b in r["batch_ids"]}
    ids = cleaned.frame["batch_id"].to_numpy()
    flagged = {(int(ids[i]), c) for c in cleaned.stuck for i in np.flatnonzero(cleaned.stuck[c])}
    assert injected <= flagged
    assert len(flagged & injected) / len(flagged) >= 0.95
