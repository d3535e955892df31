"""Shared hypothesis strategies: names, aliases, paths inside artifacts, file sets."""

from __future__ import annotations

import string

from hypothesis import strategies as st

NAME_CHARS = string.ascii_letters + string.digits + "_.-"

names = st.text(NAME_CHARS, min_size=1, max_size=128)
invalid_names = st.one_of(
    st.just(""),
    st.text(NAME_CHARS, min_size=129, max_size=140),
    st.builds(
        lambda a, bad, b: a + bad + b,
        st.text(NAME_CHARS, max_size=5),
        st.sampled_from(list("/: \t\n$@#!?*~\\\x00é")),
        st.text(NAME_CHARS, max_size=5),
    ),
)

aliases = st.text(
    st.characters(blacklist_characters="/:", blacklist_categories=("Cc", "Cs")), min_size=1, max_size=40
).filter(lambda a: not (a[0] == "v" and a[1:].isdigit()) and a != "latest")

# One part of a path: printable, no '/', not '.' or '..'.
path_parts = st.text(
    st.characters(blacklist_characters="/", blacklist_categories=("Cc", "Cs")), min_size=1, max_size=12
).filter(lambda p: p not in (".", ".."))
paths = st.lists(path_parts, min_size=1, max_size=4).map("/".join)
invalid_paths = st.one_of(
    st.just(""),
    paths.map(lambda p: "/" + p),
    paths.map(lambda p: p + "/../x"),
    paths.map(lambda p: "../" + p),
    paths.map(lambda p: p + "//x"),
    paths.map(lambda p: "./" + p),
    paths.map(lambda p: p + "/\x01"),
)


def _no_file_folder_clash(files: dict[str, bytes]) -> bool:
    keys = set(files)
    return not any(p.startswith(q + "/") for p in keys for q in keys)


# A set of files an artifact may hold: {path: content}.
file_sets = st.dictionaries(paths, st.binary(max_size=64), min_size=1, max_size=8).filter(_no_file_folder_clash)


# -- lineage graphs ---------------------------------------------------------------------
# A random lineage graph: runs and versions with produced (run -> version) and consumed
# (version -> run) edges, diamonds and cycles (a run that uses what it logged) included.
@st.composite
def lineage_graphs(draw, max_runs: int = 8, max_versions: int = 10) -> dict:
    """{'runs': n, 'versions': [artifact index per version], 'produced': {(run, version)}, 'consumed': {...}}."""
    n_runs = draw(st.integers(1, max_runs))
    n_versions = draw(st.integers(1, max_versions))
    n_artifacts = draw(st.integers(1, min(3, n_versions)))
    artifacts = [draw(st.integers(0, n_artifacts - 1)) for _ in range(n_versions)]
    pairs = st.tuples(st.integers(0, n_runs - 1), st.integers(0, n_versions - 1))
    produced = draw(st.sets(pairs, max_size=2 * n_versions))
    consumed = draw(st.sets(pairs, max_size=3 * n_runs))
    return {"runs": n_runs, "versions": artifacts, "produced": produced, "consumed": consumed}


def build_lineage_store(dir, graph: dict):
    """Bulk-insert a lineage graph (see ``lineage_graphs``) into a new store; returns the Store.

    Runs get ids ``r0``, ``r1``... and names ``run-0``...; versions get ids 1, 2, ... and
    belong to artifacts ``a0``..``a2`` (type ``dataset``), numbered in order. Optional keys:
    ``artifacts`` ({artifact index: (project, name)}, default ('p', 'a<index>')) and
    ``deleted`` (version indexes marked deleted; ``latest`` is the newest live version).
    """
    import lineage

    store = lineage.Store(dir).create()
    numbers: dict[int, int] = {}
    version_rows, latest = [], {}
    for index, artifact in enumerate(graph["versions"]):
        number = numbers.get(artifact, 0)
        numbers[artifact] = number + 1
        deleted = "2026-01-02T00:00:00Z" if index in graph.get("deleted", ()) else None
        version_rows.append((index + 1, artifact + 1, number, "0" * 64, 0, 0, "2026-01-01T00:00:00Z", deleted))
        if deleted is None:
            latest[artifact + 1] = index + 1
    at = "2026-01-01T00:00:00Z"
    named = graph.get("artifacts", {})
    with store.db.write() as con:
        con.executemany(
            "INSERT INTO runs (id, project, name, job_type, state, started_at, host, pid) "
            "VALUES (?, 'p', ?, 'job', 'finished', ?, 'test', 1)",
            [(f"r{i}", f"run-{i}", at) for i in range(graph["runs"])],
        )
        con.executemany(
            "INSERT INTO artifacts (id, project, name, type, created_at) VALUES (?, ?, ?, 'dataset', ?)",
            [(a + 1, *named.get(a, ("p", f"a{a}")), at) for a in sorted(set(graph["versions"]))],
        )
        con.executemany(
            "INSERT INTO versions (id, artifact_id, number, digest, size, file_count, created_at, deleted_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            version_rows,
        )
        con.executemany("INSERT INTO aliases (artifact_id, alias, version_id) VALUES (?, 'latest', ?)", latest.items())
        con.executemany(
            "INSERT INTO produced (run_id, version_id, created_at) VALUES (?, ?, ?)",
            [(f"r{r}", v + 1, at) for r, v in graph["produced"]],
        )
        con.executemany(
            "INSERT INTO consumed (run_id, version_id, created_at) VALUES (?, ?, ?)",
            [(f"r{r}", v + 1, at) for r, v in graph["consumed"]],
        )
    return store


def lineage_networkx(graph: dict):
    """The same graph as a networkx.DiGraph with the store's node keys ('run:r0', 'version:1')."""
    import networkx as nx

    g = nx.DiGraph()
    g.add_nodes_from(f"run:r{i}" for i in range(graph["runs"]))
    g.add_nodes_from(f"version:{v + 1}" for v in range(len(graph["versions"])))
    g.add_edges_from((f"run:r{r}", f"version:{v + 1}") for r, v in graph["produced"])
    g.add_edges_from((f"version:{v + 1}", f"run:r{r}") for r, v in graph["consumed"])
    return g
