"""init() with every W&B keyword and W&B's environment variables; resume, reinit; the no-op calls."""

from __future__ import annotations

import argparse
import sqlite3

import pytest

import lineage


def run_row(store_dir, run_id: str) -> lineage.RunInfo:
    return lineage.Store(store_dir).run(run_id)


def test_init_accepts_every_documented_keyword(store_dir):
    run = lineage.init(
        entity="team",
        project="p",
        dir=store_dir,
        id="run-1",
        name="first",
        notes="a note\non two lines",
        tags=["baseline", "paper1", "baseline"],
        config={"lr": 0.1, "secret": "x"},
        config_exclude_keys=["secret"],
        config_include_keys=None,
        allow_val_change=False,
        group="exp-1",
        job_type="train model",  # W&B allows a space
        mode="offline",
        force=False,
        anonymous="allow",
        reinit=True,
        resume=None,
        resume_from=None,
        fork_from=None,
        save_code=True,
        tensorboard=False,
        sync_tensorboard=False,
        monitor_gym=False,
        settings={"silent": True},
    )
    assert (run.id, run.name, run.project, run.group, run.tags) == (
        "run-1",
        "first",
        "p",
        "exp-1",
        ("baseline", "paper1"),
    )
    assert run.path == "team/p/run-1" and run.entity == "team"
    assert lineage.run is run and dict(lineage.config) == {"lr": 0.1}
    run.finish()
    stored = run_row(store_dir, "run-1")
    assert (stored.group, stored.tags, stored.job_type, stored.notes) == (
        "exp-1",
        ("baseline", "paper1"),
        "train model",
        "a note\non two lines",
    )
    assert stored.config == {"lr": 0.1} and stored.state == "finished"


def test_wandb_environment_variables_fill_unset_keywords(store_dir, monkeypatch):
    for key, value in {
        "WANDB_PROJECT": "from-env",
        "WANDB_RUN_GROUP": "g",
        "WANDB_JOB_TYPE": "eval",
        "WANDB_NAME": "env-name",
        "WANDB_NOTES": "n",
        "WANDB_TAGS": "a, b",
        "WANDB_RUN_ID": "envid",
        "WANDB_MODE": "offline",
    }.items():
        monkeypatch.setenv(key, value)
    with lineage.init(dir=store_dir) as run:
        art = run.log_artifact(lineage.Artifact("d", type="dataset"))
    assert art.qualified_name == "from-env/d:v0"  # project-qualified refs resolve again
    stored = run_row(store_dir, "envid")
    assert (stored.project, stored.group, stored.job_type, stored.name, stored.notes, stored.tags) == (
        "from-env",
        "g",
        "eval",
        "env-name",
        "n",
        ("a", "b"),
    )
    monkeypatch.delenv("WANDB_RUN_ID")
    with lineage.init(project="explicit", group="mine", dir=store_dir) as run:
        assert (run.project, run.group) == ("explicit", "mine")  # keywords win over the environment


def test_id_and_resume_continue_a_stored_run(store_dir):
    with pytest.raises(lineage.NotFoundError, match="no run with id 'r1' to resume"):
        lineage.init(project="p", dir=store_dir, id="r1", resume="must")
    with lineage.init(project="p", dir=store_dir, id="r1", resume="allow", config={"a": 1}) as run:
        assert not run.resumed
        run.log({"loss": 1.0})
        run.log({"loss": 0.5})
        run.summary["best"] = 0.5
    with lineage.init(project="other", dir=store_dir, id="r1", resume="must", config={"b": 2}) as again:
        assert again.resumed and again.project == "p" and again.name == run.name
        assert dict(again.config) == {"a": 1, "b": 2} and again.summary["best"] == 0.5
        again.log({"loss": 0.25})
    con = sqlite3.connect(store_dir / "lineage.db")
    assert con.execute("SELECT step, value FROM history WHERE run_id = 'r1' ORDER BY step").fetchall() == [
        (0, 1.0),
        (1, 0.5),
        (2, 0.25),
    ]
    assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 1
    con.close()
    assert run_row(store_dir, "r1").state == "finished"
    with pytest.raises(lineage.ConflictError, match="resume='never'"):
        lineage.init(project="p", dir=store_dir, id="r1", resume="never")
    with pytest.raises(lineage.ConflictError, match="already in the store"):
        lineage.init(project="p", dir=store_dir, id="r1")
    with pytest.raises(lineage.InvalidArgumentError, match="invalid resume"):
        lineage.init(project="p", dir=store_dir, id="r1", resume="sometimes")


