"""``Table``: W&B's ``wandb.Table``, kept as W&B's ``<name>.table.json`` layout.

A table has ``columns`` and ``data`` (rows). It is built from ``columns=``/``data=``
(or ``rows=``), or from a pandas ``dataframe=``; grows with ``add_data(*row)`` and
``add_column(name, values)``; reads back with ``get_column(name)``, ``get_dataframe()``
(pandas, imported only then) and ``to_arrow()`` (pyarrow). ``run.log({"t": table})``
keeps it with the run as ``media/table/<key>_<step>_<digest>.table.json`` and logs
W&B's ``{"_type": "table-file", ...}`` value; ``artifact.add(table, "name")`` stores
``name.table.json`` and ``artifact.get("name")`` reads it back. Image cells are written
as W&B's ``{"_type": "image-file", "path": "media/images/<sha>.png", ...}`` next to it.

The JSON: ``{"_type": "table", "columns": [...], "data": [[...], ...], "ncols": n,
"nrows": m}``, cells as plain JSON (numpy and torch scalars become numbers, NaN null).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Sequence
from typing import Any

from .errors import InvalidArgumentError
from .media import Image
from .values import to_python

TABLE_SUFFIX = ".table.json"


class Table:
    """Rows under named columns (W&B's ``Table``).

    >>> t = Table(columns=["id", "pred"], data=[[0, 7], [1, 3]])
    >>> t.add_data(2, 1); t.get_column("pred")
    [7, 3, 1]
    """

    def __init__(
        self,
        columns: Sequence[str] | None = None,
        data: Sequence[Sequence[Any]] | None = None,
        rows: Sequence[Sequence[Any]] | None = None,
        dataframe: Any = None,
        dtype: Any = None,
        optional: bool | list[bool] = True,
        allow_mixed_types: bool = False,
        log_mode: str | None = "IMMUTABLE",
    ):
        if dataframe is not None:
            columns = [str(c) for c in dataframe.columns]
            data = [list(row) for row in dataframe.itertuples(index=False, name=None)]
        rows_given: Any = data if data is not None else rows
        if hasattr(rows_given, "tolist") and not isinstance(rows_given, list):
            rows_given = rows_given.tolist()  # a numpy array of rows
        rows_list = [list(row) for row in rows_given] if rows_given is not None else []
        if columns is None:
            width = len(rows_list[0]) if rows_list else 0
            columns = [f"Column_{i + 1}" for i in range(width)]  # W&B's default names
        self.columns: list[str] = [_column_name(c) for c in columns]
        if len(set(self.columns)) != len(self.columns):
            raise InvalidArgumentError(f"table columns must be unique, got {self.columns}")
        self.data: list[list[Any]] = []
        for row in rows_list:
            self.add_data(*row)

    def __repr__(self) -> str:
        return f"<Table {len(self.data)} rows x {len(self.columns)} columns {self.columns}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Table) and (self.columns, _plain(self.data)) == (other.columns, _plain(other.data))

    __hash__ = None  # type: ignore[assignment]  # mutable, as W&B's

    @property
    def ncols(self) -> int:
        return len(self.columns)

    @property
    def nrows(self) -> int:
        return len(self.data)

    # -- building ----------------------------------------------------------------------
    def add_data(self, *data: Any) -> None:
        """Append one row (one value per column)."""
        if len(data) != len(self.columns):
            raise InvalidArgumentError(
                f"table row has {len(data)} values but the table has {len(self.columns)} columns {self.columns}"
            )
        self.data.append([_cell(value) for value in data])

    def add_column(self, name: str, data: Sequence[Any], optional: bool = False) -> None:
        """Add a column with one value per existing row."""
        name = _column_name(name)
        if name in self.columns:
            raise InvalidArgumentError(f"table already has a column {name!r}")
        values = list(data.tolist() if hasattr(data, "tolist") else data)
        if self.data and len(values) != len(self.data):
            raise InvalidArgumentError(f"column {name!r} has {len(values)} values for a table of {len(self.data)} rows")
        if not self.data:
            self.data = [[] for _ in values]
        self.columns.append(name)
        for row, value in zip(self.data, values, strict=True):
            row.append(_cell(value))

    def add_computed_columns(self, fn: Callable[[int, dict[str, Any]], dict[str, Any]]) -> None:
        """Add columns computed per row: ``fn(index, row_dict) -> {column: value}``."""
        computed = [fn(i, dict(zip(self.columns, row, strict=True))) for i, row in enumerate(self.data)]
        for name in computed[0] if computed else ():
            self.add_column(name, [c[name] for c in computed])

    # -- reading -----------------------------------------------------------------------
    def get_column(self, name: str, convert_to: str | None = None) -> Any:
        """The values of one column (``convert_to="numpy"`` for an array)."""
        if name not in self.columns:
            raise InvalidArgumentError(f"table has no column {name!r} (columns: {', '.join(self.columns)})")
        index = self.columns.index(name)
        values = [row[index] for row in self.data]
        if convert_to == "numpy":
            import numpy as np

            return np.array(values)
        return values

    def get_index(self) -> list[int]:
        return list(range(len(self.data)))

    def get_dataframe(self):
        """The table as a pandas DataFrame (needs pandas)."""
        try:
            import pandas as pd
        except ImportError:
            raise InvalidArgumentError("get_dataframe needs pandas: pip install pandas") from None
        return pd.DataFrame(self.data, columns=self.columns)

    def to_arrow(self):
        """The table as a ``pyarrow.Table``; a column Arrow cannot type (images, mixed values) as JSON text."""
        import pyarrow as pa

        arrays = {}
        for name in self.columns:
            values = self.get_column(name)
            try:
                if any(isinstance(v, Image) for v in values):
                    raise TypeError("image cells")
                arrays[name] = pa.array(values)
            except (TypeError, ValueError, pa.ArrowException):
                arrays[name] = pa.array([None if v is None else json.dumps(_plain_cell(v)) for v in values])
        return pa.table(arrays)

    # -- W&B's JSON --------------------------------------------------------------------
    def to_json_bytes(self, image_path: Callable[[Image], dict[str, Any]]) -> bytes:
        """W&B's table JSON; ``image_path(image)`` stores an image cell and returns its JSON."""
        data = [[image_path(v) if isinstance(v, Image) else _plain_cell(v) for v in row] for row in self.data]
        body = {"_type": "table", "columns": self.columns, "data": data, "ncols": self.ncols, "nrows": self.nrows}
        return json.dumps(body, allow_nan=False, ensure_ascii=False, separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, body: bytes | str | dict, read_file: Callable[[str], bytes] | None = None) -> Table:
        """A table from W&B's table JSON; ``read_file(path)`` reads image cells' files."""
        obj = json.loads(body) if isinstance(body, (bytes, str)) else body
        if not isinstance(obj, dict) or "columns" not in obj or "data" not in obj:
            raise InvalidArgumentError("not a table: W&B's table JSON has 'columns' and 'data'")
        table = cls(columns=obj["columns"])
        for row in obj["data"]:
            table.add_data(*[_from_cell(v, read_file) for v in row])
        return table


def is_dataframe(value: Any) -> bool:
    """A pandas DataFrame, told by its type, so pandas is never imported to ask."""
    module = type(value).__module__
    return type(value).__name__ == "DataFrame" and (module == "pandas" or module.startswith("pandas."))


def image_cell(image: Image, path: str) -> dict[str, Any]:
    """W&B's JSON for an image kept at ``path`` (in an artifact or with a run)."""
    width, height = image.size
    cell: dict[str, Any] = {
        "_type": "image-file",
        "path": path,
        "sha256": hashlib.sha256(image.png).hexdigest(),
        "size": len(image.png),
        "width": width,
        "height": height,
        "format": "png",
    }
    if image.caption is not None:
        cell["caption"] = image.caption
    return cell


def image_path(image: Image) -> str:
    """Where an image lives beside a table: ``media/images/<sha256[:20]>.png`` (content-named)."""
    return f"media/images/{hashlib.sha256(image.png).hexdigest()[:20]}.png"


def _from_cell(value: Any, read_file: Callable[[str], bytes] | None) -> Any:
    if isinstance(value, dict) and value.get("_type") == "image-file" and read_file is not None:
        return Image.from_png(read_file(value["path"]), caption=value.get("caption"))
    return value


def _column_name(name: Any) -> str:
    if not isinstance(name, (str, int)) or isinstance(name, bool):
        raise InvalidArgumentError(f"invalid table column {name!r}: use text")
    return str(name)


def _cell(value: Any) -> Any:
    if isinstance(value, Image):
        return value
    value = to_python(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    _plain_cell(value)  # refuse what JSON cannot hold now, not when the table is logged
    return value


def _plain_cell(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else str(value)
    if isinstance(value, (list, tuple)):
        return [_plain_cell(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain_cell(v) for k, v in value.items()}
    if isinstance(value, Image):
        return {"_type": "image", "sha256": hashlib.sha256(value.png).hexdigest(), "caption": value.caption}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise InvalidArgumentError(f"a table cell holds a {type(value).__name__}, which JSON cannot hold")


def _plain(data: list[list[Any]]) -> list[list[Any]]:
    return [[_plain_cell(v) for v in row] for row in data]
