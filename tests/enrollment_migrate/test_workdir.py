"""The run's work folder names every path in it, and a check in parts writes only there."""

from conftest import IMPORT_DATE, row, write_template
from enrollment_migrate import file_parts, warehouse
from enrollment_migrate.engine import drivers
from enrollment_migrate.engine import RunOptions
from enrollment_migrate.workdir import WorkDir


def test_the_work_folder_names_its_parts_buckets_and_result(tmp_path):
    work = WorkDir.of(tmp_path / ".work")
    assert WorkDir.of(work) is work
    assert work.part(3) == tmp_path / ".work" / "parts" / "00003"
    assert work.bucket_rows(2, 7) == tmp_path / ".work" / "learners" / "00002" / "part-00007.parquet"
    assert WorkDir.part_of_bucket_rows(work.bucket_rows(2, 7)) == 7
    assert work.checked_bucket(2).parent != work.bucket(2).parent
    assert work.result == tmp_path / ".work" / "checked"


def test_a_check_in_parts_writes_inside_the_work_folder_only_and_remove_clears_it(portal_warehouse, tmp_path):
    path = write_template(tmp_path / "m.csv", [row(), row("dora@example.com", "Safety")] * 20)
    before = set(tmp_path.rglob("*"))
    work = WorkDir(tmp_path / "work")
    with warehouse.connect(portal_warehouse) as con:
        result = drivers.check_in_parts(file_parts.cut(path, 200), con, RunOptions(IMPORT_DATE), work)
    assert result.counts.rows == 40
    store = warehouse.store_dir(portal_warehouse)
    written = {p for p in set(tmp_path.rglob("*")) - before if store not in p.parents}
    assert written and all(work.root in p.parents or p == work.root for p in written)
    assert work.part_records() and work.checked_bucket(0).exists()
    work.remove()
    assert not work.root.exists()
