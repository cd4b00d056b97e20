"""Telegram's refusals, checked by the Bot API stand-in before it accepts a call.

Each check answers what Telegram answers with HTTP 400 (its own wording), or None when the
call is fine, so the tests and the sandbox catch what Telegram would refuse: a text over 4,096
UTF-16 code units or empty, a caption over 1,024, callback data over 64 bytes, a callback
answer over 200 characters, and a parse-mode text whose entities do not parse (HTML and
MarkdownV2; lengths are counted after the markup is taken out, as Telegram counts them).
"""

from __future__ import annotations

import html
import re
from typing import Any

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
CALLBACK_ANSWER_LIMIT = 200

TEXT_METHODS = frozenset({"sendMessage", "editMessageText"})
CAPTION_METHODS = frozenset(
    {
        "sendPhoto",
        "sendDocument",
        "sendVideo",
        "sendAudio",
        "sendVoice",
        "sendAnimation",
        "editMessageCaption",
    }
)
HTML_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "span"}
    | {"tg-spoiler", "tg-emoji", "blockquote"}
)
_HTML_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]+|#x[0-9a-fA-F]+);")
MARKDOWN_RESERVED = "_*[]()~`>#+-=|{}.!"
# MarkdownV2's paired markers, and the entity Telegram names when one is left open.
_MARKDOWN_PAIRS = {"*": "Bold", "_": "Italic", "~": "Strikethrough", "`": "Code"}


class EntityError(ValueError):
    """A parse-mode text Telegram cannot parse: the message says where."""


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def plain_html(text: str) -> str:
    """The text Telegram shows for an HTML-formatted ``text``, or :class:`EntityError`."""
    shown: list[str] = []
    open_tags: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "<":
            end = text.find(">", index)
            if end < 0:
                raise EntityError(f"Unclosed start tag at byte offset {_offset(text, index)}")
            tag = text[index + 1 : end].strip()
            if tag.startswith("/"):
                name = tag[1:].strip().lower()
                if not open_tags:
                    raise EntityError(f"Unexpected end tag at byte offset {_offset(text, index)}")
                if open_tags[-1] != name:
                    raise EntityError(
                        f"Unmatched end tag at byte offset {_offset(text, index)}, "
                        f'expected "</{open_tags[-1]}>", found "</{name}>"'
                    )
                open_tags.pop()
            else:
                name = (tag.split() or [""])[0].lower()
                if name not in HTML_TAGS:
                    raise EntityError(f'Unsupported start tag "{name}" at byte offset {_offset(text, index)}')
                open_tags.append(name)
            index = end + 1
        elif char == "&" and (entity := _HTML_ENTITY.match(text, index)):
            shown.append(html.unescape(entity.group()))
            index = entity.end()
        else:
            shown.append(char)
            index += 1
    if open_tags:
        raise EntityError(f'Can\'t find end tag corresponding to start tag "{open_tags[-1]}"')
    return "".join(shown)


def plain_markdown_v2(text: str) -> str:
    """The text Telegram shows for a MarkdownV2 ``text``, or :class:`EntityError`."""
    shown: list[str] = []
    opened: dict[str, int] = {}  # marker -> index where it opened
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            shown.append(text[index + 1])
            index += 2
            continue
        if char in _MARKDOWN_PAIRS:
            if char in opened:
                del opened[char]
            else:
                opened[char] = index
        elif char in MARKDOWN_RESERVED:
            raise EntityError(f"Character '{char}' is reserved and must be escaped with the preceding '\\'")
        else:
            shown.append(char)
        index += 1
    if opened:
        marker, at = min(opened.items(), key=lambda item: item[1])
        raise EntityError(
            f"Can't find end of {_MARKDOWN_PAIRS[marker]} entity at byte offset {_offset(text, at)}"
        )
    return "".join(shown)


def shown_text(text: str, parse_mode: Any) -> str:
    """What the user would read of ``text`` under ``parse_mode``."""
    mode = str(parse_mode or "").lower()
    if mode == "html":
        return plain_html(text)
    if mode == "markdownv2":
        return plain_markdown_v2(text)
    return text


def _bad(description: str) -> str:
    return f"Bad Request: {description}"


def _keyboard_refusal(markup: Any) -> str | None:
    if not isinstance(markup, dict):
        return None
    for row in markup.get("inline_keyboard") or []:
        for button in row:
            data = button.get("callback_data") if isinstance(button, dict) else None
            if data is not None and not 1 <= len(str(data).encode("utf-8")) <= CALLBACK_DATA_LIMIT:
                return _bad("BUTTON_DATA_INVALID")
    return None


def _caption_refusal(caption: Any, parse_mode: Any) -> str | None:
    if caption is None:
        return None
    try:
        shown = shown_text(str(caption), parse_mode)
    except EntityError as error:
        return _bad(f"can't parse entities: {error}")
    return _bad("message caption is too long") if utf16_length(shown) > CAPTION_LIMIT else None


def refusal(method: str, params: dict[str, Any]) -> str | None:
    """Telegram's description of why it refuses this call, or None if it accepts it."""
    if method in TEXT_METHODS:
        text = str(params.get("text") or "")
        try:
            shown = shown_text(text, params.get("parse_mode"))
        except EntityError as error:
            return _bad(f"can't parse entities: {error}")
        if not shown.strip():
            return _bad("message text is empty")
        if utf16_length(shown) > TEXT_LIMIT:
            return _bad("message is too long")
    if method in CAPTION_METHODS and (
        problem := _caption_refusal(params.get("caption"), params.get("parse_mode"))
    ):
        return problem
    if method == "sendMediaGroup":
        for item in params.get("media") or []:
            if isinstance(item, dict) and (
                problem := _caption_refusal(item.get("caption"), item.get("parse_mode"))
            ):
                return problem
    if (
        method == "answerCallbackQuery"
        and utf16_length(str(params.get("text") or "")) > CALLBACK_ANSWER_LIMIT
    ):
        return _bad("MESSAGE_TOO_LONG")
    return _keyboard_refusal(params.get("reply_markup"))
