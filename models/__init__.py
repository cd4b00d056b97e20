"""The Red Property domain: tables and the operations on them, by area.

Never imports ``telegram``, ``handlers`` or ``bot``: the chat and the assembly build on the
domain, not the other way round. Every operation takes the caller's session and works inside
its one transaction; a refusal raises :class:`models.refusal.Refused` and changes nothing.
"""

from __future__ import annotations

from sqlmodel import SQLModel

# Every table, imported so that ``metadata`` knows them all (migrations, tests).
from models.assessment.tables import (
    Appeal,
    Assessment,
    AssessmentNotice,
    DismissalProposal,
    GovernanceRecord,
)
from models.cases.routing import SharedProperty
from models.cases.tables import Case, CaseCounter, CaseEvent, CasePhoto, Suggestion
from models.directory.invites import Invite
from models.directory.tables import Community, Enterprise, Person, Role, RoleKind, Street
from models.escalation.tables import AgendaRequest, CaseEscalation
from models.fund.tables import FundApplication, FundBudget, FundCase, FundEvent, FundPhoto
from models.meetings.tables import AgendaItem, Decision, Invitation, Meeting, MeetingCommunity
from models.outbox.queue import OutboxMessage
from models.surveys.scheduling import Survey
from models.visits.tables import Visit, VisitCase, VisitPhoto

metadata = SQLModel.metadata

__all__ = [
    "AgendaItem",
    "AgendaRequest",
    "Appeal",
    "Assessment",
    "AssessmentNotice",
    "Case",
    "CaseCounter",
    "CaseEscalation",
    "CaseEvent",
    "CasePhoto",
    "Community",
    "Decision",
    "DismissalProposal",
    "Enterprise",
    "FundApplication",
    "FundBudget",
    "FundCase",
    "FundEvent",
    "FundPhoto",
    "GovernanceRecord",
    "Invitation",
    "Invite",
    "Meeting",
    "MeetingCommunity",
    "OutboxMessage",
    "Person",
    "Role",
    "RoleKind",
    "SharedProperty",
    "Street",
    "Suggestion",
    "Survey",
    "Visit",
    "VisitCase",
    "VisitPhoto",
    "metadata",
]
