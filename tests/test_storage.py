"""The API the storage seam added for the CLI, the report and the pipeline: what each call returns."""

from __future__ import annotations

import pytest

import lineage


def make(store_dir, name="d", content=b"x", aliases=None):
    with lineage.init(project="p", job_type="make", dir=store_dir) as run:
        art = lineage.Artifact(name, type="dataset")
        with art.new_file("f", mode="wb") as f:
            f.write(content)
        logged = run.log_artifact(art, aliases=aliases)
        run.log({"loss": 0.5})
        return run.id, run.name, logged


def test_status_counts_what_the_store_holds(store_dir):
    make(store_dir, content=b"one")
    make(store_dir, content=b"two!")
    store = lineage.Store(store_dir)
    store.delete("d:v0")
    status = store.status()
    assert isinstance(status, lineage.StoreStatus)
    assert (status.runs, status.artifacts, status.versions, status.deleted_versions) == (2, 1, 2, 1)
    assert (status.blobs, status.blob_bytes) == (2, 7) == (status.blobs, store.blob_bytes())
    assert status.schema_version == lineage.storage.db.SCHEMA_VERSION
    assert status.running == () and status.openlineage_kept == 0
    with lineage.init(project="p", dir=store_dir) as run:
        assert [r["id"] for r in lineage.Store(store_dir).status().running] == [run.id]


def test_a_version_knows_its_file_count_and_first_run(store_dir):
    run_id, run_name, _ = make(store_dir)
    logged = lineage.Store(store_dir).artifact("d:latest")
    assert (logged.file_count, logged.created_by, logged.created_by_name) == (1, run_id, run_name)


def test_deleted_versions_resolve_only_on_request(store_dir):
    make(store_dir)
    store = lineage.Store(store_dir)
    store.delete("d:v0")
    with pytest.raises(lineage.NotFoundError, match="deleted"):
        store.artifact("d:v0")
    assert store.artifact("d:v0", allow_deleted=True).deleted


def test_contents_and_links_read_the_whole_store(store_dir):
    run_id, _, logged = make(store_dir)
    with lineage.init(project="p", dir=store_dir) as run:
        run.link_artifact(logged, "model-registry/m", aliases=["best"])
    store = lineage.Store(store_dir)
    contents = store.contents()
    assert isinstance(contents, lineage.StoreContents)
    assert [row[1:4] for row in contents.artifacts] == [("p", "d", "dataset")]
    assert [(path, size) for _, path, size, _ in contents.files] == [("f", 1)]
    assert [(r, step, key) for r, step, key, _, _ in contents.history] == [(run_id, 0, "loss")]
    links = store.links("model-registry/m")
    assert [(lk.ref, lk.aliases) for lk in links] == [("model-registry/m:v0", ("best", "latest"))]
    assert isinstance(links[0], lineage.Link) and store.links() == links
    assert store.run_io(run_id)[0][0] == "output"


def test_store_handle_is_below_the_facade(store_dir):
    from lineage.store import StoreHandle

    assert issubclass(lineage.Store, StoreHandle)
    assert not hasattr(StoreHandle, "ancestry") and not hasattr(StoreHandle, "gc")
    assert not StoreHandle(store_dir).exists()
    make(store_dir)
    assert StoreHandle(store_dir).exists()
