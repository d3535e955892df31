"""Builds the small store the CLI tests run against: the W&B tutorial's five runs.

Run as a script (``python tests/cli_store.py DIR``) so the test process holds no
connection to the store and every CLI call sees it exactly as a user would.

load-data logs mnist-raw v0 and a second load-data run logs v1 (other bytes);
preprocess-data, initialize, train (alias ``best``, a metric history) and report follow
the tutorial, each a run of its own job type.
"""

from __future__ import annotations

import sys

import lineage

PROJECT = "mnist"


def build(store_dir: str) -> None:
    """Log the tutorial pipeline into ``store_dir`` through the Python API."""

    def init(job_type: str, name: str, **config):
        return lineage.init(project=PROJECT, job_type=job_type, name=name, config=config, dir=store_dir)

    with init("load-data", "sunny-smoke-1") as run:
        raw = lineage.Artifact("mnist-raw", type="dataset", metadata={"source": "tiny", "sizes": [3, 1, 1]})
        for split in ("training", "validation", "test"):
            with raw.new_file(f"{split}.pt", mode="wb") as f:
                f.write(f"{split} images v0".encode())
        run.log_artifact(raw)
    with init("load-data", "misty-river-2") as run:
        raw = lineage.Artifact("mnist-raw", type="dataset", metadata={"source": "tiny", "sizes": [4, 1, 1]})
        for split in ("training", "validation", "test"):
            with raw.new_file(f"{split}.pt", mode="wb") as f:
                f.write(f"{split} images v1".encode())
        run.log_artifact(raw)
    with init("preprocess-data", "quiet-field-3", normalize=True) as run:
        run.use_artifact("mnist-raw:latest")
        pre = lineage.Artifact("mnist-preprocess", type="dataset", metadata={"steps": {"normalize": True}})
        with pre.new_file("training.pt", mode="wb") as f:
            f.write(b"normalized training")
        with pre.new_file("nested/test.pt", mode="wb") as f:
            f.write(b"normalized test")
        run.log_artifact(pre)
    with init("initialize", "bold-wave-4", kernel_sizes=[3, 3]) as run:
        model = lineage.Artifact("convnet", type="model", description="Simple AlexNet style CNN")
        with model.new_file("initialized_model.pth", mode="wb") as f:
            f.write(b"weights 0")
        run.log_artifact(model)
    with init("train", "calm-forest-5", epochs=5, batch_size=128) as run:
        run.use_artifact("mnist-preprocess:latest")
        run.use_artifact("convnet:latest")
        for step, loss in enumerate([0.9, 0.5, 0.2]):
            run.log({"train/loss": loss}, step=step)
        run.summary.update({"validation/accuracy": 0.99})
        trained = lineage.Artifact("trained-model", type="model", metadata={"epochs": 5})
        with trained.new_file("trained_model.pth", mode="wb") as f:
            f.write(b"weights 5")
        run.log_artifact(trained, aliases=["best"])
    with init("report", "eager-dawn-6") as run:
        run.use_artifact("trained-model:best")
        run.use_artifact("mnist-preprocess:latest")
        run.summary.update({"test/accuracy": 0.991, "test/loss": float("nan")})


if __name__ == "__main__":
    build(sys.argv[1])
