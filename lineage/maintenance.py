"""Store maintenance: ``gc`` (free what nothing live uses) and ``fsck`` (check a store).

The work lives in :mod:`lineage.gc` and :mod:`lineage.fsck`; this module is the one place
``Store.gc``, ``Store.fsck`` and the CLI import them from.
"""

from __future__ import annotations

from .fsck import SEVERITY, FsckReport, Problem, fsck
from .gc import GcItem, GcPlan, gc, plan_gc

__all__ = ["SEVERITY", "FsckReport", "GcItem", "GcPlan", "Problem", "fsck", "gc", "plan_gc"]
