"""``lineage copy``: a store's lineage into another (a folder store with S3 blobs here), twice."""

from __future__ import annotations

import subprocess
import sys

import pytest

import lineage
from lineage.errors import ConflictError


def tutorial_store(store_dir, monkeypatch):
    """The W&B tutorial's five steps (tests/test_tutorial.py), on tiny tensors, into ``store_dir``."""
    from tests import test_tutorial as tutorial

    monkeypatch.setenv("LINEAGE_DIR", str(store_dir))
    tutorial.load_and_log()
    tutorial.preprocess_and_log({"normalize": True, "expand_dims": True})
    tutorial.build_model_and_log({"input": 784, "output": 10})
    tutorial.train_and_log({"epochs": 1, "batch_size": 128})
    tutorial.evaluate_and_log()
    monkeypatch.delenv("LINEAGE_DIR")
    return lineage.Store(store_dir)


def lineage_of(store) -> dict:
    """What a user sees of the lineage: per version its ancestry and impact, by label; runs; aliases."""
    out = {}
    for info in store.artifacts():
        for version in store.versions(f"{info.project}/{info.name}"):
            ref = version.qualified_name
            walks = {}
            for what, walk in (("ancestry", store.ancestry(ref)), ("impact", store.impact(ref))):
                graph = walk.to_networkx()
                label = {n: graph.nodes[n].get("label", n) for n in graph.nodes}
                walks[what] = (sorted(label.values()), sorted((label[a], label[b]) for a, b in graph.edges))
            out[ref] = (version.digest, sorted(version.aliases), [(f.path, f.digest) for f in version.files()], walks)
    runs = [(r.id, r.name, r.job_type, r.state, r.config, dict(r.summary)) for r in store.runs()]
    links = [(lk.ref, lk.version_ref, sorted(lk.aliases), lk.created_at) for lk in store.links()]
    return {"versions": out, "runs": runs, "links": links}


def team_store(kind: str, tmp_path, s3_root, request) -> lineage.Store:
    """A new store with S3 blobs: a folder (``folder+s3``) or a PostgreSQL database (``postgres+s3``)."""
    if kind == "postgres+s3":
        return lineage.Store(request.getfixturevalue("postgres_server").new_database()).create(blobs=s3_root)
    return lineage.Store(tmp_path / "team").create(blobs=s3_root)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["folder+s3", "postgres+s3"])
def test_copying_the_tutorial_store_twice_gives_the_same_lineage_on_both_sides(
    tmp_path, monkeypatch, s3_root, request, kind
):
    pytest.importorskip("torch")
    src = tutorial_store(tmp_path / "src", monkeypatch)
    dst = team_store(kind, tmp_path, s3_root, request)
    first = lineage.copy(src, dst)
    assert first["runs"] == 5 and first["versions"] == 4 and first["edges"] == 9 and first["blobs"] > 0
    second = lineage.copy(src.target, dst.target)
    assert set(second.values()) == {0}  # nothing new
    assert lineage_of(dst) == lineage_of(src)
    assert {r.id for r in dst.runs()} == {r.id for r in src.runs()}  # ids kept
    report = dst.fsck()
    assert report.ok and report.clean, report.problems
    model = dst.artifact("trained-model:latest")
    out = model.download(tmp_path / "model")
    model.verify(out)
    assert not (dst.dir / "blobs").exists()  # every blob went to S3


def make_chain(store_dir, names=("raw", "clean"), content="x"):
    with lineage.init(project="p", job_type="make", dir=store_dir) as run:
        art = lineage.Artifact(names[0], type="dataset")
        with art.new_file("data.txt") as f:
            f.write(content)
        run.log_artifact(art, aliases=["best"])
    with lineage.init(project="p", job_type="clean", dir=store_dir, config={"k": 1}) as run:
        used = run.use_artifact(f"{names[0]}:latest")
        art = lineage.Artifact(names[1], type="dataset", metadata={"from": used.version})
        art.add_file(str(used.download(store_dir.parent / f"dl-{names[0]}") + "/data.txt"))
        run.log({"loss": 0.5})
        run.log_artifact(art)
    return lineage.Store(store_dir)


