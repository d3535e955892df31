"""How lineage writes sizes, times and run labels for people: one rule each, for the CLI and the report."""

from __future__ import annotations

import math
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any


def format_bytes(n: int | float) -> str:
    """``1536`` -> ``1.5 kB`` (powers of 1000, as disks are sold)."""
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{int(n)} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    raise AssertionError("unreachable")


def format_size(n: int | None) -> str:
    """A size as :func:`format_bytes` writes it; ``""`` for an unknown size."""
    return "" if n is None else format_bytes(n)


def format_time(stamp: str | None) -> str:
    """``2026-11-23T10:00:00.123456Z`` -> ``2026-11-23 10:00:00``; ``""`` for none."""
    return stamp[:19].replace("T", " ") if stamp else ""


def job_label(job_type: str | None) -> str:
    """A run's job type as shown: ``run`` for a run without one."""
    return job_type or "run"


def run_label(job_type: str | None, name: str) -> str:
    """A run's label in the exploded graph: ``load-data:sunny-smoke-1`` (``run:<name>`` without a job type)."""
    return f"{job_label(job_type)}:{name}"


def plain_json(value: Any) -> Any:
    """A value json.dumps can write as strict JSON (no NaN tokens, no bytes)."""
    if isinstance(value, float) and not math.isfinite(value):
        # NaN becomes null as in W&B's metadata; infinities keep their sign as text.
        return None if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {str(k): plain_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain_json(v) for v in value]
    if is_dataclass(value) and not isinstance(value, type):
        return plain_json(asdict(value))
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
