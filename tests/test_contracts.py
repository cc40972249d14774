"""Data contracts (co2mix.core.contracts): each rule refuses what it should, naming the
file, the column, the rule and offending rows, and lets the plant's own data through."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from co2mix.core.contracts import check_frame, read_checked
from co2mix.core.errors import InputError, ParamsError
from co2mix.core.params_file import parse_params
from co2mix.simulate.dataset import generate

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def plant_rows(make_all_params):
    params = make_all_params(**{"generate.reference.rows": 300, "generate.current.rows": 100})
    return params, generate(params.generate, params.data).reference


def refused(frame: pd.DataFrame, params, source: str = "batch.parquet", **kw) -> str:
    with pytest.raises(InputError) as caught:
        check_frame(frame, params, source, **kw)
    message = str(caught.value)
    assert message.startswith(f"{source}: ") and "\n" not in message
    return message


def test_the_plant_s_own_rows_hold_to_the_contract_faults_and_all(plant_rows):
    params, rows = plant_rows
    assert rows[params.data.sensor_columns].isna().any().any()  # injected faults are there
    check_frame(rows, params, "reference.parquet")  # sensors may be faulty: prepare cleans them


def test_garbage_that_parses_as_numbers_is_refused_by_the_physical_ranges(plant_rows):
    params, rows = plant_rows
    flipped = rows.assign(coarse_agg=rows["coarse_agg"] * -4e-6)  # the flipped-byte parquet
    message = refused(flipped, params)
    assert "column 'coarse_agg', rule 'data.ranges: in [0.0, 2000.0]'" in message
    assert f"{len(rows)} row(s) break it, e.g. row 0: -0.00" in message


def test_a_row_that_does_not_fill_one_cubic_metre_is_refused_by_the_volume_balance(plant_rows):
    params, rows = plant_rows
    broken = rows.assign(water=rows["water"].where(rows.index != 7, 400.0))
    message = refused(broken, params)
    assert "rule 'volume balance" in message and "1 row(s) break it, e.g. rows 7" in message


def test_text_in_a_number_column_is_named_with_its_row(plant_rows):
    params, rows = plant_rows
    text = rows.assign(cement=rows["cement"].astype(object).where(rows.index != 3, "n/a"))
    assert "column 'cement', rule 'a number': 1 row(s) break it, e.g. row 3: 'n/a'" in refused(
        text, params
    )


def test_an_empty_column_and_too_few_rows_are_refused(plant_rows):
    params, rows = plant_rows
    assert "column 'slag', rule 'at least one value" in refused(rows.assign(slag=np.nan), params)
    assert refused(rows.head(0), params) == "batch.parquet: 0 rows (expected at least 1)"
    assert "10 rows (expected at least 20)" in refused(rows.head(10), params, min_rows=20)
    check_frame(rows.head(0), params, "fresh.parquet", min_rows=0)  # no fresh rows yet: fine


def test_csv_datasets_declare_their_own_ranges_and_ordered_levels():
    raw = yaml.safe_load((ROOT / "profiles/diamonds/params.yaml").read_text())
    params = parse_params(raw)
    stones = pd.DataFrame(
        {"carat": [0.5, 1.0], "cut": ["Ideal", "Good"], "color": ["E", "H"]}
        | {"clarity": ["VS1", "SI2"], "price": [1500.0, 4000.0], "x": [5.1, 6.3]}
    )
    check_frame(stones, params, "diamonds.csv")
    assert "column 'x', rule 'data.ranges: in [0.01, 100.0]'" in refused(
        stones.assign(x=[5.1, 0.0]), params, "diamonds.csv"
    )
    assert "column 'clarity', rule 'data.ordinal: one of" in refused(
        stones.assign(clarity=["VS1", "ZZ"]), params, "diamonds.csv"
    )
    assert "rule 'data.ranges: >= 1.0'" in refused(stones.assign(price=[-1.0, 3.0]), params)


def test_a_stage_input_is_read_and_checked_in_one_call(plant_rows, tmp_path):
    params, rows = plant_rows
    rows.to_parquet(tmp_path / "ok.parquet")
    assert len(read_checked(tmp_path / "ok.parquet", params, "prepare")) == len(rows)
    rows.assign(strength_mpa=-1.0).to_parquet(tmp_path / "bad.parquet")
    with pytest.raises(InputError, match=r"bad\.parquet: column 'strength_mpa'"):
        read_checked(tmp_path / "bad.parquet", params, "prepare")


@pytest.mark.parametrize(
    ("bounds", "message"),
    [([None, None], "bounds nothing"), ([10, 0], "lower bound 10 above upper bound 0")],
)
def test_ranges_that_bound_nothing_or_are_inverted_are_params_errors(
    make_all_params, bounds, message
):
    with pytest.raises(ParamsError, match=message):
        make_all_params(**{"data.ranges.cement": bounds})
