"""What a person is shown of a file's text: its control characters as visible marks.

A value a file brings (a course name, a Login ID, a score, the file's own name) can hold
characters that change how the text around it is shown rather than show themselves:

- terminal controls: the C0 controls U+0000-U+001F (ESC starts a terminal's escape sequences,
  CR and BS overwrite what was printed, LF and TAB break a table's layout), DEL U+007F and the
  C1 controls U+0080-U+009F (U+009B is a one-character ESC [);
- bidirectional controls: the embeddings and overrides U+202A-U+202E, the isolates
  U+2066-U+2069 and the marks U+200E, U+200F and U+061C, which can make a page or a terminal
  show text in an order other than the file's (`‮lmth.exe` read backwards).

Each of them is shown as `⟨U+XXXX⟩` (its code point, four hex digits) wherever text from a file
is displayed: the report page, the Prefect artifacts, the terminal. The files a run writes
(findings.csv, summary.json, the Parquet) keep every value exactly.

`visible` is for one Python string; `visible_expr` the same, vectorised, for a column.
"""

from __future__ import annotations

import re

import polars as pl

# Every character shown as a mark, in code point order.
CONTROLS: tuple[str, ...] = (
    *(chr(code) for code in range(0x00, 0x20)),  # C0
    "\x7f",  # DEL
    *(chr(code) for code in range(0x80, 0xA0)),  # C1
    "\u061c",  # ARABIC LETTER MARK
    "\u200e", "\u200f",  # LEFT-TO-RIGHT MARK, RIGHT-TO-LEFT MARK
    *(chr(code) for code in range(0x202A, 0x202F)),  # LRE, RLE, PDF, LRO, RLO
    *(chr(code) for code in range(0x2066, 0x206A)),  # LRI, RLI, FSI, PDI
)

_CONTROL = re.compile("[" + "".join(re.escape(c) for c in CONTROLS) + "]")


def mark(character: str) -> str:
    """`\\x1b` -> `⟨U+001B⟩`."""
    return f"⟨U+{ord(character):04X}⟩"


_MARKS = [mark(c) for c in CONTROLS]


def visible(text: str) -> str:
    """The text with each control character of CONTROLS shown as its mark."""
    return _CONTROL.sub(lambda found: mark(found.group()), text)


def visible_expr(expr: pl.Expr) -> pl.Expr:
    """`visible` over a String column (nulls stay null): one pass per value (Aho-Corasick over
    the controls' characters), never a Python call per row."""
    return expr.str.replace_many(list(CONTROLS), _MARKS)


def visible_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with every String column shown by visible_expr."""
    return frame.with_columns(
        visible_expr(pl.col(name)) for name, dtype in frame.schema.items() if dtype == pl.String
    )
