-- ancestry.sql: everything a version or run came from: the runs that produced it, the versions
-- those runs consumed, and so on upstream.
--
-- Parameters:
--   $ref    a ref as the refs table lists them: [project/]name:vN, [project/]name:<alias>,
--           [project/]name (its latest version), run:<id> or run:<name>. Deleted versions
--           count. A ref that names nothing, or more than one thing, returns no rows.
--   $depth  how many edges to follow; a negative value means no limit.
-- Returns one row per node reached, the start included, in no particular order: kind ('run'
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
-- The walk reads the upstream table (schema.sql), where each step is one row: a node's key
-- ('run:<id>', 'version:<id>'), a neighbour's key and the neighbour's label. With no limit
-- it keeps one row per node (steps stays 0), so UNION ends it on cycles and expands each
-- node once; with a limit it keeps one row per node and steps taken.
-- Plain SQL that SQLite, DuckDB and PostgreSQL share.
WITH RECURSIVE
    walk(node, label, steps) AS (
        -- The node $ref names, if it names exactly one (refs holds one row per ref and node).
        SELECT min(r.kind || ':' || r.id), min(r.label), 0 FROM refs r WHERE r.ref = $ref HAVING count(*) = 1
        UNION
        -- One step upstream: the runs that produced a version, the versions a run consumed.
        SELECT s.next, s.next_label, CASE WHEN $depth < 0 THEN 0 ELSE w.steps + 1 END
        FROM walk w JOIN upstream s ON s.node = w.node
        WHERE $depth < 0 OR w.steps < $depth
    )
-- Keys split back into kind and id ('run:' is 4 characters, 'version:' 8). With no limit each
-- node has one row; with a limit a node can come at several step counts, so only that half
-- pays for a DISTINCT, in a subquery that SQLite does not even set up when its WHERE is false.
SELECT CASE WHEN node LIKE 'run:%' THEN 'run' ELSE 'version' END AS kind,
       CASE WHEN node LIKE 'run:%' THEN substr(node, 5) ELSE substr(node, 9) END AS id, label
FROM walk WHERE $depth < 0
UNION ALL
SELECT * FROM (
    SELECT DISTINCT CASE WHEN node LIKE 'run:%' THEN 'run' ELSE 'version' END AS kind,
           CASE WHEN node LIKE 'run:%' THEN substr(node, 5) ELSE substr(node, 9) END AS id, label
    FROM walk
) AS reached WHERE $depth >= 0;
