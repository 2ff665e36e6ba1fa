"""SQLAlchemy models, one module per aggregate; importing this package registers them all."""

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
from models.fsm import FsmRecord
from models.org import Organization, OrgLevel
from models.person import Person, Role, RoleKind
from models.topic import Subscription, Topic

__all__ = [
    "Audience",
    "Base",
    "Broadcast",
    "BroadcastKind",
    "BroadcastStatus",
    "BroadcastTopic",
    "Delivery",
    "DeliveryStatus",
    "FsmRecord",
    "OrgLevel",
    "Organization",
    "Person",
    "RecallStatus",
    "Role",
    "RoleKind",
    "Subscription",
    "Topic",
    "utcnow",
]
