"""The generated batches: physics per row, drift scenarios, faults and their record."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from co2mix.core.errors import ParamsError
from co2mix.data.clean import prepare
from co2mix.physics import truth
from co2mix.physics.truth import TARGETS
from co2mix.simulate.dataset import Generated
from co2mix.simulate.dataset import generate as simulate
from tests.helpers import plant_data

MASSES = list(truth.MIX_COLUMNS)
NOT_FEATURES = {"batch_id", "produced_at", *TARGETS}


def generate(params) -> Generated:
    """The plant's batches under ``params`` (generate), with the committed data schema."""
    return simulate(params, plant_data())


NO_FAULTS = {
    "faults.null_rate": 0.0,
    "faults.spike_rate": 0.0,
    "faults.duplicate_rate": 0.0,
    "faults.tampered_start_rate": 0.0,
}


@pytest.fixture(scope="module")
def scenario(make_params):
    cache = {}

    def build(name: str, **updates):
        key = (name, tuple(sorted(updates.items())))
        if key not in cache:
            cache[key] = generate(make_params(**{"current.scenario": name, **updates}))
        return cache[key]

    return build


def features(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c not in NOT_FEATURES]


def distance(a: pd.Series, b: pd.Series) -> float:
    """KS statistic for numbers, total variation distance for categories."""
    if isinstance(a.dtype, pd.CategoricalDtype):
        pa, pb = a.value_counts(normalize=True), b.value_counts(normalize=True)
        return float(0.5 * pa.sub(pb, fill_value=0).abs().sum())
    return float(stats.ks_2samp(a.dropna(), b.dropna()).statistic)


# ---------------------------------------------------------------- physics per row


@pytest.mark.parametrize("batch", ["reference", "current"])
def test_every_row_closes_the_volume_balance_with_non_negative_masses(scenario, batch):
    frame = getattr(scenario("none"), batch)
    assert not frame[MASSES].isna().any().any()
    assert (frame[MASSES] >= 0).all().all()
    assert np.abs(truth.volume_m3(frame) - 1.0).max() < 1e-6


def test_generated_strength_rises_with_age_and_falls_with_water_binder(scenario):
    frame = scenario("none").reference
    by_age = frame.groupby("age_days")["strength_mpa"].mean()
    assert list(by_age.index) == [1, 3, 7, 28, 56, 90]
    assert np.all(np.diff(by_age.to_numpy()) > 0)
    at_28 = frame[frame["age_days"] == 28]
    wb = at_28["water"] / truth.binder_kg(at_28)
    assert stats.spearmanr(wb, at_28["strength_mpa"]).statistic < -0.3


def test_targets_are_the_truth_plus_the_configured_noise(make_params):
    params = make_params(**NO_FAULTS)
    frame = generate(params).reference.assign(strength_factor=np.nan)
    factors = {n: s.strength_factor for n, s in params.suppliers.items()}
    frame["strength_factor"] = frame["cement_supplier"].map(factors).astype(float)
    co2_resid = frame["co2_kg_m3"] - truth.co2_kg_m3(frame, params.emission_factors, params.process)
    strength_resid = frame["strength_mpa"] - truth.strength_mpa(frame, params.strength)
    assert co2_resid.std() == pytest.approx(params.noise.co2_sigma, rel=0.03)
    assert abs(co2_resid.mean()) < 0.2
    assert strength_resid.std() == pytest.approx(params.noise.strength_sigma, rel=0.05)


def test_both_batches_span_whole_years_of_working_days(scenario):
    data = scenario("none")
    for frame, years in ((data.reference, {2023, 2024}), (data.current, {2025})):
        stamps = frame["produced_at"]
        assert set(stamps.dt.year) == years
        assert set(stamps.dt.month) == set(range(1, 13))
        assert stamps.is_monotonic_increasing
        assert (stamps.dt.dayofweek < 6).all()
        assert stamps.dt.hour.between(6, 17).all()
    assert data.current["batch_id"].min() > data.reference["batch_id"].max()


# ---------------------------------------------------------------- scenarios


def test_without_drift_current_has_the_reference_distribution(scenario):
    data = scenario("none")
    for column in features(data.reference):
        d = distance(data.reference[column], data.current[column])
        assert d < 0.05, f"{column}: distance {d:.3f} between reference and current"
    assert data.truth["current"]["drift"]["drifted_features"] == []


