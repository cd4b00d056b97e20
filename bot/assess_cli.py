"""``redprop assess``: a street's quarterly assessment, one enterprise's explanation, and the
office's publish and finalise, run by the operator on the server.

It shows the draft until the quarter is finalised, then the final snapshot. Publish and
finalise make the domain calls the chat's buttons make, acting as an office admin of the street
(``--as TELEGRAM_ID``, else the street's first office admin). Exit codes: 0 done; 2 bad input (a
malformed quarter, an unknown street, enterprise or person, options that do not go together),
with nothing changed; 1 the rules refused (the quarter not over, published already, appeals
still open, a re-run without a reason, someone not of the street's office).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.assess_explain import render_explanation, render_explanation_csv, render_explanation_json
from bot.assess_render import Shown, heading, render_csv, render_json, render_table
from locales.i18n import gettext as _
from locales.i18n import refusal_text
from models import clock
from models.assessment.access import office_admins
from models.assessment.compute import scheme_in
from models.assessment.explain import explain_enterprise
from models.assessment.lifecycle import assessment_view, finalise_assessment, publish_assessment
from models.assessment.reports import enterprise_codes
from models.assessment.scheme import AssessmentScheme
from models.assessment.tables import AssessmentStatus
from models.directory.tables import Person, Street
from models.periods import Quarter
from models.refusal import Refused
from storage.database import Database

FORMATS = ("table", "csv", "json", "xlsx")
OPERATIONS = ("publish", "finalise")


class BadInput(Exception):
    """Input the command cannot act on: one line on standard error, exit code 2."""


@dataclass(frozen=True)
class AssessRequest:
    """What the operator asked for, as typed."""

    quarter: str
    street: str | None = None
    fmt: str | None = None  # None: the table
    explain: str | None = None  # an enterprise code
    output: Path | None = None
    operation: str | None = None  # publish, finalise, or None to show the assessment
    acting: str | None = None  # --as: a Telegram id, as typed
    reason: str | None = None


def _check_options(request: AssessRequest) -> None:
    if request.fmt is not None and request.fmt not in FORMATS:
        raise BadInput(_("Format must be one of: {choices}").format(choices=", ".join(FORMATS)))
    if request.operation is None:
        if request.acting is not None or request.reason is not None:
            raise BadInput(_("--as and --reason go with publish or finalise."))
        if request.explain is not None and request.fmt == "xlsx":
            raise BadInput(_("--explain prints a table, CSV or JSON, not a workbook."))
        return
    if request.operation not in OPERATIONS:
        raise BadInput(_("Write publish or finalise, or nothing to see the assessment."))
    if request.fmt is not None or request.explain is not None or request.output is not None:
        raise BadInput(_("publish and finalise take only --quarter, --street, --as and --reason."))
    if request.reason is not None and request.operation != "finalise":
        raise BadInput(_("--reason goes with finalise."))


async def _street(session: AsyncSession, code: str | None) -> Street:
    """The street by its code; without one, the only street there is."""
    if code is not None:
        found = (await session.exec(select(Street).where(col(Street.code) == code.strip().lower()))).first()
        if found is None:
            raise BadInput(_("No street has the code “{code}”.").format(code=code.strip()))
        return found
    streets = list(await session.exec(select(Street).order_by(col(Street.code))))
    if not streets:
        raise BadInput(_("The directory has no street yet: load it with redprop directory import."))
    if len(streets) > 1:
        codes = ", ".join(street.code for street in streets)
        raise BadInput(_("Name the street with --street: {codes}.").format(codes=codes))
    return streets[0]


async def _acting(session: AsyncSession, street: Street, typed: str | None) -> Person:
    """Who the command acts as: the person with that Telegram id, or the street's first office admin."""
    if typed is not None:
        try:
            telegram_id = int(typed.strip())
        except ValueError:
            raise BadInput(_("--as takes a Telegram id, a number.")) from None
        person = (await session.exec(select(Person).where(Person.telegram_id == telegram_id))).first()
        if person is None:
            raise BadInput(_("No one in the directory has the Telegram id {id}.").format(id=telegram_id))
        return person
    admins = await office_admins(session, street.id or 0)
    if not admins:
        raise BadInput(
            _("{street} has no street property office admin in the directory to act as.").format(
                street=street.name
            )
        )
    return admins[0]


