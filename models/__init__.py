"""The Red Property domain: tables and the operations on them. Never imports ``telegram``."""

from sqlmodel import SQLModel

from models.directory import Community, Enterprise, Person, Role, RoleKind, Street
from models.invites import Invite

metadata = SQLModel.metadata

__all__ = ["Community", "Enterprise", "Invite", "Person", "Role", "RoleKind", "Street", "metadata"]
