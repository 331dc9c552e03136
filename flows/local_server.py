"""The local Prefect server: one per PREFECT_HOME, on 127.0.0.1, kept in the background.

Without PREFECT_API_URL, Prefect starts a temporary server inside every process that runs a flow
(8 s or more here, each time). Instead, the first command that needs a server starts this one
and says so on stderr; later commands find it and use it (a `validate` of the sample then takes
about 2.5 s); its runs stay in the Prefect UI. `make server` serves the deployments against the
same server.

    python -m flows.local_server start|status|stop      (or `enrollment-migrate server ...`)

- **Where**: `PREFECT_HOME/local-server/`, owner-only: the SQLite database, the log, the state
  (`server.json`: process id, port, since when) and the lock files. It listens on 127.0.0.1 only.
- **Idle stop**: a small supervisor process owns the server and stops it when no command has used
  it for `ENROLLMENT_MIGRATE_SERVER_IDLE` (seconds, or `30m`, `2h`; default 30 minutes; `0` or
  `never` keeps it). A command marks its use by holding a shared lock on `in-use.lock` for as
  long as it runs, so a long run is never cut off.
- **A killed server** (or one that stopped answering) is noticed by the next command, which
  clears what it left and starts another.
- `ENROLLMENT_MIGRATE_LOCAL_SERVER=off` keeps Prefect's temporary server per process instead.

Nothing heavy is imported here: Prefect reads its settings when it is first imported, so the
server's address must be in the environment before that.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import fcntl
import importlib.metadata
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from enrollment_migrate import settings
from enrollment_migrate.errors import ServerError

HOST = "127.0.0.1"  # loopback only: the server and its UI are never exposed on the network
DEFAULT_PORT = 4200
START_TIMEOUT = 120.0  # the first start creates the SQLite database and migrates it
IDLE_VARIABLE = settings.SERVER_IDLE.name
SWITCH_VARIABLE = settings.LOCAL_SERVER.name
_CHECK_EVERY = 5.0  # seconds between the supervisor's looks at the server and its use


@dataclass(frozen=True)
class ServerState:
    pid: int  # the supervisor's: it leads the process group the server runs in
    port: int
    started_at: str  # ISO 8601, UTC
    idle_seconds: float | None  # None: kept until stopped (`make server`)
    # Seconds from the launch to the API's first answer, as the command that started it saw
    # them; None while it starts (and in a state file written before this was kept).
    up_after: float | None = None

    @property
    def ui(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.ui}/api"


def home() -> Path:
    """The server's folder, under the PREFECT_HOME commands use (Prefect's own default too)."""
    return settings.prefect_home() / "local-server"


def enabled() -> bool:
    return settings.LOCAL_SERVER.value()


def idle_seconds() -> float | None:
    """ENROLLMENT_MIGRATE_SERVER_IDLE as seconds; None (never, or 0): never stop."""
    return settings.SERVER_IDLE.value() or None


# --- what a command calls --------------------------------------------------------------------


@contextlib.contextmanager
def in_use(folder: Path | None = None, *, start: bool = True, wait: bool = True) -> Iterator[ServerState | None]:
    """The running local server (started first when none is and `start`), held in use for the
    block: its idle clock stops until the block ends. Yields None when none runs and `start` is
    False. With `wait` False, a server started here may not answer yet: `wait_up` before its
    first call (a command imports Prefect and its flow meanwhile, on the other core)."""
    folder = folder or home()
    _prepare(folder)
    with _locked(folder / "in-use.lock", fcntl.LOCK_SH):
        state = ensure(folder, wait=wait) if start else running(folder)
        try:
            yield state
        finally:
            (folder / "in-use.lock").touch()  # the idle clock starts again from now


def ensure(folder: Path | None = None, *, wait: bool = True) -> ServerState:
    """The running server, or a new one (said on stderr) if none runs or the last was killed;
    with `wait` False, a new one is returned as soon as it is launched."""
    folder = folder or home()
    _prepare(folder)
    with _locked(folder / "start.lock", fcntl.LOCK_EX):  # one start at a time
        state = running(folder, wait=True)
        if state:
            return state
        state = launch(folder, idle=idle_seconds(), announce=True)
    return wait_up(folder, state) if wait else state


def running(folder: Path | None = None, *, wait: bool = False) -> ServerState | None:
    """The server the state file names, if its supervisor is alive and the API answers. A state
    whose supervisor is gone (a killed server) is cleared. `wait`: give a server still starting
    time to answer, and stop one that never does."""
    folder = folder or home()
    state = read_state(folder)
    if state is None:
        return None
    deadline = time.monotonic() + (START_TIMEOUT if wait else 0)
    while _alive(state.pid) and _is_supervisor(state.pid):
        if _answers(state.port):
            return state
        if time.monotonic() >= deadline:
            if not wait:
                return None  # starting, or stuck: only a command that needs it decides
            _stop_group(state.pid)
            break
        time.sleep(0.25)
    _clear(folder, only_pid=state.pid)
    return None


def start(folder: Path, *, idle: float | None, port: int | None = None, announce: bool = False) -> ServerState:
    """Start the supervisor and its server, detached from this process, and wait for the API."""
    return wait_up(folder, launch(folder, idle=idle, port=port, announce=announce))


def launch(folder: Path, *, idle: float | None, port: int | None = None, announce: bool = False) -> ServerState:
    """Start the supervisor and its server, detached from this process; the API answers later
    (`wait_up`)."""
    _prepare(folder)
    port = port or _free_port()
    log = folder / "server.log"
    command = [sys.executable, "-m", "flows.local_server", "supervise", "--port", str(port),
               "--idle", "never" if idle is None else str(idle)]
    if announce:
        print(f"Starting a local Prefect server on http://{HOST}:{port} (its UI shows the runs; "
              f"it stops after {shown(idle)} unused, or with `enrollment-migrate server stop`) ...",
              file=sys.stderr, flush=True)
    env = {**os.environ, "PREFECT_HOME": str(folder.parent)}
    env.pop("PREFECT_API_URL", None)
    with log.open("ab") as handle:
        supervisor = subprocess.Popen(
            command, env=env, stdin=subprocess.DEVNULL, stdout=handle, stderr=subprocess.STDOUT,
            start_new_session=True, cwd=Path(__file__).resolve().parents[1],
        )
    _launched[supervisor.pid] = time.monotonic()
    state = ServerState(supervisor.pid, port, _now(), idle)
    _write_state(folder, state)
    return state


# When this process launched each supervisor: the server's start time counts from then.
_launched: dict[int, float] = {}


def wait_up(folder: Path, state: ServerState) -> ServerState:
    """The server once its API answers, with its start time recorded when this process launched
    it; ServerError, with the log's end, when its supervisor dies or it never answers."""
    deadline = time.monotonic() + START_TIMEOUT
    while not _answers(state.port):
        if not (_alive(state.pid) and _is_supervisor(state.pid)) or time.monotonic() > deadline:
            _stop_group(state.pid)
            _clear(folder, only_pid=state.pid)
            tail = "\n".join((folder / "server.log").read_text(errors="replace").splitlines()[-20:])
            raise ServerError(f"The local Prefect server did not come up on {HOST}:{state.port}:\n{tail}")
        time.sleep(0.1)
    launched = _launched.pop(state.pid, None)
    if launched is None or state.up_after is not None:
        return state
    up = replace(state, up_after=round(time.monotonic() - launched, 1))
    if read_state(folder) == state:  # still this server's file
        _write_state(folder, up)
    return up


