"""A CSV file as a dataset: renaming, deriving, filtering, the split, and every bad CSV
refused with the file, column and line named, before anything is written."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
import yaml

from co2mix.core.errors import InputError, ParamsError
from co2mix.core.params import CsvParams
from co2mix.core.params_file import parse_params
from co2mix.data.ingest import ingest
from tests.csv_profile import csv_params, synthetic_csv
from tests.helpers import ROOT, run


def params_for(tmp_path: Path, **ingest_updates) -> CsvParams:
    params = parse_params(csv_params("rows.csv", **ingest_updates))
    assert isinstance(params, CsvParams)
    return params


@pytest.fixture
def rows(tmp_path):
    return synthetic_csv(tmp_path / "rows.csv")


def test_columns_are_renamed_typed_and_the_group_split_keeps_groups_whole(tmp_path, rows):
    result = ingest(params_for(tmp_path), tmp_path)
    ref, cur = result.reference, result.current
    assert len(ref) + len(cur) == len(rows)
    assert set(ref["batch"]) & set(cur["batch"]) == set()  # no group on both sides
    assert 0.1 < len(cur) / len(rows) < 0.3
    assert list(ref.columns) == ["row", "a", "b", "site", "grade", "batch", "y"]
    assert ref["a"].dtype == float and ref["grade"].dtype == object
    # the made id is the row's position in the file: the data can be traced back
    back = rows.iloc[ref["row"].to_numpy()]
    assert (back["A value"].to_numpy() == ref["a"].to_numpy()).all()
    assert result.metrics["groups"]["reference"] + result.metrics["groups"]["current"] == 50
    assert result.metrics["categorical"]["grade"] == ["low", "mid", "high"]  # declared order


def test_filters_and_derived_columns(tmp_path, rows):
    params = params_for(
        tmp_path,
        derive={"a_squared": "a ** 2"},
        filters=["a > 2", "site != 'east'"],
        split="random",
        group_column=None,
    )
    result = ingest(params, tmp_path)
    both = [result.reference, result.current]
    assert all((f["a"] > 2).all() and (f["site"] != "east").all() for f in both)
    assert all((f["a_squared"] == f["a"] ** 2).all() for f in both)
    removed = result.metrics["rows_removed_by_filter"]
    assert removed["a > 2"] == int((rows["A value"] <= 2).sum())
    assert sum(removed.values()) == len(rows) - sum(len(f) for f in both)


def test_the_random_split_is_the_notebooks_train_test_split_on_the_file_order(tmp_path, rows):
    from sklearn.model_selection import train_test_split

    params = params_for(tmp_path, split="random", group_column=None, seed=42)
    result = ingest(params, tmp_path)
    _, expected_test = train_test_split(rows, test_size=0.2, random_state=42)
    assert sorted(result.current["row"]) == sorted(expected_test.index)


def write_bad(tmp_path: Path, rows, line: int, column: str, value: str) -> None:
    bad = rows.astype(str)
    bad.loc[line - 2, column] = value
    bad.to_csv(tmp_path / "rows.csv", index=False)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda p, r: write_bad(p, r, 7, "b", "n/a?"),
            "column 'b', line 7: 'n/a?' is not a number",
        ),
        (lambda p, r: write_bad(p, r, 9, "grade", "medium"), "column 'grade', line 9: 'medium'"),
        (
            lambda p, r: write_bad(p, r, 4, "y", ""),
            "target 'y' has no value on 1 row(s), lines [4]",
        ),
        (lambda p, r: (p / "rows.csv").write_text(""), "the file is empty"),
        (lambda p, r: (p / "rows.csv").write_text("A value,b\n"), "missing column(s)"),
        (lambda p, r: r.drop(columns="site").to_csv(p / "rows.csv", index=False), "['site']"),
        (lambda p, r: (p / "rows.csv").unlink(), "CSV file not found"),
    ],
    ids=["non-numeric", "unknown-level", "target-nan", "empty", "no-rows", "missing", "absent"],
)
def test_bad_csvs_are_refused_naming_file_column_and_line(tmp_path, rows, edit, message):
    edit(tmp_path, rows)
    with pytest.raises(InputError) as caught:
        ingest(params_for(tmp_path), tmp_path)
    assert "rows.csv" in str(caught.value)
    assert message in str(caught.value)


def test_a_filter_that_drops_every_row_or_cannot_run_is_named(tmp_path, rows):
    with pytest.raises(InputError, match=r"the filter 'a > 1000' \(ingest.filters\) leaves no row"):
        ingest(params_for(tmp_path, filters=["b > -100", "a > 1000"]), tmp_path)
    with pytest.raises(ParamsError, match=r"filters = 'nope > 1': \['nope'\] are not columns"):
        ingest(params_for(tmp_path, filters=["nope > 1"]), tmp_path)
    with pytest.raises(ParamsError, match=r"ingest.derive: c = 'a \+\* 2': not an expression"):
        params_for(tmp_path, derive={"c": "a +* 2"})
    with pytest.raises(ParamsError, match=r"ingest.derive.c = 'site - 1': "):
        ingest(params_for(tmp_path, derive={"c": "site - 1"}), tmp_path)


def test_params_rules_of_a_csv_source():
    raw = csv_params("rows.csv")
    with pytest.raises(ParamsError, match=r"split: group needs group_column"):
        parse_params(raw | {"ingest": raw["ingest"] | {"group_column": None}})
    with pytest.raises(ParamsError, match=r"ordinal .'grade'. must be listed in categorical"):
        parse_params(raw | {"data": raw["data"] | {"categorical": ["site"]}})
    with pytest.raises(ParamsError, match=r"splits its rows at ingest"):
        parse_params(raw | {"prepare": raw["prepare"] | {"split": "random", "use": "reference"}})
    with pytest.raises(ParamsError, match=r"drop: .'zz'. are neither"):
        parse_params(raw | {"ingest": raw["ingest"] | {"drop": ["zz"]}})


@pytest.mark.integration
def test_the_stage_refuses_a_bad_csv_and_leaves_earlier_outputs_intact(tmp_path, rows):
    shutil.copytree(ROOT / "src", tmp_path / "src")
    shutil.copytree(ROOT / "stages", tmp_path / "stages")
    profile = tmp_path / "profiles" / "mine"
    profile.mkdir(parents=True)
    shutil.move(tmp_path / "rows.csv", profile / "rows.csv")
    (profile / "params.yaml").write_text(yaml.safe_dump(csv_params("rows.csv")))
    run(["python", "../../stages/ingest.py"], profile)
    outputs = ["data/raw/reference.parquet", "data/raw/current.parquet", "metrics/ingest.json"]
    before = {o: hashlib.sha256((profile / o).read_bytes()).hexdigest() for o in outputs}
    assert json.loads((profile / "metrics/ingest.json").read_text())["split"] == "group"

    write_bad(profile, rows, 12, "A value", "twelve")
    failed = run(["python", "../../stages/ingest.py"], profile, check=False)
    assert failed.returncode == 2
    assert "column 'a', line 12: 'twelve' is not a number" in failed.stderr
    after = {o: hashlib.sha256((profile / o).read_bytes()).hexdigest() for o in outputs}
    assert after == before
