"""Metrics in the JSON API: burnout scores and participation per wave and group.

Routes join the `api` blueprint (orgwell/api/views.py: token login, JSON errors). Every
number comes from `orgwell.metrics.queries`, so it has passed the confidentiality module: a
group under the threshold (or hidden against differencing) is an entry with
`"suppressed": true`, a `"reason"` and null numbers, never a missing row.

Owners and consultants see the organisation total, every clinic and every team; leaders only
the clinics and teams they lead ("leaders see their own teams only": no organisation total).
Staff are refused (403); a caller outside the organisation gets 404.

Burnout answers are paged by wave date, newest first: the waves of the newest `waves` dates
(default DEFAULT_WAVES) of the range, oldest first within the page, and `earlier_to`, the `to`
of the page before (null when there is none). So an answer's size and cost stay the same
however many years of waves the organisation has (issue 6).

Entries carry the fields the issue names; besides them `wave_id` and `campaign` tell apart two
waves that opened on the same day (two campaigns on one instrument), and `kind` says whether
a named group is a clinic or a team.
"""
from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from datetime import date, timedelta

from flask import current_app, g, request
from sqlalchemy import select

from orgwell.access import LEADER_OR_CONSULTANT, allow
from orgwell.api.params import BadParameter, integer
from orgwell.api.views import bp
from orgwell.extensions import db
from orgwell.metrics import queries
from orgwell.orgs.models import Team
from orgwell.surveys.instruments.library import UnknownInstrument, get_version

BURNOUT_PARAMS = ("instrument", "scale", "team", "from", "to", "waves")
# A page of burnout results covers the newest DEFAULT_WAVES wave dates of the range: a quarter
# of weekly pulses, a year of monthly surveys. Four years of weekly waves for a hundred teams
# would be 20,000 entries in one answer, and its cost would grow with the history (issue 6).
DEFAULT_WAVES, MAX_WAVES = 12, 104
PARTICIPATION_PARAMS = ("instrument", "team", "from", "to")


@bp.get("/orgs/<slug>/metrics/burnout")
@allow(LEADER_OR_CONSULTANT)
def burnout(slug):
    """Mean score, 95% interval and share at or above the cut-off per wave and group."""
    _refuse_unknown(request.args, BURNOUT_PARAMS)
    instrument = _instrument(request.args, required=True)
    scale = _scale(request.args, instrument)
    filters = queries.Filters(instrument.key, scale, _team(request.args), *_dates(request.args))
    count = integer(request.args, "waves", minimum=1, maximum=MAX_WAVES, default=DEFAULT_WAVES)
    filters, earlier = _newest_dates(filters, count)
    loaded = queries.load_waves(g.org, filters)
    # Each entry's JSON is made once per decided wave (queries.burnout_rendered): encoding
    # a thousand entries per request was a fifth of its time (issue 6). The body is what
    # jsonify would write for {"earlier_to", "series", "threshold"} (sorted keys, compact).
    entries = queries.burnout_rendered(loaded, filters, team_scope=g.team_scope,
                                       render=_entry_text)
    series = ",".join(text for team_id, text in entries
                      if filters.team_ids is None or team_id in filters.team_ids)
    body = (f'{{"earlier_to":{json.dumps(earlier)},"series":[{series}],'
            f'"threshold":{json.dumps(loaded.k)}}}\n')
    return current_app.response_class(body, mimetype="application/json")


def _entry_text(cell: queries.Cell) -> tuple[int | None, str]:
    """(team id, the entry as JSON) of one cell: the id lets burnout() keep, with a team
    filter, the entries `_only` keeps."""
    return cell.group.team_id, json.dumps(burnout_json(cell), sort_keys=True,
                                          separators=(",", ":"))


def _newest_dates(filters: queries.Filters, count: int):
    """The filters narrowed to the newest `count` wave dates of their range, and the `to` of
    the page before (the day before the oldest date kept; None when nothing is earlier).

    Pages end between dates, so the waves of two campaigns that opened on one day are always
    in the same page."""
    dates = queries.wave_dates(g.org, filters)
    if len(dates) <= count:
        return filters, None
    oldest = dates[count - 1]
    return dataclasses.replace(filters, date_from=oldest), (oldest - timedelta(days=1)).isoformat()


