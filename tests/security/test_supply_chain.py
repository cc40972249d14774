"""The supply chain (issue 25, section 5): every installed package is pinned with the
hashes of its files (``requirements.lock``, installed by ``make install`` with
``--require-hashes``), the lock agrees with the pins in ``pyproject.toml``, and the
secret scanner of ``make lint`` and pre-commit finds a planted key."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

from tests.helpers import ROOT

PIN = re.compile(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;\\]+)")


def normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked() -> dict[str, tuple[str, int]]:
    """requirements.lock: package -> (version, how many hashes)."""
    entries: dict[str, tuple[str, int]] = {}
    current = None
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        match = PIN.match(line)
        if match:
            current = normal(match[1])
            entries[current] = (match[2], 0)
        elif current and line.strip().startswith("--hash=sha256:"):
            version, hashes = entries[current]
            entries[current] = (version, hashes + 1)
    return entries


def test_the_lock_pins_every_pyproject_pin_with_hashes():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    lock = locked()
    assert len(lock) > 200  # everything the pins pull in, not only the pins
    for pin in pins:
        match = PIN.match(pin)
        assert match, f"pyproject.toml: {pin!r} is not an exact pin"
        name, version = normal(match[1]), match[2]
        assert lock.get(name, ("missing", 0))[0] == version, f"{name}: run make lock"
    unhashed = [name for name, (_, hashes) in lock.items() if hashes == 0]
    assert not unhashed
    text = (ROOT / "requirements.lock").read_text()
    assert "://" not in text and "--index-url" not in text and "--find-links" not in text


def test_the_installed_packages_are_the_locked_versions():
    """Every locked package is installed at its locked version. (setuptools puts the
    copies it vendors, with older versions, on the import path once it is imported:
    a name counts as installed at a version when any of its distributions has it.)"""
    from importlib.metadata import distributions

    lock = locked()
    installed: dict[str, set[str]] = {}
    for dist in distributions():
        installed.setdefault(normal(dist.metadata["Name"]), set()).add(dist.version)
    differ = {
        name: (version, sorted(installed[name]))
        for name, (version, _) in lock.items()
        if name in installed and version not in installed[name]
    }
    assert not differ, f"installed differs from requirements.lock (make install): {differ}"
    missing = sorted(set(lock) - set(installed) - {"pip"})
    assert not missing, f"locked but not installed (make install): {missing}"


def test_the_secret_scanner_passes_the_repository_and_finds_a_planted_key(tmp_path):
    hook = Path(sys.executable).with_name("detect-secrets-hook")
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    clean = subprocess.run(
        [str(hook), "--baseline", ".secrets.baseline", *tracked],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert clean.returncode == 0, clean.stdout
    planted = tmp_path / "settings.py"
    planted.write_text('password = "kV9#qL2!xR7@mT4$"\n')  # pragma: allowlist secret
    found = subprocess.run(
        [str(hook), "--baseline", ".secrets.baseline", str(planted)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert found.returncode == 1
    assert f"{planted}:1" in found.stdout and "Secret Keyword" in found.stdout
