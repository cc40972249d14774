"""params.yaml validation: every bad value is refused with the key named."""

from __future__ import annotations

import pytest

from co2mix.core.errors import ParamsError
from co2mix.core.params_file import load_params, parse_params
from tests.helpers import ROOT, set_key


def test_committed_params_are_valid():
    params = load_params(ROOT / "params.yaml")
    assert params.generate.reference.rows == 20000
    assert params.generate.current.rows == 5000
    assert params.generate.current.scenario == "none"


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("generate.reference.rows", -5, "greater than or equal to 1"),
        ("generate.current.rows", 0, "greater than or equal to 1"),
        ("generate.faults.null_rate", 1.5, "less than or equal to 1"),
        ("generate.faults.spike_rate", -0.1, "greater than or equal to 0"),
        ("generate.current.scenario", "summer", "'none', 'winter', 'supplier'"),
        ("generate.reference.rows", "20000", "valid integer"),
        ("generate.reference.rows", 2.5, "valid integer"),
        ("generate.noise.co2_sigma", "five", "valid number"),
        ("data.sensor_columns", ["humidity_pct", "humidity_pct"], "listed more than once"),
        ("generate.faults.tampered_hours", [8.0, 2.0], "lower bound 8 above upper bound 2"),
        ("generate.current.start", "2024-06-01", "must not be before reference.end"),
        ("generate.reference.end", "2022-01-01", "must be after start"),
        ("generate.current.magnitude", -1, "greater than or equal to 0"),
    ],
)
def test_bad_values_name_the_key(raw_params, key, value, expected):
    with pytest.raises(ParamsError) as error:
        parse_params(set_key(raw_params, key, value))
    message = str(error.value)
    assert key.split(".", 1)[1].split(".")[0] in message
    assert key.rsplit(".", 1)[1] in message or "reference.end" in message
    assert expected in message


def test_missing_and_unknown_keys_are_named(raw_params):
    raw = set_key(raw_params, "generate.noise", {"co2_sigma": 5.0, "dosing_cv": 0.03, "sigma": 1})
    with pytest.raises(ParamsError) as error:
        parse_params(raw)
    message = str(error.value)
    assert "missing key generate.noise.strength_sigma" in message
    assert "unknown key generate.noise.sigma" in message


def test_rules_across_sections_are_stated_without_dumping_the_file(raw_params):
    raw = set_key(raw_params, "data.targets", ["co2_kg_m3", "slump_mm"])
    with pytest.raises(ParamsError) as error:
        parse_params(raw)
    message = str(error.value)
    assert message.startswith("params.yaml: train.features must list the features")
    assert "slump_mm" in message
    assert len(message) < 300


def test_supplier_shares_must_sum_to_one(raw_params):
    raw = set_key(raw_params, "generate.suppliers.A.share", 0.5)
    with pytest.raises(ParamsError, match=r"generate.suppliers.*sum to 0.9"):
        parse_params(raw)


def test_unreadable_files_are_named(tmp_path):
    with pytest.raises(ParamsError, match="params file not found"):
        load_params(tmp_path / "params.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("generate: [unclosed")
    with pytest.raises(ParamsError, match=r"bad\.yaml: not valid YAML"):
        load_params(bad)
    bad.write_text("- a list")
    with pytest.raises(ParamsError, match="expected a mapping"):
        load_params(bad)


def test_the_answer_optimizer_must_be_one_that_runs(raw_params):
    raw = set_key(raw_params, "optimize.optimizers", ["differential_evolution", "direct"])
    raw = set_key(raw, "optimize.optimizer", "random_search")
    with pytest.raises(ParamsError) as error:
        parse_params(raw)
    assert "optimize: optimizer 'random_search' must be one of optimizers" in str(error.value)


def test_an_empty_params_file_is_refused_plainly(tmp_path):
    empty = tmp_path / "params.yaml"
    empty.write_text("")
    with pytest.raises(
        ParamsError, match="expected a mapping of sections at the top level, got an empty file"
    ):
        load_params(empty)
