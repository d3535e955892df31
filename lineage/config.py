"""A run's config: attribute and item access, ``update``; saved on every change."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .errors import ConfigError, InvalidArgumentError
from .storage import runs
from .values import RunMapping, clean_object, dump_object

if TYPE_CHECKING:
    from .tracking import Run


def config_mapping(config: Any, what: str = "config must be") -> Mapping[str, Any]:
    """What W&B takes as a config: a mapping, or an argparse ``Namespace`` (or any object) as its ``vars``."""
    if isinstance(config, Mapping):
        return config
    if not hasattr(config, "__dict__"):
        raise InvalidArgumentError(f"{what} a dict or a namespace, not {type(config).__name__}")
    return vars(config)


class Config(RunMapping):
    """A run's config: attribute and item access, ``update``; saved on every change."""

    def __init__(self, run: Run, values: dict[str, Any], allow_val_change: bool = False):
        object.__setattr__(self, "_run", run)
        object.__setattr__(self, "_values", values)
        object.__setattr__(self, "_allow_val_change", allow_val_change)

    def _save(self) -> None:
        runs.set_config(self._run.store.db, self._run.id, dump_object(self._values))

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

    def update(  # type: ignore[override]
        self, other: Mapping[str, Any] | Any = None, allow_val_change: bool | None = None, **kwargs: Any
    ) -> None:
        """Merge keys into the config (one write); ``other`` may be a dict or an argparse Namespace.

        As in W&B, changing the value of a key already set is refused unless
        ``allow_val_change=True`` (here, or given to ``init``).
        """
        other = {} if other is None else config_mapping(other, "config.update takes")
        merged = clean_object(dict(other, **kwargs), "config")
        allowed = self._allow_val_change if allow_val_change is None else allow_val_change
        changed = [k for k, v in merged.items() if k in self._values and self._values[k] != v]
        if changed and not allowed:
            key = changed[0]
            raise ConfigError(
                f"config key {key!r} is {self._values[key]!r}, not {merged[key]!r}: pass allow_val_change=True "
                "to change a value already set"
            )
        self._values.update(merged)
        self._save()

    def setdefaults(self, defaults: Mapping[str, Any]) -> None:
        """Set keys not already present (as W&B's ``config.setdefaults``)."""
        self.update({k: v for k, v in defaults.items() if k not in self._values})

    def as_dict(self) -> dict[str, Any]:
        return dict(self._values)
