"""lineage's own OpenLineage facets, their schemas (shipped beside this module) and producer.

OpenLineage lets a producer add facets of its own, each naming its JSON Schema in
``_schemaURL``. Ours carry what the standard facets have no field for: a version's
digest, aliases, size and file count, and a run's id, name and state.
"""

from __future__ import annotations

from pathlib import Path

import attr
from openlineage.client.generated.base import DatasetFacet, RunFacet

from ..about import __version__

# Where lineage lives; the producer URI and our schema ids hang off it. OpenLineage only
# needs them to be stable URIs: consumers store them, nothing fetches them.
HOME = "https://github.com/lineage/lineage"
PRODUCER = f"{HOME}/tree/v{__version__}"
SCHEMA_DIR = Path(__file__).parent / "schemas"
SCHEMA_BASE = f"{HOME}/blob/main/lineage/openlineage/schemas"
VERSION_FACET = "lineage_version"
RUN_FACET = "lineage_run"


@attr.define
class LineageVersionDatasetFacet(DatasetFacet):
    """A lineage version: its artifact, number, digest, aliases, size and file count."""

    project: str
    artifact: str
    type: str
    version: str
    digest: str
    aliases: list[str]
    size: int
    fileCount: int  # noqa: N815 - OpenLineage facet fields are camelCase
    deletedAt: str | None = attr.field(default=None)  # noqa: N815

    @staticmethod
    def _get_schema() -> str:
        return f"{SCHEMA_BASE}/LineageVersionDatasetFacet.json#/$defs/LineageVersionDatasetFacet"


@attr.define
class LineageRunFacet(RunFacet):
    """A lineage run: its id and name in the store, and its state."""

    id: str
    name: str
    state: str

    @staticmethod
    def _get_schema() -> str:
        return f"{SCHEMA_BASE}/LineageRunFacet.json#/$defs/LineageRunFacet"


def schema_files() -> list[Path]:
    """Our facet schemas (JSON Schema 2020-12), each with its ``$id`` under SCHEMA_BASE."""
    return sorted(SCHEMA_DIR.glob("*.json"))
