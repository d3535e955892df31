"""The offline HTML report (lineage.report): pages, graph views, links, no network references."""

from __future__ import annotations

import html
import os
import re
import sqlite3
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lineage
from lineage import render
from lineage.errors import InvalidArgumentError, NotFoundError
from lineage.report import layout, model, write_report

TUTORIAL_RUNS = ["load-data", "preprocess-data", "initialize", "train", "report"]

# The report of the tutorial store, from a folder store and from a PostgreSQL + S3 team store.
BACKENDS = ("folder", "postgres+s3")


def _artifact(name: str, type_: str, content: bytes, **kwargs) -> lineage.Artifact:
    art = lineage.Artifact(name, type=type_, **kwargs)
    with art.new_file(f"{name}.bin", mode="wb") as f:
        f.write(content)
    return art


def build_tutorial_store(store_dir: Path | str) -> lineage.Store:
    """The W&B tutorial's pipeline in miniature: five runs, four artifacts, metrics and an image."""
    kw = {"project": "mnist", "dir": store_dir}
    with lineage.init(job_type="load-data", config={"seed": 0}, **kw) as run:
        run.log_artifact(_artifact("mnist-raw", "dataset", b"raw", description="Raw MNIST", metadata={"n": 70000}))
    with lineage.init(job_type="preprocess-data", **kw) as run:
        run.use_artifact("mnist-raw:latest")
        run.log_artifact(_artifact("mnist-preprocess", "dataset", b"pre", metadata={"steps": {"normalize": True}}))
    with lineage.init(job_type="initialize", config={"kernel_size": 5}, **kw) as run:
        run.log_artifact(_artifact("convnet", "model", b"net"))
    with lineage.init(job_type="train", config={"epochs": 3, "batch_size": 128}, **kw) as run:
        run.use_artifact("mnist-preprocess:latest")
        run.use_artifact("convnet:latest")
        for step in range(6):
            run.log({"train/loss": 1.0 / (step + 1)}, step=step)
            if step % 2:
                run.log({"validation/loss": 1.2 / (step + 1), "validation/accuracy": 0.9 + step / 100}, step=step)
        run.log_artifact(_artifact("trained-model", "model", b"trained"), aliases=["best"])
    with lineage.init(job_type="report", **kw) as run:
        run.use_artifact("trained-model:best")
        run.use_artifact("mnist-preprocess:latest")
        grid = (np.indices((56, 112)).sum(axis=0) % 2 * 255).astype(np.uint8)
        run.log({"hardest_examples": lineage.Image(grid, caption="32 hardest examples")}, step=0)
        digits = [lineage.Image(np.eye(28) * 255, caption="7,1"), lineage.Image(np.ones((28, 28)), caption="3,8")]
        table = {"_type": "table", "columns": ["index", "loss"], "data": [[17, 4.25], [3, 3.5]]}
        run.log({"high-loss-examples": digits, "high-loss-table": table}, step=1)
        run.summary.update({"test/accuracy": 0.991, "test/loss": 0.03})
    return lineage.Store(store_dir)


