"""Records are written and read through their schemas: a wrong shape is named, not used."""

from __future__ import annotations

import json

import pytest

from co2mix.core import paths, records
from co2mix.core.errors import InputError
from co2mix.core.io import staged_outputs
from co2mix.core.schemas import CheckMetrics, TruthRecord


def test_a_truth_file_of_the_wrong_shape_is_refused_naming_file_and_key(tmp_path):
    path = tmp_path / paths.TRUTH
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"seed": 42, "targets": ["x"], "noise_sigma": {}}))
    with pytest.raises(InputError) as error:
        records.read(paths.TRUTH, TruthRecord, tmp_path)
    message = str(error.value)
    assert str(path) in message and "not a valid record" in message
    assert "reference: Field required" in message


def test_a_missing_record_is_none_and_valid_json_is_required(tmp_path):
    assert records.read(paths.CHECK_METRICS, CheckMetrics, tmp_path) is None
    with pytest.raises(InputError, match="not valid JSON"):
        records.parse_text("{not json", CheckMetrics, "main:metrics/check.json")


def test_writing_a_record_of_the_wrong_shape_writes_nothing(tmp_path):
    target = tmp_path / "generate.json"
    with (
        pytest.raises(
            InputError, match=r"generate.json: not a valid record \(reference.rows: Field required"
        ),
        staged_outputs() as out,
    ):
        records.write(
            out, target, {"reference": {}, "current": {}}, records.SCHEMAS[paths.GENERATE_METRICS]
        )
    assert list(tmp_path.iterdir()) == []


def test_every_committed_metrics_file_has_its_schema():
    from tests.helpers import ROOT

    csv_only = {paths.INGEST_METRICS: "diamonds", paths.DESIGN_METRICS: "boxcrete"}
    plant_only = {paths.GENERATE_METRICS, paths.OPTIMIZE_METRICS, paths.FORECAST_METRICS}
    for path, schema in records.SCHEMAS.items():
        if path.parts[0] == "metrics":
            root = ROOT / "profiles" / csv_only[path] if path in csv_only else ROOT
            assert records.read(path, schema, root) is not None, path
            if path not in csv_only | dict.fromkeys(plant_only):  # every dataset has it
                assert records.read(path, schema, ROOT / "profiles/boxcrete") is not None
