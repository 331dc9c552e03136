"""The life of a partition file: live, retired, deleted; and the retention between the last two.

The catalog's views read a glob of each table's partition folder, so a query lists the folder
and then opens what it listed, sometimes more than once. A file removed in between, or replaced
by other bytes under the same name, fails that query ("Cannot open file", "bytes outside
file"). So a partition file never changes and is never removed while a reader may reach it:

- **live**: a publication writes a manifest, `parts/_manifests/<n>.parquet`, listing every
  partition file with its `retired_at` (null while live); `n` is the nanosecond it takes effect.
  Manifests are new files, never rewritten; the views keep the rows of the files that the newest
  manifest in effect lists as live. So a partition leaves (or joins) every open session's views
  at its next query, and the folder listing is never the switch.
- **retired**: a partition whose run was rolled back, or whose portal rows were replaced, stays
  on disk, unread by the views, for the retention (`ENROLLMENT_MIGRATE_PARTITION_RETENTION`, an
  hour by default). Manifests older than the newest are retired when their successor is written.
- **deleted**: `expire`, or a publication, deletes the retired files that are due, in the spirit
  of Delta Lake's VACUUM, and only while no analyst's session has a catalog open: an open session
  lists the folders on every query. DuckDB holds a shared lock on a catalog file while a session
  has it open; each published catalog keeps a second name in `<db>.store/catalogs/` until no
  session holds it, so that a session on a catalog swapped out since is still seen. The locks are
  asked with F_GETLK, which takes none: an analyst opening the catalog is never refused.

A crash at any point leaves only files a later publication or `expire` recognises: a partition
the newest manifest does not list is retired at the next publication, a retired file is deleted
when due, a manifest entry whose file is gone is dropped, a catalog nobody holds is forgotten.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import struct
import time
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from enrollment_migrate import settings
from enrollment_migrate.errors import BadSetting
from enrollment_migrate.faults import fault_point
from enrollment_migrate.warehouse import parts_dir, store_dir

RETENTION_VARIABLE = settings.PARTITION_RETENTION.name
# The typed, empty partition of each table, so that its folder's glob always matches a file. It
# sorts last: DuckDB reads the first file of a glob when it plans, and a first file of no rows
# made it guess the table empty and hash all the rows against the manifest (10M rows: 1.6 s
# instead of 0.02 s; bench/catalog_views.py).
EMPTY = "~empty"
MANIFESTS = "_manifests"
_MANIFEST_SCHEMA = {"file": pl.String, "retired_at": pl.Datetime("us")}
# A manifest is named by the moment it takes effect, a little after it is renamed into place,
# and the writer waits that moment out. So it is in place before any query that starts after it
# takes effect, and every listing of one query agrees on the newest that took effect before it.
PUBLISH_DELAY = dt.timedelta(milliseconds=100)

log = logging.getLogger(__name__)


def retention() -> dt.timedelta:
    """How long a retired file waits (ENROLLMENT_MIGRATE_PARTITION_RETENTION)."""
    return dt.timedelta(seconds=settings.PARTITION_RETENTION.value())


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


# -- live: the manifests ---------------------------------------------------------------------------

def manifests_glob(db: str | Path) -> Path:
    return parts_dir(db) / MANIFESTS / "*.parquet"


def live_files_sql(db: str | Path) -> str:
    """The live partition files, as the one column `file`, by the newest manifest published
    before the query's transaction began (`current_timestamp`: one instant for the whole query,
    so that a query over several views, such as training_history, sees one state of them all).

    A manifest is named by the nanosecond it is published at, and is in place before then, so
    the newest is chosen from the folder's names alone (`glob`, no file opened): every listing
    made during the query holds it, and only it is read. DDL takes no parameters: the path is
    the tool's own."""
    glob = "'" + str(manifests_glob(db)).replace("'", "''") + "'"
    return (
        f"select file from read_parquet({glob}, filename = true) where retired_at is null and "
        f"filename = (select max(file) from glob({glob}) where "
        "cast(regexp_extract(file, '([0-9]+)[.]parquet$', 1) as hugeint) <= epoch_ns(current_timestamp))"
    )


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _epoch_ns(when: dt.datetime) -> int:
    delta = when - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000


