"""Parsing and validating what users type: names, aliases, paths inside artifacts and refs.

Every user-given string passes one of these functions before it touches the store or the
disk, so the rules of SPEC section 3 live in one place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import InvalidArgumentError

NAME_RE = re.compile(r"[A-Za-z0-9_.\-]{1,128}")
VERSION_RE = re.compile(r"v(0|[1-9][0-9]*)")
RESERVED_RE = re.compile(r"v[0-9]+")  # v007 is no version, but looks like one
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
LATEST = "latest"
RUN_PREFIX = "run:"
# Paths must also fit the file systems they are downloaded to: a part of at most 255 bytes
# (NAME_MAX), at most 256 levels, and room left under PATH_MAX (4096) for the download folder.
MAX_PART_BYTES = 255
MAX_PATH_BYTES = 3072
MAX_PATH_PARTS = 256


def check_utf8(text: str, what: str) -> str:
    """Return ``text`` if it can be stored (UTF-8), else raise: lone surrogates cannot."""
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidArgumentError(
                f"invalid {what} {text[:80]!r}: it is not valid Unicode text (a lone surrogate, or a file name "
                "in another encoding): use UTF-8 text"
            ) from None
    return text


def check_name(name: object, what: str = "name") -> str:
    """Return ``name`` if it is a valid artifact or project name, else raise."""
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        raise InvalidArgumentError(f"invalid {what} {name!r}: use 1 to 128 characters from A-Z a-z 0-9 _ . -")
    return name


def check_text(text: object, what: str, lines: bool = False, limit: int = 128) -> str:
    """Return one line of text (many lines if ``lines``), 1 to ``limit`` characters, else raise."""
    bad = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]") if lines else _CONTROL_RE
    if not isinstance(text, str) or not text.strip() or len(text) > limit or bad.search(text):
        kind = "text" if lines else "one line of text"
        raise InvalidArgumentError(f"invalid {what} {text!r}: use {kind}, 1 to {limit} characters")
    return check_utf8(text, what)


def check_job_type(job_type: object) -> str:
    """A run's job type: one line of text (W&B allows spaces, e.g. 'train model')."""
    return check_text(job_type, "job type")


def check_tags(tags: object) -> list[str]:
    """A list of tags (W&B's run and version tags): each one line, 1 to 64 characters, kept in order."""
    if tags is None:
        return []
    if isinstance(tags, str) or not hasattr(tags, "__iter__"):
        raise InvalidArgumentError(f"tags must be a list of text, not {type(tags).__name__}")
    out: list[str] = []
    for tag in tags:
        check_text(tag, "tag", limit=64)
        if tag not in out:
            out.append(tag)
    return out


def check_type(type_: object) -> str:
    """Artifact types follow the name rules (``dataset``, ``model``, ...)."""
    return check_name(type_, "artifact type")


def is_version(selector: str) -> bool:
    """True for ``v0``, ``v1``, ...: version selectors, reserved as aliases."""
    return VERSION_RE.fullmatch(selector) is not None


def check_alias(alias: object, settable: bool = False) -> str:
    """Return ``alias`` if valid; ``settable`` also refuses ``latest`` (set by lineage)."""
    if (
        not isinstance(alias, str)
        or not 1 <= len(alias) <= 128
        or "/" in alias
        or ":" in alias
        or _CONTROL_RE.search(alias)
    ):
        raise InvalidArgumentError(
            f"invalid alias {alias!r}: use 1 to 128 characters, no '/', ':' or control characters"
        )
    check_utf8(alias, "alias")
    if RESERVED_RE.fullmatch(alias):
        raise InvalidArgumentError(f"invalid alias {alias!r}: names like v0, v1 are reserved for versions")
    if settable and alias == LATEST:
        raise InvalidArgumentError("alias 'latest' cannot be set by hand: it follows the most recent log_artifact")
    return alias


def check_run_name(name: object) -> str:
    """Return a valid run name: one line of text, no control characters (else raise)."""
    if not isinstance(name, str) or not name.strip() or _CONTROL_RE.search(name):
        raise InvalidArgumentError(f"invalid run name {name!r}: use one line of text, no control characters")
    return check_utf8(name, "run name")


