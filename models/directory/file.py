"""The directory file: import a checked document into the database, and export the database as one.

Import is an idempotent upsert inside the caller's transaction: streets, enterprises and
communities are matched by code and never deleted (cases refer to them); people are matched
by Telegram id, else by name and phone; roles end up exactly as the file says. Export writes
the same TOML format, so export → edit → import is the way to change the directory.

The document itself (dataclasses, :class:`DirectoryFileError`) is in
:mod:`models.directory.document`; :mod:`models.directory.parsing` reads one from TOML.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from typing import Any, TypeVar

from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import utcnow
from models.directory.document import (
    CommunityEntry,
    DirectoryDocument,
    EnterpriseEntry,
    PersonEntry,
    StreetEntry,
)
from models.directory.invites import Invite
from models.directory.shared import current_take_overs, since_text, sync_shared_property
from models.directory.tables import Community, Enterprise, Person, Role, RoleKind, Street


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept: int = 0  # in the database but not in the file, so left as they are

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


@dataclass
class ImportSummary:
    streets: Counts = field(default_factory=Counts)
    enterprises: Counts = field(default_factory=Counts)
    communities: Counts = field(default_factory=Counts)
    people: Counts = field(default_factory=Counts)
    roles_added: int = 0
    roles_removed: int = 0
    lost_roles: set[int] = field(default_factory=set)  # people who lost a role: their cases move on
    shared_changed: int = 0  # take-overs under shared property begun or ended

    @property
    def changed(self) -> bool:
        counts = (self.streets, self.enterprises, self.communities, self.people)
        moved = self.roles_added or self.roles_removed or self.shared_changed
        return any(c.changed for c in counts) or bool(moved)


# The identity of a role: who, what, and the street, community or enterprise it is for.
RoleKey = tuple[int, RoleKind, int | None, int | None, int | None]
_Coded = TypeVar("_Coded", Street, Enterprise, Community)


async def import_directory(
    *, session: AsyncSession, document: DirectoryDocument, tz: tzinfo = UTC
) -> ImportSummary:
    """Make the database say what the document says; run it in one write transaction. ``tz``:
    the street's time zone, where a take-over's first day begins (models/directory/shared.py)."""
    summary = ImportSummary()
    streets = await _upsert(session, Street, document.streets, summary.streets, lambda e: {"name": e.name})
    enterprises = await _upsert(
        session,
        Enterprise,
        document.enterprises,
        summary.enterprises,
        lambda e: {"name": e.name, "party_branch": e.party_branch},
    )
    communities = await _upsert(
        session,
        Community,
        document.communities,
        summary.communities,
        lambda e: {
            "name": e.name,
            "street_id": streets[e.street],
            "enterprise_id": None if e.enterprise is None else enterprises[e.enterprise],
        },
    )
    summary.shared_changed = await sync_shared_property(
        session=session,
        document=document,
        communities=communities,
        enterprises=enterprises,
        tz=tz,
        now=utcnow(),
    )
    people = await _match_people(session, document.people(), summary.people)

    wanted: dict[RoleKey, None] = {}  # a dict keeps the file's order for the new rows
    for street in document.streets:
        for person in street.office_admins:
            wanted[(people[person], RoleKind.OFFICE_ADMIN, streets[street.code], None, None)] = None
    for enterprise in document.enterprises:
        for kind, listed in (
            (RoleKind.ENTERPRISE_STAFF, enterprise.staff),
            (RoleKind.ENTERPRISE_HEAD, enterprise.head),
            (RoleKind.PARTY_BRANCH_CONTACT, enterprise.party_branch_contact),
        ):
            for person in listed:
                wanted[(people[person], kind, None, None, enterprises[enterprise.code])] = None
    for community in document.communities:
        for person in community.party_committee:
            wanted[(people[person], RoleKind.PARTY_COMMITTEE, None, communities[community.code], None)] = None
        for person in community.owners_committee:
            wanted[(people[person], RoleKind.OWNERS_COMMITTEE, None, communities[community.code], None)] = (
                None
            )
    for instructor in document.instructors:
        person_id = people[instructor.person]
        scopes: list[int | None] = [enterprises[code] for code in instructor.enterprises] or [None]
        for enterprise_id in scopes:
            wanted[(person_id, RoleKind.INSTRUCTOR, None, None, enterprise_id)] = None
    await _sync_roles(session, wanted, summary)
    return summary


async def _upsert(
    session: AsyncSession,
    model: type[_Coded],
    entries: Sequence[StreetEntry | EnterpriseEntry | CommunityEntry],
    counts: Counts,
    values: Callable[[Any], dict[str, Any]],
) -> dict[str, int]:
    """Create or update one row per entry, matched by code; return the ids by code."""
    rows = {row.code: row for row in (await session.exec(select(model))).all()}
    counts.kept = len(rows.keys() - {entry.code for entry in entries})
    touched: dict[str, _Coded] = {}
    for entry in entries:
        row = rows.get(entry.code)
        if row is None:
            row = model(code=entry.code, **values(entry))
            counts.created += 1
        elif _assign(row, values(entry)):
            counts.updated += 1
        else:
            counts.unchanged += 1
        session.add(row)
        touched[entry.code] = row
    await session.flush()
    return {code: _id(row.id) for code, row in touched.items()}


def _assign(row: Any, values: dict[str, Any]) -> bool:
    """Set the values that differ; say whether any did (unchanged rows are not written)."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _id(value: int | None) -> int:
    assert value is not None, "flushed rows have ids"
    return value


