"""Shared fixtures: a fresh store folder per test, and no run left active between tests."""

from __future__ import annotations

import pytest

import lineage
from lineage import tracking
from tests.helpers.postgres import backend_store, parametrise_backends, pg_url, postgres_server  # noqa: F401
from tests.helpers.s3 import s3_client, s3_env, s3_root, s3_server  # noqa: F401 (fixtures)

pytest_generate_tests = parametrise_backends


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
def store_dir(request, tmp_path):
    """The test's store: a folder, or (in a module with BACKENDS) a PostgreSQL URL per backend."""
    return backend_store(request, tmp_path)


@pytest.fixture
def store(store_dir):
    return lineage.Store(store_dir).create()


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's headless Chromium for browser tests, installed with apt-get when missing.

    Skips (with the reason) only where it cannot be installed, e.g. no root or no registry.
    """
    import os
    import shutil
    import subprocess

    if not os.path.exists(CHROMIUM):
        if shutil.which("apt-get") is None or os.geteuid() != 0:
            pytest.skip("no /usr/bin/chromium, and apt-get cannot install it here (needs Debian and root)")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for command in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "chromium"]):
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1200, check=False)
            if done.returncode != 0:
                pytest.skip(f"cannot install chromium: {' '.join(command)} failed: {done.stderr.strip()[-300:]}")
    return CHROMIUM
