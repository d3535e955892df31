-- type_graph.sql: the store as W&B's graph view: one node per job type and per artifact type,
-- and an edge wherever runs of a job type produced or consumed versions of an artifact type.
--
-- Parameters: none.
-- Returns one row per node, then one per edge:
--   kind      'job_type' or 'artifact_type' for a node; 'produced' (job -> type) or
--             'consumed' (type -> job) for an edge
--   source    the node key ('job:<job type>', 'type:<artifact type>'); for an edge, its start
--   target    NULL for a node; for an edge, the key of its end
--   label     the bare type ('load-data', 'dataset'); NULL for an edge
--   count     runs of the job type, versions of the artifact type, or edges between the two
-- A run without a job type counts as job type 'run'.
--
-- Example, in the sqlite3 shell:
--   .mode box
--   .read queries/type_graph.sql
--
-- In psql, on a PostgreSQL store:
--   psql "$LINEAGE_DIR" -f queries/type_graph.sql
SELECT kind, source, target, label, count FROM (
    SELECT 1 AS part, 'job_type' AS kind, 'job:' || coalesce(job_type, 'run') AS source, NULL AS target,
           coalesce(job_type, 'run') AS label, count(*) AS count
    FROM runs GROUP BY coalesce(job_type, 'run')
    UNION ALL
    SELECT 2, 'artifact_type', 'type:' || a.type, NULL, a.type, count(v.id)
    FROM artifacts a JOIN versions v ON v.artifact_id = a.id GROUP BY a.type
    UNION ALL
    SELECT 3, 'produced', 'job:' || coalesce(r.job_type, 'run'), 'type:' || a.type, NULL, count(*)
    FROM produced p
    JOIN runs r ON r.id = p.run_id
    JOIN versions v ON v.id = p.version_id
    JOIN artifacts a ON a.id = v.artifact_id
    GROUP BY coalesce(r.job_type, 'run'), a.type
    UNION ALL
    SELECT 4, 'consumed', 'type:' || a.type, 'job:' || coalesce(r.job_type, 'run'), NULL, count(*)
    FROM consumed c
    JOIN runs r ON r.id = c.run_id
    JOIN versions v ON v.id = c.version_id
    JOIN artifacts a ON a.id = v.artifact_id
    GROUP BY a.type, coalesce(r.job_type, 'run')
) AS parts
ORDER BY part, source, target;
