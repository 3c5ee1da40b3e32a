"""The foundation's parts: organisations and people, accounts, the audit log, mail, erasures.

See orgwell/privacy/registry.py for what a part is. Users are not rows of an organisation
(one account can belong to several), so the accounts part works through memberships.
"""
from __future__ import annotations

from sqlalchemy import delete, exists, func, or_, select, true, update

from orgwell.audit.models import AuditEvent
from orgwell.auth.models import ApiToken, User, UserSession, UserToken
from orgwell.extensions import db
from orgwell.notifications.models import DevMail, OutboxMessage
from orgwell.orgs.models import (
    ConsultantGrant,
    ImportJob,
    Membership,
    Organisation,
    Team,
    TeamAssignment,
)
from orgwell.privacy.models import Erasure
from orgwell.privacy.registry import register
from orgwell.privacy.scope import jsonable, org_rows, repoint_user_references, rows_of
from orgwell.privacy.scrub import REPLACEMENT, scrub_everywhere, scrub_table

USER_FIELDS = ("id", "name", "email", "created_at", "last_login_at", "consulting_firm")


def _user_dict(user: User) -> dict:
    return {field: jsonable(getattr(user, field)) for field in USER_FIELDS}


# --- organisations, teams, memberships -------------------------------------------------------


def _export_orgs(org: Organisation):
    people = select(Membership.user_id).where(Membership.organisation_id == org.id)
    consultants = select(ConsultantGrant.consultant_id).where(
        ConsultantGrant.organisation_id == org.id
    )
    users = db.session.scalars(
        select(User).where(or_(User.id.in_(people), User.id.in_(consultants))).order_by(User.id)
    )
    return {
        "organisations": org_rows(org.id, Organisation.__tablename__),
        "teams": org_rows(org.id, Team.__tablename__),
        "users": (_user_dict(u) for u in users),
        "memberships": org_rows(org.id, Membership.__tablename__),
        "team_assignments": org_rows(org.id, TeamAssignment.__tablename__),
        "consultant_grants": org_rows(org.id, ConsultantGrant.__tablename__),
        "import_jobs": org_rows(org.id, ImportJob.__tablename__),
    }


def _export_member_orgs(membership: Membership):
    user = membership.user
    memberships = db.session.scalars(
        select(Membership).where(Membership.user_id == user.id).order_by(Membership.id)
    )
    return {
        "profile": [_user_dict(user)],
        "memberships": [
            {
                "organisation": m.organisation.name, "role": m.role, "job_title": m.job_title,
                "patient_facing": m.patient_facing, "start_date": jsonable(m.start_date),
                "status": m.status, "left_on": jsonable(m.left_on), "on_leave": m.on_leave,
            }
            for m in memberships
        ],
        "team_history": [
            {"team": a.team.label, "started_on": jsonable(a.started_on),
             "ended_on": jsonable(a.ended_on)}
            for a in membership.team_assignments
        ],
    }


def _erase_orgs(ctx) -> None:
    if ctx.keep_account:
        # The membership and whatever the person created here move to the stand-in.
        repoint_user_references(ctx.org_id, ctx.user_id, ctx.stand_in.id)


register(
    "orgs",
    order=60,
    tables=[t.__tablename__ for t in (
        Organisation, Team, Membership, TeamAssignment, ConsultantGrant, ImportJob,
    )],
    export=_export_orgs,
    export_member=_export_member_orgs,
    erase_member=_erase_orgs,
)


# --- accounts ---------------------------------------------------------------------------------


def _export_member_auth(membership: Membership):
    user_id = membership.user_id
    return {
        "logins": rows_of(UserSession.__table__, UserSession.user_id == user_id,
                          exclude=("user_id",)),
        "api_tokens": rows_of(ApiToken.__table__, ApiToken.user_id == user_id,
                              exclude=("user_id",)),
    }


def end_logins(user_ids) -> None:
    """Delete the sessions, single-use links and API tokens of the users."""
    for model in (UserSession, UserToken, ApiToken):
        db.session.execute(delete(model).where(model.user_id.in_(user_ids)))


def anonymise_user(user: User, address: str) -> None:
    """Turn an account into an erased stand-in: no name, no address, no way to log in."""
    from orgwell.privacy.erasure import ERASED_NAME

    end_logins([user.id])
    user.name = ERASED_NAME
    user.email = address
    user.password_hash = None
    user.active = False
    user.can_create_organisations = False
    user.consulting_firm = None
    user.last_login_at = None


def _erase_auth(ctx) -> None:
    from orgwell.privacy.erasure import erased_address

    if not ctx.keep_account:
        anonymise_user(db.session.get(User, ctx.user_id), erased_address())


def _only_here(org_id: int) -> list[User]:
    """Accounts whose only tie to anything is the organisation `org_id`."""
    elsewhere = exists().where(
        Membership.user_id == User.id, Membership.organisation_id != org_id
    )
    consulting = exists().where(ConsultantGrant.consultant_id == User.id)
    here = select(Membership.user_id).where(Membership.organisation_id == org_id)
    return list(db.session.scalars(
        select(User).where(
            User.id.in_(here), ~elsewhere, ~consulting, User.is_site_admin.is_(False)
        )
    ))


def _delete_org_auth(ctx) -> None:
    """People who belonged only to this organisation: logins end now, and their accounts go
    once the organisation's rows are deleted, unless the account may create organisations
    (an owner invited by the site administrator keeps a login to start again)."""
    users = _only_here(ctx.org_id)
    end_logins([u.id for u in users])
    ctx.ended_logins = {u.id for u in users}
    doomed = [u.id for u in users if not u.can_create_organisations]
    addresses = [u.email for u in users if not u.can_create_organisations]

    def delete_accounts() -> None:
        forget_addresses(addresses)
        delete_users(doomed)

    ctx.after.append(delete_accounts)


