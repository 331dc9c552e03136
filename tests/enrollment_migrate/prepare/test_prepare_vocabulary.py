"""prepare's modules share their names through prepare.vocabulary, never by importing each
other in a loop: each of them imports on its own, in a fresh interpreter, in any order."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PREPARE = Path(__file__).resolve().parents[3] / "enrollment_migrate" / "prepare"
MODULES = sorted(
    "enrollment_migrate.prepare." + ".".join(path.relative_to(PREPARE).with_suffix("").parts)
    for path in PREPARE.rglob("*.py") if path.name != "__init__.py"
)


@pytest.mark.parametrize("module", MODULES)
def test_each_module_imports_first(module):
    done = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True,
                          cwd=PREPARE.parents[1])
    assert done.returncode == 0, done.stderr


def test_no_module_defers_an_import_to_break_a_loop():
    deferred = [path.name for path in PREPARE.rglob("*.py") if "Imported here" in path.read_text()]
    assert deferred == []
