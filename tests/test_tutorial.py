"""The W&B tutorial's tracking calls, run unchanged under `import lineage as wandb`, on tiny tensors."""

from __future__ import annotations

import os

import pytest

import lineage as wandb

torch = pytest.importorskip("torch")
from torch.utils.data import TensorDataset  # noqa: E402

PROJECT = "artifacts-example"


def load():
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (12, 28, 28), dtype=torch.uint8, generator=g)
    y = torch.arange(12) % 10
    return [TensorDataset(x[:8], y[:8]), TensorDataset(x[8:10], y[8:10]), TensorDataset(x[10:], y[10:])]


def load_and_log():
    with wandb.init(project=PROJECT, job_type="load-data") as run:
        datasets = load()
        names = ["training", "validation", "test"]
        raw_data = wandb.Artifact(
            "mnist-raw",
            type="dataset",
            description="Raw MNIST dataset, split into train/val/test",
            metadata={"source": "torchvision.datasets.MNIST", "sizes": [len(dataset) for dataset in datasets]},
        )
        for name, data in zip(names, datasets, strict=True):
            with raw_data.new_file(name + ".pt", mode="wb") as file:
                x, y = data.tensors
                torch.save((x, y), file)
        run.log_artifact(raw_data)


def read(data_dir, split):
    x, y = torch.load(os.path.join(data_dir, split + ".pt"), weights_only=True)
    return TensorDataset(x, y)


def preprocess_and_log(steps):
    with wandb.init(project=PROJECT, job_type="preprocess-data") as run:
        processed_data = wandb.Artifact("mnist-preprocess", type="dataset", description="Preprocessed", metadata=steps)
        raw_data_artifact = run.use_artifact("mnist-raw:latest")
        raw_dataset = raw_data_artifact.download()
        for split in ["training", "validation", "test"]:
            x, y = read(raw_dataset, split).tensors
            x = (x.float() / 255).unsqueeze(1)
            with processed_data.new_file(split + ".pt", mode="wb") as file:
                torch.save((x, y), file)
        run.log_artifact(processed_data)


def build_model_and_log(config):
    with wandb.init(project=PROJECT, job_type="initialize", config=config) as run:
        config = wandb.config
        model = torch.nn.Linear(config.input, config.output)
        model_artifact = wandb.Artifact("convnet", type="model", description="Simple model", metadata=dict(config))
        torch.save(model.state_dict(), "initialized_model.pth")
        model_artifact.add_file("initialized_model.pth")
        wandb.save("initialized_model.pth")
        run.log_artifact(model_artifact)


def train_and_log(config):
    with wandb.init(project=PROJECT, job_type="train", config=config) as run:
        config = wandb.config
        data = run.use_artifact("mnist-preprocess:latest")
        data_dir = data.download()
        training = read(data_dir, "training")
        model_artifact = run.use_artifact("convnet:latest")
        model_dir = model_artifact.download()
        model_config = model_artifact.metadata
        config.update(model_config)
        model = torch.nn.Linear(model_config["input"], model_config["output"])
        model.load_state_dict(torch.load(os.path.join(model_dir, "initialized_model.pth"), weights_only=True))
        example_ct = 0
        for epoch in range(config.epochs):
            x, _ = training.tensors
            example_ct += len(x)
            loss = model(x.flatten(1)).pow(2).mean()
            wandb.log({"epoch": epoch, "train/loss": float(loss.detach())}, step=example_ct)
        wandb.log({"epoch": 0, "validation/loss": 0.5, "validation/accuracy": 0.9}, step=example_ct)
        trained = wandb.Artifact("trained-model", type="model", description="Trained", metadata=dict(model_config))
        torch.save(model.state_dict(), "trained_model.pth")
        trained.add_file("trained_model.pth")
        wandb.save("trained_model.pth")
        run.log_artifact(trained)


def evaluate_and_log():
    with wandb.init(project=PROJECT, job_type="report") as run:
        data = run.use_artifact("mnist-preprocess:latest")
        test = read(data.download(), "test")
        model_artifact = run.use_artifact("trained-model:latest")
        model_artifact.download()
        x, y = test.tensors
        run.summary.update({"loss": torch.tensor(0.25), "accuracy": 0.5})
        wandb.log(
            {
                "high-loss-examples": [
                    wandb.Image(example, caption=str(int(pred)) + "," + str(int(label)))
                    for example, pred, label in zip(x, y, y, strict=True)
                ]
            }
        )


def test_the_tutorial_pipeline_runs_and_records_its_lineage(store_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("LINEAGE_DIR", str(store_dir))
    load_and_log()
    load_and_log()  # identical content: no new version
    preprocess_and_log({"normalize": True, "expand_dims": True})
    build_model_and_log({"input": 784, "output": 10})
    train_and_log({"epochs": 2, "batch_size": 128})
    evaluate_and_log()

    store = wandb.Store()
    assert store.dir == store_dir
    runs = store.runs()
    assert [r.job_type for r in runs] == ["load-data", "load-data", "preprocess-data", "initialize", "train", "report"]
    assert all(r.state == "finished" for r in runs)
    assert [(a.name, a.type, a.version_count) for a in store.artifacts()] == [
        ("convnet", "model", 1),
        ("mnist-preprocess", "dataset", 1),
        ("mnist-raw", "dataset", 1),
        ("trained-model", "model", 1),
    ]
    labels = {r.id: r.job_type for r in runs}
    refs = {row[0]: row[1] for row in store.db.read("SELECT version_id, ref FROM version_refs")}
    edges = sorted(
        (kind, labels.get(src, refs.get(int(src)) if src.isdigit() else src), labels.get(dst) or refs[int(dst)])
        for kind, src, dst in store.db.read("SELECT kind, src_id, dst_id FROM edges")
    )
    assert edges == sorted(
        [
            ("produced", "load-data", "mnist-raw:v0"),
            ("produced", "load-data", "mnist-raw:v0"),
            ("consumed", "mnist-raw:v0", "preprocess-data"),
            ("produced", "preprocess-data", "mnist-preprocess:v0"),
            ("produced", "initialize", "convnet:v0"),
            ("consumed", "mnist-preprocess:v0", "train"),
            ("consumed", "convnet:v0", "train"),
            ("produced", "train", "trained-model:v0"),
            ("consumed", "mnist-preprocess:v0", "report"),
            ("consumed", "trained-model:v0", "report"),
        ]
    )
    # download() layout: ./artifacts/<name>:<version>/<files>
    assert sorted(os.listdir(tmp_path / "artifacts")) == [
        "convnet:v0",
        "mnist-preprocess:v0",
        "mnist-raw:v0",
        "trained-model:v0",
    ]
    assert sorted(os.listdir(tmp_path / "artifacts" / "mnist-raw:v0")) == ["test.pt", "training.pt", "validation.pt"]
    raw = store.artifact("mnist-raw:latest")
    assert raw.metadata == {"source": "torchvision.datasets.MNIST", "sizes": [8, 2, 2]}
    assert raw.logged_by().id == runs[0].id
    train, report = runs[4], runs[5]
    assert train.config == {"epochs": 2, "batch_size": 128, "input": 784, "output": 10}
    assert set(train.summary) == {"epoch", "train/loss", "validation/loss", "validation/accuracy"}
    assert report.summary["loss"] == 0.25 and report.summary["accuracy"] == 0.5
    assert len(report.summary["high-loss-examples"]["items"]) == 2
    saved = store.db.read("SELECT path FROM run_files WHERE run_id = ? ", (train.id,))
    assert saved == [("trained_model.pth",)]
