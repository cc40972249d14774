"""The check stage's HTML report: every deepchecks result on one deterministic page."""

from __future__ import annotations

import re

from deepchecks.core import CheckResult, SuiteResult


# deepchecks and pandas' Styler stamp random ids into the HTML (uuid4 for plotly divs,
# five hex digits for tables): renumber them in order of appearance so that the same
# results give the same bytes, and dvc.lock does not change on every run.
_RANDOM_IDS = (
    re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
    re.compile(r"(?<=T_)[0-9a-f]{5}(?![0-9a-f])"),
)


def normalize_html(html: str) -> str:
    for number, pattern in enumerate(_RANDOM_IDS):
        seen: dict[str, str] = {}

        def renumber(match: re.Match[str], n: int = number, s: dict[str, str] = seen) -> str:
            return s.setdefault(match.group(0), f"id{n}x{len(s):05d}")

        html = pattern.sub(renumber, html)
    return html


def report_html(results: list[CheckResult], title: str = "co2mix data checks") -> str:
    """The deepchecks report of all results as one self-contained, deterministic HTML page."""
    suite = SuiteResult(title, results)
    serializer = suite.html_serializer
    # deepchecks names "some of the checks" from a set, in hash order: name them all, in order.
    names = ", ".join(result.get_header() for result in results)
    serializer.prepare_prologue = lambda: f"The report is composed of these checks: {names}."
    html = serializer.serialize(
        full_html=True,
        include_requirejs=False,
        include_plotlyjs=True,
        connected=False,
        output_id="co2mix-check",
    )
    return normalize_html(html)
