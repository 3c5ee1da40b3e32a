"""Answers collected on paper or in a spreadsheet: reading them from CSV, and scoring them to CSV.

One CSV shape serves `orgwell instruments score` and result imports: a header naming item keys
(plus a few columns of the caller's own, such as `respondent` or `team`), then one person per
line, each item cell an answer label (any case, surrounding spaces ignored) or empty for no
answer. Every problem is reported with its line and column, so a whole file can be fixed in one
go; callers act only on a file without problems. Pure: no Flask, no database.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from orgwell.surveys.instruments.definition import Instrument
from orgwell.surveys.scoring import score_response

YES = frozenset({"yes", "y", "true", "1"})
NO = frozenset({"no", "n", "false", "0"})


@dataclass(frozen=True)
class SheetProblem:
    line: int
    column: int | None
    column_name: str | None
    message: str

    def __str__(self) -> str:
        place = f"line {self.line}"
        if self.column is not None:
            place += f", column {self.column}"
            if self.column_name:
                place += f" ({self.column_name})"
        return f"{place}: {self.message}"


@dataclass(frozen=True)
class SheetRow:
    line: int
    fields: dict[str, str]  # the caller's own columns, trimmed ("" when empty)
    answers: dict[str, float | None]  # item key -> stored option value, None = no answer


class SheetError(ValueError):
    """A sheet with problems; `problems` lists every one in file order."""

    def __init__(self, problems: list[SheetProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def read_answer_sheet(
    instrument: Instrument,
    text: str,
    *,
    first: str | None = None,
    required: Sequence[str] = (),
    optional: Sequence[str] = (),
    unique: Sequence[str] = (),
    checks: Mapping[str, Callable[[str], str | None]] | None = None,
    require_answer: bool = False,
) -> list[SheetRow]:
    """Parse a CSV of answers to `instrument`; raises SheetError listing every problem.

    first: a column that must come first (e.g. "respondent"); it is also required.
    required / optional: the caller's own columns besides the item keys (any order).
    unique: columns whose non-empty values may appear only once (e.g. "respondent").
    checks: column -> function returning a problem message for a bad non-empty value.
    Names are given in lower case and matched case-insensitively, as are item keys.
    require_answer: a row whose item cells are all empty is a problem ("no answer at all").
    Required columns must have a value in every row. Line numbers count the header as line 1.
    """
    records, problems = _records(text.removeprefix("\ufeff"))
    if not records and not problems:
        raise SheetError([SheetProblem(1, None, None, "the file is empty.")])
    if not records:
        raise SheetError(problems)
    needed = ([first] if first else []) + list(required)
    own = needed + list(optional)
    header_line, header_cells = records[0]
    header = [cell.strip() for cell in header_cells]
    problems = [
        SheetProblem(p.line, p.column, header[p.column - 1] or None, p.message)
        if p.column is not None and p.column <= len(header) else p
        for p in problems
    ]
    columns, header_problems = _columns(instrument, header, own, first, header_line)
    problems += header_problems
    for name in needed:
        if name not in columns:
            problems.append(SheetProblem(header_line, None, None,
                                         f"the column {name!r} is missing."))

    item_keys = {item.key for item in instrument.items}
    rows: list[SheetRow] = []
    seen: dict[tuple[str, str], int] = {}
    for line, cells in records[1:]:
        fields = dict.fromkeys((name for name in own if name in columns), "")
        answers: dict[str, float | None] = {}
        answered = False
        for number, cell in enumerate(cells, start=1):
            value = cell.strip()
            name = columns[number - 1] if number <= len(columns) else None
            if number > len(columns):
                if value:
                    problems.append(SheetProblem(
                        line, number, None, "a value beyond the last column of the header."))
            elif name in item_keys:
                answered = answered or bool(value)
                answers[name] = _answer(instrument, name, value, line, number, header, problems)
            elif name is not None:
                fields[name] = value
                message = (checks or {}).get(name, lambda _: None)(value) if value else None
                if message:
                    problems.append(SheetProblem(line, number, header[number - 1], message))
        for name in needed:
            if name in columns and not fields[name]:
                number = columns.index(name) + 1
                problems.append(SheetProblem(line, number, header[number - 1],
                                             "this cell must not be empty."))
        if require_answer and not answered:
            problems.append(SheetProblem(line, None, None, "no answer at all in this row."))
        for name in unique:
            value = fields.get(name, "")
            if not value:
                continue
            earlier = seen.setdefault((name, value.casefold()), line)
            if earlier != line:
                number = columns.index(name) + 1
                problems.append(SheetProblem(line, number, header[number - 1],
                                             f"{value!r} appears already on line {earlier}."))
        rows.append(SheetRow(line, fields, answers))
    if problems:
        raise SheetError(sorted(problems, key=lambda p: (p.line, p.column or 0)))
    return rows


def _records(text: str) -> tuple[list[tuple[int, list[str]]], list[SheetProblem]]:
    """(line where the record starts, cells) for each non-blank CSV record."""
    # strict: a broken quote is an error with its line, not a silently merged cell.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records, problems = [], []
    line = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            rest = "".join(io.StringIO(text, newline="").readlines()[line - 1:])
            problems.append(SheetProblem(
                line, _broken_quote_column(rest), None,
                f"unreadable CSV ({error}): a quote opened in this cell is not closed "
                "properly (write a quote inside a quoted cell as \"\").",
            ))
            break
        if any(cell.strip() for cell in cells):
            records.append((line, cells))
        line = reader.line_num + 1
    return records, problems


def _broken_quote_column(record: str) -> int | None:
    """The column (1-based) of the quoted cell that breaks the CSV record starting `record`.

    Follows the csv module's rules: a quote opens a quoted cell only at the start of a cell,
    "" inside it is a quote, and the closing quote must be followed by a comma or line end.
    """
    column, quoted_in, at_start, i = 1, None, True, 0
    while i < len(record):
        char = record[i]
        if quoted_in is not None:
            if char == '"':
                following = record[i + 1:i + 2]
                if following == '"':
                    i += 2
                    continue
                if following not in ("", ",", "\r", "\n"):
                    return quoted_in
                quoted_in = None
        elif char == '"' and at_start:
            quoted_in = column
        elif char == ",":
            column += 1
            at_start = True
            i += 1
            continue
        elif char in "\r\n":
            break
        at_start = False
        i += 1
    return quoted_in


def _columns(instrument, header, own, first, line) -> tuple[list[str | None], list]:
    """The canonical name of each header cell (None when unusable), and the header's problems."""
    items = {item.key.casefold(): item.key for item in instrument.items}
    problems: list[SheetProblem] = []
    columns: list[str | None] = []
    others = [name for name in own if name != first]
    expected = (f"{first}, then " if first else "") + (
        f"item keys of {instrument.key} ({_key_range(instrument)})"
        + (f" or {', '.join(others)}" if others else "")
    )
    for number, name in enumerate(header, start=1):
        folded = name.casefold()
        canonical = items.get(folded) or (folded if folded in own else None)
        if canonical is None:
            problems.append(SheetProblem(line, number, name or None,
                                         f"unknown column: expected {expected}."))
        elif canonical in columns:
            problems.append(SheetProblem(line, number, name, "this column appears twice."))
            canonical = None
        columns.append(canonical)
    if first and columns and columns[0] != first:
        problems.append(SheetProblem(line, 1, header[0] or None,
                                     f"the first column must be {first!r}."))
    return columns, problems


