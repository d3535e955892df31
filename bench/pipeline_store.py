"""Build a pipeline-shaped lineage store of N versions with bulk inserts (for bench/query.py).

The shape follows how teams use W&B artifacts: a few raw datasets, each preprocessed;
many training runs that each consume a preprocessed dataset and either a freshly
initialized network or an earlier model of the same family (short warm starts); some
model families trained as long warm-start chains, hundreds of runs deep; evaluation
runs that consume a model and the test set and log an evaluation; comparison runs that
consume several models (diamonds); and a few runs that consume what they logged
(cycles). Everything goes in with ``executemany`` inside one transaction.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from pathlib import Path

import lineage

PROJECT = "bench"
ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def run_id(i: int) -> str:
    """A unique 8-character run id, spread like the API's random ones."""
    n = (i * 2_654_435_761 + 12_345) % 36**8
    return "".join(ALPHABET[(n // 36**k) % 36] for k in range(8))


@dataclass
class Builder:
    """Accumulates rows; ``versions`` is the list of version ids in commit order."""

    rng: random.Random
    runs: list[tuple] = field(default_factory=list)
    artifacts: dict[str, tuple[int, str]] = field(default_factory=dict)  # name -> (id, type)
    versions: list[tuple] = field(default_factory=list)
    numbers: dict[int, int] = field(default_factory=dict)  # artifact id -> next number
    latest: dict[int, int] = field(default_factory=dict)  # artifact id -> version id
    produced: list[tuple[str, int, str]] = field(default_factory=list)
    consumed: list[tuple[str, int, str]] = field(default_factory=list)
    clock: float = 1.7e9

    def stamp(self) -> str:
        self.clock += 0.001
        t = time.gmtime(self.clock)
        return time.strftime("%Y-%m-%dT%H:%M:%S", t) + f".{int(self.clock * 1e6) % 1_000_000:06d}Z"

    def run(self, job_type: str, uses: list[int]) -> str:
        rid = run_id(len(self.runs))
        at = self.stamp()
        self.runs.append((rid, PROJECT, f"run-{len(self.runs)}", job_type, "finished", "{}", at, at, "bench", 1))
        self.consumed.extend((rid, v, at) for v in uses)
        return rid

    def log(self, rid: str, name: str, type: str) -> int:
        if name not in self.artifacts:
            self.artifacts[name] = (len(self.artifacts) + 1, type)
        artifact_id = self.artifacts[name][0]
        number = self.numbers.get(artifact_id, 0)
        self.numbers[artifact_id] = number + 1
        vid = len(self.versions) + 1
        at = self.stamp()
        self.versions.append((vid, artifact_id, number, f"{vid:064x}", 1000, 1, at, rid))
        self.produced.append((rid, vid, at))
        self.latest[artifact_id] = vid
        return vid

    def step(self, job_type: str, uses: list[int], name: str, type: str) -> int:
        return self.log(self.run(job_type, uses), name, type)

    def save(self, dir: Path) -> lineage.Store:
        """Create a store under ``dir`` holding the accumulated rows; returns it."""
        store = lineage.Store(dir).create()
        # Random run ids make every index insert land on a random page: keep them all in memory.
        store.db.con.execute("PRAGMA cache_size = -2000000")
        with store.db.write() as con:
            con.executemany(
                "INSERT INTO runs (id, project, name, job_type, state, config, started_at, ended_at, host, pid) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                self.runs,
            )
            con.executemany(
                "INSERT INTO artifacts (id, project, name, type, created_at) "
                "VALUES (?, ?, ?, ?, '2026-01-01T00:00:00Z')",
                [(aid, PROJECT, name, type) for name, (aid, type) in self.artifacts.items()],
            )
            con.executemany(
                "INSERT INTO versions (id, artifact_id, number, digest, size, file_count, created_at, created_by) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                self.versions,
            )
            con.executemany(
                "INSERT INTO aliases (artifact_id, alias, version_id) VALUES (?, 'latest', ?)",
                list(self.latest.items()),
            )
            con.executemany("INSERT INTO produced (run_id, version_id, created_at) VALUES (?, ?, ?)", self.produced)
            con.executemany(
                "INSERT OR IGNORE INTO consumed (run_id, version_id, created_at) VALUES (?, ?, ?)", self.consumed
            )
        return store


def build(dir: Path, n_versions: int, seed: int = 0) -> lineage.Store:
    """Create a store under ``dir`` holding about ``n_versions`` versions; returns it."""
    rng = random.Random(seed)
    b = Builder(rng)
    prepped = []
    for i in range(8):
        for _ in range(5):
            raw = b.step("load-data", [], f"raw-{i}", "dataset")
            prepped.append(b.step("preprocess-data", [raw], f"prep-{i}", "dataset"))
    test_set = b.step("load-data", [], "test-data", "dataset")
    nets = [b.step("initialize", [], "convnet", "model") for _ in range(20)]
    # Popular datasets are used far more than others (Zipf-like weights).
    weights = [1 / (k + 1) for k in range(len(prepped))]

    def data() -> int:
        return rng.choices(prepped, weights)[0]

    # About 1.6 versions per training run: the model, 0.5 evaluations, 0.1 other.
    budget = n_versions - len(b.versions)
    models = int(budget / 1.6)
    chains = max(1, models // 20 // 400)  # about 5% of models sit in long chains
    families: list[list[int]] = []
    for c in range(chains):
        family, prev = [], rng.choice(nets)
        for _ in range(rng.randint(200, 600)):
            prev = b.step("train", [data(), prev], f"chain-{c}", "model")
            family.append(prev)
        families.append(family)
    n_families = max(1, models // 500)
    sweep: list[list[int]] = [[] for _ in range(n_families)]
    while len(b.versions) < n_versions:
        f = rng.randrange(n_families)
        family = sweep[f]
        warm = family and rng.random() < 0.3
        start = family[-rng.randint(1, min(5, len(family)))] if warm else rng.choice(nets)
        rid = b.run("train", [data(), start])
        model = b.log(rid, f"model-{f}", "model")
        family.append(model)
        if rng.random() < 0.002:  # a run that uses what it logged: a cycle
            b.consumed.append((rid, model, b.stamp()))
        roll = rng.random()
        if roll < 0.5:
            b.step("evaluate", [model, test_set], f"eval-{f}", "evaluation")
        elif roll < 0.6 and len(family) > 3:
            picks = rng.sample(family, min(len(family), rng.randint(2, 5)))
            b.step("compare", picks, f"comparison-{f}", "report")
    return b.save(dir)


def chain(dir: Path, runs: int = 400) -> lineage.Store:
    """A store of one deep warm-start chain: a dataset, its preprocessing, then ``runs``
    training runs each consuming the preprocessed data and the previous model."""
    b = Builder(random.Random(0))
    raw = b.step("load-data", [], "mnist-raw", "dataset")
    prep = b.step("preprocess-data", [raw], "mnist-preprocess", "dataset")
    model = b.step("train", [prep], "trained-model", "model")
    for _ in range(runs - 1):
        model = b.step("train", [prep, model], "trained-model", "model")
    return b.save(dir)