def delete_users(user_ids: list[int]) -> None:
    """Delete accounts; optional references to them elsewhere become NULL first, and an
    account that a required reference still needs is anonymised instead."""
    from orgwell.privacy.erasure import erased_address
    from orgwell.privacy.scope import user_reference_columns

    if not user_ids:
        return
    pinned: set[int] = set()
    for table in db.metadata.sorted_tables:
        for column in user_reference_columns(table):
            fk = next(iter(column.foreign_keys))
            if fk.ondelete in ("CASCADE", "SET NULL"):
                continue
            if column.nullable:
                db.session.execute(
                    update(table).where(column.in_(user_ids)).values({column.name: None})
                )
            else:
                pinned |= set(db.session.scalars(
                    select(column).where(column.in_(user_ids)).distinct()
                ))
    for user in db.session.scalars(select(User).where(User.id.in_(pinned))):
        anonymise_user(user, erased_address())
    db.session.execute(delete(User).where(User.id.in_(set(user_ids) - pinned)))


register(
    "auth",
    order=70,
    tables=[],
    export_member=_export_member_auth,
    erase_member=_erase_auth,
    delete_org=_delete_org_auth,
)


# --- audit log --------------------------------------------------------------------------------


def _export_audit(org: Organisation):
    # IP addresses are left out: the export is about the organisation, not where people sat.
    return {"audit_events": org_rows(org.id, AuditEvent.__tablename__, exclude=("ip",))}


def _export_member_audit(membership: Membership):
    mine = (AuditEvent.actor_id == membership.user_id) & or_(
        AuditEvent.organisation_id == membership.organisation_id,
        AuditEvent.organisation_id.is_(None),
    )
    return {"activity": rows_of(AuditEvent.__table__, mine, exclude=("actor_id",))}


def _erase_audit(ctx) -> None:
    here = AuditEvent.organisation_id == ctx.org_id
    scope = here if ctx.keep_account else true()
    db.session.execute(
        update(AuditEvent).where(AuditEvent.actor_id == ctx.user_id, scope).values(ip=None)
    )
    if ctx.keep_account:
        db.session.execute(
            update(AuditEvent)
            .where(AuditEvent.actor_id == ctx.user_id, here)
            .values(actor_id=ctx.stand_in.id)
        )
    scrub_table(AuditEvent.__table__, scope, ctx.needles)


register(
    "audit",
    order=40,
    tables=[AuditEvent.__tablename__],
    export=_export_audit,
    export_member=_export_member_audit,
    erase_member=_erase_audit,
)


# --- mail -------------------------------------------------------------------------------------


def _export_mail(org: Organisation):
    # Bodies are left out: they hold personal links (invitations, surveys).
    return {"outbox_messages": org_rows(
        org.id, OutboxMessage.__tablename__, exclude=("text_body", "html_body")
    )}


def _export_member_mail(membership: Membership):
    mine = (func.lower(OutboxMessage.to_addr) == membership.user.email.lower()) & (
        OutboxMessage.organisation_id == membership.organisation_id
    )
    return {"mails": rows_of(
        OutboxMessage.__table__, mine,
        exclude=("text_body", "html_body", "key", "organisation_id", "last_error"),
    )}


def empty_mail(where) -> None:
    """Empty the matching outbox rows; a row still waiting is never sent."""
    from orgwell.privacy.erasure import ERASED_DOMAIN

    db.session.execute(
        update(OutboxMessage).where(where, OutboxMessage.status.in_(("pending", "sending")))
        .values(status="failed", last_error="recipient erased", next_attempt_at=None)
    )
    db.session.execute(
        update(OutboxMessage).where(where).values(
            to_addr=f"erased@{ERASED_DOMAIN}", subject=REPLACEMENT, text_body=REPLACEMENT,
            html_body=None,
        )
    )


def forget_addresses(addresses: list[str]) -> None:
    """Empty every outbox row and delete every development mail sent to the addresses."""
    if not addresses:
        return
    lowered = [a.lower() for a in addresses]
    empty_mail(func.lower(OutboxMessage.to_addr).in_(lowered))
    db.session.execute(delete(DevMail).where(func.lower(DevMail.to_addr).in_(lowered)))


def _erase_mail(ctx) -> None:
    to_them = func.lower(OutboxMessage.to_addr) == ctx.email.lower()
    if ctx.keep_account:
        here = OutboxMessage.organisation_id == ctx.org_id
        outbox_ids = select(OutboxMessage.id).where(to_them, here)
        db.session.execute(delete(DevMail).where(DevMail.outbox_id.in_(outbox_ids)))
        empty_mail(to_them & here)
    else:
        forget_addresses([ctx.email])
        # Other people's mail that names them, outside any organisation.
        scrub_everywhere(OutboxMessage.__table__, ctx.needles)
        scrub_everywhere(DevMail.__table__, ctx.needles)


register(
    "notifications",
    order=30,
    tables=[OutboxMessage.__tablename__, DevMail.__tablename__],
    export=_export_mail,
    export_member=_export_member_mail,
    erase_member=_erase_mail,
)


# --- the erasure records themselves -----------------------------------------------------------


register(
    "privacy",
    order=80,
    tables=[Erasure.__tablename__],
    export=lambda org: {"privacy_erasures": org_rows(org.id, Erasure.__tablename__)},
)