def test_winter_raises_heating_and_slows_early_strength(scenario):
    none, winter = scenario("none").current, scenario("winter").current
    assert winter["heating_energy_kwh"].mean() > none["heating_energy_kwh"].mean() + 1.0
    early = none["age_days"] <= 7
    none_early, winter_early = none.loc[early, "strength_mpa"], winter.loc[early, "strength_mpa"]
    assert winter_early.mean() < none_early.mean() - 0.5
    # Same random streams, colder curing: every early batch is weaker, none is stronger.
    assert (winter_early <= none_early).all()
    drift = scenario("winter").truth["current"]["drift"]
    assert {"ambient_temp_c", "curing_temp_c", "heating_energy_kwh"} <= set(
        drift["drifted_features"]
    )
    assert drift["columns"]["ambient_temp_c"]["mean_shift"] == pytest.approx(-8.0, abs=0.5)


def test_supplier_moves_only_the_strength_label(scenario):
    reference = scenario("none").reference
    supplier = scenario("supplier")
    for column in features(reference):
        d = distance(reference[column], supplier.current[column])
        assert d < 0.05, f"{column}: distance {d:.3f} under the supplier scenario"
    none = scenario("none").current
    assert supplier.current["strength_mpa"].mean() < none["strength_mpa"].mean() - 1.0
    drift = supplier.truth["current"]["drift"]
    assert drift["drifted_features"] == []
    assert drift["drifted_labels"] == ["strength_mpa"]


def test_recipes_shift_the_scm_share(scenario):
    none, recipes = scenario("none").current, scenario("recipes").current
    assert truth.scm_share(recipes).mean() > truth.scm_share(none).mean() + 0.08
    drift = scenario("recipes").truth["current"]["drift"]
    assert {"cement", "slag", "recipe"} <= set(drift["drifted_features"])


def test_sensor_fault_sticks_a_sensor_and_lists_its_rows(scenario):
    data = scenario("sensor_fault")
    stuck = data.truth["current"]["drift"]["stuck_sensor"]
    column = stuck["column"]
    assert data.truth["current"]["drift"]["drifted_features"] == [column]
    rows = data.current[data.current["batch_id"].isin(stuck["batch_ids"])]
    assert len(set(stuck["batch_ids"])) >= 0.2 * 5000 - 2
    assert (rows[column] == stuck["value"]).all()
    ids = np.array(sorted(stuck["batch_ids"]))
    assert np.all(np.diff(ids) == 1)  # one contiguous stretch of production


@pytest.mark.parametrize("name", ["winter", "supplier", "recipes", "sensor_fault"])
def test_zero_magnitude_is_no_drift(scenario, name):
    drift = scenario(name, **{"current.magnitude": 0.0}).truth["current"]["drift"]
    assert drift["drifted_features"] == []
    assert drift["drifted_labels"] == []


# ---------------------------------------------------------------- faults


def in_99_interval(count: int, n: int, rate: float) -> bool:
    low, high = stats.binom.interval(0.99, n, rate)
    return low <= count <= high


@pytest.mark.parametrize("batch", ["reference", "current"])
def test_fault_counts_follow_their_rates(make_params, scenario, batch):
    params = make_params()
    faults = params.faults
    record = scenario("none").truth[batch]["faults"]
    n = getattr(params, batch).rows
    for entry in record["null"]:
        count = len(entry["batch_ids"])
        assert in_99_interval(count, n, faults.null_rate), (entry["column"], count)
    assert len(record["null"]) == len(plant_data().sensor_columns)
    spikes = sum(len(e["batch_ids"]) for e in record["spike"])
    assert in_99_interval(spikes, n * len(plant_data().sensor_columns), faults.spike_rate)
    assert in_99_interval(len(record["duplicate"]["batch_ids"]), n, faults.duplicate_rate)
    assert in_99_interval(len(record["tampered"]), n, faults.tampered_start_rate)


def fault_cells(record: dict) -> dict[tuple[int, str], tuple[str, object]]:
    """(batch_id, column) -> (kind, expected value or None) for every recorded cell."""
    cells: dict[tuple[int, str], tuple[str, object]] = {}

    def add(kind, column, ids, value=None):
        for batch_id in ids:
            assert (batch_id, column) not in cells, f"cell {batch_id}/{column} faulted twice"
            cells[(batch_id, column)] = (kind, value)

    for entry in record["faults"]["null"]:
        add("null", entry["column"], entry["batch_ids"])
    for entry in record["faults"]["spike"]:
        add("spike", entry["column"], entry["batch_ids"])
    for run in record["faults"]["tampered"]:
        add("tampered", run["column"], run["batch_ids"], run["value"])
    stuck = (record["drift"] or {}).get("stuck_sensor")
    if stuck:
        add("stuck", stuck["column"], stuck["batch_ids"], stuck["value"])
    return cells


