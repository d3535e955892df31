"""``fsck``: check a store and name everything wrong with it.

It checks the database (SQLite's ``integrity_check`` and ``foreign_key_check``), every
blob a live version or a run file uses (present, and with the right SHA-256; ``quick``
only compares sizes and re-hashes blobs whose size or mtime moved since they were
recorded), each version's digest against its manifest, the refs table against the runs,
versions and aliases it lists, the walks' tables upstream and downstream against the edges
and labels they copy, and it lists what crashes leave
behind: temp files of dead processes and blobs nothing uses (which ``gc`` frees), and
runs their dead processes left ``running`` (marked ``crashed`` when the store opens).

Findings have a severity: ``damage`` (data is lost or wrong: the report is not ``ok``),
``sweepable`` (harmless leftovers ``lineage gc`` frees) and ``note`` (facts worth knowing).
fsck only reads, apart from marking crashed runs; it never blocks writers.
"""

from __future__ import annotations

import os
import socket
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .blobs import DIGEST_RE
from .entries import manifest_digest
from .errors import LineageError
from .formats import format_bytes
from .references import ReferenceEntry
from .storage import upkeep

DAMAGE, SWEEPABLE, NOTE = "damage", "sweepable", "note"
SEVERITY = {
    "database": DAMAGE,  # SQLite integrity_check failed
    "foreign_key": DAMAGE,  # a row points at a row that does not exist
    "missing_blob": DAMAGE,  # a blob in use is not on disk
    "corrupt_blob": DAMAGE,  # a blob in use has the wrong size or SHA-256
    "version": DAMAGE,  # a version's digest, size or file count disagrees with its files
    "alias": DAMAGE,  # an alias names a deleted version
    "refs": DAMAGE,  # the refs table disagrees with the runs, versions and aliases it lists
    "walks": DAMAGE,  # upstream or downstream disagrees with the edges and labels they copy
    "temp_file": SWEEPABLE,  # left by a process that died while writing a blob
    "unreferenced_blob": SWEEPABLE,  # no live version or run file uses it
    "crashed_run": NOTE,  # its process died while it was running
    "unchecked_run": NOTE,  # running on another host: its process cannot be checked from here
    "unknown_file": NOTE,  # a file in blobs/ that lineage did not write
    "link": DAMAGE,  # a link in blobs/ (or blobs/ itself): it could lead reads and gc outside the store
    "bad_digest": DAMAGE,  # the database names a blob by something that is no SHA-256 digest
}

MAX_DATABASE_LINES = 20


@dataclass(frozen=True)
class Problem:
    """One finding: its ``kind`` (a key of ``SEVERITY``), what it is about, one line for people."""

    kind: str
    subject: str
    message: str

    @property
    def severity(self) -> str:
        """``damage``, ``sweepable`` (``lineage gc`` frees it) or ``note``."""
        return SEVERITY[self.kind]

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class FsckReport:
    """What fsck found. ``ok`` means no damage; ``clean`` means no findings at all."""

    problems: tuple[Problem, ...]
    blobs_checked: int
    bytes_checked: int
    quick: bool

    @property
    def ok(self) -> bool:
        """True when nothing is damaged (leftovers gc frees and notes are allowed)."""
        return not self.damage

    @property
    def clean(self) -> bool:
        """True when fsck found nothing at all, not even leftovers or notes."""
        return not self.problems

    @property
    def damage(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == DAMAGE)

    @property
    def sweepable(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == SWEEPABLE)

    @property
    def notes(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == NOTE)

    def describe(self) -> str:
        """One line for people: what was checked and how many findings of each severity."""
        checked = f"checked {self.blobs_checked} blobs ({format_bytes(self.bytes_checked)})"
        if self.quick:
            checked += " by size"
        if self.clean:
            return f"{checked}: no problems"
        counts = ", ".join(
            f"{n} {what}"
            for n, what in (
                (len(self.damage), "damaged"),
                (len(self.sweepable), "for gc"),
                (len(self.notes), "notes"),
            )
            if n
        )
        return f"{checked}: {counts}"


