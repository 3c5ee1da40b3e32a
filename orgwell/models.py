"""Imports every domain's models, so that Alembic and the tests see the whole schema."""
from orgwell.audit.models import AuditEvent
from orgwell.auth.models import ApiToken, User, UserSession, UserToken
from orgwell.health.models import WorkerHeartbeat
from orgwell.notifications.models import DevMail, OutboxMessage
from orgwell.orgs.models import (
    ConsultantGrant,
    ImportJob,
    Membership,
    Organisation,
    Team,
    TeamAssignment,
)

__all__ = [
    "ApiToken",
    "AuditEvent",
    "ConsultantGrant",
    "DevMail",
    "ImportJob",
    "Membership",
    "Organisation",
    "OutboxMessage",
    "Team",
    "TeamAssignment",
    "User",
    "UserSession",
    "UserToken",
    "WorkerHeartbeat",
]
