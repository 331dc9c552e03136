"""Where the validation engine's time and memory go, step by step (a companion to
validate_million_rows.py; nothing here changes the engine).

    .venv/bin/python bench/profile_engine.py [--rows N | --work bench/out/work-XXXX] [--repeat 3]

Each internal step of load_template and check_file is wrapped (by patching the module attribute
the caller looks up) with a timer and a memory probe: the process's peak RSS during the step,
read from /proc/self/status (VmHWM) after resetting it with /proc/self/clear_refs, minus the RSS
when the step began. The DuckDB queries are timed through a thin proxy of the connection.
Figures go to bench/out/profile_engine.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "out"
sys.path[:0] = [str(REPO), str(REPO / "bench")]


import validate_million_rows as bench  # noqa: E402
from enrollment_migrate import engine, template_file, warehouse  # noqa: E402
from enrollment_migrate.sql_files import SQL_DIR  # noqa: E402


# ----------------------------------------------------------------------------------------------
# Memory probe: exact peak RSS per step (Linux), nested steps allowed.
# ----------------------------------------------------------------------------------------------


def _status(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(field)


def _reset_peak() -> None:
    with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
        handle.write("5")  # resets VmHWM to the current RSS


class Probe:
    def __init__(self) -> None:
        self.stack: list[dict[str, float]] = []
        self.records: list[dict[str, object]] = []

    def enter(self, label: str) -> None:
        outer_peak = _status("VmHWM")
        if self.stack:
            self.stack[-1]["carried_peak"] = max(self.stack[-1]["carried_peak"], outer_peak)
        _reset_peak()
        self.stack.append({
            "label": label, "depth": len(self.stack), "rss0": _status("VmRSS"),
            "carried_peak": 0, "children_s": 0.0, "t0": time.perf_counter(),
        })

    def leave(self) -> None:
        seconds = time.perf_counter()
        frame = self.stack.pop()
        seconds -= frame["t0"]
        peak = max(_status("VmHWM"), frame["carried_peak"])
        rss = _status("VmRSS")
        if self.stack:
            self.stack[-1]["carried_peak"] = max(self.stack[-1]["carried_peak"], peak)
            self.stack[-1]["children_s"] += seconds
        if frame["children_s"] and seconds - frame["children_s"] > 0.001:
            # the caller's own code between the wrapped steps (joins, concats, filters inline)
            self.records.append({
                "label": f"({frame['label'].split(' (')[0]}: its own code around the steps above)", "depth": frame["depth"] + 1,
                "seconds": seconds - frame["children_s"], "peak_over_start": 0, "retained": 0, "peak": 0,
                "own": True,
            })
        self.records.append({
            "label": frame["label"], "depth": frame["depth"], "seconds": seconds,
            "peak_over_start": peak - frame["rss0"], "retained": rss - frame["rss0"], "peak": peak,
        })

    def wrap(self, function, label: str):
        @functools.wraps(function)
        def timed(*args, **kwargs):
            self.enter(label)
            try:
                return function(*args, **kwargs)
            finally:
                self.leave()

        return timed


SQL_NAMES = {path.read_text(encoding="utf-8"): path.stem for path in SQL_DIR.glob("*.sql")}


class TimedConnection:
    """Delegates to a DuckDB connection; times each query's execution and transfer to Polars."""

    def __init__(self, con, probe: Probe) -> None:
        self._con, self._probe = con, probe

    def __getattr__(self, name):
        return getattr(self._con, name)

    def sql(self, query, params=None):
        name = SQL_NAMES.get(query, query.strip().split()[0] + " " + query.strip().split()[1])
        probe, relation = self._probe, None

        class Relation:
            def pl(self_inner):
                probe.enter(f"duckdb: {name}")
                try:
                    nonlocal relation
                    relation = self._con.sql(query, params=params)
                    return relation.pl()
                finally:
                    probe.leave()

        return Relation()


def patched(probe: Probe) -> list[tuple[object, str, object]]:
    """Wrap the engine's internal steps; returns what to restore."""
    targets = [
        (template_file, "_read_lines", "load: _read_lines (Polars read of raw lines)"),
        (template_file, "_record_layout", "load: _record_layout (quotes, records, field counts)"),
        (template_file, "_parse_header", "load: _parse_header"),
        (template_file, "_match_headers", "load: _match_headers"),
        (template_file, "_read_values", "load: _read_values (Polars read of the values)"),
        (template_file, "_assemble_rows", "load: _assemble_rows (trim, blank rows, row numbers)"),
        (engine, "prepare_rows", "check: prepare_rows (parse + portal joins)"),
        (engine, "_row_findings", "check: _row_findings (per-row rules)"),
        (engine, "_duplicate_findings", "check: _duplicate_findings"),
        (engine, "_existing_findings", "check: _existing_findings"),
        (engine, "_migrated_rows", "check: _migrated_rows"),
        (engine, "_recertification_findings", "check: _recertification_findings"),
        (engine, "_course_findings", "check: _course_findings"),
        (engine, "_by_year", "check: _by_year"),
        (engine, "_result", "check: _result (sort findings, counts)"),
    ]
    saved = []
    for module, name, label in targets:
        original = getattr(module, name)
        saved.append((module, name, original))
        setattr(module, name, probe.wrap(original, label))
    return saved


