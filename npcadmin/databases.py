"""Creating the configured databases (global and one per world) when they are missing."""

from __future__ import annotations

import psycopg
from django.conf import settings
from psycopg import sql


def _admin_conninfo(config: dict) -> dict:
    info = {"dbname": "postgres", "user": config.get("USER") or None,
            "password": config.get("PASSWORD") or None, "host": config.get("HOST") or None,
            "port": config.get("PORT") or None, "connect_timeout": 5}
    return {k: v for k, v in info.items() if v is not None}


def ensure_database(alias: str) -> bool:
    """Create the database behind `alias` if it does not exist; True if it was created."""
    config = settings.DATABASES[alias]
    with psycopg.connect(**_admin_conninfo(config), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]).fetchone()
        if exists:
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))
        return True
