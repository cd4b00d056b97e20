"""How the fake Bot API reads a call's parameters: urlencoded or multipart form fields, as
python-telegram-bot sends them, decoded back into what the bot meant."""

from __future__ import annotations

import email.parser
import email.policy
import json
from typing import Any

# Form fields that are text even when they look like JSON ("123", "[urgent] ...", "true").
# python-telegram-bot sends str values as they are and everything else JSON-encoded, so the
# other fields are decoded when they hold JSON.
TEXT_FIELDS = frozenset(
    {
        "text",
        "caption",
        "title",
        "description",
        "short_description",
        "name",
        "first_name",
        "last_name",
        "address",
        "question",
        "explanation",
        "query",
        "custom_title",
        "phone_number",
        "vcard",
        "url",
        "emoji",
        "data",
        "payload",
        "parse_mode",
        "action",
        "sticker",
        "callback_query_id",
        "inline_query_id",
        "shipping_query_id",
        "pre_checkout_query_id",
        "inline_message_id",
        "business_connection_id",
        "message_effect_id",
        "file_id",
    }
)


def decode_field(name: str, value: str) -> Any:
    """A form field as the bot meant it: JSON for structured values, text for text."""
    if name in TEXT_FIELDS:
        return value
    try:
        decoded = json.loads(value)
    except ValueError:
        return value
    # A bare JSON string would mean the bot double-encoded it; keep the raw text then.
    return value if isinstance(decoded, str) or decoded is None else decoded


def decode_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    return {name: decode_field(name, value) for name, value in pairs}


def parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    """Form fields decoded like urlencoded ones; files as {"filename", "content_type", "data"}."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    params: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        decoded = part.get_payload(decode=True)
        payload = decoded if isinstance(decoded, bytes) else b""
        filename = part.get_filename()
        if filename is not None:
            params[str(name)] = {
                "filename": filename,
                "content_type": part.get_content_type(),
                "data": payload,
            }
        else:
            charset = part.get_content_charset() or "utf-8"
            params[str(name)] = decode_field(str(name), payload.decode(charset))
    return params
