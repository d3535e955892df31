-- exploded_edges.sql: every edge of the exploded lineage graph, one row per edge, in the
-- direction data flows: a producing run -> the version it logged ('produced'), a version ->
-- a run that used it ('consumed').
--
-- Parameters: none.
-- Returns: kind ('produced' or 'consumed'), source and target as graph node keys
-- ('run:<run id>', 'version:<version id>'), source_label and target_label as in the exploded
-- graph ('load-data:sunny-smoke-1', 'dataset:mnist-raw:v1') and created_at.
--
-- Example, in the sqlite3 shell:
--   .read queries/exploded_edges.sql
--
-- In psql, on a PostgreSQL store:
--   psql "$LINEAGE_DIR" -f queries/exploded_edges.sql
SELECT 'produced' AS kind,
       'run:' || r.id AS source,
       'version:' || v.id AS target,
       coalesce(r.job_type, 'run') || ':' || r.name AS source_label,
       a.type || ':' || a.name || ':v' || v.number AS target_label,
       p.created_at AS created_at
FROM produced p
JOIN runs r ON r.id = p.run_id
JOIN versions v ON v.id = p.version_id
JOIN artifacts a ON a.id = v.artifact_id
UNION ALL
SELECT 'consumed',
       'version:' || v.id,
       'run:' || r.id,
       a.type || ':' || a.name || ':v' || v.number,
       coalesce(r.job_type, 'run') || ':' || r.name,
       c.created_at
FROM consumed c
JOIN runs r ON r.id = c.run_id
JOIN versions v ON v.id = c.version_id
JOIN artifacts a ON a.id = v.artifact_id
ORDER BY kind DESC, source, target;
