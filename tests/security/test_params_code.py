"""params.yaml cannot run code (issue 25, section 3): every expression is parsed with
``ast`` and interpreted over the columns; the payload that ran a system call through
pandas' ``@`` references is refused before any row is read, and what it would have
written is never written; ``ingest.path`` stays inside the repository."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from co2mix.core.errors import ParamsError
from co2mix.core.expressions import expression
from co2mix.core.params_file import parse_params
from co2mix.data.ingest import ingest
from tests.helpers import ROOT

BOXCRETE = ROOT / "profiles/boxcrete"


def boxcrete_raw() -> dict:
    return yaml.safe_load((BOXCRETE / "params.yaml").read_text())


def payloads(marker) -> list[str]:
    """Ways pandas' eval and query ran code; each would create ``marker``."""
    write = f"open({str(marker)!r}, 'w')"
    return [
        "strength_psi > @pd.core.frame.com.builtins.__import__('os').getpid()*0",
        f"strength_psi > 0 or {write}",
        f"__import__('os').system('touch {marker}')",
        "strength_psi.__class__",
        "[c for c in ().__class__.__base__.__subclasses__()]",
        f"(lambda: {write})()",
        "strength_psi[0] > 0",
        "log(strength_psi, base=2)",
    ]


@pytest.mark.parametrize("where", ["filters", "derive", "slices", "limits"])
def test_code_in_any_params_expression_is_refused_when_params_are_read(tmp_path, where):
    marker = tmp_path / "ran"
    for payload in payloads(marker):
        raw = boxcrete_raw()
        if where == "filters":
            raw["ingest"]["filters"] = [payload]
        elif where == "derive":
            raw["ingest"]["derive"]["x"] = payload
        elif where == "slices":
            raw["evaluate"]["slices"] = {"bad": payload}
        else:
            raw["design"]["limits"] = {payload: [0, 1]}
        with pytest.raises(ParamsError, match=r"is not allowed|not an expression") as caught:
            parse_params(raw, "profiles/boxcrete/params.yaml")
        message = str(caught.value)
        assert len(message.splitlines()) == 1 and where in message
    assert not marker.exists()


def test_the_committed_expressions_give_what_pandas_gave():
    frame = pd.DataFrame(
        {"a": [1.0, 4.0, 9.0, 0.5], "b": [2.0, 0.0, 3.0, 1.0], "kind": ["x", "y", "x", "z"]}
    )
    cases = {
        "a * 0.00689476": frame.eval("a * 0.00689476"),
        "log(a)": np.log(frame["a"]),
        "a > 1": frame["a"] > 1,
        "(a > 1) & (b < 3)": (frame["a"] > 1) & (frame["b"] < 3),
        "a > 1 and b < 3 or kind == 'z'": frame.eval("a > 1 and b < 3 or kind == 'z'"),
        "kind in ['x', 'z']": frame["kind"].isin(["x", "z"]),
        "a / (a + b) ** 2": frame["a"] / (frame["a"] + frame["b"]) ** 2,
        "1 < a <= 4": (frame["a"] > 1) & (frame["a"] <= 4),
        "-a + sqrt(b)": -frame["a"] + np.sqrt(frame["b"]),
    }
    for text, expected in cases.items():
        got = expression(text, "evaluate.slices.x").evaluate(frame)
        assert np.array_equal(np.asarray(got), np.asarray(expected)), text


def test_an_ingest_path_outside_the_repository_is_refused(tmp_path):
    raw = boxcrete_raw()
    outside = tmp_path / "secret.csv"
    outside.write_text("a,b\n1,2\n")
    for path in [str(outside), "../../../" * 6 + str(outside).lstrip("/")]:
        raw["ingest"]["path"] = path
        params = parse_params(raw, "profiles/boxcrete/params.yaml")
        with pytest.raises(ParamsError, match=r"ingest.path .* outside the repository"):
            ingest(params, BOXCRETE)