def test_reinit_modes(store_dir):
    first = lineage.init(project="p", dir=store_dir)
    assert lineage.init(project="p", dir=store_dir, reinit=False) is first
    assert lineage.init(project="p", dir=store_dir, reinit="return_previous") is first
    second = lineage.init(project="p", dir=store_dir, reinit="create_new")
    assert first.state == "running" and lineage.run is second
    third = lineage.init(project="p", dir=store_dir)  # the default finishes the active run
    assert second.state == "finished" and lineage.run is third
    first.finish()
    third.finish()


def test_the_no_op_calls_are_accepted(store_dir):
    assert lineage.login() is True
    assert lineage.login(key="x" * 40, relogin=True, host="https://api.wandb.ai") is True
    settings = lineage.Settings(start_method="thread", silent=True)
    assert settings.silent is True
    with lineage.init(project="p", dir=store_dir, settings=settings) as run:
        lineage.watch(object(), log="all", log_freq=10)
        run.watch(object())
        lineage.define_metric("val/loss", summary="min")
        run.define_metric("acc", step_metric="epoch", goal="maximize")
        lineage.alert(title="t", text="x")
        run.alert("t", "x")
        run.log_code(".")
        lineage.unwatch()
        assert run.url is None and run.offline


def test_config_update_takes_a_namespace_and_allow_val_change(store_dir):
    args = argparse.Namespace(lr=0.01, epochs=3)
    with lineage.init(project="p", dir=store_dir, config=args) as run:
        run.config.update(argparse.Namespace(batch_size=64))
        assert dict(run.config) == {"lr": 0.01, "epochs": 3, "batch_size": 64}
        run.config.update({"lr": 0.01})  # the same value is no change
        with pytest.raises(lineage.InvalidArgumentError, match="allow_val_change=True"):
            run.config.update({"lr": 0.5})
        with pytest.raises(lineage.InvalidArgumentError, match="allow_val_change=True"):
            run.config.epochs = 4
        run.config.update({"lr": 0.5}, allow_val_change=True)
        assert run.config.lr == 0.5
    assert run_row(store_dir, run.id).config["lr"] == 0.5
    with lineage.init(project="p", dir=store_dir, config={"x": 1}, allow_val_change=True) as run:
        run.config.x = 2
        assert run.config.x == 2


def test_run_dir_files_are_kept_and_settable_fields_are_written(store_dir):
    with lineage.init(project="p", dir=store_dir) as run:
        with open(f"{run.dir}/notes.txt", "w") as f:
            f.write("kept")
        run.name = "renamed"
        run.tags = run.tags + ("late",)
        run.notes = "later"
    con = sqlite3.connect(store_dir / "lineage.db")
    assert con.execute("SELECT path FROM run_files WHERE run_id = ?", (run.id,)).fetchall() == [("notes.txt",)]
    con.close()
    stored = run_row(store_dir, run.id)
    assert (stored.name, stored.tags, stored.notes) == ("renamed", ("late",), "later")


def test_runs_left_running_by_create_new_are_finished_at_exit(store_dir):
    import subprocess
    import sys

    script = (
        "import lineage\n"
        f"first = lineage.init(project='p', dir={str(store_dir)!r}, id='first')\n"
        f"lineage.init(project='p', dir={str(store_dir)!r}, id='second', reinit='create_new')\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
    assert [(r.id, r.state) for r in lineage.Store(store_dir).runs()] == [("first", "finished"), ("second", "finished")]
    with pytest.raises(lineage.NotFoundError, match="to resume"):
        lineage.init(project="p", dir=store_dir.parent / "nothing-here", id="x", resume="must")
    assert not (store_dir.parent / "nothing-here").exists()
