"""What the Prefect UI shows for a run: artifacts under stable keys, so that each key's history
in the UI is the history of one kind of report across runs.

Learners' Login IDs never reach an artifact as written: they are masked (`an***@example.com`)
unless the caller asks otherwise, and findings' messages (which quote values) are left out. Text
from the file (its name, values, course and path names) has its control characters shown as
marks (enrollment_migrate.visible).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import polars as pl

from enrollment_migrate.engine.findings import Found, first_findings, tally
from enrollment_migrate.masking import mask_emails, mask_login, masked_values, show_login_ids  # noqa: F401 - their owner
from enrollment_migrate.visible import visible, visible_frame
from schemas.rules import ALL_RULES
from schemas.template import LOGIN_ID

SUMMARY_KEY = "migration-summary"
FINDINGS_BY_RULE_KEY = "findings-by-rule"
FINDINGS_SAMPLE_KEY = "findings-sample"
BY_YEAR_KEY = "completions-by-year"
PROGRESS_KEY = "migration-progress"
READINESS_KEY = "migration-readiness"
SAMPLE_SIZE = 50



def summary_markdown(summary: dict[str, Any], command: str, page: Path | str | None = None) -> str:
    """The run's verdict and counts, and where its report page and files are (`page`: None when
    the page could not be built)."""
    verdict = {
        "valid": "✅ **valid**: the file can be applied",
        "applied": "✅ **applied**",
        "invalid": "❌ **invalid**: fix the findings and validate again",
        "rejected": "❌ **rejected**: nothing was applied",
    }.get(summary["state"], summary["state"])
    lines = [
        f"# {command}: {visible(mask_emails(str(summary['file']).rsplit('/', 1)[-1]))}",
        "",
        f"{verdict} (import date {summary['import_date']}, run `{summary['run_id']}`)",
        "",
        "| rows | live | archived | skipped | errors | warnings |",
        "|---:|---:|---:|---:|---:|---:|",
        "| {rows} | {live} | {archived} | {skipped} | {errors} | {warnings} |".format(**summary),
        "",
        "| certificates | credits | badges |",
        "|---:|---:|---:|",
        "| {certificates} | {credits} | {badges} |".format(**summary),
        "",
        f"Report page: `{visible(str(page))}` (open it in a browser: the verdict, what to fix, the charts)"
        if page else f"Report page: not built; `enrollment-migrate report {summary['run_id']}` builds it",
        "",
        (
            f"Reports: `{visible(str(summary['report_dir']))}` "
            f"({'report.html, ' if page else ''}summary.json, findings.csv, live.parquet, archived.parquet)"
        ),
    ]
    return "\n".join(lines)


def findings_by_rule(findings: Found) -> list[dict[str, Any]]:
    counted = tally(findings).group_by("rule", "severity").agg(pl.col("findings").sum()).sort("severity", "rule")
    return [
        {**item, "meaning": ALL_RULES[item["rule"]].summary, "fix": ALL_RULES[item["rule"]].fix}
        for item in counted.to_dicts()
    ]


def findings_sample(findings: Found, mask: bool = True) -> list[dict[str, Any]]:
    sample = first_findings(findings, SAMPLE_SIZE).select("row", "column", "rule", "severity", "value")
    if mask:
        sample = sample.with_columns(masked_values())
    return visible_frame(sample).to_dicts()


def readiness_table(items: list[dict[str, object]]) -> list[dict[str, object]]:
    """The readiness checklist as the artifact's table: courses and paths by name, no learner."""
    return [
        {"step": item["item"], "status": item["status"], "detail": visible(item["detail"]), "count": item["count"],
         "rule": item["rule"] or "", "courses or paths": visible(", ".join(item.get("names") or []))}
        for item in items
    ]
