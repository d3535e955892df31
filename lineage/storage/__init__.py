"""The storage layer: the only code in lineage that holds SQL (placeholder; interface below)."""
