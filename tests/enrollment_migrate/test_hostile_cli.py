"""Hostile paths and settings (issue 21, points 2, 3, 4 and 7), tested as classes, not examples:

- every variable of enrollment_migrate.settings, with a value of the wrong kind, out of range, and
  empty (generated from the declaration: a new variable is covered without a new test);
- every path parameter of every command, as its role declares it (generated from the command
  line), given a folder, a missing parent, a regular file where a folder is wanted, a device, a
  FIFO, a dangling symlink and a read-only location: exit 2, one line naming the path, no
  traceback, nothing created;
- an output that is one of the command's inputs, by another name too;
- a read-only warehouse: the commands that look answer, `run` refuses in one line;
- the work folders a killed run leaves: counted by `store status`, removed by the next command.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import typing
from pathlib import Path

import duckdb
import pytest
import typer
from typer.testing import CliRunner

from conftest import REPO
from enrollment_migrate import settings
from enrollment_migrate.cli import app
from enrollment_migrate.faults import FAULT_AT, FAULT_MARKER
from enrollment_migrate.paths import Role

SAMPLE = REPO / "data" / "sample"
PORTAL = ["--users", str(SAMPLE / "portal_users.csv"), "--courses", str(SAMPLE / "portal_courses.csv")]


def invoke(*args: str, env: dict[str, str] | None = None):
    done = CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)
    assert "Traceback" not in done.output + done.stderr, done.stderr
    return done


def one_line(done) -> str:
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    return lines[0]


# --- settings, generated from their declaration -------------------------------------------------

def _bad_values() -> list[tuple[settings.Setting, str]]:
    return [(s, value) for s in settings.ALL for value in (*s.kind.wrong, *s.kind.out_of_range)]


@pytest.mark.parametrize(("setting", "value"), _bad_values(), ids=lambda v: getattr(v, "name", v))
def test_every_setting_refuses_a_wrong_value_in_one_line_naming_it(setting, value, tmp_path):
    done = invoke("--db", str(tmp_path / "w.duckdb"), "server", "status", env={setting.name: value})
    assert done.exit_code == 2
    line = one_line(done)
    assert setting.name in line and setting.kind.takes in line
    assert list(tmp_path.iterdir()) == []


def test_every_setting_with_numbers_or_durations_is_given_wrong_and_out_of_range_values():
    """The generated test above covers what the kinds declare: each non-path kind declares both."""
    for setting in settings.ALL:
        if setting.kind is not settings.PATH:
            assert setting.kind.wrong, setting.name
    for setting in (settings.LOCK_TIMEOUT, settings.PART_MB, settings.PARTITION_RETENTION,
                    settings.SERVER_IDLE, settings.DUCKDB_MEMORY):
        assert setting.kind.out_of_range, setting.name


@pytest.mark.parametrize("setting", settings.ALL, ids=lambda s: s.name)
@pytest.mark.parametrize("empty", ["", "   "])
def test_an_empty_setting_is_its_default(setting, empty, monkeypatch):
    monkeypatch.setenv(setting.name, empty)
    assert setting.value() == setting.default


def test_no_module_but_settings_reads_the_tools_variables():
    offenders = []
    for path in [*(REPO / "enrollment_migrate").rglob("*.py"), *(REPO / "flows").rglob("*.py"),
                 *(REPO / "schemas").rglob("*.py")]:
        if path.name == "settings.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if ("os.environ" in line or "getenv" in line) and "ENROLLMENT_MIGRATE_" in line:
                offenders.append(f"{path.relative_to(REPO)}:{number}")
    assert offenders == []


def test_part_mb_on_the_command_line_is_held_to_the_settings_range(tmp_path):
    for value in ("nan", "inf", "-1", "99999"):
        done = invoke("--db", str(tmp_path / "w.duckdb"), "validate", str(SAMPLE / "migration.csv"),
                      "--part-mb", value)
        assert done.exit_code == 2 and "--part-mb" in one_line(done)
    assert not (tmp_path / "w.duckdb").exists() and not (tmp_path / "w.duckdb.store").exists()


def test_memory_budget_on_the_command_line_is_a_size_from_64mb_to_1tb(tmp_path):
    for value in ("abc", "4", "1MB", "5000TB", "-1GB"):
        done = invoke("--db", str(tmp_path / "w.duckdb"), "validate", str(SAMPLE / "migration.csv"),
                      "--memory-budget", value)
        assert done.exit_code == 2 and "--memory-budget" in one_line(done), done.output
    assert not (tmp_path / "w.duckdb").exists() and not (tmp_path / "w.duckdb.store").exists()


def test_prefect_home_naming_a_file_is_one_line(tmp_path):
    home = tmp_path / "home"
    home.write_text("not a folder")
    done = invoke("server", "status", env={"PREFECT_HOME": str(home)})
    assert done.exit_code == 2 and "PREFECT_HOME" in one_line(done)


# --- paths, generated from the command line ------------------------------------------------------

def _commands() -> list[tuple[list[str], typing.Callable, typer.models.CommandInfo]]:
    found = [([info.name or info.callback.__name__.replace("_", "-")], info.callback, info)
             for info in app.registered_commands]
    for group in app.registered_groups:
        found += [([group.name, info.name], info.callback, info) for info in group.typer_instance.registered_commands]
    return found


def _path_parameters() -> list[tuple[list[str], str, Role]]:
    """(command, parameter, role): each path parameter, plus the warehouse and reports each uses."""
    wanted = []
    for words, callback, _ in _commands():
        declared = getattr(callback, "paths_declared", None)
        assert declared is not None, f"{' '.join(words)} is not declared with @checked"
        wanted += [(words, name, role) for name, role in declared["parameters"].items()]
        if declared["warehouse"] is not None:
            wanted.append((words, "--db", declared["warehouse"]))
        if declared["reports"]:
            wanted.append((words, "--reports", Role.OUTPUT_FOLDER))
    return wanted


def _good(role: Role, tmp: Path, name: str) -> str:
    if role in (Role.INPUT_FILE, Role.INPUT_SOURCE):
        return str(SAMPLE / "migration.csv")
    if role is Role.WAREHOUSE_READ:
        return str(tmp / "existing.duckdb")
    return str(tmp / f"new-{name.strip('-')}")


def _arguments(words: list[str], target: str, bad: str, tmp: Path) -> list[str]:
    """A whole invocation of the command: `bad` for the target parameter, a good value for every
    other path, a placeholder for any other required argument."""
    callback = dict((tuple(w), c) for w, c, _ in _commands())[tuple(words)]
    declared = callback.paths_declared
    glob = {"--db": None, "--reports": None}
    if declared["warehouse"] is not None:
        glob["--db"] = bad if target == "--db" else _good(declared["warehouse"], tmp, "db")
    if declared["reports"]:
        glob["--reports"] = bad if target == "--reports" else _good(Role.OUTPUT_FOLDER, tmp, "reports")
    args = [item for flag, value in glob.items() if value for item in (flag, value)] + words
    command = typer.main.get_command(app)
    for word in words:
        command = command.commands[word]
    for param in command.params:
        role = declared["parameters"].get(param.name)
        value = (bad if param.name == target else _good(role, tmp, param.name)) if role else None
        if param.param_type_name == "argument":
            args.append(value or "20250101T000000Z-000000")
        elif role is not None and (param.required or value is not None):
            args += [param.opts[0], value]
        elif param.required:
            args += [param.opts[0], "x"]
    return args


@pytest.fixture(scope="module")
def read_only_folder(tmp_path_factory):
    """A folder this process cannot write: a read-only tmpfs as root, else a folder without w."""
    folder = tmp_path_factory.mktemp("read-only")
    (folder / "inside").mkdir()
    if os.geteuid() == 0:
        made = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(folder / "inside")],
                              capture_output=True, check=False)
        if made.returncode != 0:
            pytest.skip("no read-only mount can be made here as root")
        yield folder / "inside"
        subprocess.run(["umount", "-l", str(folder / "inside")], check=False)
    else:
        (folder / "inside").chmod(0o555)
        yield folder / "inside"
        (folder / "inside").chmod(0o755)


CASES = ("folder", "missing parent", "regular file", "device", "fifo", "dangling symlink", "read-only", "not duckdb")
# What each role takes as it is: a folder is a source an adapter reads; a symlink at an output is
# replaced (never written through); reading needs no write access.
ALLOWED = {
    Role.INPUT_FILE: {"regular file", "read-only", "not duckdb"},
    Role.INPUT_SOURCE: {"folder", "regular file", "read-only", "not duckdb"},
    Role.OUTPUT_FILE: {"regular file", "dangling symlink", "not duckdb"},
    Role.OUTPUT_FOLDER: {"folder", "not duckdb"},
    Role.WAREHOUSE: {"regular file"},
    Role.WAREHOUSE_READ: {"read-only", "regular file"},
}


def _bad_path(case: str, tmp: Path, read_only: Path) -> Path:
    if case == "folder":
        (tmp / "a-folder").mkdir()
        return tmp / "a-folder"
    if case == "missing parent":
        return tmp / "no-such-folder" / "file.csv"
    if case in ("regular file", "not duckdb"):
        (tmp / "a-file.txt").write_text("plain text\n")
        return tmp / "a-file.txt"
    if case == "device":
        return Path("/dev/null")
    if case == "fifo":
        os.mkfifo(tmp / "a-fifo")
        return tmp / "a-fifo"
    if case == "dangling symlink":
        (tmp / "a-link").symlink_to(tmp / "nothing-there")
        return tmp / "a-link"
    return read_only / "file.csv"


def _tree(*folders: Path) -> set[str]:
    return {str(p) for folder in folders for p in folder.rglob("*")}


@pytest.mark.parametrize(
    ("words", "name", "role", "case"),
    [(*parameter, case) for parameter in _path_parameters() for case in CASES if case not in ALLOWED[parameter[2]]],
    ids=lambda v: " ".join(v) if isinstance(v, list) else str(v),
)
def test_every_path_parameter_refuses_what_its_role_cannot_take(words, name, role, case, tmp_path, read_only_folder):
    duckdb.connect(str(tmp_path / "existing.duckdb")).close()
    bad = _bad_path(case, tmp_path, read_only_folder)
    if role is Role.WAREHOUSE_READ and case == "missing parent":
        bad = bad.with_suffix(".duckdb")
    before = _tree(tmp_path, read_only_folder)
    done = invoke(*_arguments(words, name, str(bad), tmp_path))
    assert done.exit_code == 2, (done.stdout, done.stderr)
    line = one_line(done)
    assert str(bad) in line or str(bad.parent) in line, line
    assert _tree(tmp_path, read_only_folder) == before  # nothing created, beside it or anywhere


def test_the_generated_cases_reach_every_command_with_paths():
    commands = {" ".join(words) for words, _, _ in _path_parameters()}
    assert {"validate", "run", "portal load", "prepare", "history", "runs", "report", "store status",
            "rollback", "expire"} <= commands


def test_reports_from_the_environment_naming_a_file_or_dev_null_is_one_line(tmp_path):
    (tmp_path / "plain").write_text("x")
    for bad in (str(tmp_path / "plain"), "/dev/null"):
        done = invoke("--db", str(tmp_path / "w.duckdb"), "validate", str(SAMPLE / "migration.csv"),
                      env={settings.REPORTS.name: bad})
        assert done.exit_code == 2 and bad in one_line(done)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain"]


def test_validate_of_a_fifo_answers_at_once(tmp_path):
    os.mkfifo(tmp_path / "pipe.csv")
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "enrollment_migrate", "--db", str(tmp_path / "w.duckdb"),
                           "validate", str(tmp_path / "pipe.csv")], capture_output=True, text=True,
                          timeout=60, cwd=REPO)
    assert done.returncode == 2 and "FIFO" in done.stderr and "Traceback" not in done.stderr
    assert time.monotonic() - started < 60


# --- an output that is an input -------------------------------------------------------------------

def test_an_output_that_is_an_input_is_refused_and_the_input_untouched(tmp_path):
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text((SAMPLE / "legacy_lms.yaml").read_text())
    original = mapping.read_bytes()
    (tmp_path / "link.yaml").symlink_to(mapping)
    os.link(mapping, tmp_path / "hard.yaml")
    for out in (mapping, tmp_path / "link.yaml", tmp_path / "hard.yaml", tmp_path / "." / "mapping.yaml"):
        done = invoke("prepare", str(SAMPLE / "legacy_lms_export.csv"), "--mapping", str(mapping), "--out", str(out))
        assert done.exit_code == 2 and "same file as the input" in one_line(done)
    source = tmp_path / "export.csv"
    source.write_bytes((SAMPLE / "legacy_lms_export.csv").read_bytes())
    done = invoke("prepare", str(source), "--mapping", str(mapping), "--out", str(source))
    assert done.exit_code == 2 and "same file as the input" in one_line(done)
    assert mapping.read_bytes() == original and source.read_bytes() == (SAMPLE / "legacy_lms_export.csv").read_bytes()


@pytest.mark.usefixtures("prefect_harness")
def test_history_out_onto_the_warehouse_is_refused(tmp_path):
    db = tmp_path / "w.duckdb"
    assert invoke("--db", str(db), "portal", "load", *PORTAL).exit_code == 0
    before = db.read_bytes()
    done = invoke("--db", str(db), "history", "ana.silva@example.com", "--out", str(db))
    assert done.exit_code == 2 and "same file as the input" in one_line(done)
    assert db.read_bytes() == before


# --- a read-only warehouse ------------------------------------------------------------------------

@pytest.mark.usefixtures("prefect_harness")
def test_a_read_only_warehouse_answers_the_commands_that_look_and_refuses_a_run(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("needs a read-only mount (root)")
    folder = tmp_path / "warehouse"
    folder.mkdir()
    assert subprocess.run(["mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", str(folder)]).returncode == 0
    try:
        db, reports = folder / "w.duckdb", tmp_path / "reports"
        base = ["--db", str(db), "--reports", str(reports)]
        assert invoke(*base, "portal", "load", *PORTAL).exit_code == 0
        done = invoke(*base, "run", str(SAMPLE / "migration.csv"), "--import-date", "2025-01-15", "--json")
        run_id = json.loads(done.stdout)["run_id"]
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        listed = invoke(*base, "runs", "--json")
        assert listed.exit_code == 0 and [r["run_id"] for r in json.loads(listed.stdout)] == [run_id]
        assert invoke(*base, "store", "status", "--json").exit_code == 0
        assert invoke(*base, "history", "ana.silva@example.com").exit_code == 0
        assert invoke(*base, "report", run_id).exit_code == 0  # the page goes to the reports folder
        refused = invoke(*base, "run", str(SAMPLE / "migration.csv"), "--allow-reapply")
        assert refused.exit_code == 2 and "read-only" in one_line(refused)
        assert [r["run_id"] for r in json.loads(invoke(*base, "runs", "--json").stdout)] == [run_id]
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


# --- debris after a kill --------------------------------------------------------------------------

@pytest.mark.usefixtures("prefect_harness")
def test_a_killed_runs_work_folders_are_counted_then_removed_by_the_next_command(tmp_path):
    from prefect.settings import PREFECT_API_URL

    db, reports = tmp_path / "w.duckdb", tmp_path / "reports"
    base = ["--db", str(db), "--reports", str(reports)]
    assert invoke(*base, "portal", "load", *PORTAL).exit_code == 0
    marker = tmp_path / "at-fault"
    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), FAULT_AT: "apply", FAULT_MARKER: str(marker)}
    running = subprocess.Popen([sys.executable, "-m", "enrollment_migrate", *base, "run",
                                str(SAMPLE / "migration.csv"), "--import-date", "2025-01-15"],
                               env=env, cwd=REPO, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert running.poll() is None and time.monotonic() < deadline, running.stderr.read()
        time.sleep(0.05)
    status = json.loads(invoke(*base, "store", "status", "--json").stdout)
    assert status["stopped_runs_work_folders"] == 0  # a live run's folders are its own
    running.send_signal(signal.SIGKILL)
    running.wait()
    assert list(reports.glob("*/.work"))
    status = json.loads(invoke(*base, "store", "status", "--json").stdout)
    assert status["stopped_runs_work_folders"] == 1
    assert "stopped" in invoke(*base, "store", "status").stdout
    assert invoke(*base, "expire").exit_code == 0  # any command that changes the warehouse
    assert not list(reports.glob("*/.work"))
    assert not list(reports.iterdir())  # the killed run reported nothing: its folder went too
    assert json.loads(invoke(*base, "store", "status", "--json").stdout)["stopped_runs_work_folders"] == 0


# --- the read-only commands import nothing of Prefect ---------------------------------------------

@pytest.mark.usefixtures("prefect_harness")
def test_the_commands_that_look_import_no_prefect_pandera_or_engine(tmp_path):
    """runs, report, history, store status and server status answer from the store opened
    read-only (INTERFACES.md): a later import of Prefect, pandera or the engine on their path
    would make each cost seconds again."""
    db, reports = tmp_path / "w.duckdb", tmp_path / "r"
    assert invoke("--db", str(db), "portal", "load", *PORTAL).exit_code == 0
    done = invoke("--db", str(db), "--reports", str(reports), "validate", str(SAMPLE / "migration.csv"),
                  "--import-date", "2025-01-15", "--json")
    assert done.exit_code == 0, done.stderr
    run_id = json.loads(done.stdout)["run_id"]
    (reports / run_id / "report.html").unlink()  # rebuilt below, by `report`
    script = f"""
