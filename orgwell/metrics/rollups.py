"""Keeping rollups up to date: one stored response at a time, and whole waves when they close.

Incremental updates are single upserts whose SET adds to the stored value
(`n = n + 1`, `total = total + :score`), never read-modify-write in Python, so two requests or
workers storing answers at once can never lose an increment, on SQLite and on PostgreSQL
(both support INSERT ... ON CONFLICT DO UPDATE). The update runs inside the transaction that
stores the response (RESPONSE_STORED_HOOKS), so the rollup commits or rolls back with it.

`invited` is not an increment: it is the size of the wave's frozen audience per team
(WaveMember), so it is SET to a count, which any number of writers agree on. The audience is
frozen when the wave opens, so the count is taken once per wave (by its first response, or by
the hourly refresh of open waves), not again for every response.

`rebuild_wave` recomputes one wave's rows from raw data (delete, then insert the aggregates):
the wave-closed hook uses it, which also covers seeding paths (demo, result imports) that
insert responses without calling RESPONSE_STORED_HOOKS. Services flush only.

Every row also stores the team's `clinic_key` for that wave (see models.py), taken in this
order: the clinic frozen on the wave's audience (WaveMember.clinic_id, set when the wave
opened); else the clinic already stored on the wave's rows (imported or seeded waves have no
frozen clinic, and a rebuild must not regroup them); else the team's clinic now.
"""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from sqlalchemy import bindparam, case, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from orgwell.database import utcnow
from orgwell.driver_sql import DriverStatement
from orgwell.extensions import db
from orgwell.metrics.models import NO_TEAM, ParticipationRollup, ScaleRollup
from orgwell.orgs.models import Team
from orgwell.surveys.events import StoredResponse
from orgwell.surveys.models import (
    Campaign,
    Response,
    ResponseScore,
    Wave,
    WaveMember,
    new_rollups_token,
)
from orgwell.surveys.scoring import HIGH
from orgwell.surveys.survey import WaveFacts


def team_key(team_id: int | None) -> int:
    return NO_TEAM if team_id is None else team_id


def clinic_keys(wave: Wave | WaveFacts, team_ids: set[int | None] | None = None) -> dict[int, int]:
    """{team key: clinic key} of `wave` for `team_ids` (None: every team the wave has).

    In the order of the module docstring: frozen on the audience, stored on the wave's rows,
    the team's clinic now. People without a team map to NO_TEAM.
    """
    found: dict[int, int] = {}
    frozen = select(WaveMember.team_id, WaveMember.clinic_id).where(
        WaveMember.wave_id == wave.id, WaveMember.team_id.is_not(None),
        WaveMember.clinic_id.is_not(None),
    )
    stored = select(ParticipationRollup.team_key, ParticipationRollup.clinic_key).where(
        ParticipationRollup.wave_id == wave.id, ParticipationRollup.clinic_key != NO_TEAM,
    )
    if team_ids is not None:
        wanted = {t for t in team_ids if t is not None}
        frozen = frozen.where(WaveMember.team_id.in_(wanted))
        stored = stored.where(ParticipationRollup.team_key.in_(wanted))
    for team_id, clinic_id in db.session.execute(stored.distinct()):
        found[team_id] = clinic_id
    for team_id, clinic_id in db.session.execute(frozen.distinct()):
        found[team_id] = clinic_id  # the frozen clinic wins over anything stored
    missing = (
        {t for t in team_ids if t is not None} if team_ids is not None else _wave_teams(wave)
    ) - set(found)
    if missing:
        for team_id, parent_id in db.session.execute(
            select(Team.id, Team.parent_id).where(Team.id.in_(missing))
        ):
            found[team_id] = parent_id or team_id
    found[NO_TEAM] = NO_TEAM
    return found


def _wave_teams(wave: Wave | WaveFacts) -> set[int]:
    members = select(WaveMember.team_id).where(WaveMember.wave_id == wave.id)
    answers = select(Response.team_id).where(Response.wave_id == wave.id)
    return {t for t in db.session.scalars(members.union(answers)) if t is not None}


def upsert(model, keys: tuple[str, ...], row: dict | list[dict], *, add: tuple[str, ...] = (),
           replace: tuple[str, ...] = ()) -> None:
    """INSERT `row` (or each of a list of rows, in one round trip); on a clash of `keys`, add
    the `add` columns and overwrite `replace` ones.

    One statement per row, so concurrent writers serialise on the row instead of losing
    updates.
    """
    dialect = db.session.get_bind().dialect.name
    db.session.execute(_upsert_statement(model, keys, add, replace, dialect), row)


