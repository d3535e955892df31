-- run_io.sql: a run's inputs (the versions it consumed) and outputs (the versions it produced).
--
-- Parameters:
--   $run   the run: its id or its name, with or without the 'run:' prefix. A name must
--          belong to one run only (use the id otherwise).
-- Returns one row per edge: direction ('input' or 'output'), version_id, ref
-- ('project/name:vN'), label ('dataset:mnist-raw:v0'), aliases (comma-separated),
-- digest, deleted_at, and at (when the edge was recorded).
--
-- Example, in the sqlite3 shell:
--   .parameter set $run 'run:sunny-smoke-1'
--   .read queries/run_io.sql
WITH
    arg(key) AS (
        SELECT CASE WHEN substr(CAST($run AS TEXT), 1, 4) = 'run:' THEN substr(CAST($run AS TEXT), 5)
                    ELSE CAST($run AS TEXT) END
    ),
    the_run(id) AS (
        SELECT r.id FROM arg CROSS JOIN runs r WHERE r.id = arg.key
        UNION ALL
        SELECT r.id FROM arg CROSS JOIN runs r
        WHERE NOT EXISTS (SELECT 1 FROM runs i WHERE i.id = arg.key)
          AND r.name = arg.key AND NOT EXISTS (SELECT 1 FROM runs n WHERE n.name = r.name AND n.id <> r.id)
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
