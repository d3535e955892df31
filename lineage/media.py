"""``Image``: an image logged through ``run.log``, kept with the run as a PNG."""

from __future__ import annotations

import io
import os
from typing import Any

from .errors import InvalidArgumentError


class Image:
    """An image from a numpy array, a tensor, a PIL image or a file path (W&B's ``Image``).

    Arrays may be (H, W), (H, W, C) or (C, H, W); floats in [0, 1] are scaled to 0-255.
    """

    def __init__(self, data_or_path: Any, caption: str | None = None):
        self.caption = None if caption is None else str(caption)
        self.png = _to_png(data_or_path)

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        from PIL import Image as PILImage

        with PILImage.open(io.BytesIO(self.png)) as im:
            return im.size

    def __repr__(self) -> str:
        return f"<Image {self.size[0]}x{self.size[1]} caption={self.caption!r}>"


def _to_png(data: Any) -> bytes:
    from PIL import Image as PILImage

    if isinstance(data, (str, os.PathLike)):
        try:
            image = PILImage.open(data)
            image.load()
        except (OSError, ValueError) as exc:
            raise InvalidArgumentError(f"cannot read image {str(data)!r}: {exc}") from None
    elif isinstance(data, PILImage.Image):
        image = data
    else:
        image = PILImage.fromarray(_to_uint8_array(data))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _to_uint8_array(data: Any):
    import numpy as np

    if hasattr(data, "detach"):  # a torch tensor, without importing torch
        data = data.detach().cpu().numpy()
    array = np.asarray(data)
    if array.ndim == 3 and array.shape[0] in (1, 3, 4) and array.shape[-1] not in (1, 3, 4):
        array = array.transpose(1, 2, 0)  # (C, H, W) -> (H, W, C)
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[-1] not in (3, 4)):
        raise InvalidArgumentError(
            f"cannot make an image of an array shaped {array.shape}: use (H, W), (H, W, C) or (C, H, W)"
        )
    if array.dtype.kind == "f":
        if array.size and np.nanmax(array) <= 1.0:
            array = array * 255.0
        array = np.nan_to_num(array)
    return np.clip(array, 0, 255).astype(np.uint8)
