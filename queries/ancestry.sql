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
-- The walks read the upstream table (schema.sql), where each step is one row: a node's key
-- ('run:<id>', 'version:<id>'), a neighbour's key and the neighbour's label. UNION ends
-- them on cycles. With no limit, walk keeps one row per node and expands each node once;
-- with a limit, near keeps one row per node and steps taken. Only one of them starts.
-- Plain SQL that SQLite (3.35+), DuckDB and PostgreSQL share; MATERIALIZED only saves SQLite
-- work per row on large answers.
WITH RECURSIVE
    walk(node, label) AS MATERIALIZED (
        -- The node $ref names, if it names exactly one (refs holds one row per ref and node).
        SELECT min(r.kind || ':' || r.id), min(r.label) FROM refs r WHERE r.ref = $ref AND $depth < 0 HAVING count(*) = 1
        UNION
        -- One step upstream: the runs that produced a version, the versions a run consumed.
        SELECT s.next, s.next_label FROM walk w JOIN upstream s ON s.node = w.node
    ),
    near(node, label, steps) AS (
        SELECT min(r.kind || ':' || r.id), min(r.label), 0 FROM refs r WHERE r.ref = $ref AND $depth >= 0 HAVING count(*) = 1
        UNION
        SELECT s.next, s.next_label, n.steps + 1 FROM near n JOIN upstream s ON s.node = n.node WHERE n.steps < $depth
    )
-- Keys split back into kind and id ('run:' is 4 characters, 'version:' 8; every run key sorts
-- before 'version:'). A node can be near at several step counts, so near pays for a DISTINCT,
-- in a subquery that SQLite does not even set up when there is no limit.
SELECT CASE WHEN node < 'version:' THEN 'run' ELSE 'version' END AS kind,
       substr(node, CASE WHEN node < 'version:' THEN 5 ELSE 9 END) AS id, label
FROM walk
UNION ALL
SELECT * FROM (
    SELECT DISTINCT CASE WHEN node < 'version:' THEN 'run' ELSE 'version' END AS kind,
           substr(node, CASE WHEN node < 'version:' THEN 5 ELSE 9 END) AS id, label
    FROM near
) AS reached WHERE $depth >= 0;
