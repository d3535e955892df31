"""Metric values and JSON objects: what is stored and what comes back."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lineage.errors import InvalidArgumentError
from lineage.values import clean_object, decode_metric, encode_metric

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**53), 2**53), st.text(max_size=10))
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=10,
)


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_numbers_round_trip_including_nan_and_infinities(x):
    back = decode_metric(*encode_metric(x))
    assert (math.isnan(x) and math.isnan(back)) or back == x


@given(json_values)
def test_json_values_round_trip(value):
    back = decode_metric(*encode_metric(value))
    if isinstance(value, int) and not isinstance(value, bool):
        assert back == float(value)
    else:
        assert back == value


def test_numbers_go_to_the_real_column():
    assert encode_metric(0.5) == (0.5, None)
    assert encode_metric(float("inf")) == (math.inf, None)
    assert encode_metric(float("nan"))[0] is None


@given(st.dictionaries(st.text(max_size=5), json_values, max_size=5))
def test_clean_object_keeps_json_objects(value):
    assert clean_object(value, "metadata") == value


def test_clean_object_nan_becomes_null_and_infinity_is_refused():
    assert clean_object({"a": [float("nan")]}, "metadata") == {"a": [None]}
    with pytest.raises(InvalidArgumentError, match=r"metadata\['a'\]\[0\] holds an infinite number"):
        clean_object({"a": [float("-inf")]}, "metadata")
    assert clean_object({1: 2, 2.5: {True: None}}, "metadata") == {"1": 2, "2.5": {"true": None}}  # as JSON writes
    with pytest.raises(InvalidArgumentError, match="non-text key"):
        clean_object({(1, 2): 2}, "metadata")
    with pytest.raises(InvalidArgumentError, match="two keys"):
        clean_object({1: 2, "1": 3}, "metadata")
    with pytest.raises(InvalidArgumentError, match="must be a JSON object"):
        clean_object("text", "metadata")
    with pytest.raises(InvalidArgumentError, match="holds a set"):
        clean_object({"s": {1}}, "metadata")


def test_numpy_and_torch_scalars_become_numbers():
    np = pytest.importorskip("numpy")
    assert clean_object({"a": np.float32(0.5), "b": np.int64(3), "c": np.arange(2)}, "config") == {
        "a": 0.5,
        "b": 3,
        "c": [0, 1],
    }
    torch = pytest.importorskip("torch")
    assert encode_metric(torch.tensor(2.5)) == (2.5, None)


def test_import_lineage_stays_light():
    code = (
        "import sys, lineage\n"
        "names = ('torch', 'duckdb', 'pyarrow', 'networkx', 'sqlmodel', 'numpy', 'PIL')\n"
        "heavy = [m for m in names if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
