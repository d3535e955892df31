"""A run's summary: the last logged value of each key unless ``update`` overrode it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .storage import runs
from .values import RunMapping, check_keys, encode_metric

if TYPE_CHECKING:
    from .tracking import Run


class Summary(RunMapping):
    """A run's summary: the last logged value of each key unless ``update`` overrode it."""

    def __init__(self, run: Run):
        self._run = run
        self._values: dict[str, Any] = {}

    def _store_values(self, values: Mapping[str, Any]) -> None:
        rows = [(self._run.id, key, *encode_metric(value)) for key, value in values.items()]
        runs.set_summary(self._run.store.db, rows)
        self._values.update(values)

    def __delitem__(self, key: str) -> None:
        del self._values[key]
        runs.delete_summary(self._run.store.db, self._run.id, key)

    def update(self, other: Mapping[str, Any] | None = None, **kwargs: Any) -> None:  # type: ignore[override]
        """Set summary values (tensors and numpy scalars become numbers)."""
        values = dict(other or {}, **kwargs)
        check_keys(values, "summary")
        self._run._check_running()
        self._store_values({k: self._run._media_value(k, None, v) for k, v in values.items()})
