"""W&B calls that have no work to do offline, and a run's W&B identity attributes.

``login``, ``watch``, ``unwatch``, ``define_metric``, ``alert``, ``log_code`` and
``mark_preempting`` are accepted with W&B's parameters and do nothing (there is no
server, no API key, no gradient upload, no alerting): a W&B script's first line,
``wandb.login()``, just returns True. ``run.path`` is ``entity/project/id`` (``project/id``
without an entity), ``run.dir`` W&B's ``./wandb/run-<id>/files`` folder, whose files are
kept with the run when it finishes (W&B uploads them then).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .refs import check_tags, check_text
from .storage import runs


def login(
    anonymous: str | None = None,
    key: str | None = None,
    relogin: bool | None = None,
    host: str | None = None,
    force: bool | None = None,
    timeout: int | None = None,
    verify: bool = False,
    referrer: str | None = None,
) -> bool:
    """W&B's ``login``: nothing to log in to offline; returns True."""
    return True


def watch(
    models: Any = None,
    criterion: Any = None,
    log: str | None = "gradients",
    log_freq: int = 1000,
    idx: int | None = None,
    log_graph: bool = False,
) -> None:
    """W&B's ``watch``: accepted, no-op offline (gradients and parameters are not logged)."""


def unwatch(models: Any = None) -> None:
    """W&B's ``unwatch``: accepted, no-op offline."""


def define_metric(
    name: str,
    step_metric: str | None = None,
    step_sync: bool | None = None,
    hidden: bool | None = None,
    summary: str | None = None,
    goal: str | None = None,
    overwrite: bool | None = None,
) -> None:
    """W&B's ``define_metric``: accepted, no-op offline (summary keeps the last value)."""


def alert(title: str, text: str, level: Any = None, wait_duration: Any = None) -> None:
    """W&B's ``alert``: accepted, no-op offline (there is nobody to notify)."""


class Settings:
    """W&B's ``wandb.Settings(...)``: accepted, and ignored offline (``init(settings=...)``).

    W&B has hundreds of settings (start method, silence, console capture, ...); none
    changes what lineage records, so every keyword is kept as an attribute and unused.
    """

    def __init__(self, **settings: Any):
        self.__dict__.update(settings)

    def __repr__(self) -> str:
        return f"Settings({', '.join(f'{k}={v!r}' for k, v in self.__dict__.items())})"


class RunCompat:
    """A run's W&B identity (``path``, ``dir``, settable ``name``/``notes``/``tags``/``group``) and no-ops."""

    id: str
    project: str
    entity: str | None
    _dir: Path | None

    if TYPE_CHECKING:  # provided by tracking.Run
        from .facade import Store

        store: Store

        def save(self, glob_str: Any, base_path: Any = None, policy: str = "live") -> list[str]: ...

    @property
    def path(self) -> str:
        """``entity/project/id`` as in W&B (``project/id`` when no entity was given)."""
        return "/".join(p for p in (self.entity, self.project, self.id) if p)

    @property
    def dir(self) -> str:
        """W&B's files folder, ``./wandb/run-<id>/files``; its files are kept with the run at finish."""
        if self._dir is None:
            self._dir = Path.cwd() / "wandb" / f"run-{self.id}" / "files"
        self._dir.mkdir(parents=True, exist_ok=True)
        return str(self._dir)

    def _keep_dir(self) -> None:
        """At finish: keep the files written into ``run.dir``, as W&B uploads them."""
        if self._dir is None or not self._dir.is_dir():
            return
        if any(os.scandir(self._dir)):
            self.save(str(self._dir / "**" / "*"), base_path=str(self._dir))

    @property
    def url(self) -> None:
        """W&B's run page: there is none offline (``lineage report`` writes pages)."""
        return None

    @property
    def offline(self) -> bool:
        return True

    @property
    def disabled(self) -> bool:
        return False

    @property
    def resumed(self) -> bool:
        return getattr(self, "_resumed", False)

    def _set_column(self, column: str, value: Any) -> None:
        runs.set_column(self.store.db, self.id, column, value)

    @property
    def name(self) -> str:
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        self._name = check_text(value, "run name", limit=65536)
        if getattr(self, "_stored", False):
            self._set_column("name", self._name)

    @property
    def group(self) -> str | None:
        return self._group

    @group.setter
    def group(self, value: str | None) -> None:
        self._group = None if value is None else check_text(value, "run group")
        if getattr(self, "_stored", False):
            self._set_column("group_name", self._group)

    @property
    def tags(self) -> tuple[str, ...]:
        return tuple(self._tags)

    @tags.setter
    def tags(self, value: Any) -> None:
        self._tags = check_tags(value)
        if getattr(self, "_stored", False):
            self._set_column("tags", json.dumps(self._tags))

    @property
    def notes(self) -> str | None:
        return self._notes

    @notes.setter
    def notes(self, value: str | None) -> None:
        self._notes = None if value is None else check_text(value, "run notes", lines=True, limit=65536)
        if getattr(self, "_stored", False):
            self._set_column("notes", self._notes)

    def watch(self, models: Any = None, criterion: Any = None, log: str | None = "gradients", log_freq: int = 1000,
              idx: int | None = None, log_graph: bool = False) -> None:  # fmt: skip
        """W&B's ``run.watch``: accepted, no-op offline."""

    def unwatch(self, models: Any = None) -> None:
        """W&B's ``run.unwatch``: accepted, no-op offline."""

    def define_metric(self, name: str, step_metric: str | None = None, step_sync: bool | None = None,
                      hidden: bool | None = None, summary: str | None = None, goal: str | None = None,
                      overwrite: bool | None = None) -> None:  # fmt: skip
        """W&B's ``run.define_metric``: accepted, no-op offline."""

    def alert(self, title: str, text: str, level: Any = None, wait_duration: Any = None) -> None:
        """W&B's ``run.alert``: accepted, no-op offline."""

    def log_code(self, root: str | None = ".", name: str | None = None, include_fn: Any = None,
                 exclude_fn: Any = None) -> None:  # fmt: skip
        """W&B's ``run.log_code``: accepted, no-op offline (code is not uploaded)."""

    def mark_preempting(self) -> None:
        """W&B's ``run.mark_preempting``: accepted, no-op offline."""
