"""The environment is the one uv.lock describes: what CI tested, exactly (the Makefile installs
with `uv sync --locked`)."""

from __future__ import annotations

import importlib.metadata
import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def locked() -> dict[str, str]:
    lock = tomllib.loads((REPO / "uv.lock").read_text(encoding="utf-8"))
    return {package["name"]: package["version"] for package in lock["package"] if "version" in package}


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_every_dependency_of_pyproject_is_locked():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]
    assert {_name(r) for r in wanted} <= set(locked())


def test_the_installed_versions_are_the_locked_ones():
    lock = locked()  # parsed once: uv.lock is large (parsing it per package took 10 s and more)
    installed = {}
    for name in lock:
        try:
            installed[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue  # for another platform or Python (pywin32, async-timeout)
    assert {n: v for n, v in installed.items() if v != lock[n]} == {}
    assert len(installed) > 100
