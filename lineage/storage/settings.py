"""The ``store_settings`` table: what every client of a store must agree on (its blob root)."""

from __future__ import annotations

from .db import Database

BLOB_ROOT = "blob_root"


def get(db: Database, key: str) -> str | None:
    """The value of setting ``key``, or None when the store has none."""
    row = db.read_one("SELECT value FROM store_settings WHERE key = ?", (key,))
    return None if row is None else row[0]


def put(db: Database, key: str, value: str) -> None:
    """Set ``key`` to ``value`` (replacing an earlier value)."""
    with db.write(durable=True) as con:
        con.execute(
            "INSERT INTO store_settings (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )
