"""``init``: W&B's keywords and environment variables, ``reinit`` and ``resume``.

Every keyword of ``wandb.init`` is accepted. Those with a meaning offline keep W&B's:
``project``, ``name``, ``job_type``, ``config``, ``notes``, ``group``, ``tags``, ``id``
with ``resume`` (continue a stored run), ``reinit``, ``allow_val_change``,
``config_include_keys``/``config_exclude_keys``. The rest (``mode``, ``settings``,
``save_code``, ``anonymous``, ``force``, ``magic``, ``tensorboard``,
``sync_tensorboard``, ``monitor_gym``, ``resume_from``, ``fork_from``) are documented
no-ops: there is no server to sync with, no code to upload, no login. ``entity`` is
kept on the run (``run.entity``, ``run.path``) and otherwise ignored. ``dir`` is the
store folder (W&B's is its local files folder).

Unset keywords come from W&B's environment variables, as in W&B: ``WANDB_PROJECT``,
``WANDB_ENTITY``, ``WANDB_NAME``, ``WANDB_NOTES``, ``WANDB_JOB_TYPE``,
``WANDB_RUN_GROUP``, ``WANDB_TAGS`` (comma-separated), ``WANDB_RUN_ID``,
``WANDB_RESUME``. ``WANDB_MODE`` and the rest are accepted and ignored.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from . import active, tracking
from .config import config_mapping
from .errors import ConflictError, InvalidArgumentError, NotFoundError
from .storage import runs
from .tracking import DEFAULT_PROJECT, Run, shared_store

RESUME_VALUES = ("allow", "must", "never", "auto")
REINIT_VALUES = ("default", "return_previous", "finish_previous", "create_new")


def _env(value: Any, variable: str) -> Any:
    if value is not None:
        return value
    found = os.environ.get(variable)
    return found if found else None


def init(
    project: str | None = None,
    job_type: str | None = None,
    config: Mapping[str, Any] | Any = None,
    name: str | None = None,
    dir: str | os.PathLike | None = None,
    entity: str | None = None,
    notes: str | None = None,
    tags: Sequence[str] | None = None,
    group: str | None = None,
    id: str | None = None,
    resume: bool | str | None = None,
    reinit: bool | str | None = None,
    allow_val_change: bool | None = None,
    config_exclude_keys: list[str] | None = None,
    config_include_keys: list[str] | None = None,
    mode: str | None = None,
    settings: Any = None,
    save_code: bool | None = None,
    anonymous: str | None = None,
    force: bool | None = None,
    magic: Any = None,
    tensorboard: bool | None = None,
    sync_tensorboard: bool | None = None,
    monitor_gym: bool | None = None,
    resume_from: str | None = None,
    fork_from: str | None = None,
) -> Run:
    """Start a run and make it the active one, with W&B's keywords (module docstring).

    ``id`` + ``resume``: ``"must"`` continues the stored run (an error if there is none),
    ``"allow"``/``"auto"``/``True`` continue it if it exists, else start it with that id;
    ``"never"`` (and no ``resume``) refuse an id already stored. ``reinit``: the default
    (and ``True``, ``"finish_previous"``) finishes the active run first; ``False`` and
    ``"return_previous"`` return the active run; ``"create_new"`` leaves it running.

    >>> with init(project="mnist", job_type="train", config={"epochs": 5}) as run:  # doctest: +SKIP
    ...     run.log({"loss": 0.1})
    """
    del mode, settings, save_code, anonymous, force, magic, tensorboard, sync_tensorboard, monitor_gym
    del resume_from, fork_from  # accepted for W&B scripts; nothing to do offline
    project = _env(project, "WANDB_PROJECT")
    entity = _env(entity, "WANDB_ENTITY")
    name = _env(name, "WANDB_NAME")
    notes = _env(notes, "WANDB_NOTES")
    job_type = _env(job_type, "WANDB_JOB_TYPE")
    group = _env(group, "WANDB_RUN_GROUP")
    run_id = _env(id, "WANDB_RUN_ID")
    resume = _env(resume, "WANDB_RESUME")
    if tags is None and os.environ.get("WANDB_TAGS"):
        tags = [t.strip() for t in os.environ["WANDB_TAGS"].split(",") if t.strip()]
    reinit = _reinit_mode(reinit)
    resume_mode = _resume_mode(resume)
    if tracking._active is not None:
        if reinit == "return_previous":
            return tracking._active
        if reinit == "finish_previous":
            tracking._active.finish()
    config = _config_dict(config, config_include_keys, config_exclude_keys)
    store = shared_store(dir)
    continuing = False
    if run_id is not None and resume_mode is not None:
        stored = store.exists()  # a failed resume="must" creates no store
        exists = stored and runs.run_exists(store.db, run_id)
        if resume_mode == "never" and exists:
            raise ConflictError(f"run id {run_id!r} is already in the store and resume='never': use another id")
        if resume_mode == "must" and not exists:
            raise NotFoundError(f"no run with id {run_id!r} to resume: pass resume='allow' to start it")
        continuing = exists
    run = Run(
        store,
        project or DEFAULT_PROJECT,
        job_type,
        config,
        name,
        notes,
        group=group,
        tags=tags,
        run_id=run_id,
        resume=continuing,
        allow_val_change=bool(allow_val_change),
    )
    run.entity = entity
    tracking._active = run
    tracking._publish(run)
    tracking._install_exit_hooks()
    return run


def _reinit_mode(reinit: bool | str | None) -> str:
    if reinit is None or reinit is True:
        return "finish_previous"
    if reinit is False:
        return "return_previous"
    if reinit not in REINIT_VALUES:
        raise InvalidArgumentError(f"invalid reinit {reinit!r}: use True, False or one of {', '.join(REINIT_VALUES)}")
    return "finish_previous" if reinit == "default" else reinit


def _resume_mode(resume: bool | str | None) -> str | None:
    if resume is None or resume is False:
        return None
    if resume is True:
        return "auto"
    if isinstance(resume, str) and resume.lower() in ("true", "false"):  # from WANDB_RESUME
        return "auto" if resume.lower() == "true" else None
    if resume not in RESUME_VALUES:
        raise InvalidArgumentError(f"invalid resume {resume!r}: use True, False or one of {', '.join(RESUME_VALUES)}")
    return resume


def _config_dict(config: Any, include: list[str] | None, exclude: list[str] | None) -> dict[str, Any] | None:
    """A dict from what W&B takes as config: a mapping or a namespace, filtered by keys."""
    if config is None:
        return None
    out = dict(config_mapping(config))
    if include:
        out = {k: v for k, v in out.items() if k in include}
    if exclude:
        out = {k: v for k, v in out.items() if k not in exclude}
    return out


def save_artifact(artifact: Any, project: str | None, store_dir: Any) -> Any:
    """``Artifact.save()``: log with the active run, else through a new run of type ``auto``."""
    if tracking._active is not None:
        return tracking._active.log_artifact(artifact)
    with init(project=project, job_type="auto", dir=store_dir, reinit="create_new") as run:
        return run.log_artifact(artifact)


def _active_run_id() -> str | None:
    return tracking._active.id if tracking._active is not None else None


active.provide(tracking.current_store, _active_run_id, save_artifact)