async def _match_people(
    session: AsyncSession, people: list[PersonEntry], counts: Counts
) -> dict[PersonEntry, int]:
    """Find or create the person row for everyone in the file; return their ids.

    With a Telegram id: the person with that id, else an unbound entry with the same name
    and phone (the office learned the id), else a new person. Without one: the person with
    the same name and phone who is either still unbound or was bound through an invite,
    which is what re-importing a file after people redeemed their invites meets.
    """
    telegram_ids = [p.telegram_id for p in people if p.telegram_id is not None]
    names = [p.name for p in people if p.name is not None]
    candidates = list(
        (
            await session.exec(
                select(Person)
                .where(or_(col(Person.telegram_id).in_(telegram_ids), col(Person.name).in_(names)))
                .order_by(col(Person.id))
            )
        ).all()
    )
    invited = set(
        (
            await session.exec(
                select(Invite.person_id)
                .where(col(Invite.used_at).is_not(None))
                .where(col(Invite.person_id).in_([c.id for c in candidates]))
            )
        ).all()
    )
    by_telegram_id = {c.telegram_id: c for c in candidates if c.telegram_id is not None}
    found: dict[PersonEntry, Person] = {}
    changed: set[int] = set()

    def same_name_and_phone(entry: PersonEntry, *, unbound_only: bool) -> Person | None:
        # Two ids must not take the same unbound entry; an entry without an id may share the
        # person an id took (listed bare in one place, by name and phone in another).
        taken = {id(p) for p in found.values()} if unbound_only else set()
        for candidate in candidates:
            if (candidate.name, candidate.phone) != (entry.name, entry.phone) or id(candidate) in taken:
                continue
            if candidate.telegram_id is None or (not unbound_only and candidate.id in invited):
                return candidate
        return None

    # People with an id first, so a renamed person is not also matched by their old name.
    for entry in sorted(people, key=lambda p: p.telegram_id is None):
        if entry.telegram_id is not None:
            person = by_telegram_id.get(entry.telegram_id) or same_name_and_phone(entry, unbound_only=True)
        else:
            person = same_name_and_phone(entry, unbound_only=False)
        if person is None:
            person = Person(telegram_id=entry.telegram_id, name=entry.name or "", phone=entry.phone)
            counts.created += 1
        else:
            given = {"telegram_id": entry.telegram_id, "name": entry.name, "phone": entry.phone}
            if _assign(person, {key: value for key, value in given.items() if value is not None}):
                changed.add(id(person))
        session.add(person)
        found[entry] = person
    matched = {id(p) for p in found.values() if p.id is not None}
    counts.updated = len(changed)
    counts.unchanged = len(matched - changed)
    await session.flush()
    return {entry: _id(person.id) for entry, person in found.items()}


async def _sync_roles(session: AsyncSession, wanted: dict[RoleKey, None], summary: ImportSummary) -> None:
    """Delete the roles the file no longer gives and add the new ones; keep the rest as they are."""
    kept: set[RoleKey] = set()
    for role in (await session.exec(select(Role).order_by(col(Role.id)))).all():
        key = (role.person_id, RoleKind(role.kind), role.street_id, role.community_id, role.enterprise_id)
        if key in wanted and key not in kept:
            kept.add(key)
        else:
            await session.delete(role)
            summary.roles_removed += 1
            summary.lost_roles.add(role.person_id)
    for person_id, kind, street_id, community_id, enterprise_id in wanted:
        if (person_id, kind, street_id, community_id, enterprise_id) not in kept:
            session.add(
                Role(
                    person_id=person_id,
                    kind=kind,
                    street_id=street_id,
                    community_id=community_id,
                    enterprise_id=enterprise_id,
                )
            )
            summary.roles_added += 1
    await session.flush()


# -- export

