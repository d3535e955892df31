"""Shared hypothesis strategies: names, aliases, paths inside artifacts, file sets."""

from __future__ import annotations

import string

from hypothesis import strategies as st

NAME_CHARS = string.ascii_letters + string.digits + "_.-"

names = st.text(NAME_CHARS, min_size=1, max_size=128)
invalid_names = st.one_of(
    st.just(""),
    st.text(NAME_CHARS, min_size=129, max_size=140),
    st.builds(
        lambda a, bad, b: a + bad + b,
        st.text(NAME_CHARS, max_size=5),
        st.sampled_from(list("/: \t\n$@#!?*~\\\x00é")),
        st.text(NAME_CHARS, max_size=5),
    ),
)

aliases = st.text(
    st.characters(blacklist_characters="/:", blacklist_categories=("Cc", "Cs")), min_size=1, max_size=40
).filter(lambda a: not (a[0] == "v" and a[1:].isdigit()) and a != "latest")

# One part of a path: printable, no '/', not '.' or '..'.
path_parts = st.text(
    st.characters(blacklist_characters="/", blacklist_categories=("Cc", "Cs")), min_size=1, max_size=12
).filter(lambda p: p not in (".", ".."))
paths = st.lists(path_parts, min_size=1, max_size=4).map("/".join)
invalid_paths = st.one_of(
    st.just(""),
    paths.map(lambda p: "/" + p),
    paths.map(lambda p: p + "/../x"),
    paths.map(lambda p: "../" + p),
    paths.map(lambda p: p + "//x"),
    paths.map(lambda p: "./" + p),
    paths.map(lambda p: p + "/\x01"),
)


def _no_file_folder_clash(files: dict[str, bytes]) -> bool:
    keys = set(files)
    return not any(p.startswith(q + "/") for p in keys for q in keys)


# A set of files an artifact may hold: {path: content}.
file_sets = st.dictionaries(paths, st.binary(max_size=64), min_size=1, max_size=8).filter(_no_file_folder_clash)