@pytest.mark.parametrize("name", ["none", "sensor_fault"])
@pytest.mark.parametrize("batch", ["reference", "current"])
def test_truth_lists_every_injected_fault_and_nothing_else(make_params, name, batch):
    params = make_params(**{"current.scenario": name})
    faulty = getattr(generate(params), batch)
    record = generate(params).truth[batch]
    clean_params = make_params(**{"current.scenario": "none", **NO_FAULTS})
    clean = getattr(generate(clean_params), batch).set_index("batch_id")

    duplicated = faulty["batch_id"][faulty.duplicated(keep="first")]
    assert sorted(duplicated) == sorted(record["faults"]["duplicate"]["batch_ids"])
    assert not faulty.duplicated(subset="batch_id", keep="first").drop(duplicated.index).any()
    recorded = faulty.drop(index=duplicated.index).set_index("batch_id")
    assert recorded.index.equals(clean.index)

    cells = fault_cells(record)
    for column in clean.columns:
        a, b = clean[column], recorded[column]
        differs = ~((a == b) | (a.isna() & b.isna()))
        for batch_id in a.index[differs.to_numpy()]:
            assert (batch_id, column) in cells, f"unrecorded change {batch_id}/{column}"
    for (batch_id, column), (kind, value) in cells.items():
        observed = recorded.at[batch_id, column]
        if kind == "null":
            assert np.isnan(observed)
        elif kind == "spike":
            # 8 to 15 sd of the clean column (a stuck sensor can shrink that sd a little)
            sd = clean[column].std()
            assert abs(observed - clean.at[batch_id, column]) >= 6.0 * sd
        else:  # a sensor stuck at the value it read at the start of the run
            assert observed == value


def test_fault_rates_change_no_clean_value(make_params):
    faulty = generate(make_params()).reference.drop_duplicates()
    clean = generate(make_params(**NO_FAULTS)).reference
    untouched = [c for c in clean.columns if c not in plant_data().sensor_columns]
    pd.testing.assert_frame_equal(
        faulty[untouched].reset_index(drop=True), clean[untouched].reset_index(drop=True)
    )


def test_another_seed_gives_other_data(make_params):
    a = generate(make_params()).reference
    b = generate(make_params(seed=7)).reference
    assert not a["cement"].equals(b["cement"])
    assert generate(make_params()).reference.equals(a)


# ---------------------------------------------------------------- the data schema


def test_id_and_time_columns_are_the_ones_params_name(make_all_params):
    params = make_all_params(
        **{
            "data.id_column": "row_id",
            "data.time_column": "made_at",
            "generate.reference.rows": 3000,
            "generate.current.rows": 800,
        }
    )
    data = simulate(params.generate, params.data)
    assert list(data.reference.columns[:2]) == ["row_id", "made_at"]
    assert not {"batch_id", "produced_at"} & set(data.reference.columns)
    assert data.reference["made_at"].is_monotonic_increasing
    stuck = data.truth["reference"]["faults"]["tampered"]
    assert set(stuck[0]["batch_ids"]) <= set(data.reference["row_id"])

    batches = {"reference": data.reference, "current": data.current}
    result = prepare(batches, params.data, params.detect, params.prepare, data.truth)
    detection = result.metrics["batches"]["reference"]["detection"]
    assert detection["stuck"]["recall"] == 1.0  # scored by the renamed id column
    assert detection["duplicate"]["recall"] == 1.0


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("data.sensor_columns", ["humidity_pct", "flux"], "['flux'] are not sensors"),
        ("data.id_column", "dosing_events", "data.id_column = 'dosing_events' is a column of"),
    ],
)
def test_a_schema_the_plant_cannot_produce_is_refused(make_all_params, key, value, message):
    params = make_all_params(**{key: value, "check.features": ["cement"]})
    with pytest.raises(ParamsError) as error:
        simulate(params.generate, params.data)
    assert message in str(error.value)
