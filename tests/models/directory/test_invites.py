"""Invites bind a Telegram account to a directory entry once, before they expire."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from models.base import utcnow
from models.directory.invites import (
    INVITE_EXPIRED,
    INVITE_UNKNOWN,
    INVITE_USED,
    Invite,
    hash_token,
    issue_invite,
    people_to_invite,
    redeem_invite,
)
from models.directory.people import register_user
from models.directory.tables import Enterprise, Person, Role, RoleKind
from models.refusal import Refused
from storage.database import Database


async def _listed_staff(db: Database) -> Person:
    async with db.write() as session:
        enterprise = Enterprise(code="hy", name="海悦物业", party_branch=True)
        person = Person(name="陈委员", phone="13800000000")
        session.add_all([enterprise, person])
        await session.flush()
        session.add(Role(person_id=person.id, kind=RoleKind.ENTERPRISE_STAFF, enterprise_id=enterprise.id))
    return person


async def test_invite_binds_once_and_stores_only_a_hash(db: Database) -> None:
    person = await _listed_staff(db)
    now = utcnow()
    async with db.write() as session:
        assert [p.id for p in await people_to_invite(session=session)] == [person.id]
        token = await issue_invite(session=session, person=person, now=now, ttl=timedelta(days=14))
    async with db.read() as session:
        stored = (await session.exec(select(Invite))).one()
    assert stored.token_hash == hash_token(token) and token not in stored.token_hash

    async with db.write() as session:
        bound = await redeem_invite(
            session=session, token=token, telegram_id=777, language_code="zh", now=now
        )
    assert bound.id == person.id and bound.telegram_id == 777
    async with db.read() as session:
        assert await people_to_invite(session=session) == []

    with pytest.raises(Refused) as refused:
        async with db.write() as session:
            await redeem_invite(session=session, token=token, telegram_id=888, language_code=None, now=now)
    assert refused.value.message == INVITE_USED


async def test_expired_and_unknown_invites_are_refused(db: Database) -> None:
    person = await _listed_staff(db)
    now = utcnow()
    async with db.write() as session:
        token = await issue_invite(session=session, person=person, now=now, ttl=timedelta(days=1))
    with pytest.raises(Refused) as refused:
        async with db.write() as session:
            await redeem_invite(
                session=session, token=token, telegram_id=777, language_code=None, now=now + timedelta(days=2)
            )
    assert refused.value.message == INVITE_EXPIRED
    with pytest.raises(Refused) as refused:
        async with db.write() as session:
            await redeem_invite(session=session, token="forged", telegram_id=777, language_code=None, now=now)
    assert refused.value.message == INVITE_UNKNOWN
    async with db.read() as session:
        assert (await session.get(Person, person.id)).telegram_id is None  # type: ignore[union-attr]


async def test_invite_for_someone_already_chatting_moves_the_role_to_them(db: Database) -> None:
    person = await _listed_staff(db)
    now = utcnow()
    async with db.write() as session:
        resident = await register_user(session=session, telegram_id=777, name="Chen", language_code="en")
        token = await issue_invite(session=session, person=person, now=now, ttl=timedelta(days=14))
    async with db.write() as session:
        bound = await redeem_invite(
            session=session, token=token, telegram_id=777, language_code="en", now=now
        )
    assert bound.id == resident.id and bound.name == "陈委员"
    async with db.read() as session:
        roles = (await session.exec(select(Role))).all()
        assert [r.person_id for r in roles] == [resident.id]
        assert await session.get(Person, person.id) is None
