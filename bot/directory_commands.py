"""The directory commands of the CLI: import the directory file, export it, print invite links.

Each command returns the process exit code and talks to the operator through stdout (results)
and stderr (one line per problem), translated with ``_`` in the locale the CLI has set.
"""

from __future__ import annotations

import asyncio
import sys
import tomllib
from datetime import UTC, timedelta, tzinfo
from pathlib import Path

from locales.i18n import N_, _, format_time
from models.base import utcnow
from models.cases.handover import hand_on_uncovered_cases
from models.directory.document import DirectoryFileError
from models.directory.file import Counts, ImportSummary, export_directory, import_directory
from models.directory.invites import INVITE_PREFIX, issue_invite, people_to_invite
from models.directory.parsing import parse_directory
from models.directory.people import RoleView, roles_of
from models.directory.tables import RoleKind
from storage.database import Database

# The same msgids as the role names in handlers/start.py, so they share one translation.
ROLE_LABELS = {
    RoleKind.OFFICE_ADMIN: N_("street property office"),
    RoleKind.PARTY_COMMITTEE: N_("community party committee"),
    RoleKind.INSTRUCTOR: N_("party-building instructor"),
    RoleKind.ENTERPRISE_STAFF: N_("property enterprise staff"),
    RoleKind.OWNERS_COMMITTEE: N_("owners' committee"),
    RoleKind.ENTERPRISE_HEAD: N_("property enterprise head"),
    RoleKind.PARTY_BRANCH_CONTACT: N_("property enterprise party branch contact"),
}


def _error(line: str) -> int:
    print(line, file=sys.stderr)
    return 1


async def import_file(db: Database, path: Path, tz: tzinfo = UTC) -> int:
    """Import the directory file at ``path`` in one transaction; nothing is imported on a problem."""
    try:
        text = await asyncio.to_thread(path.read_text, encoding="utf-8")
    except FileNotFoundError:
        return _error(_("{path}: no such file").format(path=path))
    except UnicodeDecodeError:
        return _error(_("{path}: not a UTF-8 text file").format(path=path))
    except OSError as error:
        return _error(_("{path}: cannot read the file: {error}").format(path=path, error=error.strerror))
    try:
        document = parse_directory(text)
        async with db.write() as session:
            summary = await import_directory(session=session, document=document, tz=tz)
            # In the same transaction: nobody is left owning cases they no longer have a role for.
            handed = await hand_on_uncovered_cases(
                session=session, person_ids=summary.lost_roles, now=utcnow()
            )
            uninvited = len(await people_to_invite(session=session))
    except tomllib.TOMLDecodeError as error:
        return _error(_("{path}: not valid TOML: {error}").format(path=path, error=error))
    except DirectoryFileError as error:
        return _error(_("{path}: {error} (nothing was imported)").format(path=path, error=error.describe(_)))
    for line in _summary_lines(path, summary, uninvited):
        print(line)
    for case in handed:
        if case.owner is not None:
            line = _("Case {number} went from {previous} to {owner}.")
        else:
            line = _("Case {number} went from {previous} to the street property office (nobody reachable).")
        print(line.format(number=case.number, previous=case.previous, owner=case.owner))
    return 0


def _counts_line(kind: str, counts: Counts) -> str:
    return _("{kind}: {created} new, {updated} updated, {unchanged} unchanged").format(
        kind=kind, created=counts.created, updated=counts.updated, unchanged=counts.unchanged
    )


def _summary_lines(path: Path, summary: ImportSummary, uninvited: int) -> list[str]:
    lines = [
        _("Imported {path}.").format(path=path),
        _counts_line(_("Streets"), summary.streets),
        _counts_line(_("Enterprises"), summary.enterprises),
        _counts_line(_("Communities"), summary.communities),
        _counts_line(_("People"), summary.people),
        _("Roles: {added} added, {removed} removed").format(
            added=summary.roles_added, removed=summary.roles_removed
        ),
    ]
    kept = (summary.streets.kept, summary.enterprises.kept, summary.communities.kept)
    if any(kept):
        lines.append(
            _(
                "Not in the file and kept as they are: {streets} streets, {enterprises} enterprises, "
                "{communities} communities"
            ).format(streets=kept[0], enterprises=kept[1], communities=kept[2])
        )
    if not summary.changed:
        lines.append(_("Nothing changed: the database already matched the file."))
    if uninvited:
        lines.append(
            _(
                "People in the directory without a Telegram account yet: {count}. Send them invite links."
            ).format(count=uninvited)
        )
    return lines


async def export(db: Database, tz: tzinfo = UTC) -> int:
    """Print the whole directory as a directory file."""
    async with db.read() as session:
        text = await export_directory(session=session, tz=tz)
    sys.stdout.write(text)
    return 0


def _describe_roles(views: list[RoleView]) -> str:
    """Roles grouped by kind, e.g. ``instructor: 海悦物业, 鑫海物业; owners' committee: 东山``."""
    scopes: dict[RoleKind, list[str]] = {}
    for view in views:
        scopes.setdefault(view.kind, []).extend([view.scope_name] if view.scope_name else [])
    parts = []
    for kind, names in scopes.items():
        label = _(ROLE_LABELS[kind])
        parts.append(f"{label}: {', '.join(names)}" if names else label)
    return "; ".join(parts)


async def print_invites(db: Database, *, bot_username: str, ttl: timedelta) -> int:
    """Issue a fresh invite for everyone listed without a Telegram account and print the links."""
    username = bot_username.strip().removeprefix("@")
    if not username:
        return _error(_("telegram.username is not set; invite links need the bot's username."))
    now = utcnow()
    lines = []
    async with db.write() as session:
        for person in await people_to_invite(session=session):
            described = _describe_roles(await roles_of(session=session, person=person))
            token = await issue_invite(session=session, person=person, now=now, ttl=ttl)
            link = f"https://t.me/{username}?start={INVITE_PREFIX}{token}"
            if person.phone:
                line = _("{name} ({phone}) — {roles} — {link}")
            else:
                line = _("{name} — {roles} — {link}")
            lines.append(line.format(name=person.name, phone=person.phone, roles=described, link=link))
    # Printed only once committed, so every link shown works.
    if not lines:
        print(_("Everyone in the directory has a Telegram account; no invites are needed."))
        return 0
    header = _("Invite links: {count}. Each works once, until {expires}.")
    print(header.format(count=len(lines), expires=format_time(now + ttl)))
    for line in lines:
        print(line)
    return 0
