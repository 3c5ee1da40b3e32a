"""Reading a staff CSV file: a pure parser and validator, no database, no Flask.

`parse_staff_csv` turns the raw bytes of an upload into validated `StaffRow`s, or into the
complete list of problems, each with the line of the file it was found on, so that a practice
owner can fix everything in one pass. Callers pass what the file is checked against (emails
that are already members); the import service does the writing.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date

from email_validator import EmailNotValidError, validate_email

from orgwell.orgs.models import JOB_TITLES, ROLES

COLUMNS = ("name", "email", "team", "role", "job_title", "patient_facing", "start_date")
REQUIRED_COLUMNS = ("name", "email")
MAX_ROWS = 5000
MAX_NAME = 120
MAX_EMAIL = 254
MAX_TEAM = 120

_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0"}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_JOB_TITLES = {title.lower(): title for title in JOB_TITLES}
# Far above any real value; beyond it a cell is not echoed or checked further.
_MAX_CELL = 10_000


@dataclass(frozen=True)
class StaffRow:
    """One valid person from the file; `line` is where the row starts in the file."""

    line: int
    name: str
    email: str
    team: str | None
    role: str
    job_title: str | None
    patient_facing: bool
    start_date: date | None

    def to_json(self) -> dict:
        data = asdict(self)
        data["start_date"] = self.start_date.isoformat() if self.start_date else None
        return data

    @classmethod
    def from_json(cls, data: dict) -> StaffRow:
        start = data.get("start_date")
        return cls(**{**data, "start_date": date.fromisoformat(start) if start else None})


@dataclass(frozen=True)
class RowError:
    """A problem found in the file. `line` 1 is the header."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"Line {self.line}: {self.message}"


