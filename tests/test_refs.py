"""Names, aliases, paths and refs: what is accepted and what is refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lineage.errors import InvalidArgumentError
from lineage.refs import (
    Ref,
    canonical_ref,
    check_alias,
    check_name,
    check_path,
    check_paths,
    parse_ref,
    parse_run_ref,
)

from .strategies import aliases, invalid_names, invalid_paths, names, paths


@given(names)
def test_valid_names_are_accepted(name):
    assert check_name(name) == name


@given(invalid_names)
def test_invalid_names_are_refused_with_one_line(name):
    with pytest.raises(InvalidArgumentError) as info:
        check_name(name)
    assert "\n" not in str(info.value)


@given(paths)
def test_valid_paths_are_accepted(path):
    assert check_path(path) == path


@given(invalid_paths)
def test_invalid_paths_are_refused(path):
    with pytest.raises(InvalidArgumentError):
        check_path(path)


@given(aliases)
def test_valid_aliases_are_accepted(alias):
    assert check_alias(alias, settable=True) == alias


@pytest.mark.parametrize("alias", ["", "a/b", "a:b", "v0", "v12", "x" * 129, "tab\there"])
def test_invalid_aliases_are_refused(alias):
    with pytest.raises(InvalidArgumentError):
        check_alias(alias)


def test_latest_cannot_be_set_by_hand():
    assert check_alias("latest") == "latest"
    with pytest.raises(InvalidArgumentError, match="cannot be set by hand"):
        check_alias("latest", settable=True)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("mnist-raw", Ref("mnist-raw", "latest", None)),
        ("mnist-raw:v3", Ref("mnist-raw", "v3", None)),
        ("mnist-raw:best", Ref("mnist-raw", "best", None)),
        ("proj/mnist-raw:v0", Ref("mnist-raw", "v0", "proj")),
        ("team/proj/mnist-raw:best", Ref("mnist-raw", "best", "proj")),
    ],
)
def test_refs_parse(text, expected):
    assert parse_ref(text) == expected


@given(names, names, aliases)
def test_ref_round_trips_through_str(project, name, alias):
    ref = parse_ref(f"{project}/{name}:{alias}")
    assert parse_ref(str(ref)) == ref


def test_bare_ref_takes_the_default_project():
    assert parse_ref("x:v1", project="p") == Ref("x", "v1", "p")
    assert parse_ref("q/x:v1", project="p").project == "q"


@pytest.mark.parametrize("text", ["", ":v1", "a/b/c/d:v1", "bad name:v0", "x:a/b", "x:v01", "x:"])
def test_bad_refs_are_refused(text):
    with pytest.raises(InvalidArgumentError, match="invalid"):
        parse_ref(text)


def test_run_refs():
    assert parse_run_ref("run:sunny-smoke-1") == "sunny-smoke-1"
    assert parse_run_ref("mnist-raw:v0") is None
    with pytest.raises(InvalidArgumentError):
        parse_run_ref("run:")


def _first_error(check, values):
    try:
        check(values)
    except InvalidArgumentError as exc:
        return str(exc)
    return None


@given(st.lists(st.one_of(paths, invalid_paths, st.text(max_size=80)), max_size=6))
def test_checking_many_paths_at_once_fails_exactly_as_checking_each(values):
    each = next((e for v in values if (e := _first_error(check_path, v)) is not None), None)
    assert _first_error(check_paths, values) == each


def _outcome(fn, text):
    try:
        return fn(text)
    except InvalidArgumentError as exc:
        return ("error", str(exc))


REF_ALPHABET = "ab0v1/:-._é\n"


@given(
    st.one_of(
        st.text(REF_ALPHABET, max_size=12),
        st.builds(lambda p, n, a: f"{p}/{n}:{a}", names, names, st.one_of(aliases, st.just("v01"), st.just("v7"))),
    )
)
def test_canonical_ref_is_parse_refs_text_with_its_errors(text):
    assert _outcome(canonical_ref, text) == _outcome(lambda t: str(parse_ref(t)), text)
