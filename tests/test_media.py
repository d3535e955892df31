"""lineage.Image takes what wandb.Image takes, converted as W&B converts it."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image as PILImage

import lineage


def pixels(image: lineage.Image) -> np.ndarray:
    with PILImage.open(io.BytesIO(image.png)) as im:
        return np.asarray(im)


def wandb_tensor_pixels(torchvision, tensor) -> np.ndarray:
    """What W&B's Image does with a tensor: make_grid(normalize=True), * 255, to bytes."""
    if str(tensor.dtype) == "torch.uint8":
        tensor = tensor.to(float)
    grid = torchvision.utils.make_grid(tensor, normalize=True)
    return grid.mul(255).clamp(0, 255).byte().permute(1, 2, 0).numpy()


@pytest.mark.parametrize("shape", [(1, 1, 28, 28), (32, 1, 28, 28), (3, 28, 28), (1, 28, 28), (28, 28), (9, 3, 5, 7)])
def test_tensors_are_gridded_and_normalised_like_torchvision_make_grid(shape):
    torch = pytest.importorskip("torch")
    torchvision = pytest.importorskip("torchvision")
    tensor = torch.randn(*shape, generator=torch.Generator().manual_seed(1))
    assert np.array_equal(pixels(lineage.Image(tensor)), wandb_tensor_pixels(torchvision, tensor))


def test_the_tutorials_hardest_example_is_one_28_by_28_picture():
    torch = pytest.importorskip("torch")
    example = torch.rand(1, 1, 28, 28, requires_grad=True)  # testing_set[argsort_loss[-k:]][0][i]
    image = lineage.Image(example, caption="7,1")
    assert image.size == (28, 28)
    assert image.caption == "7,1"
    assert pixels(image).min() == 0 and pixels(image).max() == 255  # min-max normalised
    uint8 = torch.randint(0, 256, (4, 1, 6, 6), dtype=torch.uint8)
    assert np.array_equal(pixels(lineage.Image(uint8)), wandb_tensor_pixels(pytest.importorskip("torchvision"), uint8))
    assert lineage.Image(torch.rand(2, 2).to(torch.bfloat16)).size == (2, 2)


@pytest.mark.parametrize(
    ("array", "expected"),
    [
        (np.array([[0.0, 0.5], [1.0, 0.25]]), [[0, 127], [255, 63]]),  # [0, 1] floats: * 255, truncated
        (np.array([[-1.0, 0.0], [1.0, 0.0]]), [[0, 127], [255, 127]]),  # negatives: min-max first
        (np.array([[0, 1], [1, 0]]), [[0, 255], [255, 0]]),  # integers up to 1 are scaled too
        (np.array([[0, 300], [128, 7]]), [[0, 255], [128, 7]]),  # 0-255 data is clipped, not scaled
        (np.array([[[0.0, 1.0], [1.0, 0.0]]]), [[0, 255], [255, 0]]),  # trivial dimensions are squeezed
    ],
)
def test_arrays_follow_wandbs_to_uint8(array, expected):
    assert pixels(lineage.Image(array)).tolist() == expected


def test_normalize_false_and_mode_and_channel_first_arrays():
    assert pixels(lineage.Image(np.array([[0.0, 1.0]]), normalize=False)).tolist() == [[0, 1]]
    rgb = np.zeros((3, 4, 5), dtype=np.uint8)
    rgb[0] = 200
    out = pixels(lineage.Image(rgb))
    assert out.shape == (4, 5, 3) and out[..., 0].min() == 200
    assert pixels(lineage.Image(np.full((2, 2), 9, dtype=np.uint8), mode="L")).tolist() == [[9, 9], [9, 9]]


def test_matplotlib_figures_pyplot_pil_images_and_paths(tmp_path):
    from matplotlib.figure import Figure

    figure = Figure(figsize=(2, 1), dpi=50)
    figure.add_subplot().plot([0, 1], [1, 0])
    assert lineage.Image(figure).size == (100, 50)

    picture = PILImage.new("RGB", (7, 3), (10, 20, 30))
    assert pixels(lineage.Image(picture))[0, 0].tolist() == [10, 20, 30]
    picture.save(tmp_path / "p.png")
    assert lineage.Image(tmp_path / "p.png").size == (7, 3)
    assert lineage.Image(str(tmp_path / "p.png")).size == (7, 3)

    script = (
        "import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt, lineage\n"
        "plt.figure(figsize=(3, 2), dpi=10); plt.plot([1, 2])\n"
        "print(lineage.Image(plt).size)"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "(30, 20)"


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (np.zeros((2, 3, 4, 5)), "shaped"),
        (np.zeros((0, 3)), "shaped"),
        (np.array([["a"]]), "array of"),
        ("no/such/file.png", "cannot read image"),
    ],
)
def test_what_cannot_be_an_image_is_refused_in_one_line(data, match):
    with pytest.raises(lineage.InvalidArgumentError, match=match):
        lineage.Image(data)


def test_images_of_arrays_do_not_import_torch():
    script = "import numpy, sys, lineage; lineage.Image(numpy.zeros((4, 4))); print('torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