def stop(folder: Path | None = None, grace: float = 20.0) -> ServerState | None:
    """Stop the local server; returns what was running, or None."""
    folder = folder or home()
    state = read_state(folder)
    if state is None:
        return None
    was_running = _alive(state.pid) and _is_supervisor(state.pid)
    _stop_group(state.pid, grace)
    _clear(folder, only_pid=state.pid)
    return state if was_running else None


def read_state(folder: Path) -> ServerState | None:
    try:
        return ServerState(**json.loads((folder / "server.json").read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


# --- the supervisor ---------------------------------------------------------------------------


def supervise(folder: Path, port: int, idle: float | None) -> None:
    """Run `prefect server start` as a child and stop it when it has been unused for `idle`
    seconds (no command holding in-use.lock, none touching it since), or on SIGTERM."""
    env = {
        **os.environ,
        "PREFECT_SERVER_API_HOST": HOST,
        "PREFECT_SERVER_API_PORT": str(port),
        "PREFECT_SERVER_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{folder / 'prefect.db'}",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_LOGGING_LEVEL": os.environ.get("PREFECT_SERVER_LOGGING_LEVEL", "WARNING"),
    }
    # The UI's files, which Prefect copies out of its package for each new home (17 MB), are
    # shared by every home: Prefect keys the copy by its version and base URL.
    env.setdefault("PREFECT_UI_STATIC_DIRECTORY", str(settings.cache_home() / f"prefect-ui-{_prefect_version()}"))
    database = folder / "prefect.db"
    if not database.exists():
        _copy_template(database)
    if _database_version(database) == _prefect_version():
        # Migrated for this Prefect already: checking again costs each start about a second.
        env["PREFECT_SERVER_DATABASE_MIGRATE_ON_START"] = "false"
    server = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", HOST, "--port", str(port),
         "--analytics-off"],
        env=env, stdin=subprocess.DEVNULL, cwd=folder,
    )

    def end(*_: object) -> None:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        _clear(folder, only_pid=os.getpid())
        sys.exit(0)

    signal.signal(signal.SIGTERM, end)
    signal.signal(signal.SIGINT, end)
    used = folder / "in-use.lock"
    every = _CHECK_EVERY if idle is None else min(_CHECK_EVERY, max(idle / 4, 0.1))
    up = False
    while server.poll() is None:
        time.sleep(0.25 if not up else every)
        if not up:
            up = _answers(port)
            used.touch()  # the idle clock starts once the server answers
            if up:
                _mark_migrated(database)  # the server migrates it before it answers
            continue
        if idle is None or time.time() - used.stat().st_mtime <= idle:
            continue
        with used.open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a command is using it
            # Stopped while holding the lock: a command arriving meanwhile waits for it, then
            # finds no server and starts another, never one about to go.
            end()
    _clear(folder, only_pid=os.getpid())


