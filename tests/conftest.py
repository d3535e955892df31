"""Shared fixtures: a fresh store folder per test, and no run left active between tests."""

from __future__ import annotations

import pytest

import lineage
from lineage import tracking


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    """Each test works in its own folder, with no inherited store and no active run."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LINEAGE_DIR", raising=False)
    yield
    if tracking._active is not None:
        tracking._active.finish()
    for store in tracking._stores.values():
        store.close()
    tracking._stores.clear()


@pytest.fixture
def store_dir(tmp_path):
    return tmp_path / "store"


@pytest.fixture
def store(store_dir):
    return lineage.Store(store_dir).create()