class Elements(HTMLParser):
    """Every element's tag, attributes and direct text, with the graph node/edge it sits in."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[dict] = []
        self._stack: list[dict] = []

    def handle_starttag(self, tag, attrs):
        el = {"tag": tag, "attrs": dict(attrs), "text": "", "parents": [p["attrs"] for p in self._stack]}
        self.elements.append(el)
        if tag not in ("meta", "link", "img", "br", "input", "path", "polygon", "ellipse", "polyline", "use"):
            self._stack.append(el)

    def handle_startendtag(self, tag, attrs):
        self.elements.append({"tag": tag, "attrs": dict(attrs), "text": "", "parents": []})

    def handle_endtag(self, tag):
        while self._stack:
            if self._stack.pop()["tag"] == tag:
                break

    def handle_data(self, data):
        if self._stack:
            self._stack[-1]["text"] += data


def parse(path: Path) -> list[dict]:
    parser = Elements()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.elements


def view(elements: list[dict], view_id: str) -> tuple[dict[str, dict], set[tuple[str, str]]]:
    """Nodes (key -> {label, href, class}) and edges of one graph view on graph.html."""
    nodes: dict[str, dict] = {}
    edges: set[tuple[str, str]] = set()
    for el in elements:
        if el["tag"] != "g" or not any(p.get("id") == view_id for p in el["parents"]):
            continue
        classes = el["attrs"].get("class", "").split()
        if "node" in classes:
            nodes[el["attrs"]["id"]] = {"class": classes, "label": "", "href": None}
        elif "edge" in classes:
            src, dst = el["attrs"]["id"].split("->")
            edges.add((src, dst))
    for el in elements:
        owner = next((p.get("id") for p in reversed(el["parents"]) if p.get("id") in nodes), None)
        if owner is None:
            continue
        if el["tag"] == "text":
            nodes[owner]["label"] += el["text"]
        if el["tag"] == "a":
            nodes[owner]["href"] = el["attrs"].get("href")
    return nodes, edges


@pytest.fixture
def tutorial(store_dir, tmp_path):
    store = build_tutorial_store(store_dir)
    index = write_report(store, tmp_path / "report")
    return store, index


def test_every_run_artifact_and_version_has_a_page(tutorial):
    store, index = tutorial
    out = index.parent
    assert index == out / "index.html" and index.is_file()
    runs = store.runs()
    assert sorted(r.job_type for r in runs) == sorted(TUTORIAL_RUNS)
    for run in runs:
        text = (out / "runs" / f"{run.id}.html").read_text()
        assert run.name in text and f'href="../runs/{run.id}.html"' not in text.split("<main>")[0]
    versions = store.db.read("SELECT version_id, label, digest FROM version_refs")
    assert len(versions) == 4
    for version_id, label, digest in versions:
        text = (out / "versions" / f"{version_id}.html").read_text()
        assert f"<code>{label}</code>" in text and digest in text
    for (artifact_id,) in store.db.read("SELECT id FROM artifacts"):
        assert (out / "artifacts" / f"{artifact_id}.html").is_file()
    index_text = index.read_text()
    for run in runs:
        assert f'href="runs/{run.id}.html"' in index_text
    for name in ("mnist-raw", "mnist-preprocess", "convnet", "trained-model"):
        assert f">{name}</a>" in index_text


def test_run_page_shows_config_summary_charts_images_files_and_artifacts(tutorial):
    store, index = tutorial
    out = index.parent
    train = store.run(next(r.id for r in store.runs() if r.job_type == "train"))
    text = (out / "runs" / f"{train.id}.html").read_text()
    assert "batch_size" in text and "128" in text
    charts = re.findall(r'<figure class="chart"><svg.*?</svg>', text, re.S)
    assert len(charts) == 1
    for key in ("train/loss", "validation/loss", "validation/accuracy"):
        assert f">{key}</text>" in charts[0]
    assert "dataset:mnist-preprocess:v0" in text and "model:convnet:v0" in text and "model:trained-model:v0" in text
    report = next(r for r in store.runs() if r.job_type == "report")
    elements = parse(out / "runs" / f"{report.id}.html")
    images = sorted(el["attrs"]["src"] for el in elements if el["tag"] == "img")
    shas = store.db.read("SELECT path, sha256 FROM run_files WHERE run_id = ? ORDER BY path", (report.id,))
    assert [p for p, _ in shas] == [
        "media/images/hardest_examples_0_0.png",
        "media/images/high-loss-examples_1_0.png",
        "media/images/high-loss-examples_1_1.png",
    ]
    assert images == sorted(f"../media/{sha}.png" for _, sha in shas)
    for _, sha in shas:
        assert (out / "media" / f"{sha}.png").read_bytes() == store.blobs.open(sha).read()
    text = (out / "runs" / f"{report.id}.html").read_text()
    assert "media/images/hardest_examples_0_0.png" in text
    assert "<h3>high-loss-table</h3>" in text and "<td>4.25</td>" in text and "<th>loss</th>" in text


def test_version_page_shows_metadata_files_aliases_and_who_logged_and_used_it(tutorial):
    store, index = tutorial
    out = index.parent
    version = store.artifact("mnist-preprocess:v0")
    text = (out / "versions" / f"{version.id}.html").read_text()
    assert "normalize" in text
    (path, size, sha) = store.db.read("SELECT path, size, sha256 FROM files WHERE version_id = ?", (version.id,))[0]
    assert f"<code>{path}</code>" in text and sha in text and f"{size} B" in text
    producer = version.logged_by()
    consumers = version.used_by()
    assert {r.job_type for r in consumers} == {"train", "report"}
    logged_by, used_by = text.split("<h2>Used by</h2>")
    logged_by = logged_by.split("<h2>Logged by</h2>")[1]
    assert f"runs/{producer.id}.html" in logged_by
    for run in consumers:
        assert f"runs/{run.id}.html" in used_by.split("<h2>Files</h2>")[0]
    best = (out / "versions" / f"{store.artifact('trained-model:best').id}.html").read_text()
    assert '<span class="alias">best</span>' in best and '<span class="alias">latest</span>' in best


def _labels(store: lineage.Store) -> dict[str, str]:
    runs = {f"run:{r.id}": r.label for r in store.runs()}
    versions = {f"version:{vid}": label for vid, label in store.db.read("SELECT version_id, label FROM version_refs")}
    return {**runs, **versions}


def test_graph_page_holds_the_type_view_and_the_exploded_view(tutorial):
    store, index = tutorial
    elements = parse(index.parent / "graph.html")
    nodes, edges = view(elements, "view-types")
    assert {k: n["label"] for k, n in nodes.items()} == {
        **{f"job:{j}": j for j in TUTORIAL_RUNS},
        "type:dataset": "dataset",
        "type:model": "model",
    }
    assert edges == {
        ("job:load-data", "type:dataset"),
        ("type:dataset", "job:preprocess-data"),
        ("job:preprocess-data", "type:dataset"),
        ("job:initialize", "type:model"),
        ("type:dataset", "job:train"),
        ("type:model", "job:train"),
        ("job:train", "type:model"),
        ("type:model", "job:report"),
        ("type:dataset", "job:report"),
    }
    assert nodes["type:dataset"]["href"] == "index.html#type-dataset"
    assert nodes["job:train"]["href"] == "index.html#job-train"

    nodes, edges = view(elements, "view-explode")
    labels = _labels(store)
    assert {k: n["label"] for k, n in nodes.items()} == labels
    by_label = {label: key for key, label in labels.items()}
    run = {r.job_type: f"run:{r.id}" for r in store.runs()}
    version = {label.split(":")[1]: key for label, key in by_label.items() if key.startswith("version:")}
    assert edges == {
        (run["load-data"], version["mnist-raw"]),
        (version["mnist-raw"], run["preprocess-data"]),
        (run["preprocess-data"], version["mnist-preprocess"]),
        (run["initialize"], version["convnet"]),
        (version["mnist-preprocess"], run["train"]),
        (version["convnet"], run["train"]),
        (run["train"], version["trained-model"]),
        (version["trained-model"], run["report"]),
        (version["mnist-preprocess"], run["report"]),
    }
    for key, node in nodes.items():
        kind, ident = key.split(":", 1)
        assert node["href"] == f"{kind}s/{ident}.html"


def test_every_relative_link_resolves_and_no_page_references_the_network(tutorial):
    _, index = tutorial
    out = index.parent
    pages = sorted(out.rglob("*.html"))
    assert len(pages) == 2 + 5 + 4 + 4
    ids_by_page = {}
    checked = 0
    for page in pages:
        elements = parse(page)
        ids_by_page[page] = {el["attrs"]["id"] for el in elements if "id" in el["attrs"]}
    for page in pages:
        for el in parse(page):
            for attr in ("href", "src"):
                target = el["attrs"].get(attr)
                if target is None:
                    continue
                assert not re.match(r"[a-z][a-z0-9+.-]*:|//", target), f"{page.name}: {attr}={target}"
                path, _, fragment = target.partition("#")
                resolved = (page.parent / path).resolve() if path else page
                assert resolved.is_file(), f"{page.relative_to(out)}: broken link {target}"
                assert out.resolve() in resolved.parents
                if fragment and resolved.suffix == ".html":
                    assert fragment in ids_by_page[resolved] or fragment in ("exploded", "types"), target
                checked += 1
    assert checked > 50
    for path in out.rglob("*"):
        if path.suffix in (".html", ".css", ".js"):
            text = path.read_text(encoding="utf-8")
            assert "http://" not in text and "https://" not in text, path
            assert "@import" not in text, path
            for target in re.findall(r"url\(\s*['\"]?([^'\")]*)", text):
                assert target.startswith("#"), f"{path.name}: url({target})"


def test_a_ref_opens_the_graph_on_its_ancestry_and_impact(tutorial, tmp_path):
    store, _ = tutorial
    index = write_report(store, tmp_path / "ref-report", ref="mnist-preprocess:v0")
    text = (index.parent / "graph.html").read_text()
    assert 'data-start="explode"' in text
    nodes, _ = view(parse(index.parent / "graph.html"), "view-explode")
    labels = {n["label"] for n in nodes.values()}
    assert {label.split(":")[0] for label in labels} == {
        "load-data",
        "dataset",
        "preprocess-data",
        "train",
        "model",
        "report",
    }
    assert not any(label.startswith(("initialize:", "model:convnet")) for label in labels)
    assert "ancestry and impact of dataset:mnist-preprocess:v0" in text
    types, _ = view(parse(index.parent / "graph.html"), "view-types")
    assert len(types) == 7  # the type view stays whole


def test_a_run_ref_centres_the_graph_on_the_run_and_deleted_versions_stay_drawn(tutorial, tmp_path):
    store, _ = tutorial
    store.delete("mnist-raw:v0")
    initialize = next(r for r in store.runs() if r.job_type == "initialize")
    index = write_report(store, tmp_path / "run-ref", ref=f"run:{initialize.name}")
    graph = parse(index.parent / "graph.html")
    nodes, edges = view(graph, "view-explode")
    convnet = store.artifact("convnet:v0")
    assert {n["label"] for n in nodes.values()} == {
        initialize.label,
        "model:convnet:v0",
        *(r.label for r in convnet.used_by()),
        *(f"model:{a.name}" for r in convnet.used_by() for a in [store.artifact("trained-model:v0")]),
        *(r.label for r in store.artifact("trained-model:v0").used_by()),
    }
    assert (f"run:{initialize.id}", f"version:{convnet.id}") in edges
    index = write_report(store, tmp_path / "all")
    nodes, _ = view(parse(index.parent / "graph.html"), "view-explode")
    raw = store.db.read("SELECT version_id FROM version_refs WHERE name = 'mnist-raw'")[0][0]
    assert nodes[f"version:{raw}"]["label"] == "dataset:mnist-raw:v0"
    assert '<span class="tag">deleted</span>' in (index.parent / "versions" / f"{raw}.html").read_text()


def test_a_ref_that_names_nothing_fails_before_writing(tutorial, tmp_path):
    store, _ = tutorial
    with pytest.raises(NotFoundError):
        write_report(store, tmp_path / "nothing", ref="no-such-artifact:v0")
    assert not (tmp_path / "nothing").exists()


def test_report_replaces_an_earlier_report_and_refuses_other_folders(tutorial, tmp_path):
    store, index = tutorial
    stale = index.parent / "runs" / "stale.html"
    stale.write_text("old")
    mine = index.parent / "notes.txt"
    mine.write_text("kept")
    assert write_report(store, index.parent) == index
    assert not stale.exists() and mine.read_text() == "kept"
    other = tmp_path / "other"
    other.mkdir()
    (other / "thesis.tex").write_text("precious")
    with pytest.raises(InvalidArgumentError, match="not empty"):
        write_report(store, other)
    assert [p.name for p in other.iterdir()] == ["thesis.tex"]


def bulk_store(store_dir: Path, chains: int, length: int) -> lineage.Store:
    """A store of ``chains`` warm-start chains: run i uses the version run i-1 logged, logs one."""
    store = lineage.Store(store_dir).create()
    t = "2026-01-01T00:00:00.000000Z"
    with store.db.write() as con:
        for c in range(chains):
            con.execute(
                "INSERT INTO artifacts (id, project, name, type, created_at) VALUES (?, 'p', ?, 'model', ?)",
                (c + 1, f"model-{c}", t),
            )
            for i in range(length):
                run_id, version_id = f"r{c}x{i}", c * length + i + 1
                con.execute(
                    "INSERT INTO runs (id, project, name, job_type, state, started_at, host, pid) "
                    "VALUES (?, 'p', ?, 'train', 'finished', ?, 'h', 1)",
                    (run_id, f"run-{c}-{i}", t),
                )
                con.execute(
                    "INSERT INTO versions (id, artifact_id, number, digest, size, file_count, created_at, created_by) "
                    "VALUES (?, ?, ?, ?, 0, 0, ?, ?)",
                    (version_id, c + 1, i, f"{version_id:064x}", f"2026-01-01T00:00:{i:02d}.{c:06d}Z", run_id),
                )
                con.execute("INSERT INTO produced VALUES (?, ?, ?)", (run_id, version_id, t))
                if i:
                    con.execute("INSERT INTO consumed VALUES (?, ?, ?)", (run_id, version_id - 1, t))
            con.execute("INSERT INTO aliases VALUES (?, 'latest', ?)", (c + 1, c * length + length))
    return store


def test_a_store_too_big_to_draw_shows_a_neighbourhood_unless_full(tmp_path, monkeypatch):
    monkeypatch.setattr(model, "MAX_NODES", 40)
    store = bulk_store(tmp_path / "big", chains=6, length=10)  # 120 nodes
    index = write_report(store, tmp_path / "out")
    graph = index.parent / "graph.html"
    nodes, edges = view(parse(graph), "view-explode")
    # the newest version is the last of the last chain: its lineage is that chain, 20 nodes
    assert {n["label"] for n in nodes.values()} == {f"train:run-5-{i}" for i in range(10)} | {
        f"model:model-5:v{i}" for i in range(10)
    }
    assert len(edges) == 19
    assert "ancestry and impact of model:model-5:v9: 20 of 120 nodes" in graph.read_text()
    assert len(list((index.parent / "versions").iterdir())) == 60

    index = write_report(store, tmp_path / "cut", ref="model-2:v5")
    nodes, _ = view(parse(index.parent / "graph.html"), "view-explode")
    assert len(nodes) == 20  # the whole chain: under the limit

    monkeypatch.setattr(model, "MAX_NODES", 7)
    index = write_report(store, tmp_path / "near", ref="model-2:v5")
    nodes, _ = view(parse(index.parent / "graph.html"), "view-explode")
    assert {n["label"] for n in nodes.values()} == {
        "model:model-2:v5",
        "train:run-2-5",
        "train:run-2-6",
        "model:model-2:v4",
        "model:model-2:v6",
        "train:run-2-4",
        "train:run-2-7",
    }

    index = write_report(store, tmp_path / "full", full=True)
    nodes, edges = view(parse(index.parent / "graph.html"), "view-explode")
    assert len(nodes) == 120 and len(edges) == 6 * 19


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30),
    job_type=st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20),
)
def test_any_run_name_and_job_type_is_escaped_and_drawn(tmp_path_factory, name, job_type):
    store_dir = tmp_path_factory.mktemp("store")
    store = bulk_store(store_dir, chains=1, length=2)
    con = sqlite3.connect(store_dir / "lineage.db")
    con.execute("UPDATE runs SET name = ?, job_type = ? WHERE id = 'r0x0'", (name, job_type))
    con.commit()
    con.close()
    store = lineage.Store(store_dir)
    index = write_report(store, tmp_path_factory.mktemp("out") / "report")
    graph = index.parent / "graph.html"
    nodes, _ = view(parse(graph), "view-explode")
    assert nodes["run:r0x0"]["label"].split() == f"{job_type}:{name}".split()
    types, _ = view(parse(graph), "view-types")
    assert types[f"job:{job_type}"]["href"].startswith("index.html#job-")
    run_page = parse(index.parent / "runs" / "r0x0.html")
    text = " ".join(el["text"] for el in run_page)
    assert name.strip() in text and job_type.strip() in text
    assert [el["attrs"].get("src") for el in run_page if el["tag"] == "script"] == ["../assets/report.js"]


def test_dot_quoting_and_svg_cleaning():
    assert render.dot_quote('a"b\\c\nd') == '"a\\"b\\\\c d"'
    svg = layout.clean_svg(
        '<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/x.dtd">\n'
        '<!-- made by -->\n<svg width="1pt" xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
        '<metadata><rdf:RDF xmlns:dc="http://purl.org/dc/elements/1.1/"/></metadata>'
        '<a xlink:href="runs/a.html" xlink:title="t"><text>x</text></a></svg>'
    )
    assert svg == '<svg width="1pt"><a href="runs/a.html"><text>x</text></a></svg>'
    rendered = layout.render_svg(
        render.styled_dot(
            render.DotGraph("g", [render.DotNode("run:a", "train:a", "run", "runs/a.html")], []), ["dataset"]
        )
    )
    assert rendered.startswith("<svg") and "http" not in rendered and 'href="runs/a.html"' in rendered


POOLED_CHARTS = """
import threading
from lineage.report import charts