async def _operate(
    db: Database, request: AssessRequest, quarter: Quarter, scheme: AssessmentScheme, tz: tzinfo
) -> int:
    async with db.write() as session:
        street = await _street(session, request.street)
        admin = await _acting(session, street, request.acting)
        names = {"quarter": str(quarter), "street": street.name, "name": admin.name or str(admin.telegram_id)}
        if request.operation == "publish":
            stored = await publish_assessment(
                session=session,
                street_id=street.id or 0,
                quarter=quarter,
                admin=admin,
                scheme=scheme,
                tz=tz,
                now=clock.now(),
            )
            message = _(
                "Published {quarter} for {street}, as {name}; each enterprise's staff are told through "
                "the bot and may appeal for {days} days."
            ).format(days=scheme.appeal_days, **names)
        else:
            stored = await finalise_assessment(
                session=session,
                street_id=street.id or 0,
                quarter=quarter,
                admin=admin,
                scheme=scheme,
                tz=tz,
                now=clock.now(),
                reason=request.reason,
            )
            message = _("Finalised {quarter} for {street}, as {name}: revision {revision}.").format(
                revision=stored.revision, **names
            )
    print(message)
    return 0


async def _shown(
    session: AsyncSession, request: AssessRequest, quarter: Quarter, scheme: AssessmentScheme, tz: tzinfo
) -> Shown:
    street = await _street(session, request.street)
    assessment, stored = await assessment_view(
        session=session, street_id=street.id or 0, quarter=quarter, scheme=scheme, tz=tz
    )
    final = stored is not None and stored.status == AssessmentStatus.FINALISED
    codes = await enterprise_codes(session, [score.enterprise_id for score in assessment.scores])
    return Shown(
        street, assessment, stored, scheme_in(stored.snapshot) if final and stored else scheme, codes
    )


def _default_file(shown: Shown) -> Path:
    return Path(f"assessment-{shown.street.code}-{shown.assessment.quarter}.xlsx")


async def _show(
    db: Database, request: AssessRequest, quarter: Quarter, scheme: AssessmentScheme, tz: tzinfo
) -> int:
    async with db.read() as session:
        shown = await _shown(session, request, quarter, scheme, tz)
        fmt = request.fmt or "table"
        if request.explain is not None:
            explanation = await explain_enterprise(
                session=session,
                street_id=shown.street.id or 0,
                enterprise_code=request.explain,
                quarter=quarter,
                scheme=scheme,
                tz=tz,
                view=(shown.assessment, shown.stored),
            )
            if fmt == "json":
                text = render_explanation_json(shown, explanation, tz)
            elif fmt == "csv":
                text = render_explanation_csv(explanation, tz)
            else:
                text = render_explanation(shown, explanation)
        elif fmt == "xlsx":
            from handlers.assessment_workbook import assessment_workbook

            workbook = await assessment_workbook(
                session,
                title=heading(shown),
                street_id=shown.street.id or 0,
                quarter=quarter,
                assessment=shown.assessment,
                scheme=shown.scheme,
                codes=shown.codes,
                tz=tz,
            )
            path = request.output or _default_file(shown)
            path.write_bytes(workbook)
            print(_("The workbook is in {path}").format(path=path))
            return 0
        else:
            text = {"csv": render_csv, "json": render_json}.get(fmt, render_table)(shown)
    if request.output is not None:
        request.output.write_text(text + "\n", encoding="utf-8")
        print(_("Written to {path}").format(path=request.output))
    else:
        print(text)
    return 0


def bad_options(request: AssessRequest) -> int | None:
    """Exit code 2 with one line on standard error for input that cannot be right whatever the
    database holds (options that do not go together, a malformed quarter); None when it may be."""
    try:
        _check_options(request)
        Quarter.parse(request.quarter)
    except BadInput as error:
        print(error, file=sys.stderr)
        return 2
    except Refused as error:
        print(refusal_text(error), file=sys.stderr)
        return 2
    return None


async def assess(db: Database, request: AssessRequest, *, scheme: AssessmentScheme, tz: tzinfo) -> int:
    """Run ``redprop assess``; the exit code (see the module docstring)."""
    if (code := bad_options(request)) is not None:
        return code
    quarter = Quarter.parse(request.quarter)
    try:
        if request.operation is not None:
            return await _operate(db, request, quarter, scheme, tz)
        return await _show(db, request, quarter, scheme, tz)
    except BadInput as error:
        print(error, file=sys.stderr)
        return 2
    except Refused as error:
        print(refusal_text(error), file=sys.stderr)
        # An unknown enterprise or one not assessed is bad input; the rest are the rules refusing.
        return 2 if request.operation is None else 1
