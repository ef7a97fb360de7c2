"""All models, importable from one place (alembic's autogenerate sees them here)."""

from app.models.activity import Activity, activity_items, activity_members
from app.models.base import Base
from app.models.enums import (
    CB_ACTIVITY_KINDS,
    ActivityKind,
    ActivityStatus,
    Gender,
    Modality,
    QuestionnaireKind,
    ResponseStatus,
    Role,
    RoundStatus,
    SubRegion,
)
from app.models.invitation import (
    DispatchRun,
    EmailTemplate,
    Invitation,
    Message,
    MessageKind,
    MessageStatus,
)
from app.models.kpi import (
    Finding,
    FindingKind,
    KpiCache,
    KpiChange,
    PlanningAction,
    ResultStatus,
    TangibleResult,
)
from app.models.member import Member
from app.models.participant import Attendance, Participant
from app.models.survey import (
    Answer,
    Questionnaire,
    QuestionnaireVersion,
    Response,
    Submission,
    SurveyRound,
)
from app.models.user import AccountToken, ApiToken, AuditEntry, LoginSession, RecoveryCode, User
from app.models.workplan import Pillar, PlanYear, WorkPlanItem

__all__ = [
    "CB_ACTIVITY_KINDS",
    "AccountToken",
    "Activity",
    "ActivityKind",
    "ActivityStatus",
    "Answer",
    "ApiToken",
    "Attendance",
    "AuditEntry",
    "Base",
    "DispatchRun",
    "EmailTemplate",
    "Finding",
    "FindingKind",
    "Gender",
    "Invitation",
    "KpiCache",
    "KpiChange",
    "LoginSession",
    "Member",
    "Message",
    "MessageKind",
    "MessageStatus",
    "Modality",
    "Participant",
    "Pillar",
    "PlanYear",
    "PlanningAction",
    "Questionnaire",
    "QuestionnaireKind",
    "QuestionnaireVersion",
    "RecoveryCode",
    "Response",
    "ResponseStatus",
    "ResultStatus",
    "Role",
    "RoundStatus",
    "SubRegion",
    "Submission",
    "SurveyRound",
    "TangibleResult",
    "User",
    "WorkPlanItem",
    "activity_items",
    "activity_members",
]
