-- ancestry.sql: everything a version or run came from: the runs that produced it, the versions
-- those runs consumed, and so on upstream.
--
-- Parameters:
--   $ref    a ref as the refs table lists them: [project/]name:vN, [project/]name:<alias>,
--           [project/]name (its latest version), run:<id> or run:<name>. Deleted versions
--           count. A ref that names nothing, or more than one thing, returns no rows.
--   $depth  how many edges to follow; a negative value means no limit.
-- Returns one row per node reached, the start included, ordered by kind and id: kind ('run'
-- or 'version'), id (the run id, or the version id as text) and label as in the exploded
-- graph ('train:sunny-smoke-4', 'model:trained-model:v0'). Depths (edges on a shortest
-- path from the start) are not computed here: store.ancestry adds them from the edges.
--
-- Example, in the sqlite3 shell:
--   .parameter set $ref 'trained-model:latest'
--   .parameter set $depth -1
--   .read queries/ancestry.sql
--
-- In psql, on a PostgreSQL store (sed writes each $name as psql's :'name'):
--   sed "s/\$\([a-z_]*\)/:'\1'/g" queries/ancestry.sql | psql "$LINEAGE_DIR" -v ref=trained-model:latest -v depth=-1
--
-- With no limit the walk keeps one row per node (steps stays 0), so UNION ends it on cycles
-- and expands each node once; with a limit it keeps one row per node and steps taken.
-- Plain SQL that SQLite, DuckDB and PostgreSQL share (the anchor's casts set the types).
WITH RECURSIVE
    start(kind, id) AS (
        SELECT min(kind), min(id) FROM refs WHERE ref = $ref GROUP BY ref HAVING count(*) = 1
    ),
    walk(run_id, version_id, steps) AS (
        SELECT CASE WHEN kind = 'run' THEN id END, CASE WHEN kind = 'version' THEN CAST(id AS BIGINT) END, 0
        FROM start
        UNION
        -- One step upstream: the runs that produced a version, the versions a run consumed.
        SELECT to_run.run_id, to_version.version_id, CASE WHEN $depth < 0 THEN 0 ELSE w.steps + 1 END
        FROM walk w
        LEFT JOIN produced to_run ON to_run.version_id = w.version_id
        LEFT JOIN consumed to_version ON to_version.run_id = w.run_id
        WHERE (to_run.run_id IS NOT NULL OR to_version.version_id IS NOT NULL)
          AND ($depth < 0 OR w.steps < $depth)
    ),
    found(run_id, version_id) AS (SELECT DISTINCT run_id, version_id FROM walk)
SELECT 'run' AS kind, r.id AS id, coalesce(r.job_type, 'run') || ':' || r.name AS label
FROM found f JOIN runs r ON r.id = f.run_id
UNION ALL
SELECT 'version', CAST(v.id AS TEXT), a.type || ':' || a.name || ':v' || v.number
FROM found f JOIN versions v ON v.id = f.version_id JOIN artifacts a ON a.id = v.artifact_id
ORDER BY kind, id;