@bp.get("/orgs/<slug>/metrics/participation")
@allow(LEADER_OR_CONSULTANT)
def participation(slug):
    """Invited, responded and response rate per wave and group (all instruments by default)."""
    _refuse_unknown(request.args, PARTICIPATION_PARAMS)
    instrument = _instrument(request.args, required=False)
    team_ids = _team(request.args)
    date_from, date_to = _dates(request.args)
    keys = (
        [instrument.key] if instrument is not None
        else [key for key, _, _ in queries.available_instruments(g.org)]
    )
    threshold, series = None, []
    for key in keys:
        filters = queries.Filters(key, "", team_ids, date_from, date_to)
        k, cells = queries.participation_series(g.org, filters, team_scope=g.team_scope)
        threshold = k if threshold is None else max(threshold, k)
        series.extend(participation_json(c, key) for c in _only(cells, filters))
    series.sort(key=lambda entry: (entry["wave"], entry["wave_id"]))
    return {"threshold": threshold or queries.DEFAULT_K, "series": series}


def burnout_json(cell: queries.Cell) -> dict:
    entry = {
        "wave": cell.wave_date.isoformat(), "wave_id": cell.wave_id, "campaign": cell.campaign,
        "team": cell.group.name, "kind": cell.group.kind, "n": cell.n, "mean": cell.mean,
        "sd": cell.sd, "ci_low": cell.ci_low, "ci_high": cell.ci_high,
        "pct_high": cell.pct_high, "suppressed": cell.suppressed,
    }
    if cell.suppressed:
        entry["reason"] = cell.reason
    return entry


def participation_json(cell: queries.ParticipationCell, instrument: str) -> dict:
    entry = {
        "wave": cell.wave_date.isoformat(), "wave_id": cell.wave_id, "campaign": cell.campaign,
        "instrument": instrument, "team": cell.group.name,
        "kind": cell.group.kind, "invited": cell.invited, "responded": cell.responded,
        "rate": cell.rate, "suppressed": cell.suppressed,
    }
    if cell.suppressed:
        entry["reason"] = cell.reason
    return entry


def _only(cells, filters: queries.Filters):
    """With a team filter, that team's entries only (queries adds the organisation total)."""
    if filters.team_ids is None:
        return cells
    return [c for c in cells if c.group.team_id in filters.team_ids]


def _refuse_unknown(args: Mapping[str, str], allowed: tuple[str, ...]) -> None:
    for name in args:
        if name not in allowed:
            raise BadParameter(
                name, f"Unknown query parameter '{name}'. Allowed: {', '.join(allowed)}."
            )


def _instrument(args: Mapping[str, str], *, required: bool):
    key = args.get("instrument", "").strip()
    if not key:
        if required:
            raise BadParameter("instrument", "'instrument' is required, e.g. instrument=cbi.")
        return None
    try:
        _, instrument = get_version(g.org, key[:40])
    except UnknownInstrument:
        raise BadParameter(
            "instrument", f"No instrument '{key[:40]}' in this organisation."
        ) from None
    return instrument


def _scale(args: Mapping[str, str], instrument) -> str:
    key = args.get("scale", "").strip()
    keys = [s.key for s in instrument.scales]
    if key not in keys:
        raise BadParameter(
            "scale", f"'scale' must be one of {', '.join(keys)} for {instrument.key}."
        )
    return key


def _team(args: Mapping[str, str]) -> frozenset[int] | None:
    name = args.get("team")
    if name is None:
        return None
    team = db.session.scalar(
        select(Team).where(Team.organisation_id == g.org.id, Team.name == name.strip())
    )
    if team is None or (g.team_scope is not None and team.id not in g.team_scope):
        # The same answer for a team that does not exist and one the caller cannot see.
        raise BadParameter("team", f"No team you can see is named '{name[:60]}'.")
    return frozenset({team.id})


def _dates(args: Mapping[str, str]) -> tuple[date | None, date | None]:
    found = []
    for name in ("from", "to"):
        raw = args.get(name)
        if raw is None:
            found.append(None)
            continue
        try:
            found.append(date.fromisoformat(raw.strip()))
        except ValueError:
            raise BadParameter(
                name, f"'{name}' must be a date (YYYY-MM-DD), got '{raw[:40]}'."
            ) from None
    if found[0] and found[1] and found[0] > found[1]:
        raise BadParameter("from", "'from' must not be after 'to'.")
    return found[0], found[1]
