"""W&B objects inside artifacts: ``artifact.add(obj, name)`` and ``artifact.get(name)``.

As in W&B, a Table is stored as ``<name>.table.json`` and an Image as
``<name>.image-file.json``, the image files beside them under ``media/images/``, so a
downloaded artifact has W&B's layout. ``get(name)`` accepts the name with or without
that suffix and returns a ``Table`` (image cells as ``Image``) or an ``Image``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .errors import InvalidArgumentError, PathNotFoundError
from .media import Image
from .refs import check_path
from .table import TABLE_SUFFIX, Table, image_cell, image_path, is_dataframe

IMAGE_SUFFIX = ".image-file.json"
SUFFIXES = (TABLE_SUFFIX, IMAGE_SUFFIX)


def object_files(obj: Any, name: str) -> list[tuple[str, bytes]]:
    """(path, bytes) of every file ``artifact.add(obj, name)`` stores."""
    if is_dataframe(obj):
        obj = Table(dataframe=obj)
    if not isinstance(name, str) or not name:
        raise InvalidArgumentError(f"invalid name {name!r} for artifact.add: use a path like 'predictions'")
    files: dict[str, bytes] = {}

    def keep(image: Image) -> dict[str, Any]:
        path = image_path(image)
        files[path] = image.png
        return image_cell(image, path)

    if isinstance(obj, Table):
        path = name if name.endswith(TABLE_SUFFIX) else name + TABLE_SUFFIX
        body = obj.to_json_bytes(keep)
    elif isinstance(obj, Image):
        path = name if name.endswith(IMAGE_SUFFIX) else name + IMAGE_SUFFIX
        body = json.dumps(keep(obj), ensure_ascii=False).encode()
    else:
        raise InvalidArgumentError(
            f"artifact.add takes a lineage Table or Image, not {type(obj).__name__}: use add_file for files"
        )
    check_path(path)
    return [*files.items(), (path, body)]


def find_object_path(paths: set[str] | dict, name: str) -> str:
    """The stored path ``get(name)`` means: ``name`` itself, or ``name`` + a W&B suffix."""
    for candidate in (name, *(name + suffix for suffix in SUFFIXES)):
        if candidate in paths and candidate.endswith(SUFFIXES):
            return candidate
    raise PathNotFoundError(f"no table or image {name!r} in the artifact (add it with artifact.add(obj, {name!r}))")


def read_object(path: str, read: Callable[[str], bytes]) -> Table | Image:
    """The Table or Image stored at ``path``; ``read(path)`` gives a file's bytes."""
    body = read(path)
    if path.endswith(TABLE_SUFFIX):
        return Table.from_json(body, read)
    cell = json.loads(body)
    return Image.from_png(read(cell["path"]), caption=cell.get("caption"))
