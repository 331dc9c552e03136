"""Files built to exhaust memory or crash the reader (issue 21, point 5): a mapping whose aliases
stand for billions of values, a workbook of a few hundred KB that expands to hundreds of MB or
lies about its sizes, a sheet whose used range is seventeen billion cells. Each is refused with
exit 2, in one line naming the file and the bound, nothing written, and within bounded memory:
the refusal comes before the expansion."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import zipfile

import pytest
from typer.testing import CliRunner

from conftest import REPO
from workbooks import cell_ref, declare_size, ods, xlsx
from enrollment_migrate.cli import app
from enrollment_migrate.prepare import workbook_bounds
from enrollment_migrate.prepare.mapping import load_mapping
from enrollment_migrate.prepare.pipeline import prepare
from enrollment_migrate.prepare.vocabulary import SourceUnreadable

SAMPLE = REPO / "data" / "sample"
EXPORT = SAMPLE / "legacy_lms_export.csv"
MAPPING = SAMPLE / "legacy_lms.yaml"
HEADER = ("Learner Email", "Course Title", "Enrolled", "Started", "Finished", "Grade %", "Completion State",
          "Access Until")
ROW = ("ana.silva@example.com", "Fire Safety Essentials", "1/15/2024", "1/16/2024", "1/20/2024", "", "complete", "")


def alias_bomb(section: str) -> str:
    """Nine levels of nine aliases: 387 million "lol"s for a 1 KB file (took more than 1.5 GB)."""
    levels = ['  l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    levels += [f"  l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9)}]" for n in range(1, 9)]
    return f"{section}:\n" + "\n".join(levels) + "\n"


# Each case: (what it is, how to build it in a folder -> (source, mapping), the words of the refusal).
def _mapping(tmp_path, text: str):
    path = tmp_path / "hostile.yaml"
    path.write_text(text, encoding="utf-8")
    return EXPORT, path


def _source(path):
    return path, MAPPING


def _lying(tmp_path):
    book = xlsx(tmp_path / "lying.xlsx", [HEADER, ROW], shared_string_bytes=64 << 20)
    return _source(declare_size(book, "xl/sharedStrings.xml", 1 << 10))


def _lying_ods(tmp_path):
    book = ods(tmp_path / "lying.ods", [HEADER, ROW])
    return _source(declare_size(book, "content.xml", 100))


def _big_xls(tmp_path):
    path = tmp_path / "big.xls"
    with path.open("wb") as file:  # an OLE2 signature, then a hole: 300 MiB on no disk space
        file.write(bytes.fromhex("d0cf11e0a1b11ae1"))
        file.truncate(300 << 20)
    return _source(path)


CASES = {
    "alias bomb under statuses": (lambda t: _mapping(t, alias_bomb("statuses")), "the alias *l0 is not read"),
    "alias bomb under columns": (lambda t: _mapping(t, alias_bomb("columns")), "the alias *l0 is not read"),
    "a merge key is an alias too": (
        lambda t: _mapping(t, "columns: &c {Login ID: Learner Email}\nstatuses:\n  <<: *c\n"), "the alias *c is not read"),
    "mapping over 1 MiB": (lambda t: _mapping(t, "# padding\n" * 120_000), "larger than 1 MiB"),
    "mapping nested 100,000 deep": (lambda t: _mapping(t, "columns: " + "[" * 100_000 + "]" * 100_000 + "\n"),
                                    "nested more than 32 levels deep"),
    "shared string bomb": (
        lambda t: _source(xlsx(t / "bomb.xlsx", [HEADER, ROW], shared_string_bytes=256 << 20)),
        "more than the 100 times a part over 16 MiB may"),
    "part holding more than it declares": (_lying, "holds more than the 1 KiB it declares"),
    "ods holding more than it declares": (_lying_ods, "part content.xml holds more than the 100 bytes it declares"),
    "part declaring 3 GiB": (
        lambda t: _source(declare_size(xlsx(t / "huge.xlsx", [HEADER, ROW]), "xl/worksheets/sheet1.xml", 3 << 30)),
        "expands to 3 GiB, more than the 1 GiB a workbook part may"),
    "parts compressed by bzip2": (
        lambda t: _source(xlsx(t / "bzip2.xlsx", [HEADER, ROW], method=zipfile.ZIP_BZIP2)),
        "is compressed by method 12"),
    "sparse sheet, A1 to XFD1048576": (
        lambda t: _source(xlsx(t / "sparse.xlsx", cells={"A1": "Learner Email", cell_ref(1048576, 16384): "x"})),
        "used range, A1:XFD1048576, is 1,048,576 rows by 16,384 columns, more than the 67,108,864 cells read"),
    "sparse sheet without its dimension (the reader aborts)": (
        lambda t: _source(xlsx(t / "sparse.xlsx", cells={"A1": "Learner Email", cell_ref(1048576, 16384): "x"},
                               dimension=None)),
        "the spreadsheet reader stopped on this file (signal 6: memory allocation of"),
    "old .xls over 256 MiB": (_big_xls, "300 MiB, more than the 256 MiB read of an old .xls workbook"),
}


def squeezed(text: str) -> str:
    return "".join(text.split())


def unwrapped(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.usefixtures("prefect_harness")
@pytest.mark.parametrize("case", CASES)
def test_cli_exit_2_names_the_file_and_the_bound_and_writes_nothing(tmp_path, case):
    build, words = CASES[case]
    source, mapping = build(tmp_path)
    out = tmp_path / "migration.csv"
    result = CliRunner().invoke(app, ["prepare", str(source), "--mapping", str(mapping), "--out", str(out)],
                                catch_exceptions=False)

    assert result.exit_code == 2, result.output
    named = mapping if source == EXPORT else source
    assert str(named) in squeezed(result.stderr)  # the console may wrap the line
    assert words in unwrapped(result.stderr)
    assert "Traceback" not in result.output + result.stderr
    assert not out.exists() and not (tmp_path / "migration.prepare.json").exists()


BOUNDED = textwrap.dedent("""
    import resource, sys
    from enrollment_migrate.prepare import pipeline
    from enrollment_migrate.prepare.mapping import load_mapping
    from enrollment_migrate.runs import CannotRun

    # At most 1 GiB more address space than the imports took (the reader's process inherits it).
    taken = next(int(line.split()[1]) * 1024 for line in open("/proc/self/status") if line.startswith("VmSize"))
    resource.setrlimit(resource.RLIMIT_AS, (taken + (1 << 30), taken + (1 << 30)))
    try:
        pipeline.read(sys.argv[1], load_mapping(sys.argv[2]))
    except CannotRun as exc:
        sys.exit(f"refused: {exc}")
    print("read")
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc and sets RLIMIT_AS")
@pytest.mark.parametrize("case", CASES)
def test_the_refusal_comes_before_the_expansion_within_1_gib(tmp_path, case):
    """With 1 GiB of address space to spare, each file is refused (not a MemoryError, not an
    abort of this process), and quickly: the bounds are checked before anything expands."""
    build, words = CASES[case]
    source, mapping = build(tmp_path)
    done = subprocess.run([sys.executable, "-c", BOUNDED, str(source), str(mapping)], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and done.stderr.startswith("refused: "), done.stderr[-2000:]
    assert words in done.stderr and "Traceback" not in done.stderr


def test_an_export_as_a_workbook_is_read_as_before(tmp_path):
    """The same export as .xlsx, hand-written, and as .ods: read in the reader's process, prepared."""
    books = (xlsx(tmp_path / "export.xlsx", [("Completions report",), HEADER, ROW]), ods(tmp_path / "export.ods", [HEADER, ROW]))
    for book in books:
        prepared = prepare(book, load_mapping(MAPPING))
        assert prepared.ready and prepared.rows.height == 1
        assert prepared.rows["Login ID"].to_list() == ["ana.silva@example.com"]


def test_each_bound_holds_by_part_and_in_total(tmp_path, monkeypatch):
    """The bounds at small values, on a workbook of a few KB: each part, the total, the ratio."""
    book = xlsx(tmp_path / "export.xlsx", [HEADER, *[ROW] * 200])
    workbook_bounds.check_workbook(book)  # within the bounds as they are
    sheet = zipfile.ZipFile(book).getinfo("xl/worksheets/sheet1.xml")
    for bounds, words in (
        ({"PART_MAX_BYTES": sheet.file_size - 1}, "a workbook part may"),
        ({"WORKBOOK_MAX_BYTES": sheet.file_size}, "a workbook may; not read"),
        ({"RATIO_GRACE_BYTES": 0, "MAX_RATIO": 1}, "times a part over 0 bytes may"),
        ({"SHEET_MAX_CELLS": 8 * 201 - 1}, "is 201 rows by 8 columns, more than the 1,607 cells read"),
    ):
        with monkeypatch.context() as patched:
            for bound, value in bounds.items():
                patched.setattr(workbook_bounds, bound, value)
            with pytest.raises(SourceUnreadable) as refused:
                workbook_bounds.check_workbook(book)
        assert str(book) in str(refused.value) and words in str(refused.value) and "\n" not in str(refused.value)
