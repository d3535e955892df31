"""A stateful test: log, use, alias, unalias, delete, gc and download at random against a
simple in-memory model of versions, aliases and blobs; the store must agree after every step."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

import lineage
from lineage.fsck import fsck

TYPES = {"a": "dataset", "b": "model"}
# File sets whose blobs overlap: the same bytes in several versions, artifacts and paths,
# so gc must keep a blob while any live version still uses it.
CONTENTS = [
    {"x.txt": b"one", "shared.bin": b"shared"},
    {"x.txt": b"two", "shared.bin": b"shared"},
    {"dir/y.txt": b"three"},
    {"x.txt": b"one"},
    {"shared.bin": b"shared", "dir/y.txt": b"one"},
]
ALIASES = ["best", "prod"]
names = st.sampled_from(sorted(TYPES))
numbers = st.integers(0, 5)
selectors = st.sampled_from(["latest", *ALIASES, "v0", "v1", "v2", "v4"])


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


class Model:
    """What the store should hold: versions (files, deleted), aliases, consumers."""

    def __init__(self) -> None:
        self.versions: dict[str, list[dict]] = {}
        self.aliases: dict[str, dict[str, int]] = {}
        self.used: dict[str, set[int]] = {}

    def resolve(self, name: str, selector: str) -> int | None:
        """The live version a ref names, or None where the store must raise NotFoundError."""
        if name not in self.versions:
            return None
        if selector.startswith("v") and selector[1:].isdigit():
            number = int(selector[1:])
            if number >= len(self.versions[name]):
                return None
        else:
            number = self.aliases[name].get(selector)
            if number is None:
                return None
        return None if self.versions[name][number]["deleted"] else number

    def live_blobs(self) -> set[str]:
        return {
            sha(content)
            for versions in self.versions.values()
            for version in versions
            if not version["deleted"]
            for content in version["files"].values()
        }


class StoreMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="lineage-stateful-"))
        self.run = lineage.init(project="p", job_type="stateful", dir=self.dir / "store")
        self.store = self.run.store
        self.model = Model()
        self.just_collected = False

    def teardown(self) -> None:
        try:
            assert fsck(self.store).ok
        finally:
            self.run.finish()
            self.store.close()
            shutil.rmtree(self.dir)

    def expect_error(self, kind: type[Exception], call) -> None:
        try:
            call()
        except kind as exc:
            assert isinstance(exc, lineage.LineageError) and "\n" not in str(exc)
        else:
            raise AssertionError(f"expected {kind.__name__}")

    # -- rules -------------------------------------------------------------------------
    @rule(name=names, content=st.integers(0, len(CONTENTS) - 1), aliases=st.lists(st.sampled_from(ALIASES)))
    def log(self, name, content, aliases):
        files = CONTENTS[content]
        art = lineage.Artifact(name, type=TYPES[name])
        for path, data in files.items():
            with art.new_file(path, mode="wb") as f:
                f.write(data)
        logged = self.run.log_artifact(art, aliases=aliases)
        versions = self.model.versions.setdefault(name, [])
        same = [n for n, v in enumerate(versions) if v["files"] == files and not v["deleted"]]
        number = same[0] if same else len(versions)
        if not same:
            versions.append({"files": files, "deleted": False})
        for alias in ("latest", *aliases):
            self.model.aliases.setdefault(name, {})[alias] = number
        assert logged.version == f"v{number}"
        self.just_collected = False

    @rule(name=names, selector=selectors)
    def use(self, name, selector):
        number = self.model.resolve(name, selector)
        if number is None:
            self.expect_error(lineage.NotFoundError, lambda: self.run.use_artifact(f"{name}:{selector}"))
            return
        assert self.run.use_artifact(f"{name}:{selector}").version == f"v{number}"
        self.model.used.setdefault(name, set()).add(number)

    @rule(name=names, number=numbers, alias=st.sampled_from(ALIASES))
    def alias(self, name, number, alias):
        if self.model.resolve(name, f"v{number}") is None:
            self.expect_error(lineage.NotFoundError, lambda: self.store.alias(f"{name}:v{number}", alias))
            return
        self.store.alias(f"{name}:v{number}", alias)
        self.model.aliases[name][alias] = number

    @rule(name=names, number=numbers, alias=st.sampled_from(ALIASES))
    def unalias(self, name, number, alias):
        if self.model.aliases.get(name, {}).get(alias) != number:
            self.expect_error(lineage.NotFoundError, lambda: self.store.unalias(f"{name}:v{number}", alias))
            return
        self.store.unalias(f"{name}:v{number}", alias)
        del self.model.aliases[name][alias]

    @rule(name=names, number=numbers, delete_aliases=st.booleans())
    def delete(self, name, number, delete_aliases):
        ref = f"{name}:v{number}"
        if self.model.resolve(name, f"v{number}") is None:
            self.expect_error(lineage.NotFoundError, lambda: self.store.delete(ref, delete_aliases=delete_aliases))
            return
        held = {a for a, n in self.model.aliases[name].items() if n == number}
        if held - {"latest"} and not delete_aliases:
            self.expect_error(lineage.ConflictError, lambda: self.store.delete(ref))
            return
        self.store.delete(ref, delete_aliases=delete_aliases)
        self.just_collected = False
        versions = self.model.versions[name]
        versions[number]["deleted"] = True
        for alias in held:
            del self.model.aliases[name][alias]
        live = [n for n, v in enumerate(versions) if not v["deleted"]]
        if "latest" in held and live:
            self.model.aliases[name]["latest"] = live[-1]

    @rule()
    def gc(self):
        plan = self.store.gc()
        assert plan.executed and plan.temp_files == ()
        assert {item.sha256 for item in plan.blobs}.isdisjoint(self.model.live_blobs())
        self.just_collected = True

    @rule(name=names, selector=selectors)
    def download(self, name, selector):
        number = self.model.resolve(name, selector)
        if number is None:
            self.expect_error(lineage.NotFoundError, lambda: self.store.artifact(f"{name}:{selector}").download())
            return
        target = Path(tempfile.mkdtemp(dir=self.dir))
        root = Path(self.store.artifact(f"{name}:{selector}").download(target))
        found = {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}
        assert found == self.model.versions[name][number]["files"]

    # -- the store agrees with the model -----------------------------------------------
    @invariant()
    def versions_aliases_and_files_agree(self):
        for name, versions in self.model.versions.items():
            stored = self.store.versions(name)
            assert [(v.version, v.deleted) for v in stored] == [(f"v{n}", v["deleted"]) for n, v in enumerate(versions)]
            for number, (version, expected) in enumerate(zip(stored, versions, strict=True)):
                held = sorted(a for a, n in self.model.aliases[name].items() if n == number)
                assert version.aliases == held
                assert {f.path: f.digest for f in version.files()} == {
                    path: sha(data) for path, data in expected["files"].items()
                }
                assert bool(version.used_by()) == (number in self.model.used.get(name, set()))

    @invariant()
    def refs_table_names_what_the_model_does(self):
        # Deleted versions keep their vN refs (lineage still starts from them); aliases leave them.
        for name in TYPES:
            for selector in ["latest", *ALIASES, "v0", "v1", "v2", "v4"]:
                rows = self.store.db.read(
                    "SELECT v.number, v.deleted_at IS NOT NULL FROM refs "
                    "JOIN versions v ON CAST(v.id AS TEXT) = refs.id WHERE refs.ref = ? AND refs.kind = 'version'",
                    (f"p/{name}:{selector}",),
                )
                live = [number for number, deleted in rows if not deleted]
                expected = self.model.resolve(name, selector)
                assert live == ([] if expected is None else [expected]), (name, selector, rows)
                assert len(rows) <= 1

    @invariant()
    def blobs_on_disk_are_what_live_versions_use(self):
        on_disk = {p.parent.name + p.name for p in (self.dir / "store" / "blobs").glob("??/*")}
        live = self.model.live_blobs()
        assert live <= on_disk  # never a live version without its blob
        if self.just_collected:
            assert on_disk == live  # and gc left nothing else


StoreMachine.TestCase.settings = settings(max_examples=40, stateful_step_count=30, deadline=None)
TestStore = StoreMachine.TestCase
