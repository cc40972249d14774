"""Stage outputs are all-or-nothing."""

from __future__ import annotations

import pandas as pd
import pytest

from co2mix.core.io import staged_outputs


def test_outputs_appear_only_when_the_stage_succeeds(tmp_path):
    table, summary = tmp_path / "out" / "table.parquet", tmp_path / "metrics.json"
    with staged_outputs() as out:
        out.parquet(pd.DataFrame({"a": [1, 2]}), table)
        out.json({"b": 1.5}, summary)
        assert not table.exists()
        assert not summary.exists()
    assert pd.read_parquet(table)["a"].tolist() == [1, 2]
    assert summary.read_text() == '{\n  "b": 1.5\n}\n'
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["metrics.json", "out", "table.parquet"]


def test_a_failure_keeps_earlier_outputs_and_leaves_no_temporaries(tmp_path):
    summary = tmp_path / "metrics.json"
    summary.write_text("earlier\n")
    with pytest.raises(RuntimeError), staged_outputs() as out:
        out.json({"b": 2}, summary)
        raise RuntimeError("stage failed half way")
    assert summary.read_text() == "earlier\n"
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


def test_nan_is_refused_in_json(tmp_path):
    with pytest.raises(ValueError), staged_outputs() as out:
        out.json({"x": float("nan")}, tmp_path / "m.json")
    assert list(tmp_path.iterdir()) == []


def test_temporaries_a_killed_run_left_are_removed_by_the_next_write(tmp_path):
    target = tmp_path / "train.parquet"
    stale = tmp_path / ".train.parquet.k3j_9x2a.tmp"  # mkstemp's name for it, left by SIGKILL
    stale.write_bytes(b"x" * 1000)
    other = tmp_path / ".test.parquet.k3j_9x2a.tmp"  # another output's temporary: kept
    other.write_bytes(b"y")
    with staged_outputs() as out:
        out.parquet(pd.DataFrame({"a": [1]}), target)
    assert not stale.exists()
    assert other.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".test.parquet.k3j_9x2a.tmp",
        "train.parquet",
    ]
