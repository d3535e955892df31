-- run_io.sql: a run's inputs (the versions it consumed) and outputs (the versions it produced).
--
-- Parameters:
--   $run   the run: its id or its name, with or without the 'run:' prefix. A key that
--          names several runs (a name used twice) returns no rows: use the id.
-- Returns one row per edge: direction ('input' or 'output'), version_id, ref
-- ('project/name:vN'), label ('dataset:mnist-raw:v0'), aliases (comma-separated),
-- digest, deleted_at, and at (when the edge was recorded).
--
-- Example, in the sqlite3 shell:
--   .parameter set $run 'run:sunny-smoke-1'
--   .read queries/run_io.sql
--
-- In psql, on a PostgreSQL store (sed writes each $name as psql's :'name'):
--   sed "s/\$\([a-z_]*\)/:'\1'/g" queries/run_io.sql | psql "$LINEAGE_DIR" -v run=run:sunny-smoke-1
WITH
    -- The run's refs are run:<id> and run:<name> (the refs table of schema.sql).
    the_run(id) AS (
        SELECT min(id) FROM refs WHERE kind = 'run' AND ref IN ($run, 'run:' || $run)
        GROUP BY kind HAVING count(DISTINCT id) = 1
    )
SELECT 'input' AS direction, vr.version_id, vr.qualified_ref AS ref, vr.label, vr.aliases, vr.digest,
       vr.deleted_at, c.created_at AS at
FROM the_run CROSS JOIN consumed c CROSS JOIN version_refs vr
WHERE c.run_id = the_run.id AND vr.version_id = c.version_id
UNION ALL
SELECT 'output', vr.version_id, vr.qualified_ref, vr.label, vr.aliases, vr.digest, vr.deleted_at, p.created_at
FROM the_run CROSS JOIN produced p CROSS JOIN version_refs vr
WHERE p.run_id = the_run.id AND vr.version_id = p.version_id
ORDER BY direction, ref;
