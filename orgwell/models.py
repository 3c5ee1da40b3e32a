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
from orgwell.privacy.models import Erasure
from orgwell.programs.models import (
    Assignment,
    Cohort,
    CohortTeam,
    Enrollment,
    LeavePeriod,
    Module,
    PracticeLogEntry,
    Program,
    ProgramSettings,
    ProgramVersion,
)
from orgwell.surveys.instruments.models import InstrumentVersion
from orgwell.surveys.models import (
    Campaign,
    CampaignTeam,
    Invitation,
    Response,
    ResponseScore,
    Wave,
    WaveMember,
)

__all__ = [
    "ApiToken",
    "Assignment",
    "AuditEvent",
    "Campaign",
    "CampaignTeam",
    "Cohort",
    "CohortTeam",
    "ConsultantGrant",
    "DevMail",
    "Enrollment",
    "Erasure",
    "ImportJob",
    "InstrumentVersion",
    "Invitation",
    "LeavePeriod",
    "Membership",
    "Module",
    "Organisation",
    "OutboxMessage",
    "PracticeLogEntry",
    "Program",
    "ProgramSettings",
    "ProgramVersion",
    "Response",
    "ResponseScore",
    "Team",
    "TeamAssignment",
    "User",
    "UserSession",
    "UserToken",
    "Wave",
    "WaveMember",
    "WorkerHeartbeat",
]
