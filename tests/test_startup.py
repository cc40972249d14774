"""What a stage process sets up first (co2mix.startup.prepare_stage_process): bytecode
kept, scipy's array-API notes appended to its docstrings instead of parsed into them,
jsonschema's IRI grammars skipped; and that importing co2mix sets up none of it."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
{first}
import sklearn.pipeline  # imports scipy.stats, as every model stage does
import scipy._lib._array_api as api
import scipy.stats
doc = scipy.stats.rankdata.__doc__
print(api.FunctionDoc.__name__, "Array API Standard Support" in doc, ">>> rankdata(" in doc)
"""


def probe(first: str) -> list[str]:
    script = PROBE.format(first=first)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return run.stdout.split()


STAGE = "from co2mix.startup import prepare_stage_process; prepare_stage_process()"


def test_in_a_stage_process_scipy_appends_its_notes_without_parsing_the_docstrings():
    assert probe(STAGE) == ["_NotesAppended", "True", "True"]  # note and examples kept


def test_importing_co2mix_changes_nothing_global():
    script = (
        "import sys, warnings; before = sys.dont_write_bytecode\n"
        "import co2mix, co2mix.data, co2mix.serving.app, co2mix.feed.consume\n"
        "ours = [f for f in sys.meta_path if type(f).__module__.startswith('co2mix')]\n"
        "print(not ours and sys.dont_write_bytecode == before, 'rfc3987_syntax' in sys.modules)\n"
        "import co2mix.data.checks  # the module that imports deepchecks\n"
        "print(not [f for f in warnings.filters if 'pkg_resources' in str(f[1])])  # startup's"
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"}
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env
    )
    assert run.stdout.split() == ["True", "False", "True"]  # no warning filter of ours either
    assert probe("import co2mix") == ["FunctionDoc", "True", "True"]


def test_without_co2mix_scipy_parses_them_as_before():
    assert probe("") == ["FunctionDoc", "True", "True"]


def test_scipy_imported_before_the_stage_setup_is_left_alone():
    assert probe(f"import scipy.stats\n{STAGE}") == ["FunctionDoc", "True", "True"]


def test_a_stage_keeps_its_bytecode_where_the_environment_says_not_to(tmp_path):
    """Twenty-five stage processes import the same modules: compiled once, not each time."""
    probe = f"import sys; {STAGE}; import co2mix.core.errors; print(sys.dont_write_bytecode)"
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPYCACHEPREFIX": str(tmp_path),
    }
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=env
    ).stdout.split()
    assert out == ["False"]
    assert list(tmp_path.rglob("errors.cpython-*.pyc"))  # written to the prefix, not the tree


def test_a_stage_computes_exp_and_log_with_the_c_library_bits_on_every_cpu():
    """numpy's AVX-512 loops give other last bits than the C library's (every CPU without
    AVX-512 uses the latter); a stage process turns them off, a library user keeps them."""
    check = (
        "import math, os\n"
        "import numpy as np\n"
        "x = np.random.default_rng(0).uniform(0.1, 50.0, 20000)\n"
        "print(np.array_equal(np.log(x), [math.log(v) for v in x]),"
        " np.array_equal(np.exp(x), [math.exp(v) for v in x]),"
        " 'AVX512F' in os.environ.get('NPY_DISABLE_CPU_FEATURES', ''))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", f"{STAGE}\n{check}"], capture_output=True, text=True, check=True
    )
    assert run.stdout.split() == ["True", "True", "True"]
    plain = subprocess.run(
        [sys.executable, "-c", f"import co2mix\n{check}"], capture_output=True, text=True
    )
    assert plain.stdout.split()[-1] == "False"  # importing co2mix leaves numpy's choice alone