import sys
from typer.testing import CliRunner
from enrollment_migrate.cli import app
common = ["--db", {str(db)!r}, "--reports", {str(reports)!r}]
for args in (["runs", "--json"], ["report", {run_id!r}], ["store", "status", "--json"],
             ["history", "ana.silva@example.com"], ["server", "status"]):
    done = CliRunner().invoke(app, [*common, *args])
    print(args[0], done.exit_code)
print(sorted(m for m in ("prefect", "pandera", "enrollment_migrate.engine") if m in sys.modules))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(REPO), "ENROLLMENT_MIGRATE_LOCAL_SERVER": "on"})
    assert done.returncode == 0, done.stderr
    *answers, loaded = done.stdout.strip().splitlines()
    assert answers == ["runs 0", "report 0", "store 0", "history 0", "server 0"]
    assert loaded == "[]"
    assert (reports / run_id / "report.html").is_file()


@pytest.mark.usefixtures("prefect_harness")
def test_a_file_named_like_a_pattern_with_a_header_like_markup_is_read_as_it_is(tmp_path):
    """'[' in a file's name once made the reader take it for a glob pattern, and a header
    holding Rich markup ('[/]') once crashed the terminal's table of first problems."""
    db = tmp_path / "w.duckdb"
    assert invoke("--db", str(db), "portal", "load", *PORTAL).exit_code == 0
    text = (SAMPLE / "migration.csv").read_text(encoding="utf-8").splitlines()
    text[0] += ",[/]oops[bold]"
    named = tmp_path / "export[1]*.csv"
    named.write_text("\n".join(line + ("," if i else "") for i, line in enumerate(text)) + "\n", encoding="utf-8")
    done = invoke("--db", str(db), "--reports", str(tmp_path / "r"), "validate", str(named),
                  "--import-date", "2025-01-15")
    assert done.exit_code in (0, 1), done.stderr
    # the terminal is 80 columns: the path may wrap inside the name, by the depth of tmp_path
    # (pytest-xdist's popen-gwN/ made it fold as 'export[' and '1]*.csv')
    assert "export[1]*.csv" in done.stdout.replace("\n", "")
    assert "[/]oops[bold]" in done.stdout or "unknown_column" in done.stdout
