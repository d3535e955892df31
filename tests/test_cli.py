"""The ``lineage`` command line, end to end: real subprocesses against a real store.

The store is the W&B tutorial's pipeline (tests/cli_store.py), built once through the
Python API in its own process; tests that change a store work on a copy of the folder.
"""

from __future__ import annotations

import json
import os
import pty
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from lineage.cli import cli
from tests.helpers.postgres import blob_root, copy_store

BACKENDS = ("folder", "postgres")
BACKEND_FIXTURES = {"built": "session"}

ROOT = Path(__file__).resolve().parent.parent
VERBS = sorted(cli.commands)
# SPEC section 6, in its order.
SPEC_VERBS = [
    *("init", "status", "runs", "artifacts", "versions", "show", "files", "ancestry", "impact", "graph"),
    *("download", "verify", "alias", "unalias", "sql", "export", "delete", "gc", "fsck", "report"),
    "registry",  # SPEC section 12 (issue 11): the offline model registry
    "copy",  # SPEC section 10 (issue 15): a store's lineage into another
]
BAD_REF = "no-such-artifact:v0"


def lineage(*args: str, store: Path | None, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
    """Run ``python -m lineage.cli [--store STORE] ARGS`` and return the finished process."""
    env = {k: v for k, v in os.environ.items() if k != "LINEAGE_DIR"}
    command = [sys.executable, "-m", "lineage.cli", *(["--store", str(store)] if store else []), *args]
    kwargs.setdefault("stdout", subprocess.PIPE)
    kwargs.setdefault("stderr", subprocess.PIPE)
    done = subprocess.run(command, text=True, env=env, timeout=120, **kwargs)
    if check and done.returncode != 0:
        raise AssertionError(f"{args} exited {done.returncode}: {done.stderr}")
    return done


def as_json(*args: str, store: Path) -> object:
    return json.loads(lineage(*args, "--json", store=store).stdout)


def assert_one_line_error(done: subprocess.CompletedProcess, *words: str) -> None:
    """Exit 1, exactly one line on stderr, naming the problem, and no traceback."""
    assert done.returncode == 1, done
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("lineage: error: "), lines[0]
    for word in words:
        assert word in lines[0], lines[0]
    assert "Traceback" not in done.stderr and done.stdout == ""


def snapshot(store: Path | str) -> tuple[list, list[tuple[str, int]]]:
    """What a store holds: every row (a SQL dump) and every blob file with its size."""
    if isinstance(store, str):
        return postgres_snapshot(store)
    con = sqlite3.connect(f"{(store / 'lineage.db').as_uri()}?mode=ro", uri=True)
    try:
        rows = list(con.iterdump())
    finally:
        con.close()
    blobs = sorted(
        (str(p.relative_to(store)), p.stat().st_size)
        for p in (store / "blobs").rglob("*")
        if p.is_file() and p.name != "staging.lock"
    )
    return rows, blobs


def postgres_snapshot(url: str) -> tuple[list, list[tuple[str, int]]]:
    """snapshot() of a PostgreSQL store: every row of every table, and its blob root's files."""
    import psycopg

    with psycopg.connect(url) as con:
        tables = [r[0] for r in con.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        rows = sorted((t, sorted(map(repr, con.execute(f'SELECT * FROM "{t}"').fetchall()))) for t in tables)
        root = Path(con.execute("SELECT value FROM store_settings WHERE key = 'blob_root'").fetchone()[0])
    blobs = sorted((str(p.relative_to(root)), p.stat().st_size) for p in root.rglob("*") if p.is_file())
    return rows, blobs


@pytest.fixture(scope="session")
def built(request, tmp_path_factory) -> Path | str:
    """The tutorial store: a folder, or (the postgres backend) a PostgreSQL URL."""
    folder = tmp_path_factory.mktemp("cli")
    store: Path | str = folder / "store"
    if getattr(request, "param", "folder") == "postgres":
        store = request.getfixturevalue("postgres_server").new_database()
        lineage("init", store, "--blobs", str(folder / "blobs"), store=None)
    subprocess.run([sys.executable, str(ROOT / "tests" / "cli_store.py"), str(store)], check=True, timeout=120)
    return store


@pytest.fixture
def store(request, built, tmp_path) -> Path | str:
    """A private copy of the tutorial store (a folder store: copying it is enough)."""
    if isinstance(built, str):
        return copy_store(built, request.getfixturevalue("postgres_server"), tmp_path / "blobs")
    return Path(shutil.copytree(built, tmp_path / "store"))


# -- help and docs --------------------------------------------------------------------------
# Verbs beyond section 6: import (section 11, OpenLineage in).
OTHER_VERBS = ["import"]


def test_every_verb_of_the_spec_exists_and_no_other():
    assert sorted(SPEC_VERBS + OTHER_VERBS) == VERBS


def test_lineage_help_lists_every_verb():
    done = lineage("--help", store=None)
    for verb in VERBS:
        assert re.search(rf"^  {verb}\s+\S", done.stdout, re.M), f"{verb} missing from lineage --help"


def test_no_command_prints_help():
    assert "Commands:" in lineage(store=None).stdout


@pytest.mark.parametrize("verb", VERBS)
def test_verb_help(verb):
    done = lineage(verb, "--help", store=None)
    assert done.stdout.startswith(f"Usage: lineage {verb}")
    body = done.stdout.split("\n\n", 1)[1].split("Options:")[0]  # what follows the usage line
    assert len(body.split("\n\n")[0].strip()) > 20, f"lineage {verb} --help has no description"
    assert re.search(rf"lineage (--store \S+ )?{verb}\b", body), f"lineage {verb} --help has no example"


def test_readme_lists_every_verb_with_an_example():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [verb for verb in VERBS if not re.search(rf"lineage (--store \S+ )?{verb}\b", readme)]
    assert not missing, f"README.md has no example of: {', '.join(missing)}"


def test_version():
    assert lineage("--version", store=None).stdout.startswith("lineage ")


def test_import_is_light():
    code = (
        "import sys, lineage.cli; "
        "print(sorted(m for m in ('pyarrow', 'duckdb', 'networkx', 'rich', 'torch') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


# -- reading the store --------------------------------------------------------------------------
def test_init_creates_a_store_and_is_idempotent(tmp_path):
    target = tmp_path / "new"
    assert "created store at" in lineage("init", store=target).stdout
    assert (target / "lineage.db").is_file()
    assert "already" in lineage("init", store=target).stdout
    status = as_json("status", store=target)
    assert status["runs"] == 0 and status["schema_version"] >= 1


def test_a_missing_store_is_not_created(tmp_path):
    done = lineage("runs", store=tmp_path / "nowhere", check=False)
    assert_one_line_error(done, "no lineage store", "lineage init")
    assert not (tmp_path / "nowhere").exists()


def test_store_from_environment(built, tmp_path):
    env = {**os.environ, "LINEAGE_DIR": str(built)}
    done = subprocess.run(
        [sys.executable, "-m", "lineage.cli", "status"], capture_output=True, text=True, env=env, check=True
    )
    assert str(built) in done.stdout


def test_status(built):
    text = lineage("status", store=built).stdout
    assert str(built) in text and "schema:" in text and "running:   none" in text
    data = as_json("status", store=built)
    assert (data["runs"], data["artifacts"], data["versions"], data["deleted_versions"]) == (6, 4, 5, 0)
    assert data["blobs"] == 10 and data["blob_bytes"] > 0 and data["running"] == []


def test_runs(built):
    text = lineage("runs", store=built).stdout
    for name in ("sunny-smoke-1", "quiet-field-3", "bold-wave-4", "calm-forest-5", "eager-dawn-6"):
        assert name in text
    runs = as_json("runs", "--job-type", "train", store=built)
    assert [r["name"] for r in runs] == ["calm-forest-5"]
    assert runs[0]["config"] == {"epochs": 5, "batch_size": 128}
    assert runs[0]["summary"] == {"train/loss": 0.2, "validation/accuracy": 0.99}
    assert as_json("runs", "--state", "running", store=built) == []


def test_runs_json_is_strict_json(built):
    # NaN in a summary must not leak as a bare NaN token, which strict parsers refuse.
    text = lineage("runs", "--json", "--job-type", "report", store=built).stdout
    data = json.loads(text, parse_constant=lambda token: pytest.fail(f"non-standard JSON token {token}"))
    assert data[0]["summary"] == {"test/accuracy": 0.991, "test/loss": None}


def test_artifacts(built):
    text = lineage("artifacts", store=built).stdout
    assert re.search(r"mnist-raw\s+dataset\s+2\s+v1", text)
    data = as_json("artifacts", "--type", "model", store=built)
    assert sorted(a["name"] for a in data) == ["convnet", "trained-model"]


def test_versions(built):
    text = lineage("versions", "mnist-raw", store=built).stdout
    assert re.search(r"^v0\s", text, re.M) and re.search(r"^v1\s+latest", text, re.M)
    data = as_json("versions", "mnist/mnist-raw", store=built)
    assert [(v["version"], v["aliases"], v["created_by"], v["file_count"]) for v in data] == [
        ("v0", [], "sunny-smoke-1", 3),
        ("v1", ["latest"], "misty-river-2", 3),
    ]


def test_show_version(built):
    text = lineage("show", "trained-model:best", store=built).stdout
    assert "mnist/trained-model:v0" in text and "best, latest" in text and "train:calm-forest-5" in text
    data = as_json("show", "trained-model:best", store=built)
    assert data["metadata"] == {"epochs": 5} and data["used_by"] == ["report:eager-dawn-6"]
    assert data["logged_by"] == "train:calm-forest-5" and len(data["digest"]) == 64


def test_show_run(built):
    data = as_json("show", "run:calm-forest-5", store=built)
    assert data["label"] == "train:calm-forest-5"
    assert data["consumed"] == ["mnist/convnet:v0", "mnist/mnist-preprocess:v0"]
    assert data["produced"] == ["mnist/trained-model:v0"]
    by_id = as_json("show", f"run:{data['id']}", store=built)
    assert by_id == data
    assert "consumed:   mnist/convnet:v0" in lineage("show", "run:calm-forest-5", store=built).stdout


def test_files(built):
    text = lineage("files", "mnist-preprocess", store=built).stdout
    assert "nested/test.pt" in text and "training.pt" in text
    data = as_json("files", "mnist-preprocess:v0", store=built)
    assert [(f["path"], f["size"]) for f in data] == [("nested/test.pt", 15), ("training.pt", 19)]


# -- errors ---------------------------------------------------------------------------------
REF_COMMANDS = [
    ("show", BAD_REF),
    ("files", BAD_REF),
    ("versions", "no-such-artifact"),
    ("download", BAD_REF),
    ("verify", BAD_REF),
    ("alias", BAD_REF, "prod"),
    ("unalias", BAD_REF, "prod"),
    ("delete", BAD_REF),
    ("ancestry", BAD_REF),
    ("impact", BAD_REF),
    ("report", BAD_REF),
]


@pytest.mark.parametrize("args", REF_COMMANDS, ids=lambda a: a[0])
def test_bad_ref_is_one_line_and_changes_nothing(store, tmp_path, args):
    before = snapshot(store)
    done = lineage(*args, store=store, check=False, cwd=tmp_path)
    assert_one_line_error(done, "no-such-artifact")
    assert snapshot(store) == before
    assert not (tmp_path / "lineage-report").exists()


@pytest.mark.parametrize(
    "args, words",
    [
        (("show", "run:nobody"), ["no run", "nobody"]),
        (("show", "mnist-raw:v9"), ["no version v9", "v0 to v1"]),
        (("show", "mnist-raw:prod"), ["no alias 'prod'", "latest"]),
        (("show", "bad name!"), ["invalid ref"]),
        (("delete", "trained-model:best"), ["best", "delete_aliases"]),
        (("alias", "mnist-raw:v0", "v3"), ["reserved"]),
        (("alias", "mnist-raw:v0", "latest"), ["latest"]),
        (("unalias", "mnist-raw:v0", "best"), ["no alias 'best'"]),
        (("sql", "DELETE FROM runs"), ["read-only"]),
        (("sql", "SELEC nonsense"), ["syntax error"]),
        (("sql", "no_such_query"), ["no query named 'no_such_query'", "ancestry"]),
        (("sql", "missing.sql"), ["missing.sql"]),
        (("sql", "SELECT $x", "--param", "oops"), ["--param", "NAME=VALUE"]),
        (("runs", "--state", "sleeping"), ["--state", "lineage runs --help"]),
        (("ancestry", "mnist-raw", "--depth", "-1"), ["--depth"]),
        (("no-such-verb",), ["no-such-verb"]),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, tuple) else None,
)
def test_user_errors_are_one_line_and_change_nothing(store, args, words):
    before = snapshot(store)
    assert_one_line_error(lineage(*args, store=store, check=False), *words)
    assert snapshot(store) == before


# -- changing the store -----------------------------------------------------------------------
def test_alias_and_unalias(store):
    assert "production" in lineage("alias", "trained-model:v0", "production", store=store).stdout
    assert as_json("show", "trained-model:production", store=store)["version"] == "v0"
    assert as_json("unalias", "trained-model:v0", "production", store=store)["aliases"] == ["best", "latest"]
    assert_one_line_error(lineage("show", "trained-model:production", store=store, check=False), "production")


def test_delete_then_gc(store):
    assert "deleted mnist/mnist-raw:v0" in lineage("delete", "mnist-raw:v0", store=store).stdout
    versions = as_json("versions", "mnist-raw", store=store)
    assert [v["deleted"] for v in versions] == [True, False]
    assert as_json("show", "mnist-raw:v0", store=store)["deleted"] is True  # still shown, marked
    assert_one_line_error(lineage("download", "mnist-raw:v0", store=store, check=False), "deleted")

    before = snapshot(store)
    plan = as_json("gc", "--dry-run", store=store)
    assert plan["dry_run"] is True
    assert snapshot(store) == before
    assert "would free 3 blobs" in lineage("gc", "--dry-run", store=store).stdout
    assert "freed 3 blobs" in lineage("gc", store=store).stdout
    assert len(snapshot(store)[1]) == len(before[1]) - 3
    assert "nothing to free" in lineage("gc", store=store).stdout


def test_delete_with_aliases(store):
    lineage("delete", "trained-model:best", "--delete-aliases", store=store)
    assert as_json("show", "trained-model:v0", store=store)["aliases"] == []


def test_fsck(store):
    assert "no problems" in lineage("fsck", store=store).stdout
    assert "no problems" in lineage("fsck", "--quick", store=store).stdout
    blob = next(p for p in blob_root(store).rglob("*") if p.is_file() and p.parent.name != "tmp" and len(p.name) > 20)
    os.chmod(blob, 0o644)
    blob.write_bytes(b"not what it was")
    done = lineage("fsck", store=store, check=False)
    assert done.returncode == 1 and done.stderr.startswith("lineage: error: fsck found 1 damaged")
    assert blob.parent.name + blob.name in done.stdout
    report = json.loads(lineage("fsck", "--json", store=store, check=False).stdout)
    assert report["ok"] is False and [p["severity"] for p in report["problems"]] == ["damage"]


# -- files on disk -----------------------------------------------------------------------------
def test_download_and_verify(built, tmp_path):
    target = tmp_path / "raw"
    assert lineage("download", "mnist-raw", str(target), store=built).stdout.strip() == str(target)
    assert sorted(p.name for p in target.iterdir()) == ["test.pt", "training.pt", "validation.pt"]
    assert "ok:" in lineage("verify", "mnist-raw:v1", str(target), store=built).stdout
    # Replace (not write through: it may be a hard link to a blob) one file, add another.
    (target / "test.pt").unlink()
    (target / "test.pt").write_bytes(b"changed")
    (target / "extra.txt").write_text("x")
    done = lineage("verify", "mnist-raw:v1", str(target), store=built, check=False)
    assert_one_line_error(done, "altered test.pt", "extra extra.txt")


def test_download_link_and_copy_options(built, tmp_path):
    lineage("download", "--link", "mnist-raw", str(tmp_path / "linked"), store=built)
    lineage("download", "--copy", "mnist-raw", str(tmp_path / "copied"), store=built)
    assert os.stat(tmp_path / "linked" / "test.pt").st_nlink >= 2  # it shares its inode with the blob
    assert os.stat(tmp_path / "copied" / "test.pt").st_nlink == 1
    assert "ok:" in lineage("verify", "mnist-raw", str(tmp_path / "copied"), store=built).stdout


def test_download_default_folder(built, tmp_path):
    data = as_json("download", "convnet:v0", store=built)
    assert Path(data["path"]) == tmp_path / "artifacts" / "convnet:v0"
    assert (tmp_path / "artifacts" / "convnet:v0" / "initialized_model.pth").read_bytes() == b"weights 0"
    assert "ok:" in lineage("verify", "convnet:v0", store=built).stdout


def test_download_shows_progress_on_a_terminal(built, tmp_path):
    main, secondary = pty.openpty()
    try:
        done = lineage("download", "mnist-raw", str(tmp_path / "d"), store=built, stderr=secondary)
        os.close(secondary)
        secondary = None
        shown = b""
        while True:
            try:
                chunk = os.read(main, 4096)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(main)
        if secondary is not None:
            os.close(secondary)
    assert done.stdout.strip() == str(tmp_path / "d")  # stdout stays clean for scripts
    assert b"downloading mnist-raw:v1" in shown


def test_progress_is_silent_when_piped(built, tmp_path):
    assert lineage("download", "mnist-raw", str(tmp_path / "d"), store=built).stderr == ""


# -- lineage ---------------------------------------------------------------------------------
TRAINED_ANCESTRY = """\
model:trained-model:v0 [best, latest]
└── train:calm-forest-5
    ├── dataset:mnist-preprocess:v0 [latest]
    │   └── preprocess-data:quiet-field-3
    │       └── dataset:mnist-raw:v1 [latest]
    │           └── load-data:misty-river-2
    └── model:convnet:v0 [latest]
        └── initialize:bold-wave-4
"""
RAW_IMPACT = """\
dataset:mnist-raw:v1 [latest]
└── preprocess-data:quiet-field-3
    └── dataset:mnist-preprocess:v0 [latest]
        ├── report:eager-dawn-6
        └── train:calm-forest-5
            └── model:trained-model:v0 [best, latest]
                └── report:eager-dawn-6 (see above)
"""
TYPE_EDGES = {
    ("load-data", "dataset"),
    ("dataset", "preprocess-data"),
    ("preprocess-data", "dataset"),
    ("initialize", "model"),
    ("dataset", "train"),
    ("model", "train"),
    ("train", "model"),
    ("model", "report"),
    ("dataset", "report"),
}


def labels_of(node_link: dict) -> tuple[set[str], set[tuple[str, str]]]:
    """The labels of a node-link JSON graph's nodes, and its edges as label pairs."""
    label = {n["id"]: n["label"] for n in node_link["nodes"]}
    return set(label.values()), {(label[e["source"]], label[e["target"]]) for e in node_link["edges"]}


def test_ancestry_tree(built):
    assert lineage("ancestry", "trained-model:latest", store=built).stdout == TRAINED_ANCESTRY
    by_run = lineage("ancestry", "run:calm-forest-5", store=built).stdout
    assert by_run.splitlines()[0] == "train:calm-forest-5" and "load-data:misty-river-2" in by_run


def test_ancestry_depth(built):
    assert lineage("ancestry", "trained-model", "--depth", "1", store=built).stdout == (
        "model:trained-model:v0 [best, latest]\n└── train:calm-forest-5\n"
    )
    assert lineage("ancestry", "trained-model", "--depth", "0", store=built).stdout.count("\n") == 1


def test_impact_tree_marks_a_node_reached_twice(built):
    assert lineage("impact", "mnist-raw", store=built).stdout == RAW_IMPACT
    assert lineage("impact", "mnist-raw:v0", store=built).stdout == "dataset:mnist-raw:v0\n"


def test_ancestry_marks_deleted_versions_and_failed_runs(store):
    lineage("delete", "mnist-raw:v1", store=store)
    tree = lineage("ancestry", "mnist-preprocess", store=store).stdout
    assert "dataset:mnist-raw:v1 [deleted]" in tree
    failing = (
        "import lineage\n"
        f"with lineage.init(project='mnist', job_type='evaluate', name='sad-run-7', dir={str(store)!r}) as run:\n"
        "    run.use_artifact('trained-model:best')\n"
        "    raise SystemExit('evaluation failed')\n"
    )
    subprocess.run([sys.executable, "-c", failing], capture_output=True)
    assert "── evaluate:sad-run-7 [failed]" in lineage("impact", "trained-model", store=store).stdout


def test_ancestry_json_matches_the_python_api(built):
    import lineage as api

    data = as_json("ancestry", "trained-model:v0", store=built)
    store = api.Store(built)
    try:
        expected = store.ancestry("trained-model:v0").to_networkx()
    finally:
        store.close()
    assert {n["id"] for n in data["nodes"]} == set(expected.nodes)
    assert {(e["source"], e["target"]) for e in data["edges"]} == set(expected.edges)
    assert data["graph"]["root"] == next(n["id"] for n in data["nodes"] if n["label"] == "model:trained-model:v0")
    trained = next(n for n in data["nodes"] if n["label"] == "model:trained-model:v0")
    assert trained["metadata"] == {"epochs": 5} and trained["depth"] == 0  # full attributes for programs
    assert as_json("ancestry", "trained-model:v0", "--format", "json", store=built) == data


def test_graph_formats(built):
    nx = pytest.importorskip("networkx")
    dot = lineage("impact", "mnist-raw", "--format", "dot", store=built).stdout
    assert dot.startswith("digraph lineage {") and '"report:eager-dawn-6"' in dot and dot.rstrip().endswith("}")
    mermaid = lineage("impact", "mnist-raw", "--format", "mermaid", store=built).stdout
    assert mermaid.startswith("flowchart LR") and '("train:calm-forest-5")' in mermaid
    assert len(re.findall(r"-->", mermaid)) == 6
    graphml = lineage("ancestry", "trained-model", "--format", "graphml", store=built).stdout
    graph = nx.parse_graphml(graphml)
    assert graph.number_of_nodes() == 8 and graph.number_of_edges() == 7
    assert {a["label"] for _, a in graph.nodes(data=True)} >= {"model:trained-model:v0", "initialize:bold-wave-4"}


def test_graph_type_view(built):
    text = lineage("graph", store=built).stdout
    assert re.search(r"^load-data\s+-> dataset\s+\(produced", text, re.M)
    nodes, edges = labels_of(as_json("graph", store=built))
    assert nodes == {"dataset", "model", "load-data", "preprocess-data", "initialize", "train", "report"}
    assert edges == TYPE_EDGES


def test_graph_exploded(built):
    text = lineage("graph", "--explode", store=built).stdout
    assert re.search(r"^load-data:sunny-smoke-1\s+-> dataset:mnist-raw:v0\s+\(produced\)$", text, re.M)
    data = as_json("graph", "--explode", store=built)
    nodes, edges = labels_of(data)
    assert len(nodes) == 11  # 6 runs and 5 versions
    assert ("model:trained-model:v0", "report:eager-dawn-6") in edges and len(edges) == 10
    nx = pytest.importorskip("networkx")
    assert nx.node_link_graph(data, edges="edges").number_of_edges() == 10
    graphml = nx.parse_graphml(lineage("graph", "--explode", "--format", "graphml", store=built).stdout)
    train = next(a for _, a in graphml.nodes(data=True) if a["label"] == "train:calm-forest-5")
    assert json.loads(train["config"]) == {"epochs": 5, "batch_size": 128}  # dicts travel as JSON text


def test_ancestry_text_loads_no_heavy_module(built):
    code = (
        "import sys; from lineage.cli import run; "
        f"status = run(['--store', {str(built)!r}, 'ancestry', 'trained-model']); "
        "print(status, sorted(m for m in ('pyarrow', 'duckdb', 'networkx', 'rich') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.endswith("0 []\n"), done.stdout


# -- sql, export, report --------------------------------------------------------------------
def test_sql_literal(built):
    rows = as_json("sql", "SELECT label FROM run_labels WHERE job_type = $job", "--param", "job=train", store=built)
    assert rows == [{"label": "train:calm-forest-5"}]
    text = lineage("sql", "SELECT name, number FROM versions JOIN artifacts a ON a.id = artifact_id", store=built)
    assert re.search(r"^mnist-raw\s+1$", text.stdout, re.M)


def test_sql_ready_made_query(built):
    listed = as_json("sql", "--list", store=built)
    assert {"ancestry", "impact", "exploded_edges", "type_graph", "run_io"} <= set(listed)
    rows = as_json("sql", "ancestry", "-p", "ref=trained-model:v0", "-p", "depth=-1", store=built)
    assert {r["label"] for r in rows} == {line.lstrip("│├└─ ").split(" [")[0] for line in TRAINED_ANCESTRY.splitlines()}
    shallow = as_json("sql", "ancestry", "--param", "ref=trained-model:v0", "--param", "depth=1", store=built)
    assert len(shallow) == 2  # depth arrives as a number, not as text


def test_sql_file(built, tmp_path):
    query = tmp_path / "models.sql"
    query.write_text("-- versions of one type\nSELECT ref FROM version_refs WHERE type = $type ORDER BY ref\n")
    rows = as_json("sql", str(query), "--param", "type=model", store=built)
    assert rows == [{"ref": "convnet:v0"}, {"ref": "trained-model:v0"}]


def test_export(built, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    paths = as_json("export", str(tmp_path / "out"), store=built)
    names = {Path(p).name for p in paths}
    assert {"runs.parquet", "versions.parquet", "edges.parquet"} <= names
    runs = pq.read_table(next(p for p in paths if p.endswith("runs.parquet")))
    assert runs.num_rows == 6


def test_report(built, tmp_path):
    index = Path(lineage("report", "--out", str(tmp_path / "site"), store=built).stdout.strip())
    assert index == tmp_path / "site" / "index.html" and index.is_file()


def test_runs_named_like_rich_markup_are_shown_as_typed(tmp_path):
    import lineage as api

    names = ["[/]", "[bold]loud[/bold]", "a[red]b"]
    for name in names:
        with api.init(project="p", job_type="make", name=name, dir=tmp_path / "store"):
            pass
    done = lineage("runs", store=tmp_path / "store")
    for name in names:
        assert name in done.stdout, done.stdout
    assert done.stderr == ""


def test_ctrl_c_stops_a_runaway_sql_query(built):
    import signal
    import time

    runaway = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
    command = [sys.executable, "-m", "lineage.cli", "--store", str(built), "sql", runaway]
    env = {k: v for k, v in os.environ.items() if k != "LINEAGE_DIR"}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        time.sleep(2.0)  # started and deep in the query (it never ends by itself)
        assert process.poll() is None, process.communicate()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode not in (0, None)
    assert err.strip() == "lineage: interrupted" and "Traceback" not in err
