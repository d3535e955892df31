"""lineage.Api(): W&B's public API over the local store."""

from __future__ import annotations

from pathlib import Path

import pytest

import lineage


@pytest.fixture
def store(store_dir):
    """p/data v0, v1 (made by 'make' runs), used by a 'train' run that logs p/model:v0."""
    for content, lr in (("one", 0.1), ("two", 0.01)):
        with lineage.init(project="p", job_type="make", dir=store_dir, config={"lr": lr}, tags=["raw"]) as run:
            art = lineage.Artifact("data", type="dataset")
            with art.new_file("d.txt") as f:
                f.write(content)
            run.log_artifact(art)
            run.log({"loss": 1.0 if lr == 0.1 else 0.5})
    with lineage.init(project="p", job_type="train", dir=store_dir, group="g1", config={"lr": 0.3}) as run:
        run.use_artifact("data:v0")
        run.use_artifact("data:v1")
        run.log({"loss": 0.9, "acc": 0.5})
        run.log({"loss": 0.4})
        run.log({"acc": 0.8})
        run.summary["best"] = 0.8
        with open("notes.txt", "w") as f:
            f.write("kept")
        run.save("notes.txt")
        model = run.log_artifact(lineage.Artifact("model", type="model"), aliases=["best"])
    with lineage.init(project="q", job_type="make", dir=store_dir):
        pass
    return {"train": run.id, "model": model}


def test_artifact_artifacts_and_versions(store, store_dir):
    api = lineage.Api(dir=store_dir)
    assert api.artifact("team/p/model:best") == store["model"]
    assert api.artifact("p/data:v0", type="dataset").version == "v0"
    with pytest.raises(lineage.InvalidArgumentError, match="not 'model'"):
        api.artifact("p/data:v0", type="model")
    assert [a.version for a in api.artifacts("dataset", "p/data")] == ["v1", "v0"]
    assert [a.version for a in api.artifact_versions("dataset", "team/p/data")] == ["v1", "v0"]
    assert api.artifact_exists("p/data:v1") and not api.artifact_exists("p/data:v9")
    assert api.artifact_collections("p", "dataset") == ["data"]


def test_runs_with_filters_and_order(store, store_dir):
    api = lineage.Api(dir=store_dir)
    assert [r.job_type for r in api.runs("p")] == ["make", "make", "train"]
    assert len(api.runs()) == 4 and len(api.runs("team/q")) == 1
    assert [r.id for r in api.runs("p", filters={"jobType": "train"})] == [store["train"]]
    assert len(api.runs("p", filters={"config.lr": {"$lt": 0.2}})) == 2
    assert len(api.runs("p", filters={"$or": [{"group": "g1"}, {"config.lr": 0.1}]})) == 2
    assert len(api.runs("p", filters={"tags": {"$in": ["raw"]}})) == 2
    assert len(api.runs("p", filters={"summary_metrics.best": {"$exists": True}})) == 1
    assert len(api.runs("p", filters={"state": "finished", "display_name": {"$regex": "-3$"}})) == 1
    assert [r.config["lr"] for r in api.runs("p", order="-config.lr")] == [0.3, 0.1, 0.01]
    with pytest.raises(lineage.InvalidArgumentError, match="unknown filter operator"):
        api.runs("p", filters={"state": {"$near": 1}})


def test_a_run_with_its_artifacts_history_summary_config_and_files(store, store_dir, tmp_path):
    api = lineage.Api(dir=store_dir)
    run = api.run(f"team/p/{store['train']}")
    assert (run.state, run.job_type, run.group, run.config) == ("finished", "train", "g1", {"lr": 0.3})
    assert run.summary["best"] == 0.8 and run.summary["loss"] == 0.4
    assert [a.name for a in run.used_artifacts()] == ["data:v0", "data:v1"]
    assert [a.name for a in run.logged_artifacts()] == ["model:v0"]
    assert list(run.scan_history()) == [
        {"_step": 0, "acc": 0.5, "loss": 0.9},
        {"_step": 1, "loss": 0.4},
        {"_step": 2, "acc": 0.8},
    ]
    assert [row["acc"] for row in run.scan_history(keys=["acc"])] == [0.5, 0.8]
    frame = run.history()
    assert list(frame["_step"]) == [0, 1, 2] and frame["loss"].tolist()[:2] == [0.9, 0.4]
    assert run.history(pandas=False, keys=["loss"]) == [{"_step": 0, "loss": 0.9}, {"_step": 1, "loss": 0.4}]
    assert [f.name for f in run.files()] == ["notes.txt"]
    with run.file("notes.txt").download(tmp_path / "got") as handle:
        assert handle.read() == "kept"
    assert Path(tmp_path / "got" / "notes.txt").read_text() == "kept"
    with pytest.raises(lineage.InvalidArgumentError, match="exists"):
        run.file("notes.txt").download(tmp_path / "got")
    with pytest.raises(lineage.NotFoundError, match="not 'q'"):
        api.run(f"q/{store['train']}")