# --- the database: a migrated empty one copied, not migrated afresh -------------------------------
#
# A new SQLite database takes Prefect about 9 s of migrations here, the most of a first
# command's wait. They give the same empty database every time for one Prefect version, so it
# is made once per machine and version (`template_database`, which the Makefile's install runs)
# and copied into each new server folder. Copied or migrated on start, the database's version is
# noted beside it, and a server of that version does not check its migrations again.


def template_database() -> Path | None:
    """The migrated empty database of the installed Prefect, in the user's cache (made first if
    need be); None, said in the server log, if it cannot be made: the server then migrates its
    own as before."""
    cache = settings.cache_home()
    template = cache / f"prefect-{_prefect_version()}.db"
    try:
        _prepare(cache)
        with _locked(cache / f"{template.name}.lock", fcntl.LOCK_EX):  # one maker at a time
            if not template.exists():
                partial = template.with_name(f".{template.name}.partial")
                partial.unlink(missing_ok=True)
                env = {**os.environ, "PREFECT_HOME": str(cache / "prefect-home"),
                       "PREFECT_SERVER_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{partial}"}
                env.pop("PREFECT_API_URL", None)
                subprocess.run([sys.executable, "-m", "prefect", "server", "database", "upgrade", "-y"],
                               env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, check=True, cwd=cache)
                os.replace(partial, template)
    except (OSError, subprocess.CalledProcessError) as exc:
        said = getattr(exc, "stderr", None) or str(exc)
        print(f"No migrated database to copy ({_last_line(said)}): the server migrates its own.",
              file=sys.stderr, flush=True)
        return None
    return template


