"""The offline model registry: versions linked into collections (W&B's ``link_artifact``).

``run.link_artifact(artifact, "model-registry/<collection>", aliases=[...])`` links a
logged version into a registry collection. A collection numbers its links ``v0, v1,
...`` in link order; ``latest`` follows the newest link and other aliases move as
version aliases do. Refs go through the registry like any other:
``model-registry/<collection>:production`` or ``:v2`` resolves to the linked version
(``use_artifact``, ``store.artifact``, ``Api().artifact``, ancestry and impact). A
target may carry an entity (``entity/model-registry/name``), ignored offline; the
registry part is any project-like name (``model-registry``, ``wandb-registry-model``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InvalidArgumentError, NotFoundError
from ..refs import LATEST, Ref, check_alias, check_name, is_version
from .db import Database, now

DEFAULT_REGISTRY = "model-registry"


@dataclass(frozen=True)
class Link:
    """A version linked into a registry collection, with the collection's aliases for it."""

    registry: str
    collection: str
    number: int
    version_id: int
    version_ref: str  # project/name:vN of the linked version
    aliases: tuple[str, ...]
    created_at: str

    @property
    def ref(self) -> str:
        return f"{self.registry}/{self.collection}:v{self.number}"

    @property
    def label(self) -> str:
        """The ref with the collection's aliases: ``model-registry/mnist:v0 (production)``."""
        return self.ref + (f" ({', '.join(self.aliases)})" if self.aliases else "")


def parse_target(target: object) -> tuple[str, str]:
    """(registry, collection) of ``[entity/]registry/collection`` (W&B's target_path)."""
    if not isinstance(target, str) or ":" in target:
        raise InvalidArgumentError(f"invalid link target {target!r}: write model-registry/<name>")
    parts = target.split("/")
    if len(parts) == 1:
        parts = [DEFAULT_REGISTRY, parts[0]]
    if len(parts) > 3:
        raise InvalidArgumentError(f"invalid link target {target!r}: write [entity/]model-registry/<name>")
    try:
        return check_name(parts[-2], "registry"), check_name(parts[-1], "registry collection")
    except InvalidArgumentError as exc:
        raise InvalidArgumentError(f"invalid link target {target!r}: {exc}") from None


def link(db: Database, version_id: int, target: str, aliases: tuple[str, ...], run_id: str | None) -> Link:
    """Link a version into ``target`` (once: linking again only moves aliases); ``latest`` follows it."""
    registry, collection = parse_target(target)
    for alias in aliases:
        check_alias(alias, settable=True)
    with db.write(durable=True) as con:
        deleted = con.execute("SELECT deleted_at FROM versions WHERE id = ?", (version_id,)).fetchone()
        if deleted is None or deleted[0] is not None:
            raise NotFoundError(f"version {version_id} was deleted or does not exist: link a live version")
        row = con.execute(
            "SELECT number FROM registry_links WHERE registry = ? AND collection = ? AND version_id = ?",
            (registry, collection, version_id),
        ).fetchone()
        if row is None:
            number = con.execute(
                "SELECT coalesce(max(number) + 1, 0) FROM registry_links WHERE registry = ? AND collection = ?",
                (registry, collection),
            ).fetchone()[0]
            con.execute(
                "INSERT INTO registry_links (registry, collection, number, version_id, created_at, created_by) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (registry, collection, number, version_id, now(), run_id),
            )
        else:
            number = row[0]
        for alias in (LATEST, *aliases):
            con.execute(
                "INSERT INTO registry_aliases (registry, collection, alias, number) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (registry, collection, alias) DO UPDATE SET number = excluded.number",
                (registry, collection, alias, number),
            )
    return next(lk for lk in links(db, registry, collection) if lk.number == number)


def resolve_link(db: Database, ref: Ref) -> int | None:
    """The version id a ``registry/collection:alias|vN`` ref names; None if no such collection."""
    if ref.project is None:
        return None
    known = db.read_one(
        "SELECT 1 FROM registry_links WHERE registry = ? AND collection = ? LIMIT 1", (ref.project, ref.name)
    )
    if known is None:
        return None
    if is_version(ref.selector):
        row = db.read_one(
            "SELECT version_id FROM registry_links WHERE registry = ? AND collection = ? AND number = ?",
            (ref.project, ref.name, int(ref.selector[1:])),
        )
    else:
        row = db.read_one(
            "SELECT l.version_id FROM registry_aliases al JOIN registry_links l ON l.registry = al.registry "
            "AND l.collection = al.collection AND l.number = al.number "
            "WHERE al.registry = ? AND al.collection = ? AND al.alias = ?",
            (ref.project, ref.name, ref.selector),
        )
    if row is None:
        have = ", ".join(lk.label.split(":", 1)[1] for lk in links(db, ref.project, ref.name))
        raise NotFoundError(f"{ref.project}/{ref.name} has no {ref.selector!r} (links: {have})")
    return row[0]


def links(db: Database, registry: str | None = None, collection: str | None = None) -> list[Link]:
    """Every link (of one registry / collection if given), by registry, collection, number."""
    rows = db.read(
        "SELECT l.registry, l.collection, l.number, l.version_id, a.project || '/' || a.name || ':v' || v.number, "
        "l.created_at, (SELECT group_concat(alias, ',') FROM (SELECT alias FROM registry_aliases al "
        "  WHERE al.registry = l.registry AND al.collection = l.collection AND al.number = l.number ORDER BY alias)) "
        "FROM registry_links l JOIN versions v ON v.id = l.version_id JOIN artifacts a ON a.id = v.artifact_id "
        "WHERE (:registry IS NULL OR l.registry = :registry) AND (:collection IS NULL OR l.collection = :collection) "
        "ORDER BY l.registry, l.collection, l.number",
        {"registry": registry, "collection": collection},
    )
    return [
        Link(reg, coll, number, vid, ref, tuple(aliases.split(",")) if aliases else (), created)
        for reg, coll, number, vid, ref, created, aliases in rows
    ]


def links_of_version(db: Database, version_id: int) -> list[Link]:
    """The registry links of one version (for ``show`` and the report)."""
    return [lk for lk in links(db) if lk.version_id == version_id]
