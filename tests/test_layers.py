"""The shape of the code: stage deps cover every module a stage imports, the paths module
agrees with dvc.yaml, modules and functions stay small, the layers hold (lint-imports)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from co2mix.core import paths
from co2mix.core.params_file import SOURCES
from co2mix.optimize.design_record import DESIGNERS
from tests.helpers import ROOT

SRC = ROOT / "src"
STAGES = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
# a CSV profile's pipeline runs the same scripts from profiles/<name>/: paths start ../../
CSV_PIPELINE = ROOT / "profiles/diamonds/dvc.yaml"
CSV_STAGES = {
    name: {
        "cmd": stage["cmd"].replace("../../", ""),
        "deps": [str(d).removeprefix("../../") for d in stage["deps"]],
    }
    for name, stage in yaml.safe_load(CSV_PIPELINE.read_text())["stages"].items()
}


def module_file(module: str) -> Path | None:
    """The file of a ``co2mix`` module or package, None for anything else."""
    base = SRC.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def imported_modules(path: Path) -> set[str]:
    """Every co2mix module ``path`` imports (``from pkg import mod`` names the module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {m for m in found if m.split(".")[0] == "co2mix" and module_file(m)}


def import_closure(script: Path, by_name: tuple[str, ...] = ()) -> set[Path]:
    """The co2mix files a script loads: its imports, theirs, and every parent package;
    ``by_name``: modules it loads by name (a params tree, :data:`SOURCES`), and theirs."""
    seen: set[str] = set()
    todo = [*imported_modules(script), *by_name]
    while todo:
        module = todo.pop()
        parts = module.split(".")
        for i in range(1, len(parts) + 1):  # importing a.b.c runs a and a.b first
            parent = ".".join(parts[:i])
            if parent not in seen:
                seen.add(parent)
                todo.extend(imported_modules(module_file(parent)))  # type: ignore[arg-type]
    return {module_file(m).relative_to(ROOT) for m in seen}  # type: ignore[union-attr]


def uncovered(stage: dict, source: str = "plant") -> list[str]:
    """The files a stage of a ``source`` dataset loads that its deps do not cover: its
    imports, and the source's params tree that reading params.yaml loads by name."""
    script = ROOT / stage["cmd"].split()[1]
    deps = [str(d) for d in stage["deps"]]
    closure = import_closure(script)
    by_name = [SOURCES[source][0]] if Path("src/co2mix/core/params_file.py") in closure else []
    if Path("src/co2mix/optimize/design_record.py") in closure and source in DESIGNERS:
        by_name.append(DESIGNERS[source])  # the design stage loads the source's designer
    closure = import_closure(script, tuple(by_name))
    return sorted(
        str(path)
        for path in closure
        if not any(str(path) == d or str(path).startswith(d.rstrip("/") + "/") for d in deps)
    )


@pytest.mark.parametrize("name", sorted(STAGES))
def test_stage_deps_cover_every_module_the_script_imports(name):
    stage = STAGES[name]
    assert stage["cmd"].split()[1] in stage["deps"]
    assert uncovered(stage) == [], f"dvc.yaml stage {name!r}: add these to its deps"


@pytest.mark.parametrize("name", sorted(CSV_STAGES))
def test_csv_profile_stage_deps_cover_every_module_the_script_imports(name):
    stage = CSV_STAGES[name]
    assert stage["cmd"].split()[1] in stage["deps"]
    assert uncovered(stage, "csv") == [], f"{CSV_PIPELINE}: stage {name!r}: add these to its deps"


@pytest.mark.parametrize("name", sorted(CSV_STAGES))
def test_a_csv_profiles_stages_neither_load_nor_depend_on_the_plant(name):
    """Editing the simulator, its physics or its params re-runs no CSV profile's stage."""
    stage = CSV_STAGES[name]
    closure = import_closure(ROOT / stage["cmd"].split()[1], (SOURCES["csv"][0],))
    plant = ("src/co2mix/physics", "src/co2mix/simulate", "src/co2mix/plant_params")
    assert not [str(p) for p in closure if str(p).startswith(plant)]
    assert not [d for d in stage["deps"] if str(d).startswith(plant)]


def test_the_plant_pipelines_stages_load_its_params_tree_by_name():
    """parse_params imports the plant's tree by name: the closure must follow it."""
    closure = {str(p) for p in import_closure(ROOT / "stages/train.py", (SOURCES["plant"][0],))}
    assert "src/co2mix/plant_params/root.py" in closure
    assert "src/co2mix/physics/truth.py" in closure
    assert "src/co2mix/plant_params/root.py" not in {
        str(p) for p in import_closure(ROOT / "stages/train.py")
    }


def test_the_closure_sees_through_packages_and_from_imports():
    closure = {str(p) for p in import_closure(ROOT / "stages/optimize.py")}
    assert "src/co2mix/__init__.py" in closure
    assert "src/co2mix/physics/truth.py" in closure  # via optimize.plant_space
    assert "src/co2mix/core/records.py" in closure  # from co2mix.core import records
    assert not any(p.startswith("src/co2mix/reporting") for p in closure)
    broken = dict(
        STAGES["optimize"],
        deps=[d for d in STAGES["optimize"]["deps"] if d != "src/co2mix/physics"],
    )
    assert "src/co2mix/physics/truth.py" in uncovered(broken)


def test_every_path_of_the_paths_module_is_declared_in_dvc_yaml():
    text = (ROOT / "dvc.yaml").read_text() + CSV_PIPELINE.read_text()
    declared = [
        value
        for name, value in vars(paths).items()
        if isinstance(value, Path) and name.isupper() and value.parts[0] in ("data", "metrics")
    ]
    assert len(declared) > 15
    untracked = {paths.TIMINGS}  # wall-clock seconds: never DVC outputs, never committed
    missing = [str(p) for p in declared if str(p) not in text and p not in untracked]
    assert missing == []


def python_files() -> list[Path]:
    return sorted([*SRC.rglob("*.py"), *(ROOT / "stages").glob("*.py")])


def test_modules_have_at_most_400_lines():
    long = {
        str(p.relative_to(ROOT)): n
        for p in python_files()
        if (n := len(p.read_text().splitlines())) > 400
    }
    assert long == {}


def test_functions_have_at_most_60_lines():
    long = {}
    for path in python_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > 60:
                    long[f"{path.relative_to(ROOT)}:{node.name}"] = length
    assert long == {}


def test_import_linter_refuses_a_wrong_direction_import(tmp_path):
    """The layers contract is live: a physics module importing the optimizer breaks it."""
    copy = tmp_path / "src"
    subprocess.run(["cp", "-r", str(SRC), str(copy)], check=True)
    (copy / "co2mix/physics/leak.py").write_text("import co2mix.optimize.benchmark\n")
    linter = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(linter), "--config", str(ROOT / "pyproject.toml")],
        cwd=tmp_path,
        env={"PYTHONPATH": str(copy), "PATH": str(linter.parent)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0, result.stdout
    assert "co2mix.physics.leak -> co2mix.optimize.benchmark" in result.stdout


def test_every_plot_is_declared_once_with_its_axes_and_one_target_per_chart():
    """Stage-level ``plots:`` would also be drawn as default line charts over row number;
    top-level plots are the only ones, labelled, never mixing the targets' units."""
    pipeline = yaml.safe_load((ROOT / "dvc.yaml").read_text())
    assert not [name for name, stage in pipeline["stages"].items() if "plots" in stage]
    for entry in pipeline["plots"]:
        ((title, spec),) = entry.items()
        assert spec["x_label"] and spec["y_label"], title
        files = list(spec["y"])
        targets = {t for t in ("co2_kg_m3", "strength_mpa") for f in files if t in f}
        assert len(targets) <= 1, f"{title}: one chart per target"