def _copy_template(database: Path) -> None:
    template = template_database()
    if template is None:
        return
    partial = database.with_name(f".{database.name}.partial")
    shutil.copyfile(template, partial)
    partial.chmod(0o600)
    os.replace(partial, database)
    _mark_migrated(database)


def _prefect_version() -> str:
    return importlib.metadata.version("prefect")  # without importing Prefect (a second or more)


def _version_file(database: Path) -> Path:
    return database.with_name(database.name + ".version")


def _database_version(database: Path) -> str | None:
    try:
        return _version_file(database).read_text(encoding="utf-8").strip()
    except OSError:
        return None


def _mark_migrated(database: Path) -> None:
    _version_file(database).write_text(_prefect_version(), encoding="utf-8")


def _last_line(text: str | bytes) -> str:
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1].strip() if lines else "no reason given"


# --- helpers ----------------------------------------------------------------------------------


def _prepare(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder.chmod(0o700)  # owner-only even if it was made otherwise: the database holds run logs


@contextlib.contextmanager
def _locked(path: Path, kind: int) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, kind)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_state(folder: Path, state: ServerState) -> None:
    temporary = folder / "server.json.tmp"
    temporary.write_text(json.dumps(asdict(state)), encoding="utf-8")
    temporary.replace(folder / "server.json")


def _clear(folder: Path, only_pid: int | None = None) -> None:
    state = read_state(folder)
    if state is not None and (only_pid is None or state.pid == only_pid):
        (folder / "server.json").unlink(missing_ok=True)


def _stop_group(pid: int, grace: float = 20.0) -> None:
    """SIGTERM to the supervisor's process group (it and its server), SIGKILL after `grace`."""
    if not _alive(pid) or not _is_supervisor(pid):
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reap it if it is our child
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_supervisor(pid: int) -> bool:
    """Not an unrelated process that reused the id."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return True  # no /proc: trust the state file
    # Empty for a moment after the launch, before the new program is in place.
    return not command or "flows.local_server" in command


def _answers(port: int) -> bool:
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy
    try:
        with direct.open(f"http://{HOST}:{port}/api/health", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def port_taken(port: int) -> bool:
    try:
        socket.create_connection((HOST, port), timeout=1).close()
    except OSError:
        return False
    return True


def _free_port() -> int:
    """4200 when it is free, else one the system gives."""
    if not port_taken(DEFAULT_PORT):
        return DEFAULT_PORT
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def shown(idle: float | None) -> str:
    if idle is None:
        return "never"
    minutes = idle / 60
    return f"{minutes:g} minutes" if idle >= 60 else f"{idle:g} seconds"


# --- entry point ------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m flows.local_server", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("start", help="start it (or say where it runs)")
    commands.add_parser("status", help="where it runs and since when")
    commands.add_parser("stop", help="stop it")
    commands.add_parser("prepare", help="make the migrated empty database new servers copy (once per Prefect version)")
    supervisor = commands.add_parser("supervise", help=argparse.SUPPRESS)
    supervisor.add_argument("--port", type=int, required=True)
    supervisor.add_argument("--idle", required=True)
    args = parser.parse_args(argv)
    folder = home()
    if args.command == "supervise":
        supervise(folder, args.port, None if args.idle == "never" else float(args.idle))
        return
    try:
        if args.command == "prepare":
            template = template_database()
            print(f"Migrated empty database: {template}" if template else "No migrated database could be made.")
        elif args.command == "start":
            state = ensure(folder)
            print(f"Local Prefect server: {state.ui} (since {state.started_at})")
        elif args.command == "status":
            state = running(folder)
            took = "" if state is None or state.up_after is None else f", took {state.up_after:g} s to start"
            print(f"Local Prefect server: {state.ui} (since {state.started_at}{took})" if state
                  else "No local Prefect server is running.")
        else:
            print("Local Prefect server stopped." if stop(folder) else "No local Prefect server was running.")
    except ServerError as exc:
        sys.exit(str(exc))


if __name__ == "__main__":
    main()