assert threading.active_count() == 1  # a fresh interpreter: forking is safe, as in 'lineage report'
charts.POOL_FROM = 2
charts.workers = lambda: 2  # a pool even on one core
jobs = [(f"run-{i}", {"loss": (list(range(i + 2)), [1 / (s + 1) for s in range(i + 2)])}) for i in range(5)]
jobs.insert(2, ("empty", {}))
pooled = list(charts.render_many(jobs))
assert pooled == [charts.history_svg(salt, series) for salt, series in jobs]
assert pooled[2] is None and all(svg.startswith("<svg") for i, svg in enumerate(pooled) if i != 2)
assert len(set(pooled)) == 6
print("same charts")
"""


def test_charts_drawn_in_a_pool_of_processes_equal_those_drawn_in_one():
    # In a fresh interpreter: this one may run threads (the test S3 server), where
    # render_many rightly draws in-process and the pool would go untested.
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", POOLED_CHARTS], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout == "same charts\n", done.stderr


def test_the_dot_program_and_the_bundled_library_draw_the_same_graph(monkeypatch):
    import shutil

    if shutil.which("dot") is None:
        if os.environ.get("CI"):
            pytest.fail("no Graphviz 'dot' program: make test installs it (Debian package graphviz)")
        pytest.skip("no Graphviz 'dot' program installed: only the bundled library is used here")
    source = render.styled_dot(
        render.DotGraph(
            "g",
            [
                render.DotNode("run:a", "train:a", "run", "runs/a.html"),
                render.DotNode("version:1", "m:v0", "version", "versions/1.html", group="model"),
            ],
            [("run:a", "version:1", "produced", "produced")],
        ),
        ["model"],
    )
    by_program = layout.render_svg(source)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    by_library = layout.render_svg(source)
    ids = re.compile(r'<g id="([^"]+)" class="(?:node|edge)')

    # Graphviz may write '->' in an id as '&#45;&gt;': the same id once a browser reads it.
    def found(svg: str) -> set[str]:
        return {html.unescape(i) for i in ids.findall(svg)}

    assert found(by_program) == found(by_library) == {"run:a", "version:1", "run:a->version:1"}


def test_a_folder_of_the_reports_own_names_that_no_report_wrote_is_refused_and_kept(tutorial, tmp_path):
    # A user's experiment folder whose entries happen to share the report's names.
    store, _ = tutorial
    mine = tmp_path / "my-experiment"
    checkpoint = mine / "runs" / "2024-05-01" / "checkpoint.pt"
    checkpoint.parent.mkdir(parents=True)
    checkpoint.write_bytes(b"weights")
    (mine / "media").mkdir()
    (mine / "media" / "plot.png").write_bytes(b"png")
    with pytest.raises(InvalidArgumentError, match="not empty"):
        write_report(store, mine)
    assert checkpoint.read_bytes() == b"weights" and (mine / "media" / "plot.png").read_bytes() == b"png"


def test_a_report_interrupted_before_its_index_is_replaced_next_time(tutorial, tmp_path):
    store, _ = tutorial
    out = tmp_path / "report"
    write_report(store, out)
    (out / "index.html").unlink()  # as if the process died before writing its last page
    assert write_report(store, out) == out / "index.html"
