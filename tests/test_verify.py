"""``co2mix verify``: committed results against reproduced ones, within tolerance."""

from __future__ import annotations

import json

import yaml

from co2mix.core.records import at_precision, significant
from co2mix.reporting import tolerances
from co2mix.reporting.verify import compare_file, compare_leaf, compare_lock
from tests.helpers import git_commit, run


def test_a_last_bit_move_passes_and_a_real_move_fails():
    assert compare_leaf("m.json", "a", 300.0, 300.0) is None
    assert compare_leaf("m.json", "a", 300.0000001, 300.0000002).ok  # 3e-10 relative
    assert compare_leaf("m.json", "a", 300.0, 300.0003).ok  # 1e-6: the default
    assert not compare_leaf("m.json", "a", 300.0, 300.01).ok  # 3e-5
    assert not compare_leaf("m.json", "n", 4958, 4881).ok
    assert not compare_leaf("m.json", "s", "poly2", "xgboost").ok


def test_a_straddled_rounding_boundary_is_one_unit_of_the_last_digit():
    # 1.2345675 and 1.2345674999 differ by 1e-10 but round to different 7th digits
    a, b = significant(1.2345675000001), significant(1.2345674999999)
    assert a != b
    assert compare_leaf("m.json", "x", a, b).ok


def test_records_are_written_at_seven_significant_digits():
    assert at_precision({"a": [1 / 3, 2], "b": 123456.789012, "c": "x", "d": True}) == {
        "a": [0.3333333, 2],
        "b": 123456.8,
        "c": "x",
        "d": True,
    }


def test_a_declared_wider_tolerance_needs_its_key(monkeypatch):
    wide = tolerances.Tolerance(relative=0.1, reason="a test")
    monkeypatch.setitem(tolerances.WIDER, "m.json:loose.*", wide)
    assert compare_leaf("m.json", "loose.a", 100.0, 105.0).ok
    assert not compare_leaf("m.json", "tight.a", 100.0, 105.0).ok


def test_files_compare_leaf_by_leaf_and_cell_by_cell():
    before = json.dumps({"m": {"rmse": 5.0, "rows": 10}, "names": ["a"]})
    after = json.dumps({"m": {"rmse": 5.5, "rows": 10}, "names": ["a", "b"]})
    moved = {m.key: m for m in compare_file("x.json", before, after)}
    assert set(moved) == {"m.rmse", "names[1]"}
    assert not moved["m.rmse"].ok and not moved["names[1]"].ok
    csv_moved = compare_file("p.csv", "a,b\n1.5,x\n", "a,b\n1.6,x\n")
    assert [(m.key, m.ok) for m in csv_moved] == [("0.a", False)]
    assert not compare_file("p.csv", "a\n1\n", None)[0].ok  # a committed file not reproduced


def lock(dep_md5: str, out_md5: str, cmd: str = "python stages/train.py") -> str:
    return yaml.safe_dump(
        {
            "schema": "2.0",
            "stages": {
                "prepare": {
                    "cmd": "python stages/prepare.py",
                    "outs": [{"path": "data/prepared", "md5": out_md5}],
                },
                "train": {
                    "cmd": cmd,
                    "deps": [
                        {"path": "src/co2mix/modeling", "md5": dep_md5},
                        {"path": "data/prepared/train.parquet", "md5": out_md5},
                    ],
                    "params": {"params.yaml": {"train.seed": 42}},
                },
            },
        }
    )


def test_a_lock_may_move_what_stages_write_but_not_code_params_or_commands():
    assert compare_lock("dvc.lock", lock("code1", "data1"), lock("code1", "data2")) == []
    moved = compare_lock("dvc.lock", lock("code1", "data1"), lock("code2", "data1"))
    assert [m.key for m in moved] == ["train.deps.src/co2mix/modeling"]
    moved = compare_lock("dvc.lock", lock("c", "d"), lock("c", "d", cmd="python other.py"))
    assert [m.key for m in moved] == ["train.cmd"]


def test_the_command_compares_the_committed_revision_with_the_working_tree(tmp_path):
    (tmp_path / "metrics").mkdir()
    result = tmp_path / "metrics/evaluate.json"
    result.write_text(json.dumps({"rmse": 5.0}))
    run(["git", "init", "-q", "-b", "main"], tmp_path)
    git_commit(tmp_path, "r")
    result.write_text(json.dumps({"rmse": 5.0000000001}))
    ok = run(["co2mix", "verify"], tmp_path, check=False)
    assert ok.returncode == 0, ok.stdout
    assert "1 values moved, all within tolerance" in ok.stdout
    result.write_text(json.dumps({"rmse": 5.1}))
    failed = run(["co2mix", "verify"], tmp_path, check=False)
    assert failed.returncode == 1
    assert "| FAIL | metrics/evaluate.json | rmse | 5 | 5.1 |" in failed.stdout
