"""The installed environment is compiled (issue 22, part 1): every `uv sync` compiles
site-packages (`[tool.uv] compile-bytecode` in pyproject.toml), so that a command costs the
same whether or not PYTHONDONTWRITEBYTECODE is set. Without it, each command under that variable
compiled Prefect from source and threw the result away (seconds per command).

bench/startup.py measures the consequence: each command timed with and without the variable.
"""

import sys
from pathlib import Path

import pytest

from conftest import REPO

sys.path.insert(0, str(REPO / "bench"))
import bytecode  # noqa: E402

# What every flow command imports (Prefect alone is about 1 s of imports), and the two engines.
PACKAGES = ["prefect", "polars", "duckdb"]


@pytest.mark.parametrize("package", PACKAGES)
def test_the_installed_package_has_up_to_date_bytecode_for_every_module(package):
    folder = bytecode.package_folder(package)
    assert Path(sys.prefix) in folder.parents, f"{package} is not the venv's: {folder}"
    found = list(bytecode.sources(folder))
    assert found, f"no .py files under {folder}"
    missing = bytecode.stale([folder])
    assert not missing, (
        f"{len(missing)} of {len(found)} modules of {package} have no up-to-date "
        f"__pycache__/*.{sys.implementation.cache_tag}.pyc, e.g. "
        + ", ".join(str(p.relative_to(folder)) for p in missing[:5])
        + ": the venv was installed without compiling (`make .venv/.installed` runs `uv sync`, which "
        "compiles by pyproject.toml's [tool.uv] compile-bytecode)"
    )


def test_the_check_fails_on_an_uncompiled_package_and_passes_once_compiled(tmp_path):
    import py_compile

    package = tmp_path / "package"
    (package / "sub").mkdir(parents=True)
    modules = [package / "__init__.py", package / "sub" / "module.py"]
    for module in modules:
        module.write_text("VALUE = 1\n", encoding="utf-8")
    (package / "later.py").write_text("type Alias = int\n" if sys.version_info < (3, 12) else "x = (\n",
                                      encoding="utf-8")  # cannot compile here: never counted
    assert bytecode.stale([package]) == modules  # an uncompiled install fails

    for module in modules:
        py_compile.compile(str(module), doraise=True)
    assert bytecode.stale([package]) == []

    modules[1].write_text("VALUE = 22\n", encoding="utf-8")  # edited since: its bytecode is stale
    assert bytecode.stale([package]) == [modules[1]]

    py_compile.compile(str(modules[1]), doraise=True,
                       invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)
    assert bytecode.stale([package]) == []
