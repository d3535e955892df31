"""The ``store_settings`` table: what every client of a store must agree on (its blob root)."""

from __future__ import annotations

from .db import Database

BLOB_ROOT = "blob_root"
# The store's own id (a uuid4 hex): written beside the blobs of the root it records, so two
# stores cannot share one root.
STORE_ID = "store_id"


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


def put_new(db: Database, key: str, value: str) -> str:
    """Set ``key`` to ``value`` unless it has a value already; the value it holds now.

    Processes creating the same store at once all end up with the first one's value.
    """
    with db.write(durable=True) as con:
        con.execute("INSERT INTO store_settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", (key, value))
        return con.execute("SELECT value FROM store_settings WHERE key = ?", (key,)).fetchone()[0]
