"""What the layers below tracking may ask about the active run, without importing tracking.

``lineage.session`` (the top of the run API) provides the answers when it is imported,
which ``import lineage`` always does; ``artifact`` and ``logged_edit`` sit below tracking
and ask here, so no import runs back up the layers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_current_store: Callable[[], Any] | None = None
_active_run_id: Callable[[], str | None] | None = None
_save: Callable[[Any, str | None, Any], Any] | None = None


def provide(
    current_store: Callable[[], Any],
    active_run_id: Callable[[], str | None],
    save: Callable[[Any, str | None, Any], Any],
) -> None:
    """Called once by lineage.session: how to answer the functions below."""
    global _current_store, _active_run_id, _save
    _current_store, _active_run_id, _save = current_store, active_run_id, save


def current_store() -> Any:
    """The active run's store, else the default store (where new artifacts write)."""
    assert _current_store is not None, "lineage.session provides the active run"
    return _current_store()


def active_run_id() -> str | None:
    """The id of the active run, or None."""
    assert _active_run_id is not None, "lineage.session provides the active run"
    return _active_run_id()


def save(artifact: Any, project: str | None, store_dir: Any) -> Any:
    """Log a draft artifact with the active run, else through a new run of type ``auto``."""
    assert _save is not None, "lineage.session provides the active run"
    return _save(artifact, project, store_dir)
