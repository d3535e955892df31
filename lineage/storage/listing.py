"""Whole-store reads in one pass each, for the report and exports: artifacts, files, history, run files."""

from __future__ import annotations

from .db import Database


def artifact_rows(db: Database) -> list[tuple[int, str, str, str, str]]:
    """(id, project, name, type, created_at) of every artifact, by type, name, project."""
    return db.read("SELECT id, project, name, type, created_at FROM artifacts ORDER BY type, name, project")


def file_rows(db: Database) -> list[tuple[int, str, int, str]]:
    """(version_id, path, size, sha256) of every stored file, by version and path."""
    return db.read("SELECT version_id, path, size, sha256 FROM files ORDER BY version_id, path")


def history_rows(db: Database) -> list[tuple[str, int, str, float | None, str | None]]:
    """(run_id, step, key, value, data) of every history row, by run, key, step."""
    return db.read("SELECT run_id, step, key, value, data FROM history ORDER BY run_id, key, step")


def run_file_rows(db: Database) -> list[tuple[str, str, int, str]]:
    """(run_id, path, size, sha256) of every run file, by run and path."""
    return db.read("SELECT run_id, path, size, sha256 FROM run_files ORDER BY run_id, path")
