"""Fault points: named moments where a test can stop the process or make a write fail, to prove
that a crash or a full disk there leaves the store as it was. Inert unless
ENROLLMENT_MIGRATE_FAULT_AT names the point: `apply` waits there to be killed; `apply:enospc`
raises the error a full disk gives."""

from __future__ import annotations

import errno
import os
import time
from pathlib import Path

from enrollment_migrate import settings
from enrollment_migrate.files import write_text_atomically

FAULT_AT = settings.FAULT_AT.name
FAULT_MARKER = settings.FAULT_MARKER.name


def fault_point(name: str, path: str | Path | None = None) -> None:
    """At the named point, say so through the marker file, then wait to be killed; or, for
    `NAME:enospc`, fail as a full disk fails a write to `path`."""
    wanted = settings.FAULT_AT.value()
    if wanted == f"{name}:enospc":
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path) if path else name)
    if wanted != name:
        return
    marker = settings.FAULT_MARKER.value()
    if marker:
        # Whole or not at all: a test that sees the file may kill this process at once.
        write_text_atomically(Path(marker), str(os.getpid()))
    time.sleep(3600)
