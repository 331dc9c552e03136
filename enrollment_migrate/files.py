"""Writing a file whole or not at all: under a hidden name beside it, then renamed over it.

A reader never sees half a file, a failure (a full disk) leaves no partial one, and a symlink at
the path is replaced, never written through.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def replace_atomically(path: Path, write: Callable[[BinaryIO], object]) -> Path:
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        with partial.open("wb") as handle:
            write(handle)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def write_text_atomically(path: Path, text: str) -> Path:
    return replace_atomically(path, lambda handle: handle.write(text.encode("utf-8")))