def fsck(store, quick: bool = False, progress: Callable[[int, int], None] | None = None) -> FsckReport:
    """Check the store; returns a :class:`FsckReport` naming every problem found.

    ``quick`` checks blob sizes (and re-hashes only blobs whose size or mtime changed
    since they were recorded) instead of hashing every blob. ``progress(done, total)`` is
    called with bytes of blobs checked so far, for a progress bar.

    >>> report = store.fsck()                    # doctest: +SKIP
    >>> report.ok, [str(p) for p in report.problems]  # doctest: +SKIP
    (True, [])
    """
    db = store.db
    problems = _check_database(db, quick)
    blobs_checked = bytes_checked = 0
    try:
        problems += _check_runs(store)
        links = store.blobs.links()  # one scan of blobs/; nothing behind a link is read
        blob_problems, blobs_checked, bytes_checked, used = _check_blobs(store, quick, progress, set(links))
        problems += blob_problems
        problems += _check_versions(db, full=not quick)
        problems += _check_refs(db)
        problems += _check_walks(db)
        problems += _leftovers(store, used, links)
    except (sqlite3.DatabaseError, LineageError) as exc:
        # A damaged database (already named above) can fail any later query: stop there.
        if not any(p.kind == "database" for p in problems):
            problems.append(_unreadable(db, exc))
    return FsckReport(tuple(problems), blobs_checked, bytes_checked, quick)


def _unreadable(db, exc: Exception) -> Problem:
    return Problem("database", str(db.path), f"database {db.path} cannot be read ({exc}): restore it from a copy")


def _check_database(db, quick: bool) -> list[Problem]:
    try:
        lines, broken_links = upkeep.database_check(db, quick)
    except sqlite3.DatabaseError as exc:
        return [_unreadable(db, exc)]
    problems = []
    if lines != ["ok"]:
        problems += [
            Problem("database", str(db.path), f"database {db.path}: {line}: restore it from a copy")
            for line in lines[:MAX_DATABASE_LINES]
        ]
    for table, rowid, parent, _ in broken_links[:MAX_DATABASE_LINES]:
        problems.append(
            Problem(
                "foreign_key",
                f"{table}:{rowid}",
                f"a row of {table} (rowid {rowid}) points at a missing row of {parent}: restore the database",
            )
        )
    return problems


def _check_refs(db) -> list[Problem]:
    missing, extra = upkeep.refs_disagreement(db)
    if not missing and not extra:
        return []
    message = (
        f"the refs table lacks {missing} and has {extra} stray rows of the refs its runs, versions and aliases give, "
        "so ancestry, impact and the SQL files may start from the wrong node: restore the database from a copy"
    )
    return [Problem("refs", "refs", message)]


def _check_walks(db) -> list[Problem]:
    missing, extra = upkeep.walks_disagreement(db)
    if not missing and not extra:
        return []
    message = (
        f"the walks' tables upstream and downstream lack {missing} and have {extra} stray rows of the edges "
        "produced and consumed give, so ancestry, impact and the SQL files may miss or invent lineage: "
        "restore the database from a copy"
    )
    return [Problem("walks", "upstream, downstream", message)]


def _check_runs(store) -> list[Problem]:
    store.mark_crashed_runs()  # runs whose process died since the store was opened
    host = socket.gethostname()
    problems = []
    for run_id, name, state, run_host, pid in upkeep.runs_to_note(store.db, host):
        if state == "crashed":
            message = f"run {name} ({run_id}) was left running by process {pid} on {run_host}, which died"
            problems.append(Problem("crashed_run", run_id, message + ": marked crashed"))
        else:
            message = f"run {name} ({run_id}) is running on {run_host} (process {pid}), which fsck cannot check"
            problems.append(Problem("unchecked_run", run_id, message))
    return problems


