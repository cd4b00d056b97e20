"""Test helpers for the directory file: the full contents of the directory tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import inspect
from sqlmodel import SQLModel, select

from models.directory.tables import Community, Enterprise, Person, Role, Street
from storage.database import Database

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "lingshanwei.toml"


async def directory_rows(db: Database) -> dict[str, list[dict[str, Any]]]:
    """Every row of every directory table, ids and timestamps included, ordered by id."""
    tables: list[type[SQLModel]] = [Street, Enterprise, Community, Person, Role]
    rows: dict[str, list[dict[str, Any]]] = {}
    async with db.read() as session:
        for table in tables:
            columns = [attribute.key for attribute in inspect(table).column_attrs]
            result = await session.exec(select(table))
            values = [{key: getattr(row, key) for key in columns} for row in result.all()]
            rows[table.__name__] = sorted(values, key=lambda row: row["id"])
    return rows
