"""``redprop outbox status``: what the outbox has not delivered (yet), by kind, with the case
numbers concerned, so an operator sees what is stuck or lost."""

from __future__ import annotations

from bot.text_table import table_lines
from locales.i18n import gettext as _
from models.outbox.deadletters import KindState, outbox_state
from storage.database import Database

CASES_SHOWN = 10  # case numbers listed per kind; the rest are counted


def _cases(state: KindState) -> str:
    shown = ", ".join(state.cases[:CASES_SHOWN])
    more = len(state.cases) - CASES_SHOWN
    return shown + (_(" and {count} more").format(count=more) if more > 0 else "")


def status_lines(states: list[KindState]) -> list[str]:
    """The table, or one line saying nothing is waiting or lost."""
    if not states:
        return [_("Nothing is waiting, retrying, failed or uncertain: every message was delivered.")]
    header = [_("Kind"), _("Pending"), _("Retrying"), _("Failed"), _("Uncertain"), _("Cases concerned")]
    body = [
        [
            state.kind,
            str(state.pending),
            str(state.retrying),
            str(state.failed),
            str(state.uncertain),
            _cases(state),
        ]
        for state in states
    ]
    total = [
        _("Total"),
        *(
            str(sum(getattr(state, name) for state in states))
            for name in ("pending", "retrying", "failed", "uncertain")
        ),
        "",
    ]
    lines = table_lines(header, [*body, total], left=frozenset({0, 5}))
    lines += [
        "",
        _("Retrying: failed at least once and tried again later (outbox.retry_for)."),
        _("Failed: refused by Telegram, or never delivered in outbox.retry_for."),
        _("Uncertain: given up after a try nobody answered, or cut off mid-send; it may have arrived."),
    ]
    return lines


async def print_status(database: Database) -> int:
    """Print the outbox's state; exit status 0."""
    async with database.read() as session:
        states = await outbox_state(session=session)
    print("\n".join(status_lines(states)))
    return 0
