"""enrollment_migrate.visible: a file's control characters shown as marks, one way for a Python
string and for a column."""

import unicodedata

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from enrollment_migrate.visible import CONTROLS, mark, visible, visible_expr, visible_frame

BIDI = ["\u061c", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
        "\u2066", "\u2067", "\u2068", "\u2069"]


def test_every_terminal_and_bidirectional_control_is_marked():
    terminal = [chr(c) for c in [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)]]
    assert set(CONTROLS) == set(terminal) | set(BIDI)
    for character in CONTROLS:
        assert visible(f"a{character}b") == f"a⟨U+{ord(character):04X}⟩b"
    assert visible("\x1b[2J\u202egnp.exe") == "⟨U+001B⟩[2J⟨U+202E⟩gnp.exe"


def test_printable_text_is_kept_as_it_is():
    text = "Ann O'Brien <ann@example.com> Ärger ١٢٣ שלום 日本 =1+1 \u00a0 \u200b ⟨U+202E⟩"
    assert visible(text) == text


# Text around the controls: any character, the controls much more often than chance.
texts = st.text(st.one_of(st.sampled_from(CONTROLS), st.characters(codec="utf-8")), max_size=40)


@given(st.lists(st.one_of(st.none(), texts), max_size=20))
def test_the_column_is_shown_as_each_value_is(values):
    shown = pl.DataFrame({"value": values}, schema={"value": pl.String}).select(visible_expr(pl.col("value")))
    assert shown["value"].to_list() == [None if v is None else visible(v) for v in values]


@given(texts)
def test_no_control_is_left_and_the_rest_is_in_order(text):
    shown = visible(text)
    assert not set(shown) & set(CONTROLS)
    # Taking the marks out again gives back the text: nothing else was changed or dropped.
    restored = shown
    for character in CONTROLS:
        restored = restored.replace(mark(character), character)
    assert restored == text or "⟨U+" in text  # a text may already hold what looks like a mark


def test_marked_characters_are_the_controls_and_the_bidi_formats():
    for character in CONTROLS:
        assert unicodedata.category(character) in ("Cc", "Cf")
        assert character in BIDI or unicodedata.category(character) == "Cc"


def test_a_frame_has_its_text_columns_shown_and_the_rest_kept():
    frame = pl.DataFrame({"row": [2], "value": ["\x1b]0;pwned\x07"], "n": [1.5]})
    assert visible_frame(frame).to_dicts() == [{"row": 2, "value": "⟨U+001B⟩]0;pwned⟨U+0007⟩", "n": 1.5}]
