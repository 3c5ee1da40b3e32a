"""The cohort progress page as a CSV download: the same rows the page shows, nothing more.

Team labels and names are typed by people, so every text cell goes through `safe_cell`;
the file name is ASCII so that any program name fits a Content-Disposition header.
"""
from __future__ import annotations

import csv
import io
import re

from werkzeug.utils import secure_filename

from orgwell.programs.csvsafe import safe_cell
from orgwell.programs.progress import CohortProgress

COLUMNS = ("group", "name", "teams", "enrolled", "released", "completed", "overdue",
           "excused", "completion_rate")


def progress_csv(data: CohortProgress) -> str:
    """Team rows, the total (unless hidden), then people (only when the caller sees them)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    rows = data.teams if data.total_hidden else [*data.teams, data.total]
    for row in rows:
        writer.writerow(["team", safe_cell(row.label), "", row.people, row.released,
                         row.completed, row.overdue, row.excused, _rate(row.rate)])
    for person in data.people or []:
        c = person.counts
        writer.writerow(["person", safe_cell(person.name), safe_cell(person.teams), 1,
                         c.released, c.completed, c.overdue, c.excused, _rate(c.rate)])
    return out.getvalue()


def _rate(rate: int | None) -> str:
    return "" if rate is None else str(rate)


def csv_filename(program_name: str, cohort_id: int) -> str:
    """e.g. "burnout-prehab-cohort-3-progress.csv"; non-ASCII letters are dropped."""
    name = re.sub(r"[-_.]+", "-", secure_filename(program_name.replace(" ", "-"))).strip("-")
    suffix = f"cohort-{cohort_id}-progress.csv"
    return f"{name.lower()[:80]}-{suffix}" if name else suffix
