"""The pull-request report, against real git history in throw-away repositories,
and the GitHub workflow files, validated and audited offline."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from co2mix.reporting import charts, markdown, sections
from tests.helpers import ROOT, git_commit, run, set_key, write_params


def make_report(repo: Path, base: str) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, "-m", "co2mix.reporting", "--base", base], repo, check=False)


# ------------------------------------------------------------------ pieces


def test_delta_shows_sign_and_percent_and_says_new_or_removed():
    assert markdown.delta(2.0, 2.5) == "+0.5 (+25.0 %)"
    assert markdown.delta(1.0, 1.0) == "0"
    assert markdown.delta(None, 3.0) == "new"
    assert markdown.delta(3.0, None) == "removed"
    assert markdown.delta(True, False) == "changed"


def test_predicted_vs_actual_is_a_mermaid_chart_with_a_legend(tmp_path):
    path = tmp_path / "predictions.csv"
    actual = pd.Series(range(100), dtype=float)
    pd.DataFrame({"actual": actual, "predicted": actual + 1.0}).to_csv(path, index=False)
    lines = charts.predicted_vs_actual(path, "strength_mpa", bins=5)
    text = "\n".join(lines)
    assert text.startswith("```mermaid") and "xychart-beta" in text
    bar = next(line for line in lines if line.strip().startswith("bar"))
    assert bar.strip() == "bar [10.5, 30.5, 50.5, 70.5, 90.5]"  # mean predicted per bin
    assert "blue: mean predicted; orange: perfect" in text


def test_a_metrics_file_missing_on_either_side_is_named():
    diff = {
        "metrics/optimize.json": {"feasible": {"old": True, "new": None}},
        "metrics/check.json": {"drift_detected": {"old": None, "new": False}},
    }
    text = "\n".join(sections.metrics_section(diff, "abcdef0123"))
    assert "This branch has no `metrics/optimize.json` (not reproduced?" in text
    assert "The base (abcdef01) has no `metrics/check.json`: every value is new." in text
    assert "| `feasible` | true | — | removed |" in text


def test_prepare_key_metrics_are_shown_even_when_unchanged():
    diff = {
        "metrics/prepare.json": {
            "rows_out.train": {"old": 16000, "new": 16000},
            "batches.reference.rows_in": {"old": 20100, "new": 20100},
            "batches.reference.detection.spike.precision": {"old": 0.84, "new": 0.84},
        }
    }
    text = "\n".join(sections.metrics_section(diff, "abcdef0123"))
    assert "| `rows_out.train` | 16000 | 16000 | 0 |" in text
    assert "| `batches.reference.rows_in` | 20100 | 20100 | 0 |" in text
    assert "detection.spike.precision" not in text  # unchanged and not a key metric


def test_failed_conditions_are_listed_as_the_check_stage_writes_them():
    metrics = {
        "drift_detected": True,
        "integrity_ok": False,
        "drifted_features": [],
        "drifted_labels": ["strength_mpa"],
        "multivariate_drift": {"score": 0.01, "auc": 0.5, "threshold": 0.2, "drifted": False},
        "failed_conditions": ["Label Drift: strength_mpa: Label drift score < 0.06"],
    }
    text = "\n".join(sections.drift_section(None, metrics))
    assert "- Label Drift: strength_mpa: Label drift score < 0.06" in text
    assert "**drift detected**; **integrity failed**" in text


def test_fresh_data_section_lists_every_model_with_its_bias_and_marks_the_champion():
    def scores(rmse, fresh_rmse, bias):
        fresh = {"rows": 500, "rmse": fresh_rmse, "mae": 1.0, "bias": bias}
        return {"rmse": rmse, "mae": 1.0, "r2": 0.9, "mape": 0.1, "fresh": fresh}

    metrics = {
        "strength_mpa": {
            "sigma": 2.5,
            "champion": "xgboost",
            "models": {"xgboost": scores(2.6, 4.1, -2.4), "linear": scores(5.5, 6.3, -2.1)},
            "champion_importance": {},
        }
    }
    lines = sections.fresh_section(metrics)
    assert lines[0] == "## Models on fresh data (the current batch)"
    assert "| strength_mpa | **xgboost** | 2.6 | 4.1 | -2.4 |" in "\n".join(lines)
    assert any(line.startswith("| strength_mpa | linear | 5.5 | 6.3 | -2.1 |") for line in lines)
    del metrics["strength_mpa"]["models"]["xgboost"]["fresh"]
    del metrics["strength_mpa"]["models"]["linear"]["fresh"]
    assert sections.fresh_section(metrics) == []  # no fresh rows: no section


def test_a_bad_base_ref_exits_2_naming_it(tmp_path):
    run(["git", "init", "-q"], tmp_path)
    (tmp_path / "x.txt").write_text("x")
    git_commit(tmp_path, "first")
    result = make_report(tmp_path, "no-such-branch")
    assert result.returncode == 2
    assert "--base 'no-such-branch': not a commit in this repository" in result.stderr
    assert result.stdout == ""


# ------------------------------------------------------------------ the local proof


@pytest.fixture(scope="module")
def history(tmp_path_factory, reproduced):
    """main: the pipeline committed without results, then with them;
    branch: one train param changed and re-run."""
    source, raw = reproduced
    repo = shutil.copytree(source, tmp_path_factory.mktemp("history") / "repo", symlinks=True)
    git_commit(repo, "pipeline without results", "--", ".", ":!dvc.lock", ":!metrics")
    git_commit(repo, "results")

    # CI restores .dvc/cache into a fresh checkout: nothing must re-run.
    shutil.rmtree(repo / "data")
    run(["dvc", "checkout"], repo)
    restored = run(["dvc", "repro"], repo)

    run(["git", "checkout", "-q", "-b", "branch"], repo)
    write_params(repo, set_key(raw, "train.validation_fraction", 0.25))
    branch_run = run(["dvc", "repro"], repo)
    git_commit(repo, "validation fraction 0.25")
    return repo, restored.stdout, branch_run.stdout


@pytest.mark.integration
def test_restored_cache_reruns_nothing(history):
    _, restored, _ = history
    assert "Running stage" not in restored


def test_branch_reruns_only_what_the_param_feeds(history):
    _, _, branch_run = history
    for stage in ("generate", "check", "prepare"):
        assert f"Running stage '{stage}'" not in branch_run
    for stage in ("train@xgboost", "evaluate"):
        assert f"Running stage '{stage}'" in branch_run


def test_report_shows_the_param_the_changed_metrics_and_the_cached_stages(history):
    repo, _, _ = history
    result = make_report(repo, "main")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "| `train.validation_fraction` | 0.2 | 0.25 |" in text
    assert "- not re-run (unchanged, outputs from the cache): generate, check, prepare" in text
    assert "evaluate" in text.split("- re-run (inputs changed): ")[1].split("\n")[0]

    rows = {
        line.split(" | ")[0].strip("| `"): line
        for line in text.splitlines()
        if line.startswith("| `")
    }
    changed = rows["strength_mpa.models.xgboost.rmse"].rstrip(" |").split(" | ")
    assert changed[1] != changed[2] and changed[3] not in ("", "0")
    assert "%" in changed[3]  # the delta with its percentage
    unchanged = rows["co2_kg_m3.models.linear.rmse"].rstrip(" |").split(" | ")
    assert unchanged[1] == unchanged[2] and unchanged[3] == "0"  # final fit on all rows
    assert "## Optimizer benchmark" in text and "| differential_evolution |" in text
    assert "## Forecast (daily, backtest)" in text and "| co2_t | **ensemble** |" in text
    assert "Served forecast of co2_t" in text
    assert text.count("```mermaid") >= 5  # two targets, convergence, Pareto, forecast


def test_report_against_itself_says_nothing_changed(history):
    repo, _, _ = history
    text = make_report(repo, "HEAD").stdout
    assert "No params changed against the base." in text
    assert "- re-run (inputs changed): none" in text


def test_report_against_a_base_without_metrics_says_so_and_exits_0(history):
    repo, _, _ = history
    result = make_report(repo, "main~1")
    assert result.returncode == 0, result.stderr
    assert "has no `metrics/evaluate.json`: every value is new." in result.stdout
    assert "- new against the base (not in its dvc.lock): generate" in result.stdout


def test_report_writes_the_out_file_whole(history, tmp_path):
    repo, _, _ = history
    out = tmp_path / "report.md"
    run([sys.executable, "-m", "co2mix.reporting", "--base", "main", "--out", str(out)], repo)
    assert out.read_text().startswith("# co2mix report: ")
    assert not list(tmp_path.glob(".report.md.tmp"))


# ------------------------------------------------------------------ workflows


WORKFLOWS = sorted((ROOT / ".github/workflows").glob("*.yml"))


def test_workflows_exist_and_validate_against_the_github_schema():
    assert [w.name for w in WORKFLOWS] == ["report-comment.yml", "report.yml", "tests.yml"]
    tool = Path(sys.executable).parent / "check-jsonschema"
    result = subprocess.run(
        [str(tool), "--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_audit_has_no_findings():
    tool = Path(sys.executable).parent / "zizmor"
    result = subprocess.run(
        [str(tool), "--offline", "--persona", "pedantic", ".github/workflows"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout + result.stderr


def test_report_workflow_is_least_privilege_and_never_pull_request_target():
    import yaml

    flow = yaml.safe_load((ROOT / ".github/workflows/report.yml").read_text())
    triggers = flow[True]  # YAML 1.1 reads the key "on" as True
    assert "pull_request" in triggers and "pull_request_target" not in triggers
    # pull-request code runs without secrets and without write access
    job = flow["jobs"]["report"]
    assert job["permissions"] == {"contents": "read"}
    for step in job["steps"]:
        uses_secrets = "secrets." in yaml.safe_dump(step)  # pragma: allowlist secret
        assert not uses_secrets or step.get("if", "").startswith("github.event_name == 'push'")
    # every action pinned to a commit
    for workflow in WORKFLOWS:
        for line in workflow.read_text().splitlines():
            if line.strip().startswith(("- uses:", "uses:")):
                ref = line.split("@", 1)[1].split()[0]
                assert len(ref) == 40 and all(c in "0123456789abcdef" for c in ref), line
    assert triggers["push"] == {"branches": ["main"]}  # fills the cache PRs restore
    assert flow["permissions"] == {}
    checkout = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
    # the privileged comment workflow never runs the pull request's code
    comment = yaml.safe_load((ROOT / ".github/workflows/report-comment.yml").read_text())
    assert comment[True] == {"workflow_run": {"workflows": ["report"], "types": ["completed"]}}
    steps = comment["jobs"]["comment"]["steps"]
    assert not any(s.get("uses", "").startswith("actions/checkout") for s in steps)
    assert comment["jobs"]["comment"]["permissions"] == {
        "actions": "read",
        "pull-requests": "write",
    }


def test_the_datasets_section_shows_every_profiles_champion_and_design(tmp_path):
    from co2mix.reporting.datasets import datasets_section

    for name in ("boxcrete", "diamonds"):
        (tmp_path / "profiles" / name).mkdir(parents=True)
        shutil.copy2(ROOT / "profiles" / name / "dvc.yaml", tmp_path / "profiles" / name)
        shutil.copytree(
            ROOT / "profiles" / name / "metrics", tmp_path / "profiles" / name / "metrics"
        )
    (tmp_path / "profiles/new").mkdir()
    (tmp_path / "profiles/new/dvc.yaml").write_text("stages: {}\n")
    text = "\n".join(datasets_section(tmp_path, lambda path, schema: None))
    assert "| diamonds | price | xgboost |" in text
    assert "| boxcrete | strength_mpa |" in text and "| boxcrete | gwp_kg_m3 |" in text
    assert "not reproduced" in text  # a profile without metrics says so
    assert "**diamonds** design: no design space declared" in text
    assert "**boxcrete** design: minimise gwp_kg_m3 with strength_mpa >= 35" in text


# ------------------------------------------------------------------ the docs' example

NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def same_within(committed: str, fresh: str, rel: float = 2e-3) -> list[str]:
    """Lines that differ beyond display rounding: the words must match exactly, each number
    within ``rel`` (a metric reproduced on another CPU may round the other way)."""
    differ = []
    old_lines, new_lines = committed.splitlines(), fresh.splitlines()
    if len(old_lines) != len(new_lines):
        return [f"{len(old_lines)} lines committed, {len(new_lines)} regenerated"]
    for old, new in zip(old_lines, new_lines, strict=True):
        if NUMBER.sub("#", old) != NUMBER.sub("#", new):
            differ.append(f"- {old}\n+ {new}")
            continue
        for a, b in zip(NUMBER.findall(old), NUMBER.findall(new), strict=True):
            if abs(float(a) - float(b)) > rel * max(abs(float(a)), abs(float(b)), 1e-12):
                differ.append(f"- {old}\n+ {new}")
                break
    return differ


def test_the_docs_example_report_is_the_committed_results_report():
    from co2mix.reporting.report import build_report

    committed = (ROOT / "docs/example-report.md").read_text()
    stale = same_within(committed, build_report(None, ROOT))
    assert stale == [], "docs/example-report.md is stale: run make report\n" + "\n".join(stale)
    assert "against no base" in committed.splitlines()[0]


def test_the_staleness_check_sees_a_moved_number_but_not_a_rounding():
    assert same_within("rmse 2.588 x", "rmse 2.589 x") == []
    assert same_within("rmse 2.588 x", "rmse 2.688 x") != []
    assert same_within("champion linear", "champion xgboost") != []
