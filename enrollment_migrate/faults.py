"""Fault points: named moments where a test can stop the process or make a write fail, to prove
that a crash or a full disk there leaves the store as it was. Inert unless
ENROLLMENT_MIGRATE_FAULT_AT names the point: `apply` waits there to be killed; `apply:enospc`
raises the error a full disk gives."""

from __future__ import annotations

import errno
import os
import time
from pathlib import Path

FAULT_AT = "ENROLLMENT_MIGRATE_FAULT_AT"
FAULT_MARKER = "ENROLLMENT_MIGRATE_FAULT_MARKER"


def fault_point(name: str) -> None:
    """At the named point, say so through the marker file, then wait to be killed."""
    wanted = os.environ.get(FAULT_AT)
    if wanted == f"{name}:enospc":
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), name)
    if wanted != name:
        return
    marker = os.environ.get(FAULT_MARKER)
    if marker:
        Path(marker).write_text(str(os.getpid()), encoding="ascii")
    time.sleep(3600)
