"""Runs: init, states, config, log, summary, save, Image, module-level helpers."""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import lineage

BACKENDS = ("folder", "postgres", "postgres+s3")


def test_init_names_runs_like_wandb_and_records_states(store_dir):
    with lineage.init(project="p", job_type="train", dir=store_dir) as run:
        assert run.state == "running"
        assert lineage.run is run
    assert run.state == "finished"
    assert lineage.run is None
    with pytest.raises(ZeroDivisionError), lineage.init(project="p", job_type="train", dir=store_dir, name="mine"):
        raise ZeroDivisionError("division by zero")
    runs = lineage.Store(store_dir).runs()
    assert [r.state for r in runs] == ["finished", "failed"]
    first, second = runs
    parts = first.name.split("-")
    assert len(parts) == 3 and parts[2] == "1"
    assert second.name == "mine"
    assert second.error == "ZeroDivisionError: division by zero"
    assert first.ended_at is not None and first.started_at <= first.ended_at
    assert len(first.id) == 8


def test_a_killed_process_leaves_a_crashed_run(store_dir):
    script = textwrap.dedent(
        f"""
        import os, lineage
        run = lineage.init(project="p", job_type="train", dir={str(store_dir)!r})
        os._exit(0)  # no finish, no atexit: as if the process was killed
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True)
    runs = lineage.Store(store_dir).runs()
    assert [r.state for r in runs] == ["crashed"]


def test_unfinished_run_is_finished_at_exit_or_failed_on_uncaught_error(store_dir):
    ok = f"import lineage\nlineage.init(project='p', dir={str(store_dir)!r})\n"
    subprocess.run([sys.executable, "-c", ok], check=True)
    bad = ok + "raise SystemError('boom')\n"
    assert subprocess.run([sys.executable, "-c", bad], capture_output=True).returncode != 0
    states = [(r.state, r.error) for r in lineage.Store(store_dir).runs()]
    assert states == [("finished", None), ("failed", "SystemError: boom")]


def test_config_attribute_item_and_update(store_dir):
    with lineage.init(project="p", dir=store_dir, config={"epochs": 5, "lr": 0.1}) as run:
        config = lineage.config
        assert config is run.config
        assert config.epochs == 5 and config["lr"] == 0.1
        config.update({"kernels": [16, 32]})
        config.batch_size = 128
        config["optimizer"] = "Adam"
        assert dict(config) == {"epochs": 5, "lr": 0.1, "kernels": [16, 32], "batch_size": 128, "optimizer": "Adam"}
        with pytest.raises(AttributeError):
            _ = config.missing
    assert lineage.Store(store_dir).runs()[0].config == dict(config)


def test_log_history_and_summary_semantics(store_dir):
    torch = pytest.importorskip("torch")
    with lineage.init(project="p", dir=store_dir) as run:
        run.log({"loss": 1.0})  # step 0
        run.log({"loss": torch.tensor(0.5), "acc": np.float32(0.25)})  # step 1
        run.log({"loss": float("nan"), "big": float("inf")}, step=10)
        lineage.log({"loss": 0.1})  # step 11
        run.summary.update({"loss": 0.05})  # overrides until the next log of that key
        assert run.summary["loss"] == 0.05
        run.log({"acc": 0.9}, step=12)
        assert run.summary["loss"] == 0.05 and run.summary["acc"] == 0.9
    rows = lineage.Store(store_dir).db.read("SELECT step, key, value, data FROM history ORDER BY step, key")
    assert [(s, k) for s, k, _, _ in rows] == [
        (0, "loss"),
        (1, "acc"),
        (1, "loss"),
        (10, "big"),
        (10, "loss"),
        (11, "loss"),
        (12, "acc"),
    ]
    from lineage.values import decode_metric

    values = {(s, k): decode_metric(v, d) for s, k, v, d in rows}
    assert values[(1, "loss")] == 0.5 and values[(1, "acc")] == 0.25
    assert math.isnan(values[(10, "loss")]) and values[(10, "big")] == math.inf
    summary = lineage.Store(store_dir).runs()[0].summary
    assert summary == {"loss": 0.05, "acc": 0.9, "big": math.inf}


def test_log_refuses_bad_input_without_writing(store_dir):
    with lineage.init(project="p", dir=store_dir) as run:
        with pytest.raises(lineage.InvalidArgumentError):
            run.log([1, 2])
        with pytest.raises(lineage.InvalidArgumentError):
            run.log({"x": 1}, step=-1)
        with pytest.raises(lineage.InvalidArgumentError):
            run.log({1: 1})
    assert lineage.Store(store_dir).db.read("SELECT count(*) FROM history") == [(0,)]


def test_images_are_kept_as_pngs_with_the_run(store_dir):
    from PIL import Image as PILImage

    torch = pytest.importorskip("torch")
    with lineage.init(project="p", dir=store_dir) as run:
        images = [lineage.Image(torch.rand(1, 28, 28), caption=f"{i},{i + 1}") for i in range(3)]
        lineage.log({"examples": images})
        run.log({"one": lineage.Image(np.zeros((4, 5, 3), dtype=np.uint8))})
    store = lineage.Store(store_dir)
    files = store.db.read("SELECT path, sha256 FROM run_files ORDER BY path")
    assert [p for p, _ in files] == [
        "media/images/examples_0_0.png",
        "media/images/examples_0_1.png",
        "media/images/examples_0_2.png",
        "media/images/one_1_0.png",
    ]
    with PILImage.open(store.blobs.open(files[0][1])) as im:
        assert im.size == (28, 28)
    with PILImage.open(store.blobs.open(files[3][1])) as im:
        assert im.size == (5, 4)
    summary = store.runs()[0].summary
    assert [item["caption"] for item in summary["examples"]["items"]] == ["0,1", "1,2", "2,3"]


def test_save_keeps_files_with_the_run(store_dir, tmp_path):
    (tmp_path / "model.pth").write_bytes(b"w1")
    (tmp_path / "ckpt").mkdir()
    (tmp_path / "ckpt" / "a.pt").write_bytes(b"a")
    with lineage.init(project="p", dir=store_dir):
        assert lineage.save("model.pth") == ["model.pth"]
        assert lineage.save("ckpt/*.pt") == ["ckpt/a.pt"]
        with pytest.raises(lineage.InvalidArgumentError, match="no file matches"):
            lineage.save("nothing-*.bin")
    rows = lineage.Store(store_dir).db.read("SELECT path, size FROM run_files ORDER BY path")
    assert rows == [("ckpt/a.pt", 1), ("model.pth", 2)]


def test_module_helpers_need_an_active_run():
    with pytest.raises(lineage.LineageError, match="lineage.init"):
        lineage.log({"x": 1})
    with pytest.raises(lineage.LineageError, match="lineage.init"):
        _ = lineage.config.epochs


def test_a_finished_run_refuses_more_logging(store_dir):
    run = lineage.init(project="p", dir=store_dir)
    run.finish()
    with pytest.raises(lineage.LineageError, match="is finished"):
        run.log({"x": 1})


def test_init_finishes_the_previous_active_run(store_dir):
    first = lineage.init(project="p", dir=store_dir)
    second = lineage.init(project="p", dir=store_dir)
    assert first.state == "finished" and lineage.run is second
    second.finish()


def test_use_artifact_records_edges_and_checks_type(store_dir):
    with lineage.init(project="p", job_type="make", dir=store_dir) as run:
        made = run.log_artifact(lineage.Artifact("d", type="dataset"))
    with lineage.init(project="p", job_type="use", dir=store_dir) as run:
        used = run.use_artifact("d:latest")
        run.use_artifact("d:latest")  # twice is one edge
        with pytest.raises(lineage.InvalidArgumentError, match="not 'model'"):
            run.use_artifact("d", type="model")
        with pytest.raises(lineage.NotFoundError, match="no alias 'best'"):
            run.use_artifact("d:best")
    assert used == made
    assert [r.job_type for r in made.used_by()] == ["use"]
    assert made.logged_by().job_type == "make"


def _logged(run: lineage.Run, name: str, content: bytes) -> lineage.LoggedArtifact:
    art = lineage.Artifact(name, type="dataset")
    with art.new_file("f.bin", mode="wb") as f:
        f.write(content)
    return run.log_artifact(art)


def test_use_artifact_of_another_store_never_records_an_edge_to_an_unrelated_version(tmp_path):
    with lineage.init(project="p", job_type="make", dir=tmp_path / "a") as run:
        theirs = _logged(run, "theirs", b"from store a")
        shared = _logged(run, "shared", b"same content in both")
    with lineage.init(project="p", job_type="make", dir=tmp_path / "b") as run:
        unrelated = _logged(run, "unrelated", b"store b's first version")  # the same numeric id as `theirs`
        assert unrelated.id == theirs.id
        mine = _logged(run, "shared", b"same content in both")
    with lineage.init(project="p", job_type="use", dir=tmp_path / "b") as run:
        with pytest.raises(lineage.NotFoundError, match="holds no version with its content"):
            run.use_artifact(theirs)
        # The same artifact with the same content is the same version: resolved by identity.
        assert run.use_artifact(shared) == mine
    assert unrelated.used_by() == []
    assert [r.job_type for r in mine.used_by()] == ["use"]
