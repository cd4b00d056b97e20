"""The directory file as a document: frozen dataclasses of what the street property office keeps,
and the problems a file can have.

:func:`models.directory.parsing.parse_directory` reads the TOML into a document or raises one
:class:`DirectoryFileError` naming the entry, the key and the problem. Nothing here touches
the database; :mod:`models.directory.file` applies a checked document and writes one back.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from models.base import N_
from models.refusal import Refused

SECTIONS = ("street", "enterprise", "community", "instructor")
_CODE = re.compile(r"^[a-z0-9_-]{1,32}$")
_MAX_TELEGRAM_ID = 2**63 - 1  # the BIGINT column
NAME_LIMIT = 200
PHONE_LIMIT = 40

UNKNOWN_SECTION = N_(
    "unknown section; the file has [[street]], [[enterprise]], [[community]] and [[instructor]]"
)
NOT_ARRAY_OF_TABLES = N_("write each entry as a [[{section}]] table")
NO_STREET = N_("the file lists no [[street]]; importing it would remove every role")
MISSING = N_("this key is required")
UNKNOWN_KEY = N_("unknown key; allowed here: {allowed}")
NOT_TEXT = N_("must be text in quotes")
EMPTY_TEXT = N_("must not be empty")
TOO_LONG = N_("must be at most {limit} characters")
BAD_CODE = N_('"{value}" is not a valid code: use at most 32 characters a-z, 0-9, - and _')
DUPLICATE_CODE = N_('another [[{section}]] already has the code "{code}"')
NOT_BOOL = N_("must be true or false")
NOT_LIST = N_("must be a list in square brackets, like [ ... ]")
UNKNOWN_STREET = N_('no [[street]] has the code "{code}"')
UNKNOWN_ENTERPRISE = N_('no [[enterprise]] has the code "{code}"')
SHARED_WITH_ENTERPRISE = N_("only a community without an enterprise is taken over under shared property")
SHARED_SINCE_MISSING = N_("shared_by needs shared_since, the day the take-over began, like 2025-03-01")
BAD_DATE = N_("must be a day written like 2025-03-01 (no quotes)")
SINCE_WITHOUT_SHARED = N_("shared_since goes with shared_by")
LISTED_TWICE = N_('"{code}" is listed twice')
BAD_PERSON = N_("write a person as a Telegram user id, or as a table with a name, telegram_id or phone")
NO_ID_NOR_NAME = N_("a person needs a telegram_id or a name")
BAD_TELEGRAM_ID = N_("{value} is not a Telegram user id (a positive whole number)")
PHONE_NOT_TEXT = N_('write the phone number in quotes, like "13800000000"')
NAME_CONFLICT = N_('Telegram user {telegram_id} is also listed with the name "{other}"; use one name')
PHONE_CONFLICT = N_('Telegram user {telegram_id} is also listed with the phone "{other}"; use one phone')
AMBIGUOUS_PERSON = N_('"{name}" matches several people listed with a telegram_id; add the telegram_id here')
PERSON_TWICE = N_("the same person is already item #{number} of this list")
INSTRUCTOR_TWICE = N_("this instructor is listed twice; give one [[instructor]] with all their enterprises")


class DirectoryFileError(Refused):
    """A problem in the directory file: the entry and key it is in, and the refusal's message.

    ``message`` is the msgid (marked with ``N_``); its ``{placeholders}`` are filled from
    ``params`` after translation, see :meth:`describe`.
    """

    def __init__(self, entry: str, field: str, problem: str, **params: Any) -> None:
        super().__init__(problem, **params)
        self.entry = entry
        self.field = field
        self.args = (self.describe(),)

    def describe(self, translate: Callable[[str], str] = lambda message: message) -> str:
        """One line ``entry: field: problem``, the problem translated by ``translate``."""
        parts = [part for part in (self.entry, self.field) if part]
        return ": ".join([*parts, translate(self.message).format(**self.params)])


@dataclass(frozen=True)
class PersonEntry:
    """A person as the file gives them; ``None`` means "not given" (left as it is on import)."""

    telegram_id: int | None = None
    name: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class StreetEntry:
    code: str
    name: str
    office_admins: tuple[PersonEntry, ...] = ()


@dataclass(frozen=True)
class EnterpriseEntry:
    code: str
    name: str
    party_branch: bool = False
    staff: tuple[PersonEntry, ...] = ()
    # Invited to the Red Property Affairs Hall with the instructors and committees.
    head: tuple[PersonEntry, ...] = ()
    party_branch_contact: tuple[PersonEntry, ...] = ()


@dataclass(frozen=True)
class CommunityEntry:
    code: str
    name: str
    street: str
    enterprise: str | None = None  # None: a no-property community
    # A no-property community taken over by an enterprise under shared property, since a day.
    shared_by: str | None = None
    shared_since: date | None = None
    party_committee: tuple[PersonEntry, ...] = ()
    owners_committee: tuple[PersonEntry, ...] = ()


@dataclass(frozen=True)
class InstructorEntry:
    person: PersonEntry
    enterprises: tuple[str, ...] = ()


@dataclass(frozen=True)
class DirectoryDocument:
    """A checked directory file. The same person is the same (equal) ``PersonEntry`` everywhere."""

    streets: tuple[StreetEntry, ...] = ()
    enterprises: tuple[EnterpriseEntry, ...] = ()
    communities: tuple[CommunityEntry, ...] = ()
    instructors: tuple[InstructorEntry, ...] = ()

    def people(self) -> list[PersonEntry]:
        """Everyone the file lists, once each, in the order they first appear."""
        found: dict[PersonEntry, None] = {}
        for street in self.streets:
            found.update(dict.fromkeys(street.office_admins))
        for enterprise in self.enterprises:
            found.update(dict.fromkeys(enterprise.staff + enterprise.head + enterprise.party_branch_contact))
        for community in self.communities:
            found.update(dict.fromkeys(community.party_committee + community.owners_committee))
        found.update(dict.fromkeys(instructor.person for instructor in self.instructors))
        return list(found)
