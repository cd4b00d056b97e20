"""``redprop meeting minutes ID --format md|docx``: the minutes of an Affairs Hall as a document a
street office prints and files (Markdown to standard output, or a Word file)."""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document

from handlers.outgoing.meetings import ITEM_KINDS, meeting_heading
from locales.i18n import format_time
from locales.i18n import gettext as _
from models.meetings.minutes import Minutes, MinutesItem, minutes_of
from models.meetings.tables import Meeting
from storage.database import Database


def _decision(item: MinutesItem) -> str:
    decision = item.decision
    if decision is None:
        return _("No decision recorded.")
    return _("Decision: {owner} — {action}, by {time}").format(
        owner=decision.owner, action=decision.action, time=format_time(decision.due_at, "short")
    )


def markdown(minutes: Minutes) -> str:
    lines = [f"# {_('Minutes')}", "", meeting_heading(minutes.meeting, minutes.communities), ""]
    lines.append(_("Attended: {names}").format(names=", ".join(minutes.attended) or "—"))
    lines.append("")
    lines.append(_("Absent: {names}").format(names=", ".join(minutes.absent) or "—"))
    lines.append("")
    for number, item in enumerate(minutes.items, start=1):
        cases = " ".join(item.case_numbers)
        lines.append(f"## {number}. {_(ITEM_KINDS[item.kind])} {item.text} {cases}".rstrip())
        lines += ["", _decision(item), ""]
    return "\n".join(lines)


def word(minutes: Minutes, path: Path) -> None:
    document = Document()
    document.add_heading(_("Minutes"), level=0)
    document.add_paragraph(meeting_heading(minutes.meeting, minutes.communities))
    document.add_paragraph(_("Attended: {names}").format(names=", ".join(minutes.attended) or "—"))
    document.add_paragraph(_("Absent: {names}").format(names=", ".join(minutes.absent) or "—"))
    for number, item in enumerate(minutes.items, start=1):
        cases = " ".join(item.case_numbers)
        document.add_heading(f"{number}. {_(ITEM_KINDS[item.kind])} {item.text} {cases}".rstrip(), level=2)
        document.add_paragraph(_decision(item))
    document.save(str(path))


async def print_minutes(database: Database, *, meeting_id: int, fmt: str, output: Path | None) -> int:
    """Write the minutes; 2 (one line on standard error) for an unknown meeting."""
    async with database.read() as session:
        meeting = await session.get(Meeting, meeting_id)
        if meeting is None:
            print(_("There is no meeting {id}.").format(id=meeting_id), file=sys.stderr)
            return 2
        minutes = await minutes_of(session=session, meeting=meeting)
    if fmt == "md":
        print(markdown(minutes))
        return 0
    path = output or Path(f"minutes-{meeting_id}.docx")
    word(minutes, path)
    print(_("Wrote {path}.").format(path=path))
    return 0
