"""The masking of learners' Login IDs where others may read them (artifacts, report pages,
terminal samples): `anna@example.com` shows as `an***@example.com` unless
ENROLLMENT_MIGRATE_SHOW_LOGIN_IDS asks otherwise. Light on purpose: the read-only commands
rebuild pages with it and import nothing of the engine."""

from __future__ import annotations

import re

import polars as pl

from enrollment_migrate import settings
from schemas.template import LOGIN_ID

_VISIBLE = 2
_MASKED_PART = r"^([^@]{0,2})[^@]*"  # all of the local part but its first two characters
_EMAIL = re.compile(r"[^\s'\"@,;]+@[^\s'\",;]+")


def show_login_ids() -> bool:
    """ENROLLMENT_MIGRATE_SHOW_LOGIN_IDS=1 shows Login IDs as written, where every reader of the
    artifacts and report pages may see them."""
    return settings.SHOW_LOGIN_IDS.value()


def masked_values() -> pl.Expr:
    """A findings frame's `value` with the values of the Login ID column masked."""
    return (
        pl.when(pl.col("column") == LOGIN_ID.header)
        .then(pl.col("value").str.replace(_MASKED_PART, "${1}***"))
        .otherwise(pl.col("value"))
        .alias("value")
    )


def mask_login(login: str | None) -> str | None:
    """`anna@example.com` -> `an***@example.com`; a username keeps its first two letters."""
    if login is None:
        return None
    local, at, domain = login.partition("@")
    return f"{local[:_VISIBLE]}***{at}{domain}"


def mask_emails(text: str) -> str:
    return _EMAIL.sub(lambda match: mask_login(match.group(0)) or "", text)
