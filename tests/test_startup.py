"""What importing co2mix sets up for a process (co2mix/startup.py): bytecode kept, and
scipy's array-API notes appended to its docstrings instead of parsed into them."""

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


def test_after_co2mix_scipy_appends_its_notes_without_parsing_the_docstrings():
    assert probe("import co2mix") == ["_NotesAppended", "True", "True"]  # note and examples kept


def test_without_co2mix_scipy_parses_them_as_before():
    assert probe("") == ["FunctionDoc", "True", "True"]


def test_scipy_imported_before_co2mix_is_left_alone():
    assert probe("import scipy.stats\nimport co2mix") == ["FunctionDoc", "True", "True"]


def test_co2mix_keeps_its_bytecode_where_the_environment_says_not_to(tmp_path):
    """Twenty-five stage processes import the same modules: compiled once, not each time."""
    probe = "import sys, co2mix.core.errors; print(sys.dont_write_bytecode)"
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
