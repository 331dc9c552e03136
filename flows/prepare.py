"""The `prepare` flow: an export from another system to a template file and its report.

Thin: the work is in `enrollment_migrate.prepare`; the tasks hand each other file paths (Prefect
would otherwise hash and pickle the frames), in a work folder removed at the end.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import polars as pl
from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from enrollment_migrate.artifacts import mask_emails
from enrollment_migrate.prepare import output, pipeline
from enrollment_migrate.prepare.mapping import load_mapping
from enrollment_migrate.prepare.report import PREPARED, summary_text
from enrollment_migrate.prepare.sources import SourceDescription, SourceTable
from enrollment_migrate.errors import CannotRun

PREPARE_SUMMARY_KEY = "prepare-summary"
step = task(cache_policy=NO_CACHE, persist_result=False)


@step(name="read source")
def read_source(source: str, mapping: str, work: Path) -> Path:
    """The source (file, or an adapter's computation) as one Parquet table and how it was read."""
    table = pipeline.read(source, load_mapping(mapping))
    table.frame.write_parquet(work / "source.parquet")
    (work / "source.json").write_text(json.dumps(table.description.as_dict()), encoding="utf-8")
    return work


@step(name="prepare rows")
def prepare_rows(read: Path, mapping: str) -> Path:
    table = SourceTable(
        pl.read_parquet(read / "source.parquet"),
        SourceDescription(**json.loads((read / "source.json").read_text(encoding="utf-8"))),
    )
    prepared = pipeline.prepare_rows(table, load_mapping(mapping))
    prepared.rows.write_parquet(read / "rows.parquet")
    (read / "report.json").write_text(json.dumps(prepared.report.as_dict()), encoding="utf-8")
    return read


@step(name="write")
def write_outputs(prepared: Path, out: str, portal_out: str | None) -> dict[str, object]:
    """The template file and portal files when nothing is left to decide; the report always."""
    report = json.loads((prepared / "report.json").read_text(encoding="utf-8"))
    if report["state"] == PREPARED:
        rows = pl.read_parquet(prepared / "rows.parquet")
        report["formula_like_values"] = output.write_template_csv(rows, Path(out))
        report["out"] = out
        if portal_out:
            report["portal_files"] = output.write_portal_files(rows, Path(portal_out))
    output.write_report(report, output.report_path(Path(out)))
    create_markdown_artifact(
        "```\n" + mask_emails(summary_text(report)) + "\n```",
        key=PREPARE_SUMMARY_KEY,
        description="What was read, mapped, converted and dropped; what is left to decide.",
    )
    return report


def _run_name() -> str:
    from prefect.runtime import flow_run

    return f"prepare {Path(flow_run.parameters['source']).name}"


@flow(name="prepare", flow_run_name=_run_name, log_prints=False)
def prepare_flow(source: str, mapping: str, out: str, portal_out: str | None = None) -> dict[str, object]:
    """Prepare `source` with `mapping` into the template file `out` (and its report beside it,
    `<out stem>.prepare.json`); the report as a dict, state `prepared` or `needs_decisions`."""
    if Path(out).exists() and Path(source).exists() and Path(out).resolve() == Path(source).resolve():
        raise CannotRun(f"--out {out} is the source itself: write the prepared file elsewhere")
    work = Path(tempfile.mkdtemp(prefix="enrollment-migrate-prepare-"))
    try:
        read = read_source(source, mapping, work)
        prepared = prepare_rows(read, mapping)
        return write_outputs(prepared, out, portal_out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
