"""The results filters as GET parameters: parsed, checked, and written back into URLs.

Filters live in the query string (`?instrument=cbi&scale=work&team=3&team=4&from=2024-01-01`)
so that a view can be shared by copying its address. Anything a person can type there is
checked against what the organisation (and the caller's scope) offers: an unknown scale, a
team outside the scope or a date that is not a date is dropped with a plain message, never a
500 and never a wider view than the caller's. Pure functions: the view passes the choices in.

An address with neither date shows the DEFAULT_MONTHS months up to the newest results
(`with_default_period`), written into the form and the shared link; clearing both dates in the
form shows everything.
"""
from __future__ import annotations

import calendar
import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlencode

from orgwell.metrics.queries import Filters

MAX_TEAMS = 50
# The period a results page shows when its address names no dates: a year of results, like a
# product's "last 12 months", so a page's cost does not grow with years of weekly waves (issue
# 6). The form shows it, and widening it is one edit of the "From" field.
DEFAULT_MONTHS = 12
PARAMS = ("instrument", "scale", "team", "from", "to")


@dataclass(frozen=True)
class Choices:
    """What the filters may choose among, for one organisation and one caller.

    instruments: [(key, name, [(scale key, scale name, cutoff)])] as queries.available_instruments
    teams: [(team id, label)] the caller may see
    """

    instruments: list[tuple[str, str, list[tuple[str, str, float | None]]]]
    teams: list[tuple[int, str]]

    def scales(self, instrument: str) -> list[tuple[str, str, float | None]]:
        return next((scales for key, _, scales in self.instruments if key == instrument), [])


@dataclass(frozen=True)
class ParsedFilters:
    """The filters to apply, the messages about what was dropped, and the clean parameters."""

    filters: Filters
    errors: list[str] = field(default_factory=list)
    # True when the dates are the default period, not the address's (the page says so).
    default_period: bool = False

    @property
    def params(self) -> list[tuple[str, str]]:
        """The filters as query parameters (defaults included, so a shared link is exact)."""
        f = self.filters
        pairs = [("instrument", f.instrument), ("scale", f.scale)]
        pairs += [("team", str(team_id)) for team_id in sorted(f.team_ids or ())]
        if f.date_from:
            pairs.append(("from", f.date_from.isoformat()))
        if f.date_to:
            pairs.append(("to", f.date_to.isoformat()))
        return pairs

    @property
    def query_string(self) -> str:
        return urlencode(self.params)

    def scale_name(self, choices: Choices) -> str:
        return next(
            (name for key, name, _ in choices.scales(self.filters.instrument)
             if key == self.filters.scale),
            self.filters.scale,
        )

    def cutoff(self, choices: Choices) -> float | None:
        return next(
            (cut for key, _, cut in choices.scales(self.filters.instrument)
             if key == self.filters.scale),
            None,
        )


def parse_filters(args: Mapping, choices: Choices) -> ParsedFilters:
    """Read the filters from request args (a MultiDict or a plain dict of str/list).

    Returns the filters to apply and one message per value that was not accepted.
    """
    errors: list[str] = []
    instrument, scale = _instrument_and_scale(args, choices, errors)
    team_ids = _teams(_all(args, "team"), choices, errors)
    date_from = _date(_first(args, "from"), "start date", errors)
    date_to = _date(_first(args, "to"), "end date", errors)
    if date_from and date_to and date_from > date_to:
        errors.append("The start date is after the end date, so both dates were ignored.")
        date_from = date_to = None
    filters = Filters(
        instrument=instrument, scale=scale, team_ids=team_ids,
        date_from=date_from, date_to=date_to,
    )
    return ParsedFilters(filters, errors)


def wants_default_period(args: Mapping) -> bool:
    """Whether the address names no dates at all (a submitted form with both dates cleared
    sends them empty: that asks for everything)."""
    return "from" not in args and "to" not in args


def with_default_period(parsed: ParsedFilters, newest: date | None) -> ParsedFilters:
    """`parsed` narrowed to the DEFAULT_MONTHS months up to `newest` (the newest wave's date
    for the chosen questionnaire); unchanged when there are no results (`newest` None)."""
    if newest is None:
        return parsed
    start = _months_before(newest, DEFAULT_MONTHS) + timedelta(days=1)
    filters = dataclasses.replace(parsed.filters, date_from=start, date_to=None)
    return ParsedFilters(filters, parsed.errors, default_period=True)


def _months_before(day: date, months: int) -> date:
    month = day.month - 1 - months
    year, month = day.year + month // 12, month % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


def _instrument_and_scale(args, choices: Choices, errors: list[str]) -> tuple[str, str]:
    default = Filters()
    keys = [key for key, _, _ in choices.instruments]
    wanted = _first(args, "instrument")
    if wanted and wanted in keys:
        instrument = wanted
    else:
        if wanted:
            errors.append(f"There is no questionnaire “{_short(wanted)}” here; showing "
                          "the default one instead.")
        instrument = default.instrument if default.instrument in keys or not keys else keys[0]
    scale_keys = [key for key, _, _ in choices.scales(instrument)]
    wanted_scale = _first(args, "scale")
    if wanted_scale and wanted_scale in scale_keys:
        return instrument, wanted_scale
    if wanted_scale:
        errors.append(f"This questionnaire has no scale “{_short(wanted_scale)}”; showing "
                      "the default scale instead.")
    if default.scale in scale_keys or not scale_keys:
        return instrument, default.scale
    return instrument, scale_keys[0]


def _teams(values: list[str], choices: Choices, errors: list[str]) -> frozenset[int] | None:
    if not values:
        return None
    allowed = {team_id for team_id, _ in choices.teams}
    chosen: set[int] = set()
    dropped = 0
    for value in values[:MAX_TEAMS]:
        team_id = int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None
        if team_id in allowed:
            chosen.add(team_id)
        else:
            dropped += 1
    if dropped or len(values) > MAX_TEAMS:
        errors.append("Some of the chosen teams are not available to you; they were left out.")
    return frozenset(chosen) or None


def _date(value: str | None, what: str, errors: list[str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10]) if len(value) == 10 else _bad()
    except ValueError:
        errors.append(f"The {what} “{_short(value)}” is not a date like 2024-03-31, so it was "
                      "ignored.")
        return None


def _bad():
    raise ValueError


def _first(args: Mapping, name: str) -> str | None:
    values = _all(args, name)
    return values[0] if values else None


def _all(args: Mapping, name: str) -> list[str]:
    if hasattr(args, "getlist"):
        values = args.getlist(name)
    else:
        value = args.get(name)
        values = value if isinstance(value, list | tuple) else ([] if value is None else [value])
    return [str(v).strip() for v in values if str(v).strip()]


def _short(value: str) -> str:
    return value if len(value) <= 40 else value[:40] + "…"


def with_params(base_url: str, params: Iterable[tuple[str, str]]) -> str:
    """`base_url` with the query parameters appended (none: the bare URL)."""
    query = urlencode(list(params))
    return f"{base_url}?{query}" if query else base_url
