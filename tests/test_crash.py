"""Crash trials: a process logging multi-file artifacts is killed with SIGKILL at random
moments; after each kill fsck finds no damage, every version the process was told about
is there whole, no visible version lacks a blob, and gc sweeps what the crash left."""

from __future__ import annotations

import collections
import json
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import lineage
from lineage.fsck import fsck
from lineage.gc import gc
from tests.helpers import crash_child

ALLOWED_AFTER_A_CRASH = {"temp_file", "unreferenced_blob", "crashed_run"}
MAX_DELAY_S = 0.5  # the child logs a round every few tens of milliseconds


def finished_steps(report: Path) -> list[list]:
    if not report.exists():
        return []
    lines = report.read_text().split("\n")
    return [json.loads(line) for line in lines[:-1]]  # the last piece may be half-written


def check_after_crash(store_dir: Path, steps: list[list], known_deleted: set[str], stats: collections.Counter) -> None:
    """Check the store after a kill. ``steps``: every step children reported on this store;
    ``known_deleted``: versions seen deleted after earlier kills (updated here)."""
    if not (store_dir / "lineage.db").exists():  # killed before it created the store
        assert steps == []
        return
    store = lineage.Store(store_dir)
    try:
        report = fsck(store)
        assert report.ok, [str(p) for p in report.damage]
        assert {p.kind for p in report.problems} <= ALLOWED_AFTER_A_CRASH
        for kind in {p.kind for p in report.problems}:
            stats[f"trials leaving {kind}"] += 1
        try:
            versions = store.versions("crash/multi")
        except lineage.NotFoundError:
            assert not [s for s in steps if s[0] == "logged"]
            return
        assert [v.version for v in versions] == [f"v{n}" for n in range(len(versions))]
        by_name = {v.version: v for v in versions}
        for step in steps:
            if step[0] == "logged":
                assert by_name[step[1]].digest == step[2]
        reported = {s[1] for s in steps if s[0] == "deleted"}
        deleted = {v.version for v in versions if v.deleted}
        assert reported <= deleted
        # The kill may land after a delete committed and before the child reported it.
        assert len(deleted - reported - known_deleted) <= 1
        known_deleted |= deleted
        for version in versions:
            if not version.deleted:  # fsck hashed every blob; also read each file through the API
                for file in version.files():
                    with version.open(file.path) as f:
                        assert len(f.read()) == file.size
    finally:
        store.close()


def sweep(store_dir: Path) -> None:
    store = lineage.Store(store_dir)
    try:
        gc(store)
        report = fsck(store)
        assert report.ok and not report.sweepable, report.problems
    finally:
        store.close()


def crash_trials(tmp_path: Path, trials: int, spawn: bool = False) -> collections.Counter:
    rng = random.Random(trials)
    context = multiprocessing.get_context("fork")
    stats: collections.Counter = collections.Counter()
    store_dir = tmp_path / "store-0"
    steps: list[list] = []
    known_deleted: set[str] = set()
    for trial in range(trials):
        if trial and trial % 20 == 0:  # now and then a new store: kills during its creation too
            store_dir = tmp_path / f"store-{trial}"
            steps, known_deleted = [], set()
        report = tmp_path / f"report-{trial}.jsonl"
        scratch = tmp_path / f"scratch-{trial}"
        args = (str(store_dir), trial, str(report), str(scratch))
        if spawn:  # a fresh interpreter, as a user's script would be
            child = subprocess.Popen([sys.executable, crash_child.__file__, *map(str, args)])
            time.sleep(0.25 + rng.uniform(0, MAX_DELAY_S))  # the interpreter needs ~0.25 s to start
            os.kill(child.pid, signal.SIGKILL)
            assert child.wait() == -signal.SIGKILL
        else:
            child = context.Process(target=crash_child.main, args=args)
            child.start()
            time.sleep(rng.uniform(0, MAX_DELAY_S))
            os.kill(child.pid, signal.SIGKILL)
            child.join()
            assert child.exitcode == -signal.SIGKILL  # killed mid-work, never finished by itself
        done = finished_steps(report)
        steps += done
        stats["trials"] += 1
        stats["rounds logged before the kill"] += sum(s[0] == "logged" for s in done)
        check_after_crash(store_dir, steps, known_deleted, stats)
        stats["survived"] += 1
        if trial % 10 == 9:
            sweep(store_dir)
    return stats


def test_sigkill_at_random_moments_leaves_nothing_fsck_cannot_name_or_gc_cannot_sweep(tmp_path):
    stats = crash_trials(tmp_path, trials=60)
    print(dict(stats))
    assert stats["survived"] == stats["trials"] == 60
    # The kills landed mid-write often enough to leave each kind of leftover behind.
    assert stats["rounds logged before the kill"] > 0 and stats["trials leaving crashed_run"] > 0
    assert stats["trials leaving temp_file"] > 0 and stats["trials leaving unreferenced_blob"] > 0


@pytest.mark.slow
def test_many_more_sigkills(tmp_path):
    stats = crash_trials(tmp_path, trials=400)
    print(dict(stats))
    assert stats["survived"] == stats["trials"] == 400


@pytest.mark.slow
def test_sigkills_of_freshly_started_interpreters(tmp_path):
    stats = crash_trials(tmp_path, trials=40, spawn=True)
    print(dict(stats))
    assert stats["survived"] == stats["trials"] == 40
