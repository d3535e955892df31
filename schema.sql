-- lineage store schema, version 12 (2: runs_by_name, for run:<name> refs; 3: runs_running;
-- 4: reference_files, for artifact.add_reference; runs.group_name and runs.tags;
-- versions.tags and versions.expires_at (W&B's ttl); registry_links, registry_aliases;
-- 5: openlineage_backlog; 6: refs, the table every ref is resolved through; 7: file_state
-- keyed with ctime; 8: store_settings, where a store keeps its blob root; 9: upstream and
-- downstream, the edges as the walks read them; 10: folder_state, the re-log cache of
-- folders added whole; 11: run_counts, each project's run count; 12: refs.label, the label of
-- the node a ref names, so a walk's start costs one index seek).
--
-- This file is the one definition of a store's database. `lineage` runs it to create
-- a new store (every statement is idempotent), `PRAGMA user_version` records which
-- version a store holds, and the SQLModel classes in lineage/models.py map the same
-- tables (tests/test_schema.py proves they agree).
--
-- Vocabulary: a run consumes and produces versions of artifacts; a version's files
-- point at blobs (content-addressed files under blobs/); aliases name versions.
-- Edges point the way data flows: producing run -> version -> consuming run.
-- Times are ISO 8601 UTC text ('2026-11-23T10:00:00.123456Z'), so they sort as text.

PRAGMA user_version = 12;

-- runs: one row per run (a process step of a pipeline): who, what kind, its state.
-- config holds the run's config as a JSON object; pid/host/pid_started let a later
-- process tell whether a run left 'running' still has a live process behind it.
-- group_name is init(group=) (W&B's run group); tags a JSON list of text.
CREATE TABLE IF NOT EXISTS runs (
    id          TEXT    NOT NULL PRIMARY KEY,
    project     TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    job_type    TEXT,
    state       TEXT    NOT NULL CHECK (state IN ('running', 'finished', 'failed', 'crashed')),
    error       TEXT,
    config      TEXT    NOT NULL DEFAULT '{}',
    notes       TEXT,
    started_at  TEXT    NOT NULL,
    ended_at    TEXT,
    host        TEXT    NOT NULL,
    pid         INTEGER NOT NULL,
    pid_started INTEGER,
    group_name  TEXT,
    tags        TEXT    NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS runs_by_project_name ON runs (project, name);
-- Only the runs still running: looked up on every store open (to find crashed runs).
-- Partial, so it stays tiny and, after ANALYZE, the planner still picks it where an
-- index on all states looked unselective once most runs finished.
CREATE INDEX IF NOT EXISTS runs_running ON runs (host) WHERE state = 'running';
CREATE INDEX IF NOT EXISTS runs_by_name ON runs (name);

-- history: the metric history of a run, one row per (step, key) logged with run.log.
-- value holds numbers (including +-inf); data holds every other value as JSON
-- (strings, booleans, images, lists) and NaN as {"_type": "nan"}.
CREATE TABLE IF NOT EXISTS history (
    run_id TEXT    NOT NULL REFERENCES runs (id),
    step   INTEGER NOT NULL,
    key    TEXT    NOT NULL,
    value  REAL,
    data   TEXT,
    PRIMARY KEY (run_id, step, key)
) WITHOUT ROWID;

-- summary: one row per key of a run's summary (the last logged value unless
-- summary.update overrode it), encoded like history.
CREATE TABLE IF NOT EXISTS summary (
    run_id TEXT NOT NULL REFERENCES runs (id),
    key    TEXT NOT NULL,
    value  REAL,
    data   TEXT,
    PRIMARY KEY (run_id, key)
) WITHOUT ROWID;

-- blobs: one row per distinct file content kept in blobs/<sha256[:2]>/<sha256[2:]>;
-- size and mtime_ns are the blob file's as written, so a blob changed behind the
-- store's back (through a hard link) is noticed without reading it.
CREATE TABLE IF NOT EXISTS blobs (
    sha256   TEXT    NOT NULL PRIMARY KEY,
    size     INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL
) WITHOUT ROWID;

-- run_files: files kept with a run (run.save, logged images), each pointing at a blob.
CREATE TABLE IF NOT EXISTS run_files (
    run_id TEXT    NOT NULL REFERENCES runs (id),
    path   TEXT    NOT NULL,
    sha256 TEXT    NOT NULL REFERENCES blobs (sha256),
    size   INTEGER NOT NULL,
    PRIMARY KEY (run_id, path)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS run_files_by_blob ON run_files (sha256);

-- artifacts: one row per artifact name in a project; its type never changes.
CREATE TABLE IF NOT EXISTS artifacts (
    id         INTEGER NOT NULL PRIMARY KEY,
    project    TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    type       TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    UNIQUE (project, name)
);
CREATE INDEX IF NOT EXISTS artifacts_by_name ON artifacts (name);

-- versions: one row per committed version of an artifact (v0, v1, ...; numbers are
-- never reused). digest is the manifest digest (SPEC section 3); created_by is the run
-- that first logged it; deleted_at is set by store.delete, which keeps the row so the
-- lineage graph stays whole. tags is a JSON list of text (W&B's version tags);
-- expires_at is when W&B's ttl runs out (NULL: never); gc deletes expired versions.
CREATE TABLE IF NOT EXISTS versions (
    id          INTEGER NOT NULL PRIMARY KEY,
    artifact_id INTEGER NOT NULL REFERENCES artifacts (id),
    number      INTEGER NOT NULL,
    digest      TEXT    NOT NULL,
    size        INTEGER NOT NULL,
    file_count  INTEGER NOT NULL,
    description TEXT,
    metadata    TEXT    NOT NULL DEFAULT '{}',
    created_at  TEXT    NOT NULL,
    created_by  TEXT    REFERENCES runs (id),
    deleted_at  TEXT,
    tags        TEXT    NOT NULL DEFAULT '[]',
    expires_at  TEXT,
    UNIQUE (artifact_id, number)
);
CREATE INDEX IF NOT EXISTS versions_by_digest ON versions (artifact_id, digest);
CREATE INDEX IF NOT EXISTS versions_by_creator ON versions (created_by);

-- aliases: names for versions of one artifact ('latest', 'best', ...); an alias
-- names one version at a time. 'latest' is kept here too, moved by log_artifact.
CREATE TABLE IF NOT EXISTS aliases (
    artifact_id INTEGER NOT NULL REFERENCES artifacts (id),
    alias       TEXT    NOT NULL,
    version_id  INTEGER NOT NULL REFERENCES versions (id),
    PRIMARY KEY (artifact_id, alias)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS aliases_by_version ON aliases (version_id);

-- files: the manifest of each version, one row per file path, pointing at its blob.
CREATE TABLE IF NOT EXISTS files (
    version_id INTEGER NOT NULL REFERENCES versions (id),
    path       TEXT    NOT NULL,
    sha256     TEXT    NOT NULL REFERENCES blobs (sha256),
    size       INTEGER NOT NULL,
    PRIMARY KEY (version_id, path)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS files_by_blob ON files (sha256);

-- reference_files: the entries of a version's manifest added by artifact.add_reference:
-- a URI the store records but holds no blob for. sha256 and size are the content's as
-- it was when added (file:// with checksum=True), NULL when recorded by URI only. A path
-- is in files or here, never both. These entries count in the version's digest (SPEC
-- section 3), size and file_count.
CREATE TABLE IF NOT EXISTS reference_files (
    version_id INTEGER NOT NULL REFERENCES versions (id),
    path       TEXT    NOT NULL,
    uri        TEXT    NOT NULL,
    sha256     TEXT,
    size       INTEGER,
    PRIMARY KEY (version_id, path)
) WITHOUT ROWID;

-- registry_links: versions linked into a registry collection (W&B's model registry,
-- run.link_artifact(art, "model-registry/<collection>")). A collection numbers its links
-- v0, v1, ... in link order; a version is linked into a collection once.
CREATE TABLE IF NOT EXISTS registry_links (
    registry   TEXT    NOT NULL,
    collection TEXT    NOT NULL,
    number     INTEGER NOT NULL,
    version_id INTEGER NOT NULL REFERENCES versions (id),
    created_at TEXT    NOT NULL,
    created_by TEXT    REFERENCES runs (id),
    PRIMARY KEY (registry, collection, number),
    UNIQUE (registry, collection, version_id)
);
CREATE INDEX IF NOT EXISTS registry_links_by_version ON registry_links (version_id);

-- registry_aliases: aliases inside a registry collection ('production', 'latest', ...),
-- each naming one link of that collection at a time.
CREATE TABLE IF NOT EXISTS registry_aliases (
    registry   TEXT    NOT NULL,
    collection TEXT    NOT NULL,
    alias      TEXT    NOT NULL,
    number     INTEGER NOT NULL,
    PRIMARY KEY (registry, collection, alias)
) WITHOUT ROWID;

-- consumed: edge version -> run, recorded by run.use_artifact.
CREATE TABLE IF NOT EXISTS consumed (
    run_id     TEXT    NOT NULL REFERENCES runs (id),
    version_id INTEGER NOT NULL REFERENCES versions (id),
    created_at TEXT    NOT NULL,
    PRIMARY KEY (run_id, version_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS consumed_by_version ON consumed (version_id, run_id);

-- produced: edge run -> version, recorded by run.log_artifact (also when the logged
-- content was identical to an existing version).
CREATE TABLE IF NOT EXISTS produced (
    run_id     TEXT    NOT NULL REFERENCES runs (id),
    version_id INTEGER NOT NULL REFERENCES versions (id),
    created_at TEXT    NOT NULL,
    PRIMARY KEY (run_id, version_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS produced_by_version ON produced (version_id, run_id);

-- file_state: a cache of source files already hashed, keyed by where they were and
-- their (inode, ctime_ns, mtime_ns, size), so re-adding an unchanged file costs a stat,
-- not a read. ctime is in the key because a rewrite can keep size and mtime (cp -p,
-- tar, rsync --times) and even the inode, but every write moves ctime, and no user call
-- can set it back.
CREATE TABLE IF NOT EXISTS file_state (
    path     TEXT    NOT NULL PRIMARY KEY,
    inode    INTEGER NOT NULL,
    ctime_ns INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    size     INTEGER NOT NULL,
    sha256   TEXT    NOT NULL
) WITHOUT ROWID;

-- folder_state: the re-log cache of folders added whole (artifact.add_dir), one row per
-- folder walked (its absolute path as walked), so re-adding an unchanged folder costs one
-- read and a stat per file, compared in bulk. names: its files' names, '/'-separated, sorted;
-- stats: each file's (inode, ctime_ns, mtime_ns, size, mode) as five unsigned 64-bit
-- little-endian integers, all in hex (all zeros: a file too fresh to remember, see
-- file_state); digests: their SHA-256 digests, '\n'-separated; blob_mtimes: the mtime_ns of
-- each digest's blob file as written, packed as stats are. A cached digest is trusted
-- without looking at its blob, so gc deletes every row naming a blob it frees first.
CREATE TABLE IF NOT EXISTS folder_state (
    folder      TEXT NOT NULL PRIMARY KEY,
    names       TEXT NOT NULL,
    stats       TEXT NOT NULL,
    digests     TEXT NOT NULL,
    blob_mtimes TEXT NOT NULL
);

-- openlineage_backlog: OpenLineage events that live emission could not deliver (the
-- endpoint was down or slow), oldest first. `lineage export --format openlineage --send`
-- delivers them in id order and deletes each row once the endpoint accepted it.
-- event is the RunEvent as JSON; event_type is START, COMPLETE, FAIL or ABORT.
CREATE TABLE IF NOT EXISTS openlineage_backlog (
    id         INTEGER NOT NULL PRIMARY KEY,
    run_id     TEXT    NOT NULL REFERENCES runs (id),
    event_type TEXT    NOT NULL,
    event      TEXT    NOT NULL,
    created_at TEXT    NOT NULL
);

-- store_settings: what every client of the store must agree on, one row per key.
-- blob_root: where the store's blobs live when not in blobs/ beside this database (an
-- s3://bucket/prefix URL or a shared folder path); absent for a folder store. store_id: the
-- store's id (uuid4 hex), also kept beside the blobs of the root it records (lineage-store),
-- so a second store never takes (or gc's) a root another store owns.
CREATE TABLE IF NOT EXISTS store_settings (
    key   TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);

-- edges: every edge in the direction data flows, one view for hand-written SQL.
-- A produced edge goes run -> version, a consumed edge version -> run.
CREATE VIEW IF NOT EXISTS edges (kind, src_kind, src_id, dst_kind, dst_id, created_at) AS
    SELECT 'produced', 'run', run_id, 'version', CAST(version_id AS TEXT), created_at
    FROM produced
    UNION ALL
    SELECT 'consumed', 'version', CAST(version_id AS TEXT), 'run', run_id, created_at
    FROM consumed;

-- version_refs: every version with its artifact, its ref ('name:vN'), its label in
-- the exploded graph ('type:name:vN') and its aliases (comma-separated, sorted).
CREATE VIEW IF NOT EXISTS version_refs AS
    SELECT v.id AS version_id,
           a.project,
           a.name,
           a.type,
           v.number,
           'v' || v.number AS version,
           a.name || ':v' || v.number AS ref,
           a.project || '/' || a.name || ':v' || v.number AS qualified_ref,
           a.type || ':' || a.name || ':v' || v.number AS label,
           v.digest,
           v.size,
           v.file_count,
           v.created_at,
           v.created_by,
           v.deleted_at,
           (SELECT group_concat(alias, ',')
              FROM (SELECT alias FROM aliases al WHERE al.version_id = v.id ORDER BY alias))
               AS aliases
    FROM versions v
    JOIN artifacts a ON a.id = v.artifact_id;

-- run_labels: every run with its label in the exploded graph ('job_type:name').
CREATE VIEW IF NOT EXISTS run_labels AS
    SELECT id AS run_id, project, name, job_type, state,
           coalesce(job_type, 'run') || ':' || name AS label
    FROM runs;

-- run_counts: how many runs each project holds, kept by a trigger on runs (runs are never
-- removed and never change project), so a run's default name (its project's n-th run) costs
-- one key lookup, not a count of the project's runs.
CREATE TABLE IF NOT EXISTS run_counts (
    project TEXT    NOT NULL PRIMARY KEY,
    runs    INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TRIGGER IF NOT EXISTS run_counts_add AFTER INSERT ON runs BEGIN
    INSERT INTO run_counts (project, runs) VALUES (NEW.project, 1)
    ON CONFLICT (project) DO UPDATE SET runs = runs + 1;
END;

-- refs: every ref a version or run answers to, so SQL and Python resolve a ref the same
-- way, with one index lookup: SELECT kind, id, label FROM refs WHERE ref = 'mnist-raw:v0'.
-- A version answers to name:vN and project/name:vN; to name:<alias> and project/name:<alias>
-- for each alias it holds; and, holding 'latest', to name and project/name. A run answers
-- to run:<id> and run:<name>. kind is 'run' or 'version' and id the run id or the version id
-- as text, as the lineage queries return them, and label the node's label in the exploded
-- graph ('train:sunny-smoke-4', 'model:trained-model:v0'). A ref with several rows (a name in two
-- projects, a run name used twice) is ambiguous: the queries treat it as naming nothing.
-- The triggers below keep it in step with runs, versions and aliases (a run may be renamed,
-- as W&B's run.name = ..., or given another job_type; nothing renames artifacts, and runs and
-- versions are never removed). Registry refs (model-registry/name:alias) are not listed: Python resolves them.
CREATE TABLE IF NOT EXISTS refs (
    ref   TEXT NOT NULL,
    kind  TEXT NOT NULL,
    id    TEXT NOT NULL,
    label TEXT NOT NULL,
    PRIMARY KEY (ref, kind, id)
) WITHOUT ROWID;

-- artifact_prefixes: the two ways a ref names an artifact, 'name' and 'project/name'.
CREATE VIEW IF NOT EXISTS artifact_prefixes (artifact_id, prefix) AS
    SELECT id, name FROM artifacts
    UNION ALL
    SELECT id, project || '/' || name FROM artifacts;

CREATE TRIGGER IF NOT EXISTS refs_add_run AFTER INSERT ON runs BEGIN
    INSERT OR IGNORE INTO refs (ref, kind, id, label)
    VALUES ('run:' || NEW.id, 'run', NEW.id, coalesce(NEW.job_type, 'run') || ':' || NEW.name),
           ('run:' || NEW.name, 'run', NEW.id, coalesce(NEW.job_type, 'run') || ':' || NEW.name);
END;

-- A renamed run answers to its new name only (its id stays a ref of its own); a run renamed
-- or given another job_type has a new label in both its refs.
CREATE TRIGGER IF NOT EXISTS refs_rename_run AFTER UPDATE OF name, job_type ON runs BEGIN
    DELETE FROM refs WHERE ref = 'run:' || OLD.name AND kind = 'run' AND id = OLD.id AND OLD.name <> OLD.id;
    INSERT OR IGNORE INTO refs (ref, kind, id, label)
    VALUES ('run:' || NEW.name, 'run', NEW.id, coalesce(NEW.job_type, 'run') || ':' || NEW.name);
    UPDATE refs SET label = coalesce(NEW.job_type, 'run') || ':' || NEW.name
    WHERE ref IN ('run:' || NEW.id, 'run:' || NEW.name) AND kind = 'run' AND id = NEW.id;
END;

CREATE TRIGGER IF NOT EXISTS refs_add_version AFTER INSERT ON versions BEGIN
    INSERT OR IGNORE INTO refs (ref, kind, id, label)
    SELECT p.prefix || ':v' || NEW.number, 'version', CAST(NEW.id AS TEXT), v.label
    FROM artifact_prefixes p JOIN version_refs v ON v.version_id = NEW.id WHERE p.artifact_id = NEW.artifact_id;
END;

-- An alias gives its version name:<alias> (and, for 'latest', the bare name too).
CREATE TRIGGER IF NOT EXISTS refs_add_alias AFTER INSERT ON aliases BEGIN
    INSERT OR IGNORE INTO refs (ref, kind, id, label)
    SELECT prefix || suffix, 'version', CAST(NEW.version_id AS TEXT),
           (SELECT label FROM version_refs WHERE version_id = NEW.version_id)
    FROM artifact_prefixes
    CROSS JOIN (SELECT ':' || NEW.alias AS suffix UNION ALL SELECT '' WHERE NEW.alias = 'latest')
    WHERE artifact_id = NEW.artifact_id;
END;

CREATE TRIGGER IF NOT EXISTS refs_drop_alias AFTER DELETE ON aliases BEGIN
    DELETE FROM refs
    WHERE kind = 'version' AND id = CAST(OLD.version_id AS TEXT) AND ref IN (
        SELECT prefix || suffix FROM artifact_prefixes
        CROSS JOIN (SELECT ':' || OLD.alias AS suffix UNION ALL SELECT '' WHERE OLD.alias = 'latest')
        WHERE artifact_id = OLD.artifact_id);
END;

-- An alias moved to another version (log_artifact moving 'latest', store.alias).
CREATE TRIGGER IF NOT EXISTS refs_move_alias AFTER UPDATE ON aliases BEGIN
    DELETE FROM refs
    WHERE kind = 'version' AND id = CAST(OLD.version_id AS TEXT) AND ref IN (
        SELECT prefix || suffix FROM artifact_prefixes
        CROSS JOIN (SELECT ':' || OLD.alias AS suffix UNION ALL SELECT '' WHERE OLD.alias = 'latest')
        WHERE artifact_id = OLD.artifact_id);
    INSERT OR IGNORE INTO refs (ref, kind, id, label)
    SELECT prefix || suffix, 'version', CAST(NEW.version_id AS TEXT),
           (SELECT label FROM version_refs WHERE version_id = NEW.version_id)
    FROM artifact_prefixes
    CROSS JOIN (SELECT ':' || NEW.alias AS suffix UNION ALL SELECT '' WHERE NEW.alias = 'latest')
    WHERE artifact_id = NEW.artifact_id;
END;

-- upstream and downstream: the lineage graph as the walks read it (queries/ancestry.sql and
-- impact.sql, store.ancestry and store.impact), one row per edge in each of them: from a
-- node to a neighbour one step upstream (a version's producing runs, a run's inputs) or
-- downstream (a version's consuming runs, a run's outputs), with that neighbour's label as in
-- the exploded graph. Nodes are keyed as the exploded graph keys them: 'run:<id>',
-- 'version:<id>'. So each step of a walk, its neighbour and the neighbour's label, is one
-- index seek. The walks_* triggers below keep both equal to produced and consumed, with the
-- labels of run_labels and version_refs (a run's label follows its name and job_type; a
-- version's label never changes, as nothing renames artifacts or renumbers versions).
CREATE TABLE IF NOT EXISTS upstream (
    node       TEXT NOT NULL,
    next       TEXT NOT NULL,
    next_label TEXT NOT NULL,
    PRIMARY KEY (node, next)
) WITHOUT ROWID;

-- downstream: upstream's edges the other way round (see upstream).
CREATE TABLE IF NOT EXISTS downstream (
    node       TEXT NOT NULL,
    next       TEXT NOT NULL,
    next_label TEXT NOT NULL,
    PRIMARY KEY (node, next)
) WITHOUT ROWID;

-- A run produced a version: upstream, the version's producer; downstream, the run's output.
CREATE TRIGGER IF NOT EXISTS walks_add_produced AFTER INSERT ON produced BEGIN
    INSERT OR IGNORE INTO upstream (node, next, next_label)
    SELECT 'version:' || NEW.version_id, 'run:' || NEW.run_id, label FROM run_labels WHERE run_id = NEW.run_id;
    INSERT OR IGNORE INTO downstream (node, next, next_label)
    SELECT 'run:' || NEW.run_id, 'version:' || NEW.version_id, label FROM version_refs WHERE version_id = NEW.version_id;
END;

-- A run consumed a version: upstream, the run's input; downstream, the version's consumer.
CREATE TRIGGER IF NOT EXISTS walks_add_consumed AFTER INSERT ON consumed BEGIN
    INSERT OR IGNORE INTO upstream (node, next, next_label)
    SELECT 'run:' || NEW.run_id, 'version:' || NEW.version_id, label FROM version_refs WHERE version_id = NEW.version_id;
    INSERT OR IGNORE INTO downstream (node, next, next_label)
    SELECT 'version:' || NEW.version_id, 'run:' || NEW.run_id, label FROM run_labels WHERE run_id = NEW.run_id;
END;

-- Nothing lineage does removes or changes an edge; a hand-made change is followed all the same.
CREATE TRIGGER IF NOT EXISTS walks_drop_produced AFTER DELETE ON produced BEGIN
    DELETE FROM upstream WHERE node = 'version:' || OLD.version_id AND next = 'run:' || OLD.run_id;
    DELETE FROM downstream WHERE node = 'run:' || OLD.run_id AND next = 'version:' || OLD.version_id;
END;

CREATE TRIGGER IF NOT EXISTS walks_drop_consumed AFTER DELETE ON consumed BEGIN
    DELETE FROM upstream WHERE node = 'run:' || OLD.run_id AND next = 'version:' || OLD.version_id;
    DELETE FROM downstream WHERE node = 'version:' || OLD.version_id AND next = 'run:' || OLD.run_id;
END;

CREATE TRIGGER IF NOT EXISTS walks_move_produced AFTER UPDATE OF run_id, version_id ON produced BEGIN
    DELETE FROM upstream WHERE node = 'version:' || OLD.version_id AND next = 'run:' || OLD.run_id;
    DELETE FROM downstream WHERE node = 'run:' || OLD.run_id AND next = 'version:' || OLD.version_id;
    INSERT OR IGNORE INTO upstream (node, next, next_label)
    SELECT 'version:' || NEW.version_id, 'run:' || NEW.run_id, label FROM run_labels WHERE run_id = NEW.run_id;
    INSERT OR IGNORE INTO downstream (node, next, next_label)
    SELECT 'run:' || NEW.run_id, 'version:' || NEW.version_id, label FROM version_refs WHERE version_id = NEW.version_id;
END;

CREATE TRIGGER IF NOT EXISTS walks_move_consumed AFTER UPDATE OF run_id, version_id ON consumed BEGIN
    DELETE FROM upstream WHERE node = 'run:' || OLD.run_id AND next = 'version:' || OLD.version_id;
    DELETE FROM downstream WHERE node = 'version:' || OLD.version_id AND next = 'run:' || OLD.run_id;
    INSERT OR IGNORE INTO upstream (node, next, next_label)
    SELECT 'run:' || NEW.run_id, 'version:' || NEW.version_id, label FROM version_refs WHERE version_id = NEW.version_id;
    INSERT OR IGNORE INTO downstream (node, next, next_label)
    SELECT 'version:' || NEW.version_id, 'run:' || NEW.run_id, label FROM run_labels WHERE run_id = NEW.run_id;
END;

-- A run renamed, or given another job_type, has a new label wherever it is a neighbour:
-- upstream of the versions it produced, downstream of those it consumed.
CREATE TRIGGER IF NOT EXISTS walks_relabel_run AFTER UPDATE OF name, job_type ON runs BEGIN
    UPDATE upstream SET next_label = coalesce(NEW.job_type, 'run') || ':' || NEW.name
    WHERE next = 'run:' || NEW.id AND node IN (SELECT 'version:' || version_id FROM produced WHERE run_id = NEW.id);
    UPDATE downstream SET next_label = coalesce(NEW.job_type, 'run') || ':' || NEW.name
    WHERE next = 'run:' || NEW.id AND node IN (SELECT 'version:' || version_id FROM consumed WHERE run_id = NEW.id);
END;
