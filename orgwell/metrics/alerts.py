"""Alerts after a survey wave closes: teams that got markedly worse, mailed to who leads them.

A team (or clinic) is alerted on a scale where higher means worse when, since the previous
wave of the same campaign, its mean rose by RISE_POINTS or more, or crossed the scale's
cut-off (below before, at or above now). Numbers come only from `orgwell.metrics.queries`,
so confidentiality has already been applied: a group hidden in either wave is simply left
out -- the mail does not even say that something was hidden, since "hidden" next to a team
name would hint at its size or at a change.

Who gets what: each active owner gets every alerted group; each active leader gets the groups
in their scope (their clinic and its teams, or their team). One mail per person and wave,
keyed `metrics.alert:<wave_id>:<user_id>`, so running this twice never mails twice.

How it runs: the metrics wave-closed hook calls `queue_after_wave_closed(wave)`; after the
close commits, the worker task `metrics.send_wave_alerts` does the work (so a failure here can
never undo the closing of a wave). The hourly sweep re-runs waves closed in the last
SWEEP_HOURS in case a hand-off was lost; the mail keys make that harmless.

Waves not worth a mail are skipped: the first wave of a campaign (nothing to compare), a wave
of a campaign that has a later closed wave already (old news), and imported results older
than STALE_IMPORT_DAYS (history being loaded, not news).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select

from orgwell.access import leader_team_ids
from orgwell.after_commit import run_after_commit
from orgwell.database import utcnow
from orgwell.extensions import db
from orgwell.metrics import queries
from orgwell.notifications.services import queue_mail
from orgwell.orgs.models import Membership, Organisation
from orgwell.programs.release import already_queued, external_url
from orgwell.surveys.models import Wave

RISE_POINTS = 10.0
SWEEP_HOURS = 48
STALE_IMPORT_DAYS = 31
TEAM_KINDS = ("clinic", "team")
RESULTS_ENDPOINT = "metrics.team"


@dataclass(frozen=True)
class Alert:
    """One group on one scale that got worse between two waves (both cells shown)."""

    group: queries.Group
    scale_key: str
    scale_name: str
    cutoff: float | None
    before: queries.Cell
    now: queries.Cell
    rose: bool  # by RISE_POINTS or more
    crossed: bool  # below the cut-off before, at or above it now

    @property
    def change(self) -> float:
        return self.now.mean - self.before.mean

    @property
    def why(self) -> str:
        parts = []
        if self.rose:
            parts.append(f"up {self.change:.0f} points")
        if self.crossed:
            parts.append(f"now at or above the cut-off of {self.cutoff:g}")
        return " and ".join(parts)


def alert_mail_key(wave_id: int, user_id: int) -> str:
    return f"metrics.alert:{wave_id}:{user_id}"


# --- deciding ------------------------------------------------------------------------------


def is_alert(before: float, now: float, cutoff: float | None) -> tuple[bool, bool]:
    """(rose, crossed) for a mean going from `before` to `now` on a higher-is-worse scale.

    Rounded to 6 decimals so that float noise (55.3 - 45.3 = 9.999999999999996) does not
    decide; 9.9 points is not 10.
    """
    rose = round(now - before, 6) >= RISE_POINTS
    crossed = cutoff is not None and before < cutoff <= now
    return rose, crossed


def previous_wave(wave: Wave) -> Wave | None:
    """The campaign's last closed wave that opened before `wave`."""
    return db.session.scalar(
        select(Wave).where(Wave.campaign_id == wave.campaign_id, Wave.status == "closed",
                           Wave.opens_on < wave.opens_on)
        .order_by(Wave.opens_on.desc(), Wave.id.desc()).limit(1)
    )


def is_news(wave: Wave, today: date | None = None) -> bool:
    """Whether a closed wave is recent enough to alert about (see the module docstring)."""
    if wave.status != "closed":
        return False
    later = db.session.scalar(
        select(Wave.id).where(Wave.campaign_id == wave.campaign_id, Wave.status == "closed",
                              Wave.opens_on > wave.opens_on).limit(1)
    )
    if later is not None:
        return False
    today = today or utcnow().date()
    return not (wave.source == "import"
                and wave.opens_on < today - timedelta(days=STALE_IMPORT_DAYS))


