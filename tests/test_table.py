"""lineage.Table: W&B's Table API, logged through run.log and artifact.add, in W&B's JSON layout."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest

import lineage

pd = pytest.importorskip("pandas")


def run_file(store_dir, run_id: str, path: str) -> bytes:
    con = sqlite3.connect(store_dir / "lineage.db")
    sha = con.execute("SELECT sha256 FROM run_files WHERE run_id = ? AND path = ?", (run_id, path)).fetchone()[0]
    con.close()
    return lineage.Store(store_dir).blobs.path(sha).read_bytes()


def test_columns_rows_and_the_calls_wandb_documents():
    table = lineage.Table(columns=["id", "pred"], data=[[0, np.int64(7)], [1, np.float32(0.5)]])
    table.add_data(2, float("nan"))
    assert table.data == [[0, 7], [1, 0.5], [2, None]] and (table.ncols, table.nrows) == (2, 3)
    table.add_column("label", [7, 1, 2])
    assert table.columns == ["id", "pred", "label"]
    assert table.get_column("label") == [7, 1, 2]
    assert table.get_column("id", convert_to="numpy").tolist() == [0, 1, 2]
    assert table.get_index() == [0, 1, 2]
    assert lineage.Table(data=[[1, 2]]).columns == ["Column_1", "Column_2"]  # W&B's default names
    assert lineage.Table(columns=["a"], rows=[[1]]).data == [[1]]
    table.add_computed_columns(lambda i, row: {"double": row["id"] * 2})
    assert table.get_column("double") == [0, 2, 4]
    arrow = table.to_arrow()
    assert arrow.column_names == ["id", "pred", "label", "double"] and arrow.column("id").to_pylist() == [0, 1, 2]


def test_dataframes_in_and_out():
    frame = pd.DataFrame({"x": [1, 2], "y": ["a", "b"]})
    table = lineage.Table(dataframe=frame)
    assert table.columns == ["x", "y"] and table.data == [[1, "a"], [2, "b"]]
    pd.testing.assert_frame_equal(table.get_dataframe(), frame)


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: lineage.Table(columns=["a", "b"], data=[[1]]), "has 1 values but the table has 2 columns"),
        (lambda: lineage.Table(columns=["a", "a"]), "must be unique"),
        (lambda: lineage.Table(columns=["a"], data=[[object()]]), "JSON cannot hold"),
        (lambda: lineage.Table(columns=["a"], data=[[1]]).add_column("b", [1, 2]), "has 2 values"),
        (lambda: lineage.Table(columns=["a"]).get_column("b"), "no column 'b'"),
    ],
)
def test_bad_tables_are_refused(build, match):
    with pytest.raises(lineage.InvalidArgumentError, match=match):
        build()


def test_run_log_keeps_the_table_in_wandbs_layout(store_dir):
    digit = lineage.Image(np.eye(4), caption="7,1")
    table = lineage.Table(columns=["image", "pred"], data=[[digit, 7]])
    with lineage.init(project="p", dir=store_dir) as run:
        run.log({"eval/preds": table}, step=3)
        run.log({"frame": pd.DataFrame({"a": [1.5]})})
    history = lineage.Store(store_dir).run(run.id).summary["eval/preds"]
    assert history["_type"] == "table-file" and (history["ncols"], history["nrows"]) == (2, 1)
    assert history["path"].startswith("media/table/eval_preds_3_") and history["path"].endswith(".table.json")
    body = json.loads(run_file(store_dir, run.id, history["path"]))
    assert (body["_type"], body["columns"], body["ncols"], body["nrows"]) == ("table", ["image", "pred"], 2, 1)
    cell = body["data"][0][0]
    assert cell["_type"] == "image-file" and cell["caption"] == "7,1" and (cell["width"], cell["height"]) == (4, 4)
    assert run_file(store_dir, run.id, cell["path"]) == digit.png
    back = lineage.Table.from_json(
        run_file(store_dir, run.id, history["path"]), lambda p: run_file(store_dir, run.id, p)
    )
    assert back == table
    frame = lineage.Store(store_dir).run(run.id).summary["frame"]
    assert frame["_type"] == "table-file" and frame["nrows"] == 1


def test_artifact_add_and_get_round_trip_tables_and_images(store_dir, tmp_path):
    digit = lineage.Image(np.arange(16).reshape(4, 4), caption="3")
    table = lineage.Table(columns=["image", "label"], data=[[digit, 3], [None, 4]])
    with lineage.init(project="p", dir=store_dir) as run:
        art = lineage.Artifact("samples", type="dataset")
        assert art.add(table, "predictions") == "predictions.table.json"
        assert art.add(digit, "first") == "first.image-file.json"
        assert art.get("predictions") == table  # a draft reads back too
        logged = run.log_artifact(art)
    paths = [f.path for f in logged.files()]
    assert "predictions.table.json" in paths and "first.image-file.json" in paths
    assert [p for p in paths if p.startswith("media/images/")] == [f"media/images/{_sha(digit)[:20]}.png"]
    again = lineage.Store(store_dir).artifact("p/samples:latest")
    got = again.get("predictions")
    assert got == table and got.get_column("image")[0].png == digit.png
    assert again.get("predictions.table.json") == table
    image = again.get("first")
    assert image.png == digit.png and image.caption == "3"
    out = Path(again.download(tmp_path / "out"))
    assert json.loads((out / "predictions.table.json").read_text())["columns"] == ["image", "label"]
    with pytest.raises(FileNotFoundError, match="no table or image 'missing'"):
        again.get("missing")
    with pytest.raises(lineage.InvalidArgumentError, match="takes a lineage Table or Image"):
        lineage.Artifact("x", type="dataset").add({"a": 1}, "x")


def _sha(image: lineage.Image) -> str:
    import hashlib

    return hashlib.sha256(image.png).hexdigest()


def test_the_report_shows_a_logged_table_file(store_dir, tmp_path):
    from lineage.report import write_report

    with lineage.init(project="p", dir=store_dir) as run:
        run.log({"preds": lineage.Table(columns=["guess", "truth"], data=[["seven", "one"]])})
    site = write_report(lineage.Store(store_dir), tmp_path / "site")
    page = (Path(site).parent / "runs").glob("*.html")
    html = "".join(p.read_text() for p in page)
    assert "<h2>Tables</h2>" in html and "seven" in html and "truth" in html
