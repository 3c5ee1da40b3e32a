"""One rule for every CSV the programs domain writes: a cell never starts a formula.

Spreadsheet programs run a cell starting with =, +, -, @ (or a tab / carriage return
before one) as a formula, so text people typed -- names, team labels, course titles --
is prefixed with an apostrophe there (CSV injection).
"""
from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """`value` as text, with a leading apostrophe when it could start a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in FORMULA_STARTS else text
