"""The names `prepare`'s modules share: the mapping's words, the source's row column, how a
source is read, and the error for one that cannot be. Kept apart so that the readers, the mapping
and the adapters import it and not each other."""

from __future__ import annotations

import re
from dataclasses import dataclass

from enrollment_migrate.errors import SourceUnreadable  # noqa: F401 - the prepare modules import it from here

AUTO = "auto"  # the mapping leaves the choice (an encoding, a separator, a date format) to detection
DROP = "drop"  # a status word mapped to this is not migrated: the row is dropped and the report says why
PLACEHOLDER = re.compile(r"\{([^{}]+)\}")  # a source column named in a "format" value: {First}.{Last}
ROW = "__row"  # the source row of each record, as a spreadsheet numbers it (header = 1)


@dataclass(frozen=True)
class SourceOptions:
    encoding: str = AUTO  # "auto" (byte-order mark, UTF-8, else charset-normalizer) or a codec
    separator: str = AUTO  # "auto" or one character
    sheet: str | int | None = None  # an .xlsx sheet's name or 0-based position; None: the first
    blank_values: tuple[str, ...] = ()  # values that mean "blank" in this source, e.g. "N/A"
    # The row holding the column names, 1 first; None: the first row that holds the mapping's
    # source columns (title rows above it, as reports of Cornerstone or SuccessFactors have).
    header_row: int | None = None