def parse_staff_csv(
    data: bytes,
    *,
    member_emails: Iterable[str] = (),
    max_rows: int = MAX_ROWS,
) -> tuple[list[StaffRow], list[RowError]]:
    """Validate a staff CSV file.

    `data` is the raw file (UTF-8, a byte-order mark is allowed); `member_emails` are the
    addresses that already have a membership in the organisation (lower case). Returns
    `(rows, errors)`: when `errors` is not empty, `rows` must not be imported. Never raises
    for any input.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as problem:
        line = data[: problem.start].count(b"\n") + 1
        return [], [RowError(line, "the file is not UTF-8 text. In your spreadsheet choose "
                                   "“Save as… CSV UTF-8” and upload that file.")]
    if not text.strip():
        return [], [RowError(1, "the file is empty. The first line must be the header: "
                                + ",".join(COLUMNS))]
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        return [], [RowError(line, "the file contains a NUL character: it is not a CSV file.")]

    reader = csv.reader(io.StringIO(text, newline=""), strict=False)
    try:
        return _read(reader, {e.lower() for e in member_emails}, max_rows)
    except csv.Error as problem:
        return [], [RowError(reader.line_num or 1, f"the file cannot be read as CSV ({problem}).")]


def _read(reader, members: set[str], max_rows: int) -> tuple[list[StaffRow], list[RowError]]:
    header, errors = _read_header(reader)
    if header is None:
        return [], errors
    rows: list[StaffRow] = []
    first_line_of: dict[str, int] = {}
    count = 0
    last_line = reader.line_num
    for cells in reader:
        line, last_line = last_line + 1, reader.line_num
        if not any(cell.strip() for cell in cells):
            continue  # blank lines are common at the end of exported files
        count += 1
        if count > max_rows:
            errors.append(RowError(line, f"the file has more than {max_rows} people; "
                                         "split it into several files."))
            return [], errors
        row, email, row_errors = _read_row(line, header, cells)
        # Checked even when the row has other problems, so that one pass finds everything.
        if email in members:
            row_errors.append(f"{email} is already a member of this organisation.")
        elif email in first_line_of:
            row_errors.append(
                f"{email} appears twice, on lines {first_line_of[email]} and {line}."
            )
        elif email is not None:
            first_line_of[email] = line
        errors.extend(RowError(line, message) for message in row_errors)
        if row is not None and not row_errors:
            rows.append(row)
    if count == 0 and not errors:
        errors.append(RowError(2, "the file has a header but no people."))
    return (rows, errors) if not errors else ([], errors)


def _read_header(reader) -> tuple[list[str] | None, list[RowError]]:
    cells = next(reader, None)
    while cells is not None and not any(cell.strip() for cell in cells):
        cells = next(reader, None)
    line = reader.line_num
    if cells is None:
        return None, [RowError(1, "the file is empty.")]
    header = [_column_name(cell) for cell in cells]
    problems = []
    # Spreadsheets often add empty columns at the end: a column without a name is ignored
    # (its cells must be empty, see _read_row).
    unknown = [cell.strip() for cell, name in zip(cells, header, strict=True)
               if name not in COLUMNS and name]
    if unknown:
        problems.append(
            "unknown column" + ("s " if len(unknown) > 1 else " ")
            + ", ".join(f"“{_clip(name, 40)}”" for name in unknown[:10])
            + f". The columns are: {', '.join(COLUMNS)}."
        )
    repeated = sorted({name for name in header if name in COLUMNS and header.count(name) > 1})
    if repeated:
        problems.append("column repeated: " + ", ".join(repeated) + ".")
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        problems.append(
            "the first line must be a header naming the columns; missing: "
            + ", ".join(missing) + "."
        )
    if problems:
        return None, [RowError(line, message) for message in problems]
    return header, []


def _read_row(
    line: int, header: list[str], cells: list[str]
) -> tuple[StaffRow | None, str | None, list[str]]:
    """One data row: (the row if valid, its email if valid, the problems found)."""
    if len(cells) > len(header) and any(cell.strip() for cell in cells[len(header):]):
        return None, None, [f"{len(cells)} values but the header has {len(header)} columns "
                            "(a comma inside a value needs quotes)."]
    values = {name: (cells[i].strip() if i < len(cells) else "")
              for i, name in enumerate(header) if name}
    if any(len(value) > _MAX_CELL for value in values.values()):
        return None, None, ["a value is far too long."]
    if any(cells[i].strip() for i, name in enumerate(header) if not name and i < len(cells)):
        return None, None, ["a value under a column that has no name in the header."]
    problems: list[str] = []

    name = " ".join(values.get("name", "").split())
    if not name:
        problems.append("the name is missing.")
    elif len(name) > MAX_NAME:
        problems.append(f"the name is longer than {MAX_NAME} characters.")

    email = _email(values.get("email", ""), problems)

    team = " ".join(values.get("team", "").split()) or None
    if team and len(team) > MAX_TEAM:
        problems.append(f"the team name is longer than {MAX_TEAM} characters.")

    role = values.get("role", "").lower() or "staff"
    if role not in ROLES:
        problems.append(f"unknown role “{_clip(values['role'])}” (use {', '.join(ROLES)}).")

    job_title = None
    if values.get("job_title"):
        job_title = _JOB_TITLES.get(values["job_title"].lower())
        if job_title is None:
            problems.append(f"unknown job title “{_clip(values['job_title'])}” "
                            f"(use one of: {', '.join(JOB_TITLES)}).")

    patient_facing = True
    raw = values.get("patient_facing", "").lower()
    if raw in _NO:
        patient_facing = False
    elif raw and raw not in _YES:
        problems.append(f"patient_facing must be yes or no, not “{_clip(raw)}”.")

    start_date = _start_date(values.get("start_date", ""), problems)

    if problems or email is None:
        return None, email, problems
    row = StaffRow(line, name, email, team, role, job_title, patient_facing, start_date)
    return row, email, []


def _email(raw: str, problems: list[str]) -> str | None:
    if not raw:
        problems.append("the email is missing.")
        return None
    if len(raw) > MAX_EMAIL:
        problems.append(f"the email is longer than {MAX_EMAIL} characters.")
        return None
    try:
        checked = validate_email(raw, check_deliverability=False)
    except EmailNotValidError:
        problems.append(f"“{_clip(raw)}” is not a valid email address.")
        return None
    return checked.normalized.lower()


def _start_date(raw: str, problems: list[str]) -> date | None:
    if not raw:
        return None
    if _DATE.fullmatch(raw):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    problems.append(f"start_date “{_clip(raw)}” is not a date written as YYYY-MM-DD.")
    return None


_COLUMN_KEYS = {column.replace("_", ""): column for column in COLUMNS}


def _column_name(cell: str) -> str:
    """The column a header cell names: "Job title", "job-title" and "JobTitle" all count."""
    key = re.sub(r"[\s_\-]+", "", cell.lower())
    return _COLUMN_KEYS.get(key, cell.strip())


def _clip(value: str, length: int = 60) -> str:
    """Echo a bad value back without letting a huge cell flood the page."""
    return value if len(value) <= length else value[: length - 1] + "…"


def new_team_names(rows: Iterable[StaffRow], existing: Iterable[str]) -> list[str]:
    """Team names used in `rows` that match no existing team (case-insensitive), in file order."""
    known = {name.lower() for name in existing}
    new: dict[str, str] = {}
    for row in rows:
        if row.team and row.team.lower() not in known:
            new.setdefault(row.team.lower(), row.team)
    return list(new.values())
