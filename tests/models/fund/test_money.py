"""Money typed in yuan becomes exact integer fen; anything else is refused with the reason."""

from __future__ import annotations

import pytest

from models.fund.applications import CASE_NUMBER
from models.fund.money import (
    BAD_AMOUNT,
    NEGATIVE,
    NOT_POSITIVE,
    TOO_LARGE,
    TOO_PRECISE,
    parse_yuan,
    yuan_plain,
    yuan_text,
)
from models.refusal import Refused


@pytest.mark.parametrize(
    ("typed", "fen"),
    [
        ("12000", 1200000),
        ("12000.5", 1200050),
        ("12000.50", 1200050),
        ("0.01", 1),
        ("¥ 36000.10", 3600010),
        ("880元", 88000),
        ("１２０００．５", 1200050),
        ("0.10", 10),
        ("100000000", 10_000_000_000),
    ],
)
def test_yuan_become_exact_fen(typed: str, fen: int) -> None:
    assert parse_yuan(typed) == fen


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("-1", NOT_POSITIVE),
        ("0", NOT_POSITIVE),
        ("0.00", NOT_POSITIVE),
        ("0.001", TOO_PRECISE),
        ("1.234", TOO_PRECISE),
        ("1,000", BAD_AMOUNT),
        ("1e3", BAD_AMOUNT),
        ("NaN", BAD_AMOUNT),
        ("Infinity", BAD_AMOUNT),
        ("", BAD_AMOUNT),
        ("٣", BAD_AMOUNT),
        ("100000000.01", TOO_LARGE),
    ],
)
def test_bad_amounts_are_refused(typed: str, message: str) -> None:
    with pytest.raises(Refused) as refused:
        parse_yuan(typed)
    assert refused.value.message == message


def test_fen_are_shown_exactly() -> None:
    assert yuan_text(1200050) == "12,000.50"
    assert yuan_text(1) == "0.01"
    assert yuan_plain(123456789) == "1234567.89"


def test_case_numbers_are_found_beside_chinese_text_and_punctuation() -> None:
    purpose = "维修LSW-2026-000012屋顶，另见案件LSW-2026-000013。Not LSW-2026-0000144 nor xLSW-2026-00001"
    assert CASE_NUMBER.findall(purpose) == ["LSW-2026-000012", "LSW-2026-000013"]


def test_a_budget_may_be_zero_but_never_below() -> None:
    assert parse_yuan("0", zero=True) == 0
    with pytest.raises(Refused) as refused:
        parse_yuan("-1", zero=True)
    assert refused.value.message == NEGATIVE
    with pytest.raises(Refused):
        parse_yuan("0")  # an application's amount is never zero
