"""``Image``: an image logged through ``run.log``, kept with the run as a PNG.

It takes what W&B's ``wandb.Image`` takes, converted the way W&B converts it:
- a torch tensor goes through a grid like torchvision's ``make_grid(x, normalize=True)``
  (a (B, C, H, W) batch becomes one picture, 8 per row with 2-pixel padding; one channel
  becomes grey RGB; values are min-max scaled to [0, 1]), then ``* 255`` truncated to
  bytes. The tutorial's (1, 1, 28, 28) float tensors are one 28x28 picture each. The
  grid is computed in numpy, so neither torch nor torchvision is imported here.
- a numpy array (or anything with ``.numpy()``) has its trivial dimensions squeezed,
  then W&B's ``to_uint8``: data with negative values is min-max scaled to [0, 1]; data
  whose maximum is <= 1 is multiplied by 255; the result is clipped to 0-255. (H, W) is
  grey, (H, W, 3|4) RGB(A); lineage also accepts channel-first (C, H, W).
- a PIL image, a matplotlib figure (or ``matplotlib.pyplot`` itself: its current
  figure), and a path to an image file.
"""

from __future__ import annotations

import io
import math
import os
from typing import Any

from .errors import InvalidArgumentError

GRID_ROW = 8  # torchvision make_grid's defaults
GRID_PADDING = 2


class Image:
    """An image (W&B's ``Image``): numpy, torch (gridded), PIL, matplotlib figure or path.

    ``mode`` is a PIL mode for arrays ("L", "RGB", ...); ``normalize=False`` keeps array
    and tensor values as they are (clipped to 0-255), as W&B's ``normalize`` does.
    ``grouping``, ``file_type`` are accepted; masks, boxes and classes are not supported.

    >>> Image(np.zeros((28, 28)), caption="blank")  # doctest: +SKIP
    """

    def __init__(
        self,
        data_or_path: Any,
        mode: str | None = None,
        caption: str | None = None,
        grouping: int | None = None,
        file_type: str | None = None,
        normalize: bool = True,
    ):
        self.caption = None if caption is None else str(caption)
        self.grouping = grouping
        self.png = _to_png(data_or_path, mode, normalize)

    @classmethod
    def from_png(cls, png: bytes, caption: str | None = None) -> Image:
        """An Image of PNG bytes kept as they are (reading a logged image back)."""
        image = cls.__new__(cls)
        image.caption = None if caption is None else str(caption)
        image.grouping = None
        image.png = bytes(png)
        return image

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        from PIL import Image as PILImage

        with PILImage.open(io.BytesIO(self.png)) as im:
            return im.size

    @property
    def image(self):
        """The picture as a PIL image (W&B's ``Image.image``)."""
        from PIL import Image as PILImage

        return PILImage.open(io.BytesIO(self.png))

    def __repr__(self) -> str:
        return f"<Image {self.size[0]}x{self.size[1]} caption={self.caption!r}>"


def _typename(data: Any) -> str:
    kind = type(data)
    return f"{kind.__module__}.{kind.__qualname__}"


def is_tensor(data: Any) -> bool:
    """A torch tensor, told by its type's name, so torch is never imported to ask."""
    return _typename(data).startswith("torch.") and hasattr(data, "detach")


def _is_matplotlib(data: Any) -> bool:
    return _typename(data).startswith("matplotlib.") or getattr(data, "__name__", "") == "matplotlib.pyplot"


def _to_png(data: Any, mode: str | None, normalize: bool) -> bytes:
    from PIL import Image as PILImage

    image: PILImage.Image
    if isinstance(data, (str, os.PathLike)):
        try:
            image = PILImage.open(data)
            image.load()
        except (OSError, ValueError) as exc:
            raise InvalidArgumentError(f"cannot read image {str(data)!r}: {exc}") from None
    elif isinstance(data, PILImage.Image):
        image = data
    elif _is_matplotlib(data):
        image = _figure_image(data)
    elif is_tensor(data):
        image = PILImage.fromarray(tensor_grid(data, normalize))
    else:
        array = _to_uint8_array(data, normalize)
        try:
            image = PILImage.fromarray(array, mode=mode) if mode else PILImage.fromarray(array)
        except (TypeError, ValueError) as exc:
            raise InvalidArgumentError(f"cannot make a {mode} image of an array shaped {array.shape}: {exc}") from None
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _figure_image(data: Any):
    from PIL import Image as PILImage

    figure = data.gcf() if getattr(data, "__name__", "") == "matplotlib.pyplot" else data
    if not hasattr(figure, "savefig"):
        figure = getattr(figure, "figure", None) or getattr(figure, "get_figure", lambda: None)()
    if figure is None or not hasattr(figure, "savefig"):
        raise InvalidArgumentError(f"cannot make an image of a {_typename(data)}: pass a matplotlib figure")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    buffer.seek(0)
    image = PILImage.open(buffer)
    image.load()
    return image


