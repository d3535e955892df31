"""A real PostgreSQL server for the tests: ``initdb``/``pg_ctl`` in a temp folder, on a unix socket.

As root (tests run as root in CI) the server runs as the ``postgres`` user through
``runuser``; its folder (data and socket) is owned by that user. Nothing is installed here:
``make test`` installs Debian's ``postgresql`` package when ``initdb`` is missing.

``server`` is session-scoped (one server for the whole run); ``pg_url`` gives each test a
new empty database of its own.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# Debian's postgresql package puts its programs in /usr/lib/postgresql/<n>/bin.
SEARCH = ["/usr/local/bin", "/usr/local/pgsql/bin", *sorted(map(str, Path("/usr/lib/postgresql").glob("*/bin")))]


def program(name: str) -> str:
    """The path of a PostgreSQL server program (``initdb``, ``pg_ctl``)."""
    found = shutil.which(name) or next((f"{d}/{name}" for d in SEARCH if os.path.exists(f"{d}/{name}")), None)
    if found is None:
        raise RuntimeError(f"no {name} here: run 'make test' (it installs Debian's postgresql package)")
    return found


class PostgresServer:
    """One PostgreSQL server listening only on a unix socket in its own temp folder."""

    def __init__(self, fsync: bool = False) -> None:
        self.fsync = fsync
        self.folder = Path(tempfile.mkdtemp(prefix="lineage-pg-"))
        self.data = self.folder / "data"
        self.socket = str(self.folder)
        self._names = itertools.count()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
            self.folder.chmod(0o755)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.user = "postgres" if os.geteuid() == 0 else os.environ.get("USER", "postgres")

    def _run(self, *args: str) -> None:
        done = subprocess.run([*self.as_user, *args], capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:2])} failed: {(done.stdout + done.stderr).strip()[-800:]}")

    def start(self) -> None:
        self._run(program("initdb"), "-D", str(self.data), "-U", self.user, "-A", "trust", "--no-locale", "-E", "UTF8")
        # Tests need no durability across power cuts: fsync off keeps 1,000 small commits fast
        # (the benchmark keeps the server's default, on).
        fsync = "on" if self.fsync else "off"
        options = f"-k {self.socket} -c listen_addresses='' -c fsync={fsync} -c max_connections=300"
        self._run(program("pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "log"), "-o", options, "-w", "start")

    def stop(self) -> None:
        try:
            self._run(program("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        """The libpq URL of ``database`` on this server (socket folder in ``host=``)."""
        return f"postgresql:///{database}?host={self.socket}&user={self.user}"

    def new_database(self) -> str:
        """Create a new empty database; its URL."""
        import psycopg

        name = f"t{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as con:
            con.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server for the whole test session."""
    server = PostgresServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(postgres_server: PostgresServer) -> str:
    """The URL of a new empty database for this test."""
    return postgres_server.new_database()


# -- the backend-parametrised store ---------------------------------------------------------
# A test module that sets BACKENDS = ("folder", "postgres") runs each of its tests taking
# ``store_dir`` (or ``store``) once per backend; ``@pytest.mark.folder_only`` keeps a test
# that looks at a folder store's files on the folder store only. A module may name other
# fixtures to parametrise so in BACKEND_FIXTURES ({name: scope}; request.param is the backend).
def parametrise_backends(metafunc: pytest.Metafunc) -> None:
    """``pytest_generate_tests``: parametrise ``store_dir`` over the module's BACKENDS."""
    backends = getattr(metafunc.module, "BACKENDS", None)
    if not backends or metafunc.definition.get_closest_marker("folder_only"):
        return
    if metafunc.definition.get_closest_marker("folder_blobs"):
        backends = tuple(b for b in backends if not b.endswith("+s3"))
    for name, scope in getattr(metafunc.module, "BACKEND_FIXTURES", {"store_dir": "function"}).items():
        if name in metafunc.fixturenames:
            metafunc.parametrize(name, backends, indirect=True, scope=scope)
            return


def backend_store(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """Where this test's store is: a folder (not created yet), or a new PostgreSQL store's URL.

    ``postgres`` keeps its blobs in a folder of this test, ``postgres+s3`` in a new bucket of
    the test's S3 server (moto on 127.0.0.1): the team store as the README sets it up.
    """
    backend = getattr(request, "param", "folder")
    if backend == "folder":
        return tmp_path / "store"
    import lineage

    url = request.getfixturevalue("postgres_server").new_database()
    root = request.getfixturevalue("s3_root") if backend == "postgres+s3" else tmp_path / "team-blobs"
    store = lineage.Store(url).create(blobs=root)
    store.close()
    return url


def copy_store(url: str, server: PostgresServer, blobs: Path) -> str:
    """A private copy of the PostgreSQL store at ``url``: its database and its blob folder."""
    import psycopg

    with psycopg.connect(url) as con:
        source_blobs = con.execute("SELECT value FROM store_settings WHERE key = 'blob_root'").fetchone()[0]
    shutil.copytree(source_blobs, blobs)
    name = f"t{os.getpid()}_{next(server._names)}"
    with psycopg.connect(server.url(), autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}" TEMPLATE "{url.split("/")[3].split("?")[0]}"')
    copy = server.url(name)
    with psycopg.connect(copy) as con:
        con.execute("UPDATE store_settings SET value = %s WHERE key = 'blob_root'", (str(blobs),))
    return copy


def blob_root(store: Path | str) -> Path:
    """The folder holding the blobs of the store at ``store`` (``blobs/`` of a folder store)."""
    import lineage

    handle = lineage.Store(store)
    try:
        return Path(handle.blobs.root)
    finally:
        handle.close()


def emptied(url: str) -> str:
    """The PostgreSQL store at ``url`` with every row deleted (a fresh store for one more example)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        tables = [r[0] for r in con.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")]
        keep = {"lineage_schema", "store_settings"}
        con.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables if t not in keep) + " RESTART IDENTITY CASCADE")
    return url