def check_path(path: object) -> str:
    """Return a valid path inside an artifact: relative, '/'-separated, no '..' or '.'."""
    if not isinstance(path, str) or not path:
        raise InvalidArgumentError(f"invalid path {path!r}: paths inside an artifact must be non-empty text")
    if _CONTROL_RE.search(path):
        raise InvalidArgumentError(f"invalid path {path!r}: control characters are not allowed")
    if path.startswith("/"):
        raise InvalidArgumentError(f"invalid path {path!r}: use a relative path, not an absolute one")
    parts = path.split("/")
    for part in parts:
        if part in ("", ".", ".."):
            raise InvalidArgumentError(
                f"invalid path {path!r}: no empty, '.' or '..' parts (paths must stay inside the artifact)"
            )
    check_utf8(path, "path")
    if len(path) > MAX_PART_BYTES // 4 or len(parts) > MAX_PATH_PARTS:  # else no part can be too long
        size = len(path.encode("utf-8"))
        longest = max(len(part.encode("utf-8")) for part in parts)
        if longest > MAX_PART_BYTES or size > MAX_PATH_BYTES or len(parts) > MAX_PATH_PARTS:
            raise InvalidArgumentError(
                f"invalid path {path[:60]!r}...: too long to download ({longest} bytes in its longest part, "
                f"{size} bytes, {len(parts)} levels; at most {MAX_PART_BYTES}, {MAX_PATH_BYTES} and {MAX_PATH_PARTS})"
            )
    return path


def check_paths(paths: list[str]) -> None:
    """:func:`check_path` for many paths at once (a folder's files): the same errors.

    Short ASCII paths are checked in one pass over their join; any doubt falls back
    to checking each path.
    """
    if all(isinstance(p, str) for p in paths):
        joined = "/" + "/".join(paths) + "/"
        if (
            joined.isascii()
            and not _CONTROL_RE.search(joined)
            and "//" not in joined
            and "/./" not in joined
            and "/../" not in joined
            and max(map(len, paths), default=0) <= MAX_PART_BYTES // 4
        ):
            return
    for path in paths:
        check_path(path)


@dataclass(frozen=True)
class Ref:
    """A parsed artifact ref: ``[entity/][project/]name[:alias|:vN]``."""

    name: str
    selector: str = LATEST
    project: str | None = None

    @property
    def version_number(self) -> int | None:
        """The N of a ``vN`` selector, else None (the selector is an alias)."""
        return int(self.selector[1:]) if is_version(self.selector) else None

    def __str__(self) -> str:
        prefix = f"{self.project}/" if self.project else ""
        return f"{prefix}{self.name}:{self.selector}"


def parse_ref(text: object, project: str | None = None) -> Ref:
    """Parse an artifact ref; ``project`` fills in a ref that names none.

    >>> parse_ref("mnist/mnist-raw:v1")
    Ref(name='mnist-raw', selector='v1', project='mnist')
    """
    if not isinstance(text, str) or not text:
        raise InvalidArgumentError(f"invalid ref {text!r}: write [project/]name[:alias or :vN]")
    head, sep, selector = text.partition(":")
    if not sep:
        selector = LATEST
    parts = head.split("/")
    if len(parts) > 3:
        raise InvalidArgumentError(f"invalid ref {text!r}: write [entity/][project/]name[:alias or :vN]")
    try:
        name = check_name(parts[-1])
        if len(parts) >= 2:
            project = check_name(parts[-2], "project")
        if len(parts) == 3:
            check_name(parts[0], "entity")
        if not is_version(selector):
            check_alias(selector)
    except InvalidArgumentError as exc:
        raise InvalidArgumentError(f"invalid ref {text!r}: {exc}") from None
    return Ref(name=name, selector=selector, project=project)


# A ref already written as the refs table keys it: [project/]name:vN or [project/]name:<alias>
# with a plain alias (v1-like aliases other than versions are refused by check_alias).
_CANONICAL_RE = re.compile(
    rf"(?:{NAME_RE.pattern}/)?{NAME_RE.pattern}:(?:{VERSION_RE.pattern}|(?!{RESERVED_RE.pattern}$){NAME_RE.pattern})"
)


def canonical_ref(text: object) -> str:
    """``str(parse_ref(text))``, the ref as the refs table keys it ('entity/p/a' -> 'p/a:latest'),
    with the same errors; a ref already in that form costs one regular-expression match."""
    if isinstance(text, str) and _CANONICAL_RE.fullmatch(text):
        return text
    return str(parse_ref(text))


def parse_run_ref(text: str) -> str | None:
    """Return the ``<name or id>`` of a ``run:<name or id>`` ref, or None if not one."""
    if isinstance(text, str) and text.startswith(RUN_PREFIX):
        key = text[len(RUN_PREFIX) :]
        if not key or _CONTROL_RE.search(key):
            raise InvalidArgumentError(f"invalid run ref {text!r}: write run:<name or id>")
        return key
    return None
