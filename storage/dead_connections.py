"""The PostgreSQL pool hands out no connection the server has closed.

A server restart (or ``pg_terminate_backend``) closes every pooled connection's socket, and
asyncpg notices that on its own: checking ``is_closed()`` when the pool hands a connection out
costs no round trip, and a closed one is replaced there, before any statement meets it. A
connection that has sat idle for a while is asked a question first, with a timeout, because it
may have died without a word (a firewall or NAT forgetting it), or closed too recently for the
event loop to have noticed. A busy pool hands each connection out again long before that, so
under load the check costs nothing but the look.
"""

from __future__ import annotations

import time

from sqlalchemy import event
from sqlalchemy.engine import AdaptedConnection, Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

IDLE_PING_SECONDS = 10.0  # idle longer than this, a connection answers a ping before it is used
PING_TIMEOUT_SECONDS = 5.0
_RETURNED_AT = "redprop_returned_at"


def refuse_dead_connections(engine: Engine) -> None:
    """Install the checks on the pool of ``engine`` (the ``sync_engine`` of an asyncpg engine)."""
    event.listen(engine, "checkin", note_return)
    event.listen(engine, "checkout", refuse_if_dead)


def note_return(_dbapi_connection: AdaptedConnection | None, record: ConnectionPoolEntry) -> None:
    """Remember when a connection went back to the pool."""
    record.info[_RETURNED_AT] = time.monotonic()


def refuse_if_dead(
    dbapi_connection: AdaptedConnection, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection
) -> None:
    """Raise DisconnectionError for a closed connection, so the pool opens another in its place."""
    if dbapi_connection.driver_connection.is_closed():
        raise DisconnectionError("the server closed this pooled connection")
    returned = record.info.get(_RETURNED_AT)
    if returned is None or time.monotonic() - returned <= IDLE_PING_SECONDS:
        return
    try:
        # The simple query protocol: one round trip, and no transaction (unlike the dialect's ping).
        dbapi_connection.run_async(lambda driver: driver.execute("SELECT 1", timeout=PING_TIMEOUT_SECONDS))
    except Exception as error:  # whatever went wrong, a new connection costs only a connect
        raise DisconnectionError("an idle pooled connection did not answer") from error