def _check_blobs(store, quick: bool, progress, linked: set[Path]) -> tuple[list[Problem], int, int, set[str]]:
    used: dict[str, tuple[int, int | None, int | None, str]] = {}
    for sha256, size, rec_size, rec_mtime, user in upkeep.used_blobs(store.db):
        used.setdefault(sha256, (size, rec_size, rec_mtime, user))
    total = sum(entry[0] for entry in used.values())
    done = 0
    if progress is not None:
        progress(0, total)
    problems = []
    # A linked blobs/ folder is named by _leftovers; none of its blobs is read.
    checked = {} if store.blobs.root in linked else used
    for sha256, (size, rec_size, rec_mtime, user) in sorted(checked.items()):
        if not isinstance(sha256, str) or not DIGEST_RE.fullmatch(sha256):
            problems.append(
                Problem(
                    "bad_digest",
                    str(sha256)[:80],
                    f"{user} names its blob {str(sha256)[:80]!r}, which is no SHA-256 digest: the database is "
                    "damaged or forged; restore it from a copy",
                )
            )
            continue
        problem = _check_blob(store.blobs, sha256, size, (rec_size, rec_mtime), user, quick)
        if problem is not None:
            problems.append(problem)
        done += size
        if progress is not None:
            progress(done, total)
    return problems, len(used), total, set(used)


def _check_blob(blobs, sha256: str, size: int, recorded: tuple, user: str, quick: bool) -> Problem | None:
    found = blobs.inspect(sha256, size, recorded, quick)
    if found == "missing":
        return Problem(
            "missing_blob",
            sha256,
            f"blob {sha256} used by {user} is missing: restore it from a backup, or delete the version",
        )
    if found == "altered":
        return Problem(
            "corrupt_blob",
            sha256,
            f"blob {sha256} used by {user} was altered: restore it from a backup, or delete the version",
        )
    return None


def _check_versions(db, full: bool) -> list[Problem]:
    problems = [
        Problem(
            "alias",
            f"{name}:{alias}",
            f"alias {alias!r} of {name!r} names v{number}, which was deleted or is not its version: move the alias",
        )
        for name, alias, number in upkeep.dead_aliases(db)
    ]
    if not full:
        return problems
    versions: dict[int, tuple[str, str, int, int]] = {}
    files: dict[int, dict[str, tuple[str, int]]] = {}
    references: dict[int, list[ReferenceEntry]] = {}
    for version_id, *entry in upkeep.all_references(db):
        references.setdefault(version_id, []).append(ReferenceEntry(*entry))
    for version_id, ref, digest, size, count, path, sha256, file_size in upkeep.version_files(db):
        if version_id not in versions:
            # Rows come ordered by version: check the previous one and let it go.
            for done_id in list(versions):
                problems += _version_problem(*versions.pop(done_id), files.pop(done_id), references.get(done_id, []))
            versions[version_id], files[version_id] = (ref, digest, size, count), {}
        if path is not None:
            files[version_id][path] = (sha256, file_size)
    for done_id in list(versions):
        problems += _version_problem(*versions.pop(done_id), files.pop(done_id), references.get(done_id, []))
    return problems


def _version_problem(ref: str, digest: str, size: int, count: int, files: dict, refs: list) -> list[Problem]:
    actual_digest = manifest_digest({path: sha256 for path, (sha256, _) in files.items()}, refs)
    actual_size = sum(file_size for _, file_size in files.values()) + sum(r.size or 0 for r in refs)
    count_found = len(files) + len(refs)
    if (actual_digest, actual_size, count_found) == (digest, size, count):
        return []
    return [
        Problem(
            "version",
            ref,
            f"version {ref} records digest {digest[:12]}, {count} files, {size} bytes but its files give "
            f"{actual_digest[:12]}, {count_found} files, {actual_size} bytes: restore the database",
        )
    ]


def _leftovers(store, used: set[str], linked: list[Path]) -> list[Problem]:
    links = [
        Problem(
            "link",
            str(path),
            f"{path} is a link (to {os.readlink(path)!r}): a store must not lead outside itself; lineage never "
            "follows it: replace it with the file or folder itself",
        )
        for path in linked
    ]
    if links and links[0].subject == str(store.blobs.root):
        return links
    problems = links + [
        Problem(
            "temp_file",
            str(path),
            f"temp file {path} was left by a process that died while writing it: run 'lineage gc'",
        )
        for path, _ in store.blobs.stray_temps()
    ]
    for item in store.blobs.listing():
        name, path = item.name, item.where
        if not DIGEST_RE.fullmatch(name):
            problems.append(
                Problem("unknown_file", str(path), f"file {path} in the blob store was not written by lineage")
            )
        elif name not in used:
            problems.append(
                Problem(
                    "unreferenced_blob", name, f"blob {name} is used by no live version or run file: run 'lineage gc'"
                )
            )
    return problems
