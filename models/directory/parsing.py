"""Reading the directory file: TOML in, a checked :class:`DirectoryDocument` out.

Every problem raises one :class:`DirectoryFileError` naming the entry, the key and what is
wrong, in the order a person reading the file would meet them.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import partial
from typing import Any

from models.directory.document import (
    _CODE,
    _MAX_TELEGRAM_ID,
    AMBIGUOUS_PERSON,
    BAD_CODE,
    BAD_DATE,
    BAD_PERSON,
    BAD_TELEGRAM_ID,
    DUPLICATE_CODE,
    EMPTY_TEXT,
    INSTRUCTOR_TWICE,
    LISTED_TWICE,
    MISSING,
    NAME_CONFLICT,
    NAME_LIMIT,
    NO_ID_NOR_NAME,
    NO_STREET,
    NOT_ARRAY_OF_TABLES,
    NOT_BOOL,
    NOT_LIST,
    NOT_TEXT,
    PERSON_TWICE,
    PHONE_CONFLICT,
    PHONE_LIMIT,
    PHONE_NOT_TEXT,
    SECTIONS,
    SHARED_SINCE_MISSING,
    SHARED_WITH_ENTERPRISE,
    SINCE_WITHOUT_SHARED,
    TOO_LONG,
    UNKNOWN_ENTERPRISE,
    UNKNOWN_KEY,
    UNKNOWN_SECTION,
    UNKNOWN_STREET,
    CommunityEntry,
    DirectoryDocument,
    DirectoryFileError,
    EnterpriseEntry,
    InstructorEntry,
    PersonEntry,
    StreetEntry,
)


def parse_directory(text: str) -> DirectoryDocument:
    """Read and check a whole directory file.

    Raises :class:`tomllib.TOMLDecodeError` on a syntax error and :class:`DirectoryFileError`
    on the first problem in the content.
    """
    return _Parser(tomllib.loads(text)).document()


def _show(value: object) -> str:
    return f'"{value}"' if isinstance(value, str) else str(value)


@dataclass
class _Parser:
    data: dict[str, Any]
    # Every person as written, with the entry and key it is under, to report a conflict there.
    _places: list[tuple[PersonEntry, str, str]] = field(default_factory=list)

    def document(self) -> DirectoryDocument:
        for key in self.data:
            if key not in SECTIONS:
                raise DirectoryFileError("", key, UNKNOWN_SECTION)
        streets = tuple(self._street(e, t) for e, t in self._section("street"))
        if not streets:
            raise DirectoryFileError("", "street", NO_STREET)
        enterprises = tuple(self._enterprise(e, t) for e, t in self._section("enterprise"))
        self._unique_codes("street", streets)
        self._unique_codes("enterprise", enterprises)
        street_codes = {street.code for street in streets}
        enterprise_codes = {enterprise.code for enterprise in enterprises}
        communities = tuple(
            self._community(e, t, street_codes, enterprise_codes) for e, t in self._section("community")
        )
        self._unique_codes("community", communities)
        instructors = [(e, self._instructor(e, t, enterprise_codes)) for e, t in self._section("instructor")]
        same = self._resolve_people()
        self._instructors_once(same, instructors)
        # Rebuild the entries with one PersonEntry per person, now that the whole file is known.
        listed = partial(self._list, same)
        return DirectoryDocument(
            streets=tuple(
                replace(s, office_admins=listed(s.office_admins, f'street "{s.code}"', "office_admins"))
                for s in streets
            ),
            enterprises=tuple(
                replace(
                    e,
                    staff=listed(e.staff, f'enterprise "{e.code}"', "staff"),
                    head=listed(e.head, f'enterprise "{e.code}"', "head"),
                    party_branch_contact=listed(
                        e.party_branch_contact, f'enterprise "{e.code}"', "party_branch_contact"
                    ),
                )
                for e in enterprises
            ),
            communities=tuple(
                replace(
                    c,
                    party_committee=listed(c.party_committee, f'community "{c.code}"', "party_committee"),
                    owners_committee=listed(c.owners_committee, f'community "{c.code}"', "owners_committee"),
                )
                for c in communities
            ),
            instructors=tuple(replace(i, person=same[i.person]) for _, i in instructors),
        )

    # -- sections and entries

    def _section(self, section: str) -> list[tuple[str, dict[str, Any]]]:
        """The tables of one section, each with the name to report problems under."""
        tables = self.data.get(section, [])
        if not isinstance(tables, list) or not all(isinstance(table, dict) for table in tables):
            raise DirectoryFileError("", section, NOT_ARRAY_OF_TABLES, section=section)
        named = []
        for number, table in enumerate(tables, start=1):
            label = table.get("name") if section == "instructor" else table.get("code")
            if isinstance(label, str) and label.strip():
                named.append((f"{section} {_show(label.strip())}", table))
            elif section == "instructor" and _is_int(table.get("telegram_id")):
                named.append((f"{section} {table['telegram_id']}", table))
            else:
                named.append((f"{section} #{number}", table))
        return named

    def _street(self, entry: str, table: dict[str, Any]) -> StreetEntry:
        self._keys(entry, "", table, ("code", "name", "office_admins"))
        return StreetEntry(
            code=self._code(entry, table),
            name=self._text(entry, table, "name", NAME_LIMIT, required=True) or "",
            office_admins=self._people(entry, table, "office_admins"),
        )

    def _enterprise(self, entry: str, table: dict[str, Any]) -> EnterpriseEntry:
        self._keys(
            entry, "", table, ("code", "name", "party_branch", "staff", "head", "party_branch_contact")
        )
        party_branch = table.get("party_branch", False)
        if not isinstance(party_branch, bool):
            raise DirectoryFileError(entry, "party_branch", NOT_BOOL)
        return EnterpriseEntry(
            code=self._code(entry, table),
            name=self._text(entry, table, "name", NAME_LIMIT, required=True) or "",
            party_branch=party_branch,
            staff=self._people(entry, table, "staff"),
            head=self._people(entry, table, "head"),
            party_branch_contact=self._people(entry, table, "party_branch_contact"),
        )

    def _community(
        self, entry: str, table: dict[str, Any], streets: set[str], enterprises: set[str]
    ) -> CommunityEntry:
        allowed = (
            "code",
            "name",
            "street",
            "enterprise",
            "shared_by",
            "shared_since",
            "party_committee",
            "owners_committee",
        )
        self._keys(entry, "", table, allowed)
        # Keyword arguments are evaluated in order, so problems are reported key by key.
        community = CommunityEntry(
            code=self._code(entry, table),
            name=self._text(entry, table, "name", NAME_LIMIT, required=True) or "",
            street=self._reference(entry, table, "street", streets, UNKNOWN_STREET, required=True) or "",
            enterprise=self._reference(entry, table, "enterprise", enterprises, UNKNOWN_ENTERPRISE),
            shared_by=self._reference(entry, table, "shared_by", enterprises, UNKNOWN_ENTERPRISE),
            shared_since=self._day(entry, table, "shared_since"),
            party_committee=self._people(entry, table, "party_committee"),
            owners_committee=self._people(entry, table, "owners_committee"),
        )
        if community.shared_by is not None and community.enterprise is not None:
            raise DirectoryFileError(entry, "shared_by", SHARED_WITH_ENTERPRISE)
        if community.shared_by is not None and community.shared_since is None:
            raise DirectoryFileError(entry, "shared_since", SHARED_SINCE_MISSING)
        if community.shared_since is not None and community.shared_by is None:
            raise DirectoryFileError(entry, "shared_since", SINCE_WITHOUT_SHARED)
        return community

    def _day(self, entry: str, table: dict[str, Any], key: str) -> date | None:
        value = table.get(key)
        if value is None:
            return None
        # TOML's local date; a date-time or a string is refused, so the day is never ambiguous.
        if not isinstance(value, date) or isinstance(value, datetime):
            raise DirectoryFileError(entry, key, BAD_DATE)
        return value

    def _instructor(self, entry: str, table: dict[str, Any], enterprises: set[str]) -> InstructorEntry:
        self._keys(entry, "", table, ("telegram_id", "name", "phone", "enterprises"))
        person = self._person_table(entry, "", table)
        self._places.append((person, entry, "name" if person.telegram_id is None else "telegram_id"))
        codes = table.get("enterprises", [])
        if not isinstance(codes, list):
            raise DirectoryFileError(entry, "enterprises", NOT_LIST)
        for number, code in enumerate(codes):
            if not isinstance(code, str) or code not in enterprises:
                raise DirectoryFileError(entry, "enterprises", UNKNOWN_ENTERPRISE, code=code)
            if code in codes[:number]:
                raise DirectoryFileError(entry, "enterprises", LISTED_TWICE, code=code)
        return InstructorEntry(person=person, enterprises=tuple(codes))

    # -- keys and values

    def _keys(self, entry: str, prefix: str, table: dict[str, Any], allowed: tuple[str, ...]) -> None:
        for key in table:
            if key not in allowed:
                raise DirectoryFileError(entry, prefix + key, UNKNOWN_KEY, allowed=", ".join(allowed))

    def _code(self, entry: str, table: dict[str, Any]) -> str:
        if "code" not in table:
            raise DirectoryFileError(entry, "code", MISSING)
        code = table["code"]
        if not isinstance(code, str) or not _CODE.match(code):
            raise DirectoryFileError(entry, "code", BAD_CODE, value=code)
        return code

    def _text(
        self,
        entry: str,
        table: dict[str, Any],
        key: str,
        limit: int,
        *,
        required: bool = False,
        prefix: str = "",
    ) -> str | None:
        if key not in table:
            if required:
                raise DirectoryFileError(entry, prefix + key, MISSING)
            return None
        value = table[key]
        if not isinstance(value, str):
            raise DirectoryFileError(entry, prefix + key, PHONE_NOT_TEXT if key == "phone" else NOT_TEXT)
        value = value.strip()
        if not value:
            raise DirectoryFileError(entry, prefix + key, EMPTY_TEXT)
        if len(value) > limit:
            raise DirectoryFileError(entry, prefix + key, TOO_LONG, limit=limit)
        return value

    def _reference(
        self,
        entry: str,
        table: dict[str, Any],
        key: str,
        codes: set[str],
        problem: str,
        *,
        required: bool = False,
    ) -> str | None:
        if key not in table:
            if required:
                raise DirectoryFileError(entry, key, MISSING)
            return None
        code = table[key]
        if not isinstance(code, str) or code not in codes:
            raise DirectoryFileError(entry, key, problem, code=code)
        return code

    def _telegram_id(self, entry: str, field: str, value: object) -> int:
        if isinstance(value, int) and _is_int(value) and 0 < value <= _MAX_TELEGRAM_ID:
            return value
        raise DirectoryFileError(entry, field, BAD_TELEGRAM_ID, value=_show(value))

    # -- people

    def _people(self, entry: str, table: dict[str, Any], key: str) -> tuple[PersonEntry, ...]:
        items = table.get(key, [])
        if not isinstance(items, list):
            raise DirectoryFileError(entry, key, NOT_LIST)
        people = []
        for number, item in enumerate(items, start=1):
            where = f"{key} #{number}"
            if isinstance(item, dict):
                self._keys(entry, f"{where}.", item, ("name", "telegram_id", "phone"))
                person = self._person_table(entry, f"{where}.", item)
            elif _is_int(item):
                person = PersonEntry(telegram_id=self._telegram_id(entry, where, item))
            else:
                raise DirectoryFileError(entry, where, BAD_PERSON)
            self._places.append((person, entry, where))
            people.append(person)
        return tuple(people)

    def _person_table(self, entry: str, prefix: str, table: dict[str, Any]) -> PersonEntry:
        telegram_id = None
        if "telegram_id" in table:
            telegram_id = self._telegram_id(entry, prefix + "telegram_id", table["telegram_id"])
        name = self._text(entry, table, "name", NAME_LIMIT, prefix=prefix)
        phone = self._text(entry, table, "phone", PHONE_LIMIT, prefix=prefix)
        if telegram_id is None and name is None:
            raise DirectoryFileError(entry, prefix.rstrip(".") or "name", NO_ID_NOR_NAME)
        return PersonEntry(telegram_id=telegram_id, name=name, phone=phone)

    def _resolve_people(self) -> dict[PersonEntry, PersonEntry]:
        """Map each person as written to the one entry for that person across the whole file.

        A Telegram id is one person wherever it appears (its name and phone merged); a person
        without an id is one person per (name, phone), folded into the one listed with an id
        and the same name and phone, if there is exactly one.
        """
        merged: dict[int, PersonEntry] = {}
        for person, entry, key in self._places:
            if person.telegram_id is None:
                continue
            known = merged.get(person.telegram_id, PersonEntry(telegram_id=person.telegram_id))
            if person.name and known.name and person.name != known.name:
                raise DirectoryFileError(
                    entry, key, NAME_CONFLICT, telegram_id=person.telegram_id, other=known.name
                )
            if person.phone and known.phone and person.phone != known.phone:
                raise DirectoryFileError(
                    entry, key, PHONE_CONFLICT, telegram_id=person.telegram_id, other=known.phone
                )
            merged[person.telegram_id] = PersonEntry(
                person.telegram_id, known.name or person.name, known.phone or person.phone
            )
        same: dict[PersonEntry, PersonEntry] = {}
        for person, entry, key in self._places:
            if person.telegram_id is not None:
                same[person] = merged[person.telegram_id]
                continue
            matches = [m for m in merged.values() if (m.name, m.phone) == (person.name, person.phone)]
            if len(matches) > 1:
                raise DirectoryFileError(entry, key, AMBIGUOUS_PERSON, name=person.name)
            same[person] = matches[0] if matches else person
        return same

    def _list(
        self, same: dict[PersonEntry, PersonEntry], people: tuple[PersonEntry, ...], entry: str, key: str
    ) -> tuple[PersonEntry, ...]:
        resolved = [same[person] for person in people]
        for number, person in enumerate(resolved, start=1):
            if person in resolved[: number - 1]:
                first = resolved.index(person) + 1
                raise DirectoryFileError(entry, f"{key} #{number}", PERSON_TWICE, number=first)
        return tuple(resolved)

    def _instructors_once(
        self, same: dict[PersonEntry, PersonEntry], instructors: list[tuple[str, InstructorEntry]]
    ) -> None:
        seen: set[PersonEntry] = set()
        for entry, instructor in instructors:
            person = same[instructor.person]
            if person in seen:
                key = "name" if instructor.person.telegram_id is None else "telegram_id"
                raise DirectoryFileError(entry, key, INSTRUCTOR_TWICE)
            seen.add(person)

    def _unique_codes(
        self, section: str, entries: tuple[StreetEntry | EnterpriseEntry | CommunityEntry, ...]
    ) -> None:
        seen: set[str] = set()
        for entry in entries:
            if entry.code in seen:
                raise DirectoryFileError(
                    f'{section} "{entry.code}"', "code", DUPLICATE_CODE, section=section, code=entry.code
                )
            seen.add(entry.code)


def _is_int(value: object) -> bool:
    # TOML booleans arrive as bool, which Python counts as int.
    return isinstance(value, int) and not isinstance(value, bool)
