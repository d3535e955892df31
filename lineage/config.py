"""A run's config: attribute and item access, ``update``; saved on every change."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .values import RunMapping, clean_object, dump_object

if TYPE_CHECKING:
    from .tracking import Run


class Config(RunMapping):
    """A run's config: attribute and item access, ``update``; saved on every change."""

    def __init__(self, run: Run, values: dict[str, Any]):
        object.__setattr__(self, "_run", run)
        object.__setattr__(self, "_values", values)

    def _save(self) -> None:
        self._run._write("UPDATE runs SET config = ? WHERE id = ?", (dump_object(self._values), self._run.id))

    def __getattr__(self, key: str) -> Any:
        try:
            return self._values[key]
        except KeyError:
            raise AttributeError(f"config has no key {key!r}") from None

    def __setattr__(self, key: str, value: Any) -> None:
        self[key] = value

    def __delitem__(self, key: str) -> None:
        del self._values[key]
        self._save()

    def update(self, other: Mapping[str, Any] | None = None, **kwargs: Any) -> None:  # type: ignore[override]
        """Merge keys into the config (one write)."""
        merged = dict(other or {}, **kwargs)
        self._values.update(clean_object(merged, "config"))
        self._save()

    def setdefaults(self, defaults: Mapping[str, Any]) -> None:
        """Set keys not already present (as W&B's ``config.setdefaults``)."""
        self.update({k: v for k, v in defaults.items() if k not in self._values})

    def as_dict(self) -> dict[str, Any]:
        return dict(self._values)
