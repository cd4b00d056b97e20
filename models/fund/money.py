"""Money as people type it (yuan) and as the bot keeps it (integer fen, never floats)."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

from models.base import N_
from models.refusal import Refused

BAD_AMOUNT = N_("Write the amount in yuan, like 12000 or 12000.50.")
NOT_POSITIVE = N_("The amount must be more than zero.")
NEGATIVE = N_("The amount cannot be below zero.")
TOO_PRECISE = N_("Amounts go down to the fen: at most two decimals, like 12000.50.")
TOO_LARGE = N_("That amount is too large: at most {limit} yuan.")

FEN_PER_YUAN = 100
# The most one application, budget or approval may hold: 100 million yuan.
MAX_FEN = 100_000_000 * FEN_PER_YUAN
# A yuan sign or the word 元 around the number is allowed; thousands separators are not.
_DECORATION = re.compile(r"^[¥￥]?\s*(?P<number>[^¥￥元]*?)\s*元?$")


def parse_yuan(text: str, *, zero: bool = False) -> int:
    """An amount typed in yuan as whole fen: refused if it is not a number, not above zero (with
    ``zero``, a budget: below zero), finer than a fen or above :data:`MAX_FEN`."""
    # Full-width digits and points (１２０００．５) as typed on a Chinese keyboard count as digits.
    match = _DECORATION.match(unicodedata.normalize("NFKC", text).strip())
    number = match.group("number") if match else ""
    try:
        value = Decimal(number)
    except InvalidOperation:
        raise Refused(BAD_AMOUNT) from None
    if not value.is_finite() or not re.fullmatch(r"[+-]?[0-9]+(\.[0-9]+)?", number):
        raise Refused(BAD_AMOUNT)
    if value < 0 and zero:
        raise Refused(NEGATIVE)
    if value < 0 or (value == 0 and not zero):
        raise Refused(NOT_POSITIVE)
    fen = value * FEN_PER_YUAN
    if fen != fen.to_integral_value():
        raise Refused(TOO_PRECISE)
    if fen > MAX_FEN:
        raise Refused(TOO_LARGE, limit=yuan_text(MAX_FEN))
    return int(fen)


def yuan_text(fen: int) -> str:
    """Fen written as yuan for people: ``1200050`` → ``12,000.50`` (no rounding: it is exact)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}{whole:,}.{cents:02d}"


def yuan_plain(fen: int) -> str:
    """Fen as a plain yuan number for files (CSV): ``1200050`` → ``12000.50``."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}{whole}.{cents:02d}"
