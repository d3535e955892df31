"""The offline model registry: link_artifact, link_model, log_model, use_model, registry refs, CLI, report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import lineage


def model_file(tmp_path: Path, content: str) -> Path:
    path = tmp_path / f"model-{content}.pth"
    path.write_text(content)
    return path


def test_link_artifact_numbers_links_and_moves_aliases(store_dir, tmp_path):
    with lineage.init(project="p", job_type="train", dir=store_dir) as run:
        first = run.log_model(model_file(tmp_path, "a"), name="convnet")
        assert first.type == "model" and first.name == "convnet:v0"
        run.link_artifact(first, "model-registry/mnist", aliases=["production"])
        run.link_artifact(first, "team/model-registry/mnist", aliases=["staging"])  # linked once; aliases move
        draft = lineage.Artifact("convnet", type="model")
        with draft.new_file("w.pth") as f:
            f.write("b")
        second = run.link_artifact(draft, "model-registry/mnist")  # logged first, as W&B does
    assert second.name == "convnet:v1"
    store = lineage.Store(store_dir)
    assert store.artifact("model-registry/mnist:production") == first
    assert store.artifact("model-registry/mnist:staging") == first
    assert store.artifact("model-registry/mnist:v1") == second
    assert store.artifact("model-registry/mnist:latest") == second
    assert lineage.Api(dir=store_dir).artifact("team/model-registry/mnist:production") == first
    assert [(lk.ref, lk.aliases) for lk in first.linked()] == [("model-registry/mnist:v0", ("production", "staging"))]
    with pytest.raises(lineage.NotFoundError, match=r"has no 'gold' \(links: v0 \(production, staging\), v1"):
        store.artifact("model-registry/mnist:gold")
    with pytest.raises(lineage.InvalidArgumentError, match="invalid link target"):
        first.link("a/b/c/d")
    first.link("model-registry/other", aliases=["x"])  # artifact.link, outside a run
    assert store.artifact("model-registry/other:x") == first


def test_link_model_and_use_model_through_the_registry(store_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with lineage.init(project="p", job_type="train", dir=store_dir) as run:
        linked = lineage.link_model(model_file(tmp_path, "w"), "mnist", aliases=["best"])
    with lineage.init(project="p", job_type="serve", dir=store_dir) as run:
        folder = lineage.use_model("model-registry/mnist:best")
        assert Path(folder, "model-w.pth").read_text() == "w"
        assert [r.id for r in linked.used_by()] == [run.id]
        with pytest.raises(lineage.InvalidArgumentError, match="use_model takes a model"):
            run.use_model(run.log_artifact(lineage.Artifact("d", type="dataset")).qualified_name)
    ancestry = lineage.Store(store_dir).ancestry("model-registry/mnist:best")
    assert [n["label"] for n in ancestry.nodes if n["kind"] == "run"] == [f"train:{linked.logged_by().name}"]


def test_cli_registry_show_and_report_list_the_links(store_dir, tmp_path):
    with lineage.init(project="p", job_type="train", dir=store_dir) as run:
        model = run.log_model(model_file(tmp_path, "m"), name="net")
        run.link_artifact(model, "model-registry/mnist", aliases=["production"])
    env = {k: v for k, v in os.environ.items() if k != "LINEAGE_DIR"}

    def cli(*args):
        command = [sys.executable, "-m", "lineage.cli", "--store", str(store_dir), *args]
        return subprocess.run(command, capture_output=True, text=True, env=env, check=True, timeout=120).stdout

    listed = json.loads(cli("registry", "--json"))
    assert [(x["ref"], x["version_ref"], x["aliases"]) for x in listed] == [
        ("model-registry/mnist:v0", "p/net:v0", ["latest", "production"])
    ]
    assert "model-registry/mnist:v0" in cli("registry", "model-registry/mnist")
    shown = json.loads(cli("show", "model-registry/mnist:production", "--json"))
    assert shown["linked"] == ["model-registry/mnist:v0 (latest, production)"]
    from lineage.report import write_report

    site = write_report(lineage.Store(store_dir), tmp_path / "site")
    pages = "".join(p.read_text() for p in Path(site).parent.rglob("*.html"))
    assert "model-registry/mnist:v0 (latest, production)" in pages