_HEADER = """\
# Red Property directory, written by the directory export.
# Edit it and import it again: streets, enterprises and communities are matched by code,
# people by telegram_id, else by name and phone. See examples/lingshanwei.toml for the format.
"""
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def toml_string(value: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    out = []
    for char in value:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _person_toml(person: Person) -> str:
    if person.telegram_id is not None and not person.name and not person.phone:
        return str(person.telegram_id)
    return "{ " + ", ".join(_person_fields(person)) + " }"


def _person_fields(person: Person) -> list[str]:
    fields = []
    if person.name or person.telegram_id is None:
        fields.append(f"name = {toml_string(person.name)}")
    if person.telegram_id is not None:
        fields.append(f"telegram_id = {person.telegram_id}")
    if person.phone:
        fields.append(f"phone = {toml_string(person.phone)}")
    return fields


def _people_toml(key: str, people: Iterable[Person]) -> list[str]:
    items = [_person_toml(person) for person in people]
    if not items:
        return []
    if len(items) == 1:
        return [f"{key} = [{items[0]}]"]
    return [f"{key} = [", *(f"    {item}," for item in items), "]"]


async def export_directory(*, session: AsyncSession, tz: tzinfo = UTC) -> str:
    """The whole directory as a TOML document that :func:`parse_directory` reads back."""
    streets = (await session.exec(select(Street).order_by(col(Street.id)))).all()
    enterprises = (await session.exec(select(Enterprise).order_by(col(Enterprise.id)))).all()
    communities = (await session.exec(select(Community).order_by(col(Community.id)))).all()
    roles = (await session.exec(select(Role).order_by(col(Role.id)))).all()
    people = {
        person.id: person
        for person in (
            await session.exec(select(Person).where(col(Person.id).in_(select(Role.person_id))))
        ).all()
    }
    street_codes = {street.id: street.code for street in streets}
    enterprise_codes = {enterprise.id: enterprise.code for enterprise in enterprises}
    take_overs = await current_take_overs(session=session)

    def holders(kind: RoleKind, **scope: int | None) -> list[Person]:
        matching = (r for r in roles if r.kind == kind and all(getattr(r, k) == v for k, v in scope.items()))
        return list({r.person_id: people[r.person_id] for r in matching}.values())

    lines = [_HEADER]
    for street in streets:
        lines += ["[[street]]", f"code = {toml_string(street.code)}", f"name = {toml_string(street.name)}"]
        lines += _people_toml("office_admins", holders(RoleKind.OFFICE_ADMIN, street_id=street.id))
        lines.append("")
    for enterprise in enterprises:
        lines += ["[[enterprise]]", f"code = {toml_string(enterprise.code)}"]
        lines += [
            f"name = {toml_string(enterprise.name)}",
            f"party_branch = {str(enterprise.party_branch).lower()}",
        ]
        lines += _people_toml("staff", holders(RoleKind.ENTERPRISE_STAFF, enterprise_id=enterprise.id))
        lines += _people_toml("head", holders(RoleKind.ENTERPRISE_HEAD, enterprise_id=enterprise.id))
        lines += _people_toml(
            "party_branch_contact", holders(RoleKind.PARTY_BRANCH_CONTACT, enterprise_id=enterprise.id)
        )
        lines.append("")
    for community in communities:
        lines += [
            "[[community]]",
            f"code = {toml_string(community.code)}",
            f"name = {toml_string(community.name)}",
        ]
        lines.append(f"street = {toml_string(street_codes[community.street_id])}")
        if community.enterprise_id is not None:
            lines.append(f"enterprise = {toml_string(enterprise_codes[community.enterprise_id])}")
        shared = take_overs.get(community.id or 0)
        if shared is not None:
            lines.append(f"shared_by = {toml_string(enterprise_codes[shared.enterprise_id])}")
            lines.append(f"shared_since = {since_text(shared, tz)}")
        lines += _people_toml("party_committee", holders(RoleKind.PARTY_COMMITTEE, community_id=community.id))
        lines += _people_toml(
            "owners_committee", holders(RoleKind.OWNERS_COMMITTEE, community_id=community.id)
        )
        lines.append("")
    served: dict[int, list[str]] = {}  # instructor → enterprise codes, in role order
    for role in roles:
        if role.kind == RoleKind.INSTRUCTOR:
            codes = served.setdefault(role.person_id, [])
            if role.enterprise_id is not None:
                codes.append(enterprise_codes[role.enterprise_id])
    for person_id, codes in served.items():
        lines += ["[[instructor]]", *_person_fields(people[person_id])]
        lines += [f"enterprises = [{', '.join(toml_string(code) for code in codes)}]", ""]
    return "\n".join(lines).rstrip("\n") + "\n"
