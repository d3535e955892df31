"""OpenLineage out and in: every run and version as OpenLineage 2-0-2 RunEvents.

- ``export`` (``lineage export --format openlineage OUT``): newline-delimited RunEvents,
  one START and one terminal event (COMPLETE, FAIL, ABORT) per run.
- ``live``: opt-in emission while runs start and end, with a backlog in the store for
  events the endpoint did not take (``lineage export --format openlineage --send``).
- ``importer`` (``lineage import --format openlineage FILE``): events of other tools
  become runs and reference-only versions.

The mapping is in ``events.py`` and the README. This package imports the
``openlineage-python`` client only inside the functions that need it (it costs about
a quarter of a second), so ``import lineage`` and runs without emission stay light.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..store import StoreHandle as Store


def export(store: Store, out: str | os.PathLike, since: str | None = None) -> int:
    """Write the store's runs as OpenLineage RunEvents (NDJSON) to ``out``; returns the count.

    ``out`` is a file path, or ``-`` for stdout. ``since`` (ISO 8601) keeps events at or
    after that time. Exporting an unchanged store twice writes identical bytes.

    >>> export(lineage.Store(), "lineage.ndjson")  # doctest: +SKIP
    10
    """
    from .events import write_events

    return write_events(store, out, since)


def send_backlog(store: Store) -> tuple[int, int]:
    """Deliver the events live emission kept in the store; returns (sent, still kept)."""
    from .live import send_backlog as send

    return send(store)


def import_events(store: Store, path: str | os.PathLike) -> dict[str, int]:
    """Import an NDJSON file of OpenLineage RunEvents; returns counts of what was added."""
    from .importer import import_file

    return import_file(store, Path(path))


__all__ = ["export", "import_events", "send_backlog"]
