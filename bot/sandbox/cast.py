"""Who can be played in the sandbox: the directory's people with a Telegram id, and its communities."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from models.directory.document import DirectoryDocument, PersonEntry

FIRST_NEW_RESIDENT = 990_000_001  # ids for residents who join in the sandbox; the directory uses others


@dataclass(frozen=True)
class Player:
    """A person the page can open a chat column for."""

    telegram_id: int
    name: str
    role: str  # office_admin, enterprise_staff, party_committee, owners_committee, instructor
    where: str  # the street, enterprise(s) or community the role is in


def _player(person: PersonEntry, role: str, where: str) -> Player | None:
    if person.telegram_id is None:
        return None  # only an invite link could bind them; the sandbox plays people with ids
    return Player(person.telegram_id, person.name or str(person.telegram_id), role, where)


def players(document: DirectoryDocument) -> list[Player]:
    """Everyone with a Telegram id, once per role, office first."""
    found: list[Player | None] = []
    enterprises = {enterprise.code: enterprise.name for enterprise in document.enterprises}
    for street in document.streets:
        found += [_player(person, "office_admin", street.name) for person in street.office_admins]
    for instructor in document.instructors:
        where = "、".join(enterprises.get(code, code) for code in instructor.enterprises)
        found.append(_player(instructor.person, "instructor", where))
    for enterprise in document.enterprises:
        found += [_player(person, "enterprise_staff", enterprise.name) for person in enterprise.staff]
    for community in document.communities:
        found += [_player(person, "party_committee", community.name) for person in community.party_committee]
        found += [
            _player(person, "owners_committee", community.name) for person in community.owners_committee
        ]
    seen: set[tuple[int, str, str]] = set()
    unique = []
    for player in found:
        if player is not None and (key := (player.telegram_id, player.role, player.where)) not in seen:
            seen.add(key)
            unique.append(player)
    return unique


def cast(document: DirectoryDocument) -> dict[str, Any]:
    """What the page lists: the people, and the communities a new resident can join."""
    return {
        "people": [asdict(player) for player in players(document)],
        "communities": [
            {"code": community.code, "name": community.name} for community in document.communities
        ],
        "first_resident_id": FIRST_NEW_RESIDENT,
    }