def profile_once(path: Path, con, import_date: dt.date) -> list[dict[str, object]]:
    probe = Probe()
    saved = patched(probe)
    try:
        probe.enter("TOTAL: load_template + check_file")
        probe.enter("load_template")
        template = template_file.load_template(path)
        probe.leave()
        probe.enter("check_file")
        engine.check_file(template, TimedConnection(con, probe), engine.Options(import_date))
        probe.leave()
        probe.leave()
    finally:
        for module, name, original in saved:
            setattr(module, name, original)
    return probe.records


def summarise(runs: list[list[dict[str, object]]]) -> list[dict[str, object]]:
    """Per step: the best time over the runs, the largest peak; in call order of the last run."""
    order: list[str] = []
    best: dict[str, dict[str, object]] = {}
    for records in runs:
        # Several calls with the same label in one run (none today) are summed.
        merged: dict[str, dict[str, object]] = {}
        for record in records:
            current = merged.setdefault(record["label"], {**record, "seconds": 0.0, "calls": 0})
            current["seconds"] += record["seconds"]
            current["calls"] += 1
            current["peak_over_start"] = max(current["peak_over_start"], record["peak_over_start"])
        for label, record in merged.items():
            if label not in best:
                order.append(label)
                best[label] = dict(record)
            else:
                best[label]["seconds"] = min(best[label]["seconds"], record["seconds"])
                best[label]["peak_over_start"] = max(best[label]["peak_over_start"], record["peak_over_start"])
    return [best[label] for label in order]


def show(steps: list[dict[str, object]], file_bytes: int, title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    total = next(s["seconds"] for s in steps if s["label"].startswith("TOTAL"))
    table = Table(title=title, header_style="bold")
    for name, justify in (("step", "left"), ("best s", "right"), ("share", "right"),
                          ("peak over start", "right"), ("x file", "right"), ("retained", "right")):
        table.add_column(name, justify=justify)
    # Show in call order: records are appended on leave, so order by start: rebuild by depth.
    for step in sorted(steps, key=lambda s: s.get("order", 0)):
        indent = "  " * int(step["depth"])
        own = step.get("own", False)
        table.add_row(
            indent + (f"[italic]{step['label']}[/]" if own else step["label"]),
            f"{step['seconds']:.3f}",
            f"{100 * step['seconds'] / total:.0f}%",
            "" if own else f"{step['peak_over_start'] / 1e6:,.0f} MB",
            "" if own else f"{step['peak_over_start'] / file_bytes:.1f}x",
            "" if own else f"{step['retained'] / 1e6:,.0f} MB",
        )
    Console(width=140).print(table)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--work", type=Path, help="a folder kept by validate_million_rows.py --keep")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    OUT.mkdir(parents=True, exist_ok=True)
    made = None
    if args.work:
        path, db = args.work / "migration.csv", args.work / "warehouse.duckdb"
    else:
        made = Path(tempfile.mkdtemp(prefix="profile-", dir=OUT))
        data = bench.generate(made, args.rows, bench.IMPORT_DATE)
        path, db = data["paths"]["migration"], made / "warehouse.duckdb"
        bench.load_portal(data["paths"], db, bench.IMPORT_DATE)
    try:
        file_bytes = path.stat().st_size
        runs = []
        with warehouse.connect(db) as con:
            for _ in range(args.repeat):
                runs.append(profile_once(path, con, bench.IMPORT_DATE))
        steps = summarise(runs)
        by_label = {s["label"]: s for s in steps}
        for index, record in enumerate(_preorder(runs[-1])):
            by_label[record["label"]]["order"] = index
        source = bench.source_version()
        show(steps, file_bytes, f"engine profile: {path.name}, {file_bytes / 1e6:,.1f} MB, best of {args.repeat}, "
             f"commit {source['commit']}{' + local changes' if source['engine_files_modified'] else ''}")
        (OUT / "profile_engine.json").write_text(
            json.dumps({"source": bench.source_version(), "file_bytes": file_bytes, "repeat": args.repeat,
                        "steps": sorted(steps, key=lambda s: s["order"])}, indent=2) + "\n"
        )
        print(f"Figures written to {OUT / 'profile_engine.json'}")
    finally:
        if made:
            shutil.rmtree(made, ignore_errors=True)
    return 0


def _preorder(records: list[dict[str, object]]) -> list[dict[str, object]]:
    """Records arrive in post-order (a step is recorded when it ends); rebuild the call order."""
    result: list[dict[str, object]] = []
    pending: list[tuple[int, list[dict[str, object]]]] = []  # (depth, subtree in pre-order)
    for record in records:
        depth = int(record["depth"])
        children = []
        while pending and pending[-1][0] > depth:
            children = pending.pop()[1] + children
        pending.append((depth, [record] + children))
    for _, subtree in pending:
        result.extend(subtree)
    return result


if __name__ == "__main__":
    sys.exit(main())
