"""The check stage's HTML report: every deepchecks result on one deterministic page."""

from __future__ import annotations

import re

from deepchecks.core import CheckResult, SuiteResult


# deepchecks and pandas' Styler stamp random ids into the HTML (uuid4 for plotly divs,
# five hex digits for tables): renumber them in order of appearance so that the same
# results give the same bytes, and dvc.lock does not change on every run. Five hex digits
# collide now and then (1 in ~5,000 reports of 16 tables): a table's id is renumbered per
# run of consecutive uses, so two tables that drew the same id still get two numbers.
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TABLE_ID = re.compile(r"(?<=T_)[0-9a-f]{5}(?![0-9a-f])")


def normalize_html(html: str) -> str:
    seen: dict[str, str] = {}
    html = _UUID.sub(lambda m: seen.setdefault(m.group(0), f"id0x{len(seen):05d}"), html)
    last, count = "", -1

    def renumber(match: re.Match[str]) -> str:
        nonlocal last, count
        if match.group(0) != last:
            last, count = match.group(0), count + 1
        return f"id1x{count:05d}"

    return _TABLE_ID.sub(renumber, html)


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