@lru_cache(maxsize=32)
def _upsert_statement(model, keys: tuple[str, ...], add: tuple[str, ...],
                      replace: tuple[str, ...], dialect: str):
    """The upsert of `upsert`, built once: the values are bound when it runs (building the
    ON CONFLICT clause each time cost more than the database's work on the hot path)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = model.__table__
    stmt = insert(table)
    updates = {name: table.c[name] + stmt.excluded[name] for name in add}
    updates.update({name: stmt.excluded[name] for name in replace})
    updates["updated_at"] = stmt.excluded.updated_at
    return stmt.on_conflict_do_update(index_elements=list(keys), set_=updates)


def record_response(response: StoredResponse) -> None:
    """Add one stored response to its wave x team rollups (scale sums and participation).

    Uses only what an anonymous response carries: wave, team and scores (the event's facts:
    nothing is read again). Two statements on the usual path: add one to the team's
    `responded` (returning its clinic), then add the scores (one multi-row upsert for all scales).

    Lock order: every request takes participation rows (all of the wave's in team order when
    it sets the invited counts, else its team's), then its team's scale rows, then the wave
    row (responding.submit, last), so no two requests can wait for each other in a circle. The
    close job locks the wave's invitations before anything else (surveys/waves.py), so it
    waits for every answer in flight, and answers that start later wait for it.
    """
    wave = response.wave
    key = team_key(response.team_id)
    now = utcnow()
    connection = db.session.connection()  # once: each lookup walks the transaction state
    clinic_key = _count_responded(connection, wave, key, now)
    common = {
        "organisation_id": wave.organisation_id, "campaign_id": wave.campaign_id,
        "wave_id": wave.id, "team_key": key, "team_id": response.team_id,
        "clinic_key": clinic_key, "opens_on": wave.opens_on, "updated_at": now,
    }
    if clinic_key is None:  # the wave's invited counts are not in place yet
        refresh_invited(wave)
        common["clinic_key"] = clinic_keys(wave, {response.team_id})[key]
        upsert(ParticipationRollup, ("wave_id", "team_key"), {
            **common, "invited": 0, "responded": 1,
        }, add=("responded",))
    scale_rows = []
    for score in sorted(response.scores, key=lambda score: score.scale_key):
        value = score.score
        scale_rows.append({
            **common, "instrument_key": response.instrument_key,
            "scale_key": score.scale_key,
            "n": 0 if value is None else 1,
            "total": 0.0 if value is None else float(value),
            "total_sq": 0.0 if value is None else float(value) * float(value),
            "n_high": 1 if score.band == HIGH else 0,
        })
    if scale_rows:
        _ADD_SCORES.many(connection, scale_rows)


def _count_responded(
    connection: Connection, wave: Wave | WaveFacts, key: int, now: datetime
) -> int | None:
    """Add one to `responded` of the team's participation row if the row has its invited
    count, and return the row's clinic key; None (nothing changed) if it has none yet.

    `invited` is the size of the frozen audience (WaveMember rows are written once, when the
    wave opens), so it only has to be counted once per wave, not for every response: the
    first response (or the hourly refresh of open waves, whichever comes first) sets it for
    every team of the wave, and later responses find their row with it and update it in one
    statement. A team with no frozen member (answers stored without an audience) never has
    one, and is counted every time. The clinic stored on the row came from `clinic_keys`,
    whose sources never change the answer once a row holds one.
    """
    return _COUNT_RESPONDED.scalar(
        connection, {"b_wave_id": wave.id, "b_team_key": key, "now": now}
    )


def _count_responded_statement(_dialect: str):
    """The statement of `_count_responded` (it runs for every answer: on the driver's cursor,
    orgwell/driver_sql.py)."""
    table = ParticipationRollup.__table__
    return (
        update(table)
        .where(table.c.wave_id == bindparam("b_wave_id"),
               table.c.team_key == bindparam("b_team_key"), table.c.invited > 0)
        .values(responded=table.c.responded + 1,
                updated_at=bindparam("now", type_=table.c.updated_at.type))
        .returning(table.c.clinic_key)
    )


_COUNT_RESPONDED = DriverStatement(_count_responded_statement)


# The scale rows' upsert of record_response: every answer runs it, on the driver's cursor.
_ADD_SCORES = DriverStatement(
    lambda dialect: _upsert_statement(
        ScaleRollup, ("wave_id", "team_key", "scale_key"), ("n", "total", "total_sq", "n_high"),
        (), dialect,
    ),
    column_keys=("organisation_id", "campaign_id", "wave_id", "team_key", "team_id",
                 "clinic_key", "opens_on", "updated_at", "instrument_key", "scale_key", "n",
                 "total", "total_sq", "n_high"),
)


def refresh_invited(wave: Wave | WaveFacts) -> None:
    """Set `invited` of every team of `wave` from its frozen audience (idempotent).

    The rows are written in team order, so two requests refreshing one wave at once (its
    first two responses) take the row locks in the same order.
    """
    now = utcnow()
    counts = db.session.execute(
        select(WaveMember.team_id, func.count()).where(WaveMember.wave_id == wave.id)
        .group_by(WaveMember.team_id)
    ).all()
    counts.sort(key=lambda row: team_key(row[0]))
    clinics = clinic_keys(wave, {team_id for team_id, _ in counts})
    rows = [
        {"organisation_id": wave.organisation_id, "campaign_id": wave.campaign_id,
         "wave_id": wave.id, "team_key": team_key(team_id), "team_id": team_id,
         "clinic_key": clinics[team_key(team_id)], "opens_on": wave.opens_on,
         "invited": count, "responded": 0, "updated_at": now}
        for team_id, count in counts
    ]
    if rows:
        upsert(ParticipationRollup, ("wave_id", "team_key"), rows, replace=("invited",))


def rebuild_wave(wave: Wave) -> None:
    """Recompute every rollup row of `wave` from the raw responses and audience.

    Idempotent (delete, then insert): running it twice gives the same rows as once, and the
    same numbers the incremental updates produce. Flushes only.
    """
    clinics = clinic_keys(wave)  # before the delete: the stored clinics are one of its sources
    db.session.execute(delete(ScaleRollup).where(ScaleRollup.wave_id == wave.id))
    db.session.execute(
        delete(ParticipationRollup).where(ParticipationRollup.wave_id == wave.id)
    )
    campaign = db.session.get(Campaign, wave.campaign_id)
    now = utcnow()
    common = {
        "organisation_id": wave.organisation_id, "campaign_id": wave.campaign_id,
        "wave_id": wave.id, "opens_on": wave.opens_on, "updated_at": now,
    }
    scored = ResponseScore.score
    rows = db.session.execute(
        select(
            Response.team_id, ResponseScore.scale_key, func.count(scored),
            func.coalesce(func.sum(scored), 0.0), func.coalesce(func.sum(scored * scored), 0.0),
            func.coalesce(func.sum(case((ResponseScore.band == HIGH, 1), else_=0)), 0),
        )
        .join(ResponseScore, ResponseScore.response_id == Response.id)
        .where(Response.wave_id == wave.id)
        .group_by(Response.team_id, ResponseScore.scale_key)
    ).all()
    scale_rows = [
        {**common, "team_key": team_key(team_id), "team_id": team_id,
         "clinic_key": clinics[team_key(team_id)],
         "instrument_key": campaign.instrument_version.key, "scale_key": scale_key,
         "n": n, "total": float(total), "total_sq": float(total_sq), "n_high": int(n_high)}
        for team_id, scale_key, n, total, total_sq, n_high in rows
    ]
    if scale_rows:
        db.session.execute(ScaleRollup.__table__.insert(), scale_rows)
    counts: dict[int | None, list[int]] = {}
    for team_id, invited in db.session.execute(
        select(WaveMember.team_id, func.count()).where(WaveMember.wave_id == wave.id)
        .group_by(WaveMember.team_id)
    ):
        counts.setdefault(team_id, [0, 0])[0] = invited
    for team_id, responded in db.session.execute(
        select(Response.team_id, func.count()).where(Response.wave_id == wave.id)
        .group_by(Response.team_id)
    ):
        counts.setdefault(team_id, [0, 0])[1] = responded
    participation_rows = [
        {**common, "team_key": team_key(team_id), "team_id": team_id,
         "clinic_key": clinics[team_key(team_id)], "invited": invited, "responded": responded}
        for team_id, (invited, responded) in counts.items()
    ]
    if participation_rows:
        db.session.execute(ParticipationRollup.__table__.insert(), participation_rows)
    # Results pages know a closed wave's rollups by this token (surveys/models.py).
    wave.rollups_token = new_rollups_token()
    db.session.flush()

