"""Take one world's database away for the length of a `with` block, then restore its connection.

Use in `transaction=True` tests: a test transaction keeps the old connection open. The live
server's threads see the change too, because every connection shares its alias's settings dict.
"""

from __future__ import annotations

import contextlib

from django.db import connections

from npcadmin.routers import world_db


@contextlib.contextmanager
def _broken(world_id: str, **broken):
    connection = connections[world_db(world_id)]
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(broken)
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


def world_down(world_id: str):
    """The world's server is unreachable (its socket directory is gone)."""
    return _broken(world_id, HOST="/nonexistent/npcadmin-world-down")


def world_missing(world_id: str):
    """The world's database does not exist on its server."""
    return _broken(world_id, NAME="npcadmin_no_such_world")


@contextlib.contextmanager
def world_hung(world_id: str):
    """The world's server takes connections but never answers (a frozen host, a full backlog):
    each connect waits out its `connect_timeout`, the costly kind of outage. A listening TCP
    socket that never accepts: the kernel completes the handshake, nobody reads the startup."""
    import socket

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    try:
        with _broken(world_id, HOST="127.0.0.1", PORT=str(listener.getsockname()[1])):
            yield
    finally:
        listener.close()


@contextlib.contextmanager
def world_refusing(world_id: str):
    """The world's database refuses connections and its sessions are terminated (what a
    database taken down for maintenance does), while its server keeps serving the others."""
    from psycopg import sql

    name = connections[world_db(world_id)].settings_dict["NAME"]
    connections[world_db(world_id)].close()
    with connections["default"].cursor() as cursor:
        cursor.execute(sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS false").format(sql.Identifier(name)))
        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name])
    try:
        yield
    finally:
        with connections["default"].cursor() as cursor:
            cursor.execute(sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS true").format(sql.Identifier(name)))
