"""The errors lineage raises: one base, a few kinds that also subclass the builtin a
caller would catch (``ValueError``, ``LookupError``, ...)."""

from __future__ import annotations


class LineageError(Exception):
    """Base of every error lineage raises on purpose."""


class InvalidArgumentError(LineageError, ValueError):
    """Bad input: a name, alias, ref, path, metadata or argument lineage refuses."""


class NotFoundError(LineageError, LookupError):
    """A ref, run, alias or file that resolves to nothing."""


class PathNotFoundError(NotFoundError, FileNotFoundError):
    """A path inside an artifact (or on disk) that does not exist."""


class ConflictError(LineageError, ValueError):
    """The request contradicts what the store holds (a type change, an alias in use)."""


class ConfigError(InvalidArgumentError):
    """A config change W&B refuses: a key's value changed without ``allow_val_change=True``."""


class CorruptBlobError(LineageError, ValueError):
    """A stored blob no longer has the content its digest names."""


class VerifyError(LineageError, ValueError):
    """A downloaded folder differs from its version: lists every bad file."""


class SchemaVersionError(LineageError, RuntimeError):
    """The store was written by a newer lineage, or is not a lineage store."""


class StoreBusyError(LineageError, RuntimeError):
    """Another process holds what this operation needs (for example gc vs. an upload)."""


class ReadOnlyStoreError(LineageError, PermissionError):
    """The store can be read but not written here (a read-only mount, no write permission)."""


class StoreFullError(LineageError, OSError):
    """The disk holding the store is full: nothing was written."""


class ObjectStoreError(LineageError, OSError):
    """The object store cannot be used: no credentials, access denied, endpoint unreachable."""
