"""The local Prefect server the commands share: started once and said so, reused, seen by
`server status`, stopped by `server stop`, replaced when killed, stopped when idle but never
while a command uses it; owner-only and on 127.0.0.1. Real processes, each test its own
PREFECT_HOME."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from flows import local_server

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A PREFECT_HOME of the test's own, the local server on, its server stopped at the end."""
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    monkeypatch.setenv(local_server.SWITCH_VARIABLE, "on")
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    folder = local_server.home()
    yield folder
    local_server.stop(folder)


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "enrollment_migrate", *args], cwd=PROJECT, capture_output=True, text=True,
        env={**os.environ, **(env or {})}, timeout=240,
    )


def listening_address(port: int) -> str | None:
    """The local address a socket listens on at `port`, from /proc/net/tcp (hex, as the kernel
    writes it: 0100007F is 127.0.0.1)."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        address, port_hex = fields[1].split(":")
        if int(port_hex, 16) == port and fields[3] == "0A":  # LISTEN
            return address
    return None


def test_the_first_command_starts_it_and_says_so_the_next_reuses_it(home, tmp_path):
    db = ["--db", str(tmp_path / "w.duckdb")]
    first = cli(*db, "expire", "--json")
    assert first.returncode == 0, first.stderr
    assert "Starting a local Prefect server on http://127.0.0.1:" in first.stderr
    json.loads(first.stdout)  # --json: stdout holds the JSON alone
    state = local_server.read_state(home)
    assert state is not None and local_server.running(home) == state

    second = cli(*db, "expire", "--json")
    assert second.returncode == 0, second.stderr
    assert "Starting a local Prefect server" not in second.stderr
    assert local_server.read_state(home) == state  # the same server

    status = cli("server", "status")
    assert state.ui in status.stdout and state.started_at in status.stdout
    assert state.up_after is not None and state.up_after > 0  # measured by the first command
    assert f"(it took {state.up_after:g} s to start)" in " ".join(status.stdout.split())
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert listening_address(state.port) == "0100007F"  # 127.0.0.1, never the network

    stopped = cli("server", "stop")
    assert f"{state.ui} stopped" in stopped.stdout
    assert local_server.running(home) is None and listening_address(state.port) is None
    assert "No local Prefect server is running." in cli("server", "status").stdout


def test_a_killed_server_is_noticed_and_replaced(home):
    killed = local_server.ensure(home)
    os.killpg(killed.pid, signal.SIGKILL)
    # As a kill -9 some time before the next command: the signal is sent, not yet acted on, when
    # killpg returns, and on a busy machine the dying server answered one more health check.
    os.waitpid(killed.pid, 0)  # this test's child: gone, and reaped
    deadline = time.monotonic() + 30
    while local_server._answers(killed.port) and time.monotonic() < deadline:
        time.sleep(0.05)
    replaced = local_server.ensure(home)
    assert replaced.pid != killed.pid
    assert local_server.running(home) == replaced


def test_an_idle_server_stops_by_itself_but_never_while_a_command_uses_it(home):
    state = local_server.start(home, idle=1.0)
    held, release = threading.Event(), threading.Event()

    def command() -> None:
        with local_server.in_use(home, start=False) as used:
            assert used == state
            held.set()
            release.wait()

    user = threading.Thread(target=command)
    user.start()
    held.wait()
    time.sleep(4)  # four idle periods with a command holding it
    assert local_server.running(home) == state
    release.set()
    user.join()
    deadline = time.monotonic() + 60
    while local_server.read_state(home) is not None and time.monotonic() < deadline:
        time.sleep(0.5)
    assert local_server.read_state(home) is None
    assert not local_server._alive(state.pid)


def test_a_stale_state_is_cleared_and_not_taken_for_a_server(home):
    home.mkdir(parents=True)
    (home / "server.json").write_text(json.dumps(
        {"pid": 999_999_999, "port": 9, "started_at": "2026-01-01T00:00:00+00:00", "idle_seconds": 60}
    ))
    assert local_server.running(home) is None
    assert not (home / "server.json").exists()
    assert "No local Prefect server was running." in cli("server", "stop").stdout


@pytest.mark.parametrize("value", ["soon", "5 minutes", "-"])
def test_an_idle_time_that_is_not_a_duration_is_exit_2_naming_the_variable(home, tmp_path, value):
    done = cli("--db", str(tmp_path / "w.duckdb"), "expire", env={local_server.IDLE_VARIABLE: value})
    assert done.returncode == 2
    assert local_server.IDLE_VARIABLE in done.stderr
    assert local_server.read_state(home) is None


@pytest.mark.parametrize(("value", "seconds"), [("", 1800.0), ("90", 90.0), ("30m", 1800.0), ("2h", 7200.0),
                                                ("never", None), ("0", None)])
def test_idle_times(monkeypatch, value, seconds):
    monkeypatch.setenv(local_server.IDLE_VARIABLE, value)
    assert local_server.idle_seconds() == seconds


def test_a_new_server_copies_the_migrated_database_and_skips_its_migrations(home):
    template = local_server.template_database()  # made once per machine (the install makes it)
    assert template is not None and template.is_file()
    before = template.stat().st_mtime_ns
    state = local_server.ensure(home)
    assert local_server.running(home) == state
    version = (home / "prefect.db.version").read_text()
    assert version == local_server._prefect_version()
    assert stat.S_IMODE((home / "prefect.db").stat().st_mode) == 0o600
    assert template.stat().st_mtime_ns == before  # copied, never used in place


def test_without_a_cache_the_server_migrates_its_own_database(home, tmp_path, monkeypatch, capsys):
    not_a_folder = tmp_path / "cache-file"
    not_a_folder.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(not_a_folder))
    assert local_server.template_database() is None
    assert "the server migrates its own" in capsys.readouterr().err
    state = local_server.ensure(home)  # slower (its migrations), but up and noted as migrated
    assert local_server.running(home) == state
    # The supervisor notes it on its next look at the server (every quarter second).
    noted = home / "prefect.db.version"
    deadline = time.monotonic() + 10
    while not noted.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert noted.read_text() == local_server._prefect_version()


def test_a_command_goes_on_while_the_server_it_started_comes_up(home):
    with local_server.in_use(home, wait=False) as launched:
        assert launched is not None and launched.up_after is None  # launched, not waited for
        up = local_server.wait_up(home, launched)
        assert up.pid == launched.pid and up.up_after is not None and up.up_after > 0
        assert local_server.running(home) == up  # the start time is in the state file
        assert local_server.wait_up(home, up) == up  # a second wait finds it up at once


def test_a_server_that_dies_while_starting_is_one_line_and_cleared(home, monkeypatch):
    launched = local_server.launch(home, idle=60.0)
    os.killpg(launched.pid, signal.SIGKILL)
    with pytest.raises(local_server.ServerError, match="did not come up"):
        local_server.wait_up(home, launched)
    assert local_server.read_state(home) is None