def _answer(instrument, key, value, line, number, header, problems) -> float | None:
    if not value:
        return None
    item = instrument.item(key)
    try:
        return instrument.option_value(item, value)
    except ValueError:
        labels = "; ".join(o.label for o in instrument.options_for(item))
        problems.append(SheetProblem(
            line, number, header[number - 1],
            f"{value!r} is not an answer to this item (one of: {labels})."))
        return None


def score_sheet(instrument: Instrument, text: str) -> str:
    """Score a `respondent` + item-keys CSV; the result CSV as text, or SheetError.

    Columns out: respondent, then per scale `<scale>` (the exact mean rounded half-up to 2
    decimals, empty when not scorable) and `<scale>_band` (high, below, empty; not_applicable
    when a `patient_facing` column says no for a patient-facing-only scale). The band comes
    from the exact mean, not the rounded one (see surveys/scoring.py).
    """
    rows = read_answer_sheet(
        instrument, text, first="respondent", optional=("patient_facing",),
        unique=("respondent",), checks={"patient_facing": _yes_or_no},
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    scale_columns = [c for s in instrument.scales for c in (s.key, f"{s.key}_band")]
    writer.writerow(["respondent", *scale_columns])
    for row in rows:
        patient_facing = row.fields.get("patient_facing", "").casefold() not in NO
        results = score_response(instrument, row.answers, patient_facing=patient_facing)
        cells = [row.fields["respondent"]]
        for scale in instrument.scales:
            result = results[scale.key]
            cells += ["" if result.exact is None else str(result.rounded(2)), result.band or ""]
        writer.writerow(cells)
    return out.getvalue()


def _yes_or_no(value: str) -> str | None:
    if value.casefold() in YES | NO:
        return None
    return f"{value!r} is not yes or no."


def _key_range(instrument: Instrument) -> str:
    keys = [item.key for item in instrument.items]
    return ", ".join(keys) if len(keys) <= 4 else f"{keys[0]} … {keys[-1]}"

