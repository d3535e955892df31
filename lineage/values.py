"""Converting user values for storage: JSON metadata and config, metric values.

Metadata and config are JSON objects: NaN becomes null (as in W&B), infinities are
refused. Metric values keep NaN and infinities: numbers go to a REAL column, anything
else to a JSON column, and NaN (which SQLite cannot hold in REAL) to a marker.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any

from .errors import InvalidArgumentError
from .refs import check_utf8

NAN_MARKER = '{"_type": "nan"}'
# Deeper values are refused, not followed until Python's recursion limit (SQLite's JSON
# functions stop at 1000 levels; no real config or metadata comes near this).
MAX_DEPTH = 100
INT_RANGE = range(-(2**63), 2**63)  # what SQLite and every JSON reader keep exactly


def to_python(value: Any) -> Any:
    """Turn tensors, numpy scalars and arrays into plain Python values."""
    if isinstance(value, (str, bool, int, float)) or value is None:
        return value
    if hasattr(value, "detach"):  # a torch tensor, without importing torch
        value = value.detach().cpu()
    if hasattr(value, "tolist") and callable(value.tolist):  # numpy arrays/scalars, tensors
        return value.tolist()
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    return value


def _too_deep(where: str) -> InvalidArgumentError:
    return InvalidArgumentError(f"{where[:120]} is nested more than {MAX_DEPTH} levels deep: flatten it")


def _clean_json(value: Any, where: str, depth: int = 0) -> Any:
    value = to_python(value)
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            raise InvalidArgumentError(f"{where} holds an infinite number: use a finite value or a string")
        return value
    if isinstance(value, str):
        return check_utf8(value, f"text in {where[:120]}")
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if value not in INT_RANGE:
            raise InvalidArgumentError(f"{where[:120]} holds an integer beyond 64 bits: store it as a string")
        return value
    if depth >= MAX_DEPTH:
        raise _too_deep(where)
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            text = _json_key(key, where)
            check_utf8(text, f"key in {where[:120]}")
            if text in out:
                raise InvalidArgumentError(f"{where} has two keys that are both {text!r} as JSON: keep one")
            out[text] = _clean_json(item, f"{where}[{key!r}]", depth + 1)
        return out
    if isinstance(value, (list, tuple)):
        return [_clean_json(item, f"{where}[{i}]", depth + 1) for i, item in enumerate(value)]
    raise InvalidArgumentError(
        f"{where} holds a {type(value).__name__}, which JSON cannot hold: use numbers, text, lists or dicts"
    )


def _json_key(key: Any, where: str) -> str:
    """A key as JSON writes it (W&B's metadata takes int keys): 1 -> "1"; others are refused."""
    key = to_python(key)
    if isinstance(key, str):
        return key
    if isinstance(key, bool) or key is None:
        return json.dumps(key)
    if isinstance(key, int) or (isinstance(key, float) and math.isfinite(key)):
        return json.dumps(key)
    raise InvalidArgumentError(f"{where} has a non-text key {key!r}: JSON object keys must be text or numbers")


def clean_object(value: Any, what: str) -> dict[str, Any]:
    """Validate a JSON object (metadata, config): NaN -> null, inf refused."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidArgumentError(f"{what} must be a JSON object (a dict), not {type(value).__name__}")
    return _clean_json(value, what)


def dump_object(value: dict[str, Any]) -> str:
    """Serialise a cleaned JSON object: compact, keys in insertion order, strict JSON."""
    return json.dumps(value, allow_nan=False, separators=(",", ":"), ensure_ascii=False)


def encode_metric(value: Any) -> tuple[float | None, str | None]:
    """Split a metric value into (REAL column, JSON column)."""
    value = to_python(value)
    if isinstance(value, bool):
        return None, json.dumps(value)
    if isinstance(value, (int, float)):
        try:
            value = float(value)
        except OverflowError:
            raise InvalidArgumentError(f"cannot log the integer {str(value)[:20]}...: too large for a number") from None
        if math.isnan(value):
            return None, NAN_MARKER
        return value, None
    if value is None:
        return None, None
    try:
        return None, json.dumps(_clean_metric_json(value), allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise InvalidArgumentError(f"cannot log a {type(value).__name__}: {exc}") from None


def _clean_metric_json(value: Any, depth: int = 0) -> Any:
    value = to_python(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else str(value)
    if isinstance(value, str):
        return check_utf8(value, "logged text")
    if isinstance(value, (Mapping, list, tuple)) and depth >= MAX_DEPTH:
        raise _too_deep("a logged value")
    if isinstance(value, Mapping):
        return {check_utf8(str(k), "logged key"): _clean_metric_json(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean_metric_json(v, depth + 1) for v in value]
    return value


def decode_metric(number: float | None, data: str | None) -> Any:
    """Inverse of :func:`encode_metric`."""
    if number is not None:
        return number
    if data is None:
        return None
    if data == NAN_MARKER:
        return math.nan
    return json.loads(data)


def check_keys(data: Mapping[str, Any], what: str) -> None:
    """Refuse keys that are not non-empty text (for log, summary)."""
    for key in data:
        if not isinstance(key, str) or not key:
            raise InvalidArgumentError(f"{what} keys must be non-empty text, not {key!r}")
        check_utf8(key, f"{what} key")


class RunMapping(MutableMapping):
    """A run's dict of values (its config, its summary): reads from memory, writes through ``update``."""

    _values: dict[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.update({key: value})

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._values!r})"
