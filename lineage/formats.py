"""How lineage writes sizes, times and run labels for people: one rule each, for the CLI and the report."""

from __future__ import annotations


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
