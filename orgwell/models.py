"""Imports every domain's models, so that Alembic and the tests see the whole schema."""
from orgwell.audit.models import AuditEvent
from orgwell.auth.models import ApiToken, User, UserSession, UserToken
from orgwell.health.models import WorkerHeartbeat
from orgwell.metrics.action_models import Action
from orgwell.metrics.export_models import ExportJob
from orgwell.metrics.models import ParticipationRollup, ProgramWeekRollup, ScaleRollup
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
from orgwell.programs.leave_models import LeavePeriod
from orgwell.programs.models import (
    Assignment,
    Cohort,
    CohortTeam,
    Enrollment,
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
    "Action",
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
    "ExportJob",
    "ImportJob",
    "InstrumentVersion",
    "Invitation",
    "LeavePeriod",
    "Membership",
    "Module",
    "Organisation",
    "OutboxMessage",
    "ParticipationRollup",
    "PracticeLogEntry",
    "Program",
    "ProgramSettings",
    "ProgramVersion",
    "ProgramWeekRollup",
    "Response",
    "ResponseScore",
    "ScaleRollup",
    "Team",
    "TeamAssignment",
    "User",
    "UserSession",
    "UserToken",
    "Wave",
    "WaveMember",
    "WorkerHeartbeat",
]
