"""The feed's records and its monitors, without a broker."""

from __future__ import annotations

import numpy as np
import orjson
import pandas as pd
import pytest

from co2mix.feed.messages import BATCH_FIELDS, DeadLetter, encode, parse_entry
from co2mix.feed.monitors import Cusum, RollingDrift, ks_statistic
from co2mix.physics.truth import STRENGTH
from co2mix.simulate.plant import COLUMNS

BATCH = {
    "version": 1, "kind": "batch", "batch_id": 7, "produced_at": "2025-01-02T08:00:00",
    "recipe": "C30-CEMI", "cement_supplier": "A", "cement": 320.0, "slag": 0.0,
    "fly_ash": 0.0, "water": 180.0, "superplasticizer": 1.0, "coarse_agg": 1000.0,
    "fine_agg": 800.0, "age_days": 28, "ambient_temp_c": 4.0, "humidity_pct": 70.0,
    "curing_temp_c": 12.0, "mixing_time_s": 80.0, "drum_rpm": 12.0,
    "mixing_energy_kwh": 2.4, "heating_energy_kwh": 8.0, "transport_km": 12.5,
    "dosing_events": 4, "co2_kg_m3": 300.0,
}  # fmt: skip


def test_a_batch_record_carries_every_plant_column_but_the_strength_label():
    assert [c for c in COLUMNS if c != STRENGTH] == [
        c for c in BATCH_FIELDS if c not in ("batch_id", "produced_at")
    ]


def test_a_newer_producers_unknown_field_is_kept_not_refused():
    record = parse_entry(encode(BATCH | {"version": 2, "operator": "shift B"}))
    assert record.batch_id == 7
    assert record.extra() == {"operator": "shift B"}


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        (
            {**{k: v for k, v in BATCH.items() if k != "cement"}},
            "batch record: cement: Field required",
        ),
        (
            BATCH | {"water": -1.0},
            "batch record: water: Input should be greater than or equal to 0",
        ),
        (BATCH | {"kind": "truck"}, "kind: 'truck' is not a record kind"),
        ({"kind": "lab", "version": 1, "batch_id": 7}, "lab record: measured_at: Field required"),
    ],
)
def test_an_unusable_record_is_a_dead_letter_naming_the_field(fields, said):
    with pytest.raises(DeadLetter) as caught:
        parse_entry({b"record": orjson.dumps(fields)})
    assert str(caught.value).startswith(said)


def test_not_json_is_a_dead_letter():
    with pytest.raises(DeadLetter, match="not JSON"):
        parse_entry({b"record": b"{batch"})
    with pytest.raises(DeadLetter, match="not JSON"):  # JSON has no NaN
        parse_entry({b"record": orjson.dumps(BATCH).replace(b'"cement":320.0', b'"cement":NaN')})
    with pytest.raises(DeadLetter, match="no 'record' field"):
        parse_entry({b"other": b"1"})


def test_cusum_alarms_once_on_a_lasting_shift_and_never_on_its_own_centre():
    rng = np.random.default_rng(1)
    quiet = Cusum()
    assert [quiet.update(z) for z in rng.normal(0, 1, 2000) * 0.5].count(None) == 2000
    shifted = Cusum()
    alarms = [a for z in rng.normal(-1.5, 1, 500) if (a := shifted.update(z))]
    assert len(alarms) == 1 and alarms[0].statistic == "S down"
    assert shifted.seen == 500


def test_ks_statistic_matches_scipy():
    from scipy.stats import ks_2samp

    rng = np.random.default_rng(2)
    a, b = rng.normal(0, 1, 3000), rng.normal(0.3, 1, 400)
    assert ks_statistic(np.sort(a), b) == pytest.approx(ks_2samp(a, b).statistic, abs=1e-12)


def _frame(rng, n, shift, start):
    times = pd.date_range(start, periods=n, freq="2h")
    return pd.DataFrame({"t": times, "x": rng.normal(shift, 1, n), "c": rng.choice(["a", "b"], n)})


def test_rolling_drift_flags_a_shifted_feature_against_the_same_season_only():
    rng = np.random.default_rng(3)
    reference = _frame(rng, 20000, 0.0, "2021-01-01")
    for shift, expected in ((0.0, []), (1.0, ["drift of x"])):
        monitor = RollingDrift(reference, "t", ["x"], ["c"], 0.08, 0.1, window=300, every=100)
        rows = _frame(rng, 600, shift, "2025-03-01").to_dict("records")
        alarms = [a for row in rows for a in monitor.update(row)]
        assert [a.monitor for a in alarms] == expected