def find_alerts(wave: Wave) -> list[Alert]:
    """The groups of `wave` that got worse since the campaign's previous wave.

    Only clinics and teams shown (not suppressed) in BOTH waves are considered; the
    organisation total is not a team and is never alerted. Scales where higher is better
    are left out. Ordered by group label, then scale.
    """
    before_wave = previous_wave(wave)
    if before_wave is None:
        return []
    org = _organisation(wave.organisation_id)
    instrument_version = wave.campaign.instrument_version
    found = []
    window = queries.Filters(instrument=instrument_version.key,
                             date_from=before_wave.opens_on, date_to=wave.opens_on)
    loaded = queries.load_waves(org, window)  # every scale of both waves, read once
    for scale in instrument_version.instrument.scales:
        if scale.direction != "higher_is_worse":
            continue
        cells = queries.burnout_cells(loaded, dataclasses.replace(window, scale=scale.key),
                                      team_scope=None)
        before = {c.group.key: c for c in cells if c.wave_id == before_wave.id}
        for cell in cells:
            if cell.wave_id != wave.id or cell.group.kind not in TEAM_KINDS:
                continue
            previous = before.get(cell.group.key)
            if not _shown(cell) or previous is None or not _shown(previous):
                continue
            rose, crossed = is_alert(previous.mean, cell.mean, scale.cutoff)
            if rose or crossed:
                found.append(Alert(cell.group, scale.key, scale.name, scale.cutoff,
                                   previous, cell, rose, crossed))
    return sorted(found, key=lambda a: (a.group.label.lower(), a.scale_key))


def _shown(cell: queries.Cell) -> bool:
    return not cell.suppressed and cell.mean is not None


def _organisation(org_id: int) -> Organisation:
    return db.session.get(Organisation, org_id)


# --- mailing -------------------------------------------------------------------------------


def send_wave_alerts(wave_id: int) -> int:
    """Queue the alert mails of closed wave `wave_id`; returns how many were queued now.

    Idempotent (mail keys), and a no-op for a wave that is missing, open, or not news.
    Flushes; the caller commits.
    """
    wave = db.session.get(Wave, wave_id)
    if wave is None or not is_news(wave):
        return 0
    found = find_alerts(wave)
    if not found:
        return 0
    org = _organisation(wave.organisation_id)
    queued = 0
    for member in _recipients(wave.organisation_id):
        scope = None if member.role == "owner" else leader_team_ids(member)
        mine = [a for a in found if scope is None or a.group.team_id in scope]
        if not mine:
            continue
        key = alert_mail_key(wave.id, member.user_id)
        if already_queued(key):
            continue
        queue_mail(
            key, member.user.email, "metrics_alert", organisation_id=org.id,
            person=member.user, organisation=org, wave=wave, campaign=wave.campaign,
            rows=[_row(org, a) for a in mine], rise_points=RISE_POINTS,
            scope_all=scope is None,
            actions_url=external_url("actions.index", slug=org.slug),
        )
        queued += 1
    return queued


def _recipients(org_id: int) -> list[Membership]:
    """Active owners and leaders of the organisation whose accounts are active."""
    members = db.session.scalars(
        select(Membership).where(
            Membership.organisation_id == org_id, Membership.status == "active",
            Membership.role.in_(("owner", "leader")),
        ).order_by(Membership.id)
    )
    return [m for m in members if m.user.active]


def _row(org, alert: Alert) -> dict:
    team_id = alert.group.team_id
    results = (external_url(RESULTS_ENDPOINT, slug=org.slug, team_id=team_id)
               if RESULTS_ENDPOINT in current_app.view_functions else None)
    return {
        "label": alert.group.label,
        "scale": alert.scale_name,
        "before": alert.before.mean,
        "now": alert.now.mean,
        "before_date": alert.before.wave_date,
        "n": alert.now.n,
        "why": alert.why,
        "results_url": results,
        "act_url": external_url("actions.new", slug=org.slug, team_id=team_id),
    }


# --- from the wave-closed hook to the worker ------------------------------------------------


def queue_after_wave_closed(wave: Wave) -> None:
    """Ask the worker to send `wave`'s alerts once the transaction closing it commits.

    Called from the metrics wave-closed hook (inside the close's transaction): nothing is
    computed here, so an alert problem can never stop a wave from closing. A hand-off lost
    after the commit is caught by the sweep.
    """
    run_after_commit(db.session, _queue_alerts, [wave.id])


def _queue_alerts(wave_ids: list[int]) -> None:
    from worker.metrics_alerts import send_wave_alerts as task

    for wave_id in wave_ids:
        try:
            task.delay(wave_id)
        except Exception:  # noqa: BLE001 - the broker may be down; the sweep will catch up
            current_app.logger.warning("could not queue alerts of wave %s", wave_id,
                                       exc_info=True)


def recently_closed_wave_ids(hours: int = SWEEP_HOURS) -> list[int]:
    """Waves closed in the last `hours`: the sweep sends (or re-checks) their alerts."""
    since = utcnow() - timedelta(hours=hours)
    return list(db.session.scalars(
        select(Wave.id).where(Wave.status == "closed", Wave.closed_at >= since)
        .order_by(Wave.id)
    ))
