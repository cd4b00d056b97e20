"""Chat state kept for python-telegram-bot's persistence: conversation states and user data.

One row per stored item, so each step of a conversation is one small write.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime


class ChatState(SQLModel, table=True):
    __tablename__ = "chat_state"
    __table_args__ = (UniqueConstraint("kind", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    # "conversation:<name>", "user_data", "chat_data", "bot_data" or "callback_data".
    kind: str = Field(sa_column=Column(String(64), nullable=False))
    key: str = Field(sa_column=Column(String(200), nullable=False))  # JSON of the key
    value: str = Field(sa_column=Column(Text, nullable=False))  # JSON of the value
    updated_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
