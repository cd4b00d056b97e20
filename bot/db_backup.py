"""``redprop db backup FILE`` and ``redprop db restore FILE`` for a SQLite database.

Both use SQLite's online backup API (:meth:`sqlite3.Connection.backup`): a backup is a
consistent copy even while the bot runs and writes (WAL), page by page, without stopping it.
A restore replaces the database's contents with the file's, in one step, and is refused while
a ``redprop run`` holds the database (bot/instances.py's lock file), since the running bot
would go on from the old state. PostgreSQL has its own tools: ``pg_dump`` and ``pg_restore``.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.instances import FileLock
from bot.startup import StartFailed
from locales.i18n import gettext as _
from storage.database import is_sqlite

EXIT_BAD_INPUT = 2
PAGES_PER_STEP = 1024  # a backup step at a time lets the running bot's writers in between


def _postgres_pointer(url: str, *, restoring: bool) -> int:
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=True)
    if restoring:
        hint = _("For PostgreSQL use pg_restore: pg_restore --clean --dbname '{url}' FILE").format(url=plain)
    else:
        hint = _("For PostgreSQL use pg_dump: pg_dump --format=custom --file FILE '{url}'").format(url=plain)
    print(hint, file=sys.stderr)
    return EXIT_BAD_INPUT


def _database_file(url: str) -> Path:
    return Path(make_url(url).database or "").expanduser()


def backup(url: str, target: Path) -> int:
    """Copy the SQLite database to ``target`` (a new file), consistent even while the bot runs."""
    if not is_sqlite(url):
        return _postgres_pointer(url, restoring=False)
    source = _database_file(url)
    if not source.is_file():
        print(_("No database at {path}.").format(path=source), file=sys.stderr)
        return EXIT_BAD_INPUT
    if target.exists():
        print(_("{path} exists already; name a new file.").format(path=target), file=sys.stderr)
        return EXIT_BAD_INPUT
    with sqlite3.connect(source) as origin, sqlite3.connect(target) as copy:
        origin.backup(copy, pages=PAGES_PER_STEP)
    origin.close()
    copy.close()
    print(_("Backed up {source} to {target}.").format(source=source, target=target))
    return 0


def _is_sqlite_database(path: Path) -> bool:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
            return connection.execute("PRAGMA quick_check").fetchone() == ("ok",)
    except sqlite3.DatabaseError:
        return False


def restore(url: str, source: Path) -> int:
    """Replace the SQLite database's contents with the backup ``source``; never while the bot runs."""
    if not is_sqlite(url):
        return _postgres_pointer(url, restoring=True)
    if not source.is_file() or not _is_sqlite_database(source):
        print(_("{path} is not a SQLite database backup.").format(path=source), file=sys.stderr)
        return EXIT_BAD_INPUT
    target = _database_file(url)
    lock = FileLock(url)
    try:
        asyncio.run(lock.acquire())  # the lock ``redprop run`` holds: none may run meanwhile
    except StartFailed:
        print(
            _("A redprop run is using {path}: stop it before restoring.").format(path=target),
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    try:
        with sqlite3.connect(source) as origin, sqlite3.connect(target) as database:
            origin.backup(database)
        origin.close()
        database.close()
    finally:
        asyncio.run(lock.release())
    print(
        _("Restored {target} from {source}; the next start applies any newer migrations.").format(
            target=target, source=source
        )
    )
    return 0
