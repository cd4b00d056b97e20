"""Telegram ids in tests: the thousands say what a person is, the rest counts them from 1.

    1xxx  party-building instructors   1001 王指导员 (海悦物业), 1002 赵指导员 (滨海物业)
    2xxx  enterprise staff              2001 周经理 (海悦物业), 2002 孙经理 (滨海物业)
    3xxx  party committee members       3001 陈书记 (东方华庭), 3002 林书记 (山后)
    4xxx  street office admins          4001 刘主任 (灵山卫街道)
    5xxx  residents                     5001 Li Resident (东方华庭), 5002 Ma Neighbour (山后)
    6xxx  strangers                     Telegram users the database does not know when the test starts

The world of ``tests/factories/world.py`` holds the people above; a person a test adds with
the factories takes the next free number of their thousand (a third resident is 5003), and a
user who first comes through the chat is a stranger (``stranger(1)`` is 6001), even one who
joins a community there.
"""

from __future__ import annotations

from enum import IntEnum


class Kind(IntEnum):
    """What a person is to the bot: the thousands of their Telegram id."""

    INSTRUCTOR = 1
    STAFF = 2
    COMMITTEE = 3
    OFFICE = 4
    RESIDENT = 5
    STRANGER = 6


PER_KIND = 1000


def telegram_id(kind: Kind, number: int) -> int:
    """The Telegram id of the ``number``-th person of this kind (1 to 999)."""
    assert 1 <= number < PER_KIND, number
    return kind * PER_KIND + number


def kind_of(telegram_id: int) -> Kind:
    """The kind a Telegram id of the scheme stands for."""
    return Kind(telegram_id // PER_KIND)


def new_resident(number: int = 1) -> int:
    """The Telegram id of the ``number``-th resident a test adds after the world's two: 5003, 5004…"""
    return telegram_id(Kind.RESIDENT, 2 + number)


def stranger(number: int = 1) -> int:
    """The Telegram id of a user the database does not know yet."""
    return telegram_id(Kind.STRANGER, number)


INSTRUCTOR_TG = telegram_id(Kind.INSTRUCTOR, 1)
OTHER_INSTRUCTOR_TG = telegram_id(Kind.INSTRUCTOR, 2)
STAFF_TG = telegram_id(Kind.STAFF, 1)
OTHER_STAFF_TG = telegram_id(Kind.STAFF, 2)
COMMITTEE_TG = telegram_id(Kind.COMMITTEE, 1)
BARE_COMMITTEE_TG = telegram_id(Kind.COMMITTEE, 2)
ADMIN_TG = telegram_id(Kind.OFFICE, 1)
RESIDENT_TG = telegram_id(Kind.RESIDENT, 1)
NEIGHBOUR_TG = telegram_id(Kind.RESIDENT, 2)