def tensor_grid(data: Any, normalize: bool = True):
    """A (H, W, 3) uint8 array from a tensor, as torchvision ``make_grid`` + W&B make it."""
    import numpy as np

    tensor = data.detach().cpu()
    if str(tensor.dtype) in ("torch.bfloat16", "torch.float16"):
        tensor = tensor.float()  # numpy has no bfloat16; torchvision computes these in float too
    array = np.asarray(tensor.numpy())
    if array.dtype == np.uint8 or array.dtype.kind in "iub":
        array = array.astype(np.float64)  # W&B turns uint8 tensors to float before the grid
    elif array.dtype != np.float64:
        array = array.astype(np.float32)
    if array.ndim == 2:
        array = array[None]
    if array.ndim == 3:
        if array.shape[0] == 1:
            array = np.concatenate([array] * 3, axis=0)
        array = array[None]
    if array.ndim != 4 or array.shape[0] == 0:
        raise InvalidArgumentError(
            f"cannot make an image of a tensor shaped {tuple(array.shape)}: use (H, W), (C, H, W) or (B, C, H, W)"
        )
    if array.shape[1] == 1:
        array = np.concatenate([array] * 3, axis=1)
    if normalize:
        low, high = array.min(), array.max()
        array = (np.clip(array, low, high) - low) / max(high - low, 1e-5)
    if array.shape[0] == 1:
        grid = array[0]
    else:
        count, channels, height, width = array.shape
        columns = min(GRID_ROW, count)
        rows = math.ceil(count / columns)
        cell_h, cell_w = height + GRID_PADDING, width + GRID_PADDING
        grid = np.zeros((channels, cell_h * rows + GRID_PADDING, cell_w * columns + GRID_PADDING), array.dtype)
        for k in range(count):
            top, left = (k // columns) * cell_h + GRID_PADDING, (k % columns) * cell_w + GRID_PADDING
            grid[:, top : top + height, left : left + width] = array[k]
    if grid.shape[0] not in (3, 4):
        raise InvalidArgumentError(f"cannot make an image of a tensor with {grid.shape[0]} channels: use 1, 3 or 4")
    return np.clip(np.nan_to_num(grid) * 255, 0, 255).astype(np.uint8).transpose(1, 2, 0)


def _to_uint8_array(data: Any, normalize: bool = True):
    import numpy as np

    if hasattr(data, "numpy") and callable(data.numpy):  # TF eager tensors and the like
        data = data.numpy()
    array = np.asarray(data)
    if array.dtype == bool:
        array = array.astype(np.uint8)
    if array.dtype.kind not in "iuf":
        raise InvalidArgumentError(f"cannot make an image of an array of {array.dtype}: use numbers")
    if array.ndim > 2:
        array = array.squeeze()
    if array.ndim == 3 and array.shape[0] in (1, 3, 4) and array.shape[-1] not in (1, 3, 4):
        array = array.transpose(1, 2, 0)  # (C, H, W) -> (H, W, C)
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[-1] not in (3, 4)) or array.size == 0:
        raise InvalidArgumentError(
            f"cannot make an image of an array shaped {array.shape}: use (H, W), (H, W, C) or (C, H, W)"
        )
    if array.dtype.kind == "f":
        array = np.nan_to_num(array)
    if normalize:
        low = array.min()
        if low < 0:
            array = (array - low) / (np.ptp(array) or 1)
        if array.max() <= 1.0:
            array = (array * 255).astype(np.int32)
    return np.clip(array, 0, 255).astype(np.uint8)