def _takes_effect(manifest: Path) -> dt.datetime:
    """When a manifest takes effect: its name, in nanoseconds since 1970 (UTC)."""
    return _EPOCH + dt.timedelta(microseconds=int(manifest.stem) // 1000 + 1)


def _manifests(db: str | Path) -> list[Path]:
    folder = parts_dir(db) / MANIFESTS
    return sorted(folder.glob("*.parquet")) if folder.exists() else []


def _partition_files(db: str | Path) -> list[Path]:
    return [p for p in sorted(parts_dir(db).glob("*/*.parquet")) if p.parent.name != MANIFESTS]


def write_manifest(db: str | Path, live: list[Path], now: dt.datetime | None = None) -> Path:
    """List `live` as live and every other partition file on disk as retired (since the previous
    manifest said so, or since now); then the views show exactly `live`."""
    now = now or _now()
    manifests = _manifests(db)
    retired_since: dict[str, dt.datetime] = {}
    if manifests:
        previous = pl.read_parquet(manifests[-1]).filter(pl.col("retired_at").is_not_null())
        retired_since = dict(zip(previous["file"], previous["retired_at"]))
    live_names = {str(p) for p in live}
    on_disk = [str(p) for p in _partition_files(db)]
    if missing := live_names - set(on_disk):
        raise FileNotFoundError(f"live partition files missing: {sorted(missing)[:3]}")
    frame = pl.DataFrame(
        {
            "file": on_disk,
            "retired_at": [None if f in live_names else retired_since.get(f, now) for f in on_disk],
        },
        schema=_MANIFEST_SCHEMA,
    )
    folder = parts_dir(db) / MANIFESTS
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = folder / f".{os.getpid()}.parquet.tmp"
    try:
        frame.write_parquet(temporary)
        fault_point("manifest", temporary)
    except BaseException:
        temporary.unlink(missing_ok=True)  # never a partial manifest beside the real ones
        raise
    # Named, when it is in place, by when it takes effect (in nanoseconds since 1970, after the
    # one before it), which is later than the rename by PUBLISH_DELAY, however slow the write.
    number = _epoch_ns(dt.datetime.now(dt.UTC) + PUBLISH_DELAY)
    if manifests:
        number = max(number, int(manifests[-1].stem) + 1)
    target = folder / f"{number:020d}.parquet"
    os.replace(temporary, target)
    # Return when the views show it: a command's change is there for the next query after it.
    time.sleep(max(0.0, (_takes_effect(target) - dt.datetime.now(dt.UTC)).total_seconds()))
    return target


# -- retired: what waits, and since when --------------------------------------------------------

@dataclass(frozen=True)
class RetiredFile:
    path: Path
    bytes: int
    retired_at: dt.datetime  # UTC, naive


@dataclass(frozen=True)
class StoreStatus:
    partitions: int
    partition_bytes: int
    retired: tuple[RetiredFile, ...]
    open_sessions: int
    retention: dt.timedelta

    @property
    def retired_bytes(self) -> int:
        return sum(f.bytes for f in self.retired)

    def due(self, now: dt.datetime) -> list[RetiredFile]:
        return [f for f in self.retired if now - f.retired_at >= self.retention]

    def as_dict(self, now: dt.datetime | None = None) -> dict[str, object]:
        now = now or _now()
        oldest = min((f.retired_at for f in self.retired), default=None)
        return {
            "partitions": self.partitions,
            "partition_bytes": self.partition_bytes,
            "retired_files": len(self.retired),
            "retired_bytes": self.retired_bytes,
            "oldest_retired_at": oldest.isoformat() if oldest else None,
            "due_for_deletion": len(self.due(now)),
            "open_sessions": self.open_sessions,
            "retention_seconds": self.retention.total_seconds(),
        }


def status(db: str | Path, *, prune: bool = False) -> StoreStatus:
    """The live partitions, the retired files waiting for deletion, and the open sessions
    (`prune`: also forget the catalogs no session holds; only under the state lock)."""
    manifests = _manifests(db)
    live: list[int] = []  # the live partitions' sizes
    retired: list[RetiredFile] = []
    if manifests:
        newest = pl.read_parquet(manifests[-1])
        for file, retired_at in newest.iter_rows():  # one row per partition file, not per record
            path = Path(file)
            if (st := _stat(path)) is None:
                continue
            if retired_at is not None:
                retired.append(RetiredFile(path, st.st_size, retired_at))
            elif path.stem != EMPTY:
                live.append(st.st_size)
        # An older manifest is retired from the moment its successor took effect (its name).
        for older, successor in zip(manifests, manifests[1:]):
            if (st := _stat(older)) is not None:
                retired.append(RetiredFile(older, st.st_size, _takes_effect(successor).replace(tzinfo=None)))
    return StoreStatus(
        partitions=len(live),
        partition_bytes=sum(live),
        retired=tuple(retired),
        open_sessions=open_sessions(db, prune=prune),
        retention=retention(),
    )


# -- deleted: the sweep --------------------------------------------------------------------------

def sweep(db: str | Path, now: dt.datetime | None = None) -> list[Path]:
    """Delete the retired files older than the retention, if no session is open. Call it holding
    the tool's state (a publication or `expire`), so that no publication runs meanwhile.
    Returns the files deleted."""
    now = now or _now()
    try:
        current = status(db, prune=True)
    except BadSetting as exc:  # the change is committed: keep the files, say why
        log.warning("Retired partition files are kept: %s", exc)
        return []
    if current.open_sessions:
        return []
    due = current.due(now)
    for retired in due:
        retired.path.unlink(missing_ok=True)
    if due:
        log.info("Deleted %d retired partition files (%d bytes).", len(due), sum(f.bytes for f in due))
    return [f.path for f in due]


# -- sessions: who may be listing the folders --------------------------------------------------

def catalogs_dir(db: str | Path) -> Path:
    """Every catalog published and possibly still open, under a second name."""
    return store_dir(db) / "catalogs"


def keep_catalog(building: Path, db: Path) -> None:
    """Before `building` is swapped in at `db`, give it a second name that outlives the swap."""
    folder = catalogs_dir(db)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        os.link(building, folder / f"{time.time_ns()}-{os.getpid()}.duckdb")
    except OSError as exc:  # a file system without hard links: only the current catalog is seen
        log.warning("Could not keep a second name for the catalog (%s): sessions on older "
                    "catalogs will not hold back the deletion of retired files.", exc.strerror or exc)


def open_sessions(db: str | Path, *, prune: bool = False) -> int:
    """How many published catalogs some session holds open (`prune`: forget the others; a
    publication keeps a catalog's second name and swaps it in under the state lock, so pruning
    under that lock never forgets a catalog about to be current). Where locks cannot be asked
    (no fcntl), every catalog counts as open, and nothing is deleted."""
    db = Path(db)
    current = _stat(db)
    held = 1 if current and _locked(db) else 0
    folder = catalogs_dir(db)
    for kept in sorted(folder.glob("*.duckdb")) if folder.exists() else []:
        st = _stat(kept)
        if st is None or (current and (st.st_ino, st.st_dev) == (current.st_ino, current.st_dev)):
            continue  # the current catalog is counted above, by its own name
        if _locked(kept):
            held += 1
        elif prune:
            kept.unlink(missing_ok=True)
    return held


def _stat(path: Path) -> os.stat_result | None:
    try:
        return path.stat()
    except FileNotFoundError:
        return None


# struct flock on Linux and the BSDs: l_type, l_whence, l_start, l_len, l_pid (native alignment)
_FLOCK = "hhqqi"


def _locked(path: Path) -> bool:
    """Whether some session holds a lock on `path` (DuckDB holds one while a session is open).
    F_GETLK only asks; it takes no lock. The open-file-description form (Linux) also sees a
    session in this very process. POSIX drops a process's own locks on a file when it closes
    any descriptor of it: the tool never holds a catalog open, so closing the probe costs none."""
    try:
        import fcntl
    except ImportError:
        return True
    command = getattr(fcntl, "F_OFD_GETLK", fcntl.F_GETLK)
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return False
    except OSError:  # a read-only folder: asking needs no write access
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            return True  # cannot tell: keep the files
    try:
        answer = fcntl.fcntl(fd, command, struct.pack(_FLOCK, fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0))
    except OSError:
        return True  # cannot tell: keep the files
    finally:
        os.close(fd)
    return struct.unpack(_FLOCK, answer)[0] != fcntl.F_UNLCK
