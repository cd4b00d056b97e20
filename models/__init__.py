"""The Red Property domain: tables and the operations on them. Never imports ``telegram``."""

from sqlmodel import SQLModel

from models.cases import Case, CaseCounter, CaseEvent, CasePhoto, Suggestion
from models.chat_state import ChatState
from models.directory import Community, Enterprise, Person, Role, RoleKind, Street
from models.invites import Invite
from models.outbox import OutboxMessage
from models.routing import SharedProperty
from models.surveys import Survey

metadata = SQLModel.metadata

__all__ = [
    "Case",
    "CaseCounter",
    "CaseEvent",
    "CasePhoto",
    "ChatState",
    "Community",
    "Enterprise",
    "Invite",
    "OutboxMessage",
    "Person",
    "Role",
    "RoleKind",
    "SharedProperty",
    "Street",
    "Suggestion",
    "Survey",
    "metadata",
]
