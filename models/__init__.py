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
    "Delivery",
    "DeliveryStatus",
    "Event",
    "EventAudience",
    "EventKind",
    "EventRegistration",
    "EventStatus",
    "FsmRecord",
    "NoticeKind",
    "OfficerInvite",
    "OrgLevel",
    "Organization",
    "Person",
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