@pytest.mark.parametrize("kind", ["folder+s3", "postgres+s3"])
def test_copy_folder_to_s3_and_back_keeps_ids_and_adds_nothing_twice(tmp_path, s3_root, request, kind):
    src = make_chain(tmp_path / "src")
    team = team_store(kind, tmp_path, s3_root, request)
    seen: list[tuple[int, int]] = []
    assert lineage.copy(src, team, progress=lambda done, total: seen.append((done, total)))["versions"] == 2
    assert seen and seen[-1][0] == seen[-1][1] > 0  # every blob byte copied, and said so
    back = lineage.Store(tmp_path / "back")
    assert lineage.copy(team, back)["versions"] == 2  # S3 -> folder
    assert lineage.copy(team, back) == dict.fromkeys(lineage.copy(team, back), 0)
    for store in (team, back):
        assert lineage_of(store) == lineage_of(src)
        assert store.fsck().clean
    assert [v.id for v in back.versions("p/clean")] == [v.id for v in src.versions("p/clean")]
    # New work offline joins the team store: new versions, latest moves with them.
    with lineage.init(project="p", job_type="make", dir=back.dir) as run:
        art = lineage.Artifact("raw", type="dataset")
        with art.new_file("data.txt") as f:
            f.write("newer")
        run.log_artifact(art)
    added = lineage.copy(back, team)
    assert added["versions"] == 1 and added["runs"] == 1
    assert team.artifact("p/raw:latest").version == "v1"
    assert team.artifact("p/raw:best").version == "v0"


def link(store_dir, ref: str, target: str, aliases=()) -> None:
    with lineage.init(project="p", job_type="promote", dir=store_dir) as run:
        run.link_artifact(run.use_artifact(ref), target, aliases=list(aliases))


@pytest.mark.parametrize("kind", ["folder+s3", "postgres+s3"])
def test_copy_brings_the_registrys_links_and_aliases_along(tmp_path, s3_root, request, kind):
    src = make_chain(tmp_path / "src")
    link(src.dir, "p/raw:v0", "model-registry/data", aliases=["staging"])
    link(src.dir, "p/clean:v0", "model-registry/data", aliases=["production"])
    team = team_store(kind, tmp_path, s3_root, request)
    assert lineage.copy(src, team)["links"] == 2
    assert lineage_of(team) == lineage_of(src)
    assert team.artifact("model-registry/data:production").qualified_name == "p/clean:v0"
    assert lineage.copy(src, team)["links"] == 0
    # Links made offline later join their collections and bring their aliases: raw grows
    # (v0, then v1 taking latest and production). Data only has an alias moved, no new
    # link: as with artifact aliases, the destination's word stands there.
    link(src.dir, "p/raw:v0", "model-registry/raw", aliases=["production"])
    link(src.dir, "p/clean:v0", "model-registry/raw", aliases=["production"])
    link(src.dir, "p/clean:v0", "model-registry/data", aliases=["staging"])
    assert lineage.copy(src, team)["links"] == 2
    assert team.artifact("model-registry/raw:production").qualified_name == "p/clean:v0"
    assert team.artifact("model-registry/raw:latest").qualified_name == "p/clean:v0"
    assert team.artifact("model-registry/data:staging").qualified_name == "p/raw:v0"
    assert lineage_of(team)["links"][2:] == lineage_of(src)["links"][2:]


def test_copy_refuses_a_registry_link_to_another_version_and_changes_nothing(tmp_path):
    a = make_chain(tmp_path / "a")
    b = make_chain(tmp_path / "b")
    lineage.copy(a, b)  # same content: the same versions on both sides
    link(a.dir, "p/raw:v0", "model-registry/data")
    link(b.dir, "p/clean:v0", "model-registry/data")  # v0 of the collection is another version
    before = lineage_of(b)
    with pytest.raises(ConflictError, match="registry link model-registry/data:v0 names another version"):
        lineage.copy(a, b)
    assert lineage_of(b) == before


def test_copy_refuses_a_version_with_other_content_and_changes_nothing(tmp_path):
    a = make_chain(tmp_path / "a", content="one")
    b = make_chain(tmp_path / "b", content="two")
    before = lineage_of(b)
    with pytest.raises(ConflictError, match="other content"):
        lineage.copy(a, b)
    assert lineage_of(b) == before
    assert lineage.Store(b.dir).fsck().ok


def test_cli_copy(tmp_path, s3_root):
    make_chain(tmp_path / "src")
    done = subprocess.run(
        [sys.executable, "-m", "lineage.cli", "init", str(tmp_path / "team"), "--blobs", s3_root],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    for expect in ("2 new versions", "0 new versions"):
        done = subprocess.run(
            [sys.executable, "-m", "lineage.cli", "copy", str(tmp_path / "src"), str(tmp_path / "team")],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0 and expect in done.stdout, (done.stdout, done.stderr)
    done = subprocess.run(
        [sys.executable, "-m", "lineage.cli", "copy", str(tmp_path / "nothing"), str(tmp_path / "team")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1 and len(done.stderr.strip().splitlines()) == 1, done.stderr
