"""One-time invite links that bind a Telegram account to a directory entry.

The raw token appears only in the printed link; the table keeps its SHA-256, so a copy of
the database cannot be used to claim anyone's role.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlmodel import Field, SQLModel, col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import N_, UTCDateTime, created_at_field, timestamp_field
from models.directory.people import find_person_by_telegram_id
from models.directory.tables import Person, Role
from models.refusal import Refused

INVITE_PREFIX = "i-"


class Invite(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = created_at_field()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = timestamp_field()


INVITE_UNKNOWN = N_("This invite link is not valid. Please ask the street property office for a new one.")
INVITE_USED = N_(
    "This invite link has already been used. Please ask the street property office for a new one."
)
INVITE_EXPIRED = N_("This invite link has expired. Please ask the street property office for a new one.")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def people_to_invite(*, session: AsyncSession) -> list[Person]:
    """People who hold a directory role but have no Telegram account bound yet."""
    result = await session.exec(
        select(Person)
        .where(col(Person.telegram_id).is_(None))
        .where(col(Person.id).in_(select(Role.person_id)))
        .order_by(col(Person.id))
    )
    return list(result)


async def issue_invite(*, session: AsyncSession, person: Person, now: datetime, ttl: timedelta) -> str:
    """Create a fresh single-use invite for ``person`` and return its raw token."""
    assert person.id is not None
    token = secrets.token_urlsafe(24)
    session.add(
        Invite(person_id=person.id, token_hash=hash_token(token), created_at=now, expires_at=now + ttl)
    )
    await session.flush()
    return token


async def merge_person_into(*, session: AsyncSession, source: Person, target: Person) -> Person:
    """Move a directory entry's roles, invites and details onto ``target`` and drop the entry."""
    await session.exec(update(Role).where(col(Role.person_id) == source.id).values(person_id=target.id))
    await session.exec(update(Invite).where(col(Invite.person_id) == source.id).values(person_id=target.id))
    if source.name:
        target.name = source.name
    if source.phone:
        target.phone = source.phone
    session.add(target)
    await session.delete(source)
    await session.flush()
    return target


async def redeem_invite(
    *, session: AsyncSession, token: str, telegram_id: int, language_code: str | None, now: datetime
) -> Person:
    """Bind the Telegram account to the invited entry and return the person it now is.

    If the account already talked to the bot (as a resident), the directory entry's roles move
    onto that existing person, so nothing they did before is lost.
    """
    invite = (
        await session.exec(select(Invite).where(Invite.token_hash == hash_token(token)).with_for_update())
    ).first()
    if invite is None:
        raise Refused(INVITE_UNKNOWN)
    if invite.used_at is not None:
        raise Refused(INVITE_USED)
    if invite.expires_at <= now:
        raise Refused(INVITE_EXPIRED)
    invited = await session.get(Person, invite.person_id)
    if invited is None:  # the entry was merged away by an earlier invite
        raise Refused(INVITE_USED)
    if invited.telegram_id is not None and invited.telegram_id != telegram_id:
        raise Refused(INVITE_USED)
    # This invite and every other open one for the entry are spent from now on.
    open_invites = await session.exec(
        select(Invite).where(Invite.person_id == invite.person_id).where(col(Invite.used_at).is_(None))
    )
    for spent in open_invites:
        spent.used_at = now
        session.add(spent)
    existing = await find_person_by_telegram_id(session=session, telegram_id=telegram_id)
    if existing is not None and existing.id != invited.id:
        person = await merge_person_into(session=session, source=invited, target=existing)
    else:
        invited.telegram_id = telegram_id
        invited.language_code = language_code
        session.add(invited)
        person = invited
    await session.flush()
    return person
