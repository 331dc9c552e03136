"""Fault points: named moments where a test can stop the process, to prove that a crash there
leaves the store as it was. Inert unless ENROLLMENT_MIGRATE_FAULT_AT names the point."""

from __future__ import annotations

import os
import time
from pathlib import Path

FAULT_AT = "ENROLLMENT_MIGRATE_FAULT_AT"
FAULT_MARKER = "ENROLLMENT_MIGRATE_FAULT_MARKER"


def fault_point(name: str) -> None:
    """At the named point, say so through the marker file, then wait to be killed."""
    if os.environ.get(FAULT_AT) != name:
        return
    marker = os.environ.get(FAULT_MARKER)
    if marker:
        Path(marker).write_text(str(os.getpid()), encoding="ascii")
    time.sleep(3600)
