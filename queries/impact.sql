-- impact.sql: everything that depends on a version or run: the runs that consumed it, the versions those
-- runs produced, and so on downstream.
--
-- Parameters:
--   $ref    an artifact version, [project/]name:alias, [project/]name:vN or a bare name (= latest),
--           or a run, run:<id or name>. A bare artifact name must exist in one project only.
--   $depth  how many edges to follow; a negative value means no limit.
-- Returns one row per node reached, the start included: kind ('run' or 'version'), id (the run
-- id, or the version id as text), label as in the exploded graph ('train:sunny-smoke-4',
-- 'model:trained-model:v0') and depth (edges from the start on a shortest path).
-- A ref that names nothing returns no rows.
--
-- Example, in the sqlite3 shell:
--   .parameter set $ref 'mnist-raw:v0'
--   .parameter set $depth -1
--   .read queries/impact.sql
--
-- How it stays fast (SQLite 3.40): the walk is a recursive CTE over the edge tables' indexes,
-- whose UNION removes rows already seen, so cycles end and each node is expanded once. Its
-- depth has to ride in the row, and a plain counter would make (node, 1) and (node, 3) two
-- rows, walking every path instead of every node. So the depth is written as 18 letters whose
-- case is its binary form ('A' = 0, 'a' = 1) in a NOCASE column: rows of one node compare
-- equal whatever their depth, and SQLite keeps the first one, which breadth-first order
-- (SQLite's queue is first-in first-out) makes the shortest. Engines that ignore the collation
-- here (DuckDB) walk (node, depth) pairs instead, bounded by the longest possible shortest
-- path, and the final min() gives the same answer. The CROSS JOIN / LEFT JOIN order keeps the
-- walk as the outer loop, so each step is an index lookup even after ANALYZE.
-- Depths are capped at 262,143 edges (18 bits), far past any real pipeline.
WITH RECURSIVE
    arg(text, depth) AS (SELECT CAST($ref AS TEXT), CAST($depth AS INTEGER)),
    split(run_key, head, selector) AS (
        SELECT CASE WHEN substr(text, 1, 4) = 'run:' THEN substr(text, 5) END,
               CASE WHEN instr(text, ':') = 0 THEN text ELSE substr(text, 1, instr(text, ':') - 1) END,
               CASE WHEN instr(text, ':') = 0 THEN 'latest' ELSE substr(text, instr(text, ':') + 1) END
        FROM arg
    ),
    -- head is [entity/][project/]name: rtrim(head, <every character but '/'>) keeps the
    -- part up to the last '/'.
    parts(run_key, prefix, name, selector) AS (
        SELECT run_key, rtrim(head, replace(head, '/', '')),
               substr(head, length(rtrim(head, replace(head, '/', ''))) + 1), selector
        FROM split
    ),
    parsed(run_key, project, name, selector, number) AS (
        SELECT run_key,
               CASE WHEN prefix <> '' THEN substr(prefix, length(rtrim(substr(prefix, 1, length(prefix) - 1),
                   replace(substr(prefix, 1, length(prefix) - 1), '/', ''))) + 1, length(prefix) - 1 -
                   length(rtrim(substr(prefix, 1, length(prefix) - 1), replace(substr(prefix, 1, length(prefix) - 1), '/', ''))))
               END,
               name, selector,
               CASE WHEN substr(selector, 1, 1) = 'v' AND length(selector) > 1
                         AND ltrim(substr(selector, 2), '0123456789') = ''
                         AND (selector = 'v0' OR substr(selector, 2, 1) <> '0')
                    THEN CAST(substr(selector, 2) AS INTEGER) END
        FROM parts
    ),
    artifact(id) AS (
        SELECT a.id FROM parsed CROSS JOIN artifacts a
        WHERE parsed.run_key IS NULL AND a.name = parsed.name
          AND (a.project = parsed.project
               OR (parsed.project IS NULL AND (SELECT count(*) FROM artifacts b WHERE b.name = parsed.name) = 1))
    ),
    start(rid, vid) AS (
        SELECT NULL, v.id FROM parsed CROSS JOIN artifact CROSS JOIN versions v
        WHERE parsed.number IS NOT NULL AND v.artifact_id = artifact.id AND v.number = parsed.number
        UNION ALL
        SELECT NULL, al.version_id FROM parsed CROSS JOIN artifact CROSS JOIN aliases al
        WHERE parsed.number IS NULL AND al.artifact_id = artifact.id AND al.alias = parsed.selector
        UNION ALL
        SELECT r.id, NULL FROM parsed CROSS JOIN runs r WHERE parsed.run_key IS NOT NULL AND r.id = parsed.run_key
        UNION ALL
        -- A run name must be unique (runs_by_name makes this a lookup).
        SELECT r.id, NULL FROM parsed CROSS JOIN runs r
        WHERE parsed.run_key IS NOT NULL AND NOT EXISTS (SELECT 1 FROM runs i WHERE i.id = parsed.run_key)
          AND r.name = parsed.run_key AND NOT EXISTS (SELECT 1 FROM runs n WHERE n.name = r.name AND n.id <> r.id)
    ),
    -- The deepest step to take, as a code: $depth, or (no limit) the longest possible shortest
    -- path, which alternates runs and versions: 2 * versions + 1 edges.
    wanted(n) AS (
        SELECT CASE WHEN depth < 0 THEN 2 * coalesce((SELECT max(id) FROM versions), 0) + 1 ELSE depth END FROM arg
    ),
    limits(n) AS (SELECT CASE WHEN n > 262143 THEN 262143 ELSE n END FROM wanted),
    bound(code) AS MATERIALIZED (
        SELECT hex(
              CASE WHEN (n >> 17) & 1 = 1 THEN 'a' ELSE 'A' END
           || CASE WHEN (n >> 16) & 1 = 1 THEN 'a' ELSE 'A' END
           || CASE WHEN (n >> 15) & 1 = 1 THEN 'a' ELSE 'A' END
           || CASE WHEN (n >> 14) & 1 = 1 THEN 'a' ELSE 'A' END
           || CASE WHEN (n >> 13) & 1 = 1 THEN 'a' ELSE 'A' END
           || CASE WHEN (n >> 12) & 1 = 1 THEN 'a' ELSE 'A' END
           || CASE WHEN (n >> 11) & 1 = 1 THEN 'a' ELSE 'A' END
           || CASE WHEN (n >> 10) & 1 = 1 THEN 'a' ELSE 'A' END
           || CASE WHEN (n >> 9) & 1 = 1 THEN 'a' ELSE 'A' END
           || CASE WHEN (n >> 8) & 1 = 1 THEN 'a' ELSE 'A' END
           || CASE WHEN (n >> 7) & 1 = 1 THEN 'a' ELSE 'A' END
           || CASE WHEN (n >> 6) & 1 = 1 THEN 'a' ELSE 'A' END
           || CASE WHEN (n >> 5) & 1 = 1 THEN 'a' ELSE 'A' END
           || CASE WHEN (n >> 4) & 1 = 1 THEN 'a' ELSE 'A' END
           || CASE WHEN (n >> 3) & 1 = 1 THEN 'a' ELSE 'A' END
           || CASE WHEN (n >> 2) & 1 = 1 THEN 'a' ELSE 'A' END
           || CASE WHEN (n >> 1) & 1 = 1 THEN 'a' ELSE 'A' END
           || CASE WHEN (n >> 0) & 1 = 1 THEN 'a' ELSE 'A' END
        ) FROM limits
    ),
    walk(rid, vid, code) AS (
        SELECT rid, vid, 'AAAAAAAAAAAAAAAAAA' COLLATE NOCASE FROM start
        UNION
        -- code + 1: the trailing 'a's become 'A's and the 'A' before them becomes 'a'.
        SELECT p.run_id, c.version_id,
               substr(rtrim(w.code, 'a'), 1, length(rtrim(w.code, 'a')) - 1) || 'a'
               || substr('AAAAAAAAAAAAAAAAAA', 1, length(w.code) - length(rtrim(w.code, 'a')))
        FROM walk w
        CROSS JOIN bound
        LEFT JOIN consumed p ON p.version_id = w.vid
        LEFT JOIN produced c ON c.run_id = w.rid
        WHERE (p.run_id IS NOT NULL OR c.version_id IS NOT NULL) AND hex(w.code) < bound.code
    ),
    -- Decoding: the code read as a decimal number of 0/1 digits, then its digits as bits.
    digits(rid, vid, x) AS (
        SELECT rid, vid, CAST(replace(replace(code, 'a', '1'), 'A', '0') AS INTEGER) FROM walk
    ),
    found(rid, vid, depth) AS (
        SELECT rid, vid, CAST(min(
                 (x % 10 - x % 1) / 1 * 1
               + (x % 100 - x % 10) / 10 * 2
               + (x % 1000 - x % 100) / 100 * 4
               + (x % 10000 - x % 1000) / 1000 * 8
               + (x % 100000 - x % 10000) / 10000 * 16
               + (x % 1000000 - x % 100000) / 100000 * 32
               + (x % 10000000 - x % 1000000) / 1000000 * 64
               + (x % 100000000 - x % 10000000) / 10000000 * 128
               + (x % 1000000000 - x % 100000000) / 100000000 * 256
               + (x % 10000000000 - x % 1000000000) / 1000000000 * 512
               + (x % 100000000000 - x % 10000000000) / 10000000000 * 1024
               + (x % 1000000000000 - x % 100000000000) / 100000000000 * 2048
               + (x % 10000000000000 - x % 1000000000000) / 1000000000000 * 4096
               + (x % 100000000000000 - x % 10000000000000) / 10000000000000 * 8192
               + (x % 1000000000000000 - x % 100000000000000) / 100000000000000 * 16384
               + (x % 10000000000000000 - x % 1000000000000000) / 1000000000000000 * 32768
               + (x % 100000000000000000 - x % 10000000000000000) / 10000000000000000 * 65536
               + (x % 1000000000000000000 - x % 100000000000000000) / 100000000000000000 * 131072
        ) AS INTEGER) FROM digits GROUP BY rid, vid
    )
SELECT 'run' AS kind, f.rid AS id, coalesce(r.job_type, 'run') || ':' || r.name AS label, f.depth AS depth
FROM found f CROSS JOIN runs r WHERE r.id = f.rid
UNION ALL
SELECT 'version', CAST(f.vid AS TEXT), a.type || ':' || a.name || ':v' || v.number, f.depth
FROM found f CROSS JOIN versions v CROSS JOIN artifacts a WHERE v.id = f.vid AND a.id = v.artifact_id
ORDER BY depth, kind, id;
