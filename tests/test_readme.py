"""The README's params reference is checked against params.yaml, so it cannot go stale."""

from __future__ import annotations

import re

from tests.helpers import ROOT, committed_params

SECTION = "## Params reference (`params.yaml`)"


def leaves(node: object, prefix: str = "") -> list[str]:
    if isinstance(node, dict) and node:  # an empty mapping ({}) is a documented leaf
        return [leaf for k, v in node.items() for leaf in leaves(v, f"{prefix}{k}.")]
    return [prefix.rstrip(".")]


def documented_keys() -> list[str]:
    """First-column keys of the reference table; ``a.b`` / ``.c`` means ``a.c`` too."""
    text = (ROOT / "README.md").read_text()
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    keys = []
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        first = line.split(" | ")[0]
        names = re.findall(r"`([^`]+)`", first)
        base = names[0]
        keys.append(base)
        for name in names[1:]:
            keys.append(base.rsplit(".", 1)[0] + name if name.startswith(".") else name)
    return keys


def covers(pattern: str, key: str) -> bool:
    regex = re.escape(pattern).replace(r"\.\*", r"\..+").replace(r"\*", ".+")
    regex = re.sub(r"<[^>]+>", "[^.]+", regex.replace(r"\<", "<").replace(r"\>", ">"))
    return re.fullmatch(regex + r"(\..+)?", key) is not None


def test_the_reference_table_is_one_table():
    text = (ROOT / "README.md").read_text().split(SECTION, 1)[1].split("\n## ", 1)[0]
    rows = [i for i, line in enumerate(text.splitlines()) if line.startswith("|")]
    assert rows == list(range(rows[0], rows[0] + len(rows)))  # no blank line splits it


def test_every_param_is_documented_and_every_documented_key_exists():
    params = leaves(committed_params())
    documented = documented_keys()
    undocumented = [k for k in params if not any(covers(p, k) for p in documented)]
    assert undocumented == []
    stale = [p for p in documented if not any(covers(p, k) for k in params)]
    assert stale == []
