"""SQLAlchemy models, one module per aggregate; importing this package registers them all."""

from models.audit import AuditEntry, AuditKind, AuditVia
from models.base import Base, utcnow
from models.broadcast import (
    Audience,
    Broadcast,
    BroadcastKind,
    BroadcastStatus,
    BroadcastTopic,
    Delivery,
    DeliveryStatus,
    RecallStatus,
)
from models.event import (
    Event,
    EventAudience,
    EventKind,
    EventRegistration,
    EventStatus,
    RegistrationStatus,
)
from models.fsm import FsmRecord
from models.lease import Lease
from models.material import Material, MaterialAudience, MaterialCategory, MaterialKind
from models.monitoring import (
    Answer,
    AnswerChange,
    Campaign,
    CampaignNotice,
    CampaignStatus,
    NoticeKind,
    OfficerInvite,
    Questionnaire,
    Submission,
    SubmissionStatus,
)
from models.org import Organization, OrgLevel
from models.person import Person, Role, RoleKind
from models.plan import (
    Plan,
    PlanAssignee,
    PlanItem,
    PlanNameLink,
    PlanNotice,
    PlanPeriod,
    PlanReport,
    PlanState,
)
from models.question import (
    ConsultantCategory,
    FaqEntry,
    PostKind,
    Question,
    QuestionCategory,
    QuestionPost,
    QuestionStatus,
)
from models.topic import Subscription, Topic

__all__ = [
    "Answer",
    "AnswerChange",
    "Audience",
    "AuditEntry",
    "AuditKind",
    "AuditVia",
    "Base",
    "Broadcast",
    "BroadcastKind",
    "BroadcastStatus",
    "BroadcastTopic",
    "Campaign",
    "CampaignNotice",
    "CampaignStatus",
    "ConsultantCategory",
    "Delivery",
    "DeliveryStatus",
    "Event",
    "EventAudience",
    "EventKind",
    "EventRegistration",
    "EventStatus",
    # questions to the committee
    "FaqEntry",
    "FsmRecord",
    "Lease",
    "Material",
    "MaterialAudience",
    "MaterialCategory",
    "MaterialKind",
    "NoticeKind",
    "OfficerInvite",
    "OrgLevel",
    "Organization",
    "Person",
    "Plan",
    "PlanAssignee",
    "PlanItem",
    "PlanNameLink",
    "PlanNotice",
    "PlanPeriod",
    "PlanReport",
    "PlanState",
    "PostKind",
    "Question",
    "QuestionCategory",
    "QuestionPost",
    "QuestionStatus",
    "Questionnaire",
    "RecallStatus",
    "RegistrationStatus",
    "Role",
    "RoleKind",
    "Submission",
    "SubmissionStatus",
    "Subscription",
    "Topic",
    "utcnow",
]
