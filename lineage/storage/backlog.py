"""The ``openlineage_backlog`` table: events live emission could not deliver, oldest first."""

from __future__ import annotations

from .db import Database, now


def keep(db: Database, run_id: str, event_type: str, event: str) -> None:
    """Keep one event (its JSON) for a later ``lineage export --format openlineage --send``."""
    with db.write() as con:
        con.execute(
            "INSERT INTO openlineage_backlog (run_id, event_type, event, created_at) VALUES (?, ?, ?, ?)",
            (run_id, event_type, event, now()),
        )


def holds_run(db: Database, run_id: str) -> bool:
    """True when an earlier event of the run is still kept (later ones queue behind it)."""
    return db.read_one("SELECT 1 FROM openlineage_backlog WHERE run_id = ? LIMIT 1", (run_id,)) is not None


def pending(db: Database) -> list[tuple[int, str, str, str]]:
    """Every kept event as (id, run_id, event_type, event JSON), oldest first."""
    return db.read("SELECT id, run_id, event_type, event FROM openlineage_backlog ORDER BY id")


def delivered(db: Database, event_id: int) -> None:
    """Forget an event the endpoint accepted."""
    with db.write() as con:
        con.execute("DELETE FROM openlineage_backlog WHERE id = ?", (event_id,))


def count(db: Database) -> int:
    """How many events are kept."""
    return db.read_one("SELECT count(*) FROM openlineage_backlog")[0]
