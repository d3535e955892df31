-- The triggers of schema.sql (refs_*, walks_*) in PL/pgSQL: the same rows, kept in step the same way.
-- Each part is one trigger's function and its trigger, named as in schema.sql (the
-- schema derived from schema.sql takes them from here by that name;
-- tests/test_postgres.py checks every trigger of schema.sql has its twin here).

-- trigger: refs_add_run
CREATE OR REPLACE FUNCTION refs_add_run() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO refs (ref, kind, id, label)
    VALUES ('run:' || NEW.id, 'run', NEW.id, coalesce(NEW.job_type, 'run') || ':' || NEW.name),
           ('run:' || NEW.name, 'run', NEW.id, coalesce(NEW.job_type, 'run') || ':' || NEW.name)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER refs_add_run AFTER INSERT ON runs FOR EACH ROW EXECUTE FUNCTION refs_add_run();

-- trigger: refs_rename_run
CREATE OR REPLACE FUNCTION refs_rename_run() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM refs WHERE ref = 'run:' || OLD.name AND kind = 'run' AND id = OLD.id AND OLD.name <> OLD.id;
    INSERT INTO refs (ref, kind, id, label)
    VALUES ('run:' || NEW.name, 'run', NEW.id, coalesce(NEW.job_type, 'run') || ':' || NEW.name)
    ON CONFLICT DO NOTHING;
    UPDATE refs SET label = coalesce(NEW.job_type, 'run') || ':' || NEW.name
    WHERE ref IN ('run:' || NEW.id, 'run:' || NEW.name) AND kind = 'run' AND id = NEW.id;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER refs_rename_run AFTER UPDATE OF name, job_type ON runs
    FOR EACH ROW EXECUTE FUNCTION refs_rename_run();

-- trigger: refs_add_version
CREATE OR REPLACE FUNCTION refs_add_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO refs (ref, kind, id, label)
    SELECT p.prefix || ':v' || NEW.number, 'version', CAST(NEW.id AS TEXT), v.label
    FROM artifact_prefixes p JOIN version_refs v ON v.version_id = NEW.id WHERE p.artifact_id = NEW.artifact_id
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER refs_add_version AFTER INSERT ON versions
    FOR EACH ROW EXECUTE FUNCTION refs_add_version();

-- trigger: refs_add_alias
CREATE OR REPLACE FUNCTION refs_add_alias() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO refs (ref, kind, id, label)
    SELECT prefix || suffix, 'version', CAST(NEW.version_id AS TEXT),
           (SELECT label FROM version_refs WHERE version_id = NEW.version_id)
    FROM artifact_prefixes
    CROSS JOIN (SELECT ':' || NEW.alias AS suffix UNION ALL SELECT '' WHERE NEW.alias = 'latest') AS s
    WHERE artifact_id = NEW.artifact_id
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER refs_add_alias AFTER INSERT ON aliases FOR EACH ROW EXECUTE FUNCTION refs_add_alias();

-- trigger: refs_drop_alias
CREATE OR REPLACE FUNCTION refs_drop_alias() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM refs
    WHERE kind = 'version' AND id = CAST(OLD.version_id AS TEXT) AND ref IN (
        SELECT prefix || suffix FROM artifact_prefixes
        CROSS JOIN (SELECT ':' || OLD.alias AS suffix UNION ALL SELECT '' WHERE OLD.alias = 'latest') AS s
        WHERE artifact_id = OLD.artifact_id);
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER refs_drop_alias AFTER DELETE ON aliases FOR EACH ROW EXECUTE FUNCTION refs_drop_alias();

-- trigger: refs_move_alias
CREATE OR REPLACE FUNCTION refs_move_alias() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM refs
    WHERE kind = 'version' AND id = CAST(OLD.version_id AS TEXT) AND ref IN (
        SELECT prefix || suffix FROM artifact_prefixes
        CROSS JOIN (SELECT ':' || OLD.alias AS suffix UNION ALL SELECT '' WHERE OLD.alias = 'latest') AS s
        WHERE artifact_id = OLD.artifact_id);
    INSERT INTO refs (ref, kind, id, label)
    SELECT prefix || suffix, 'version', CAST(NEW.version_id AS TEXT),
           (SELECT label FROM version_refs WHERE version_id = NEW.version_id)
    FROM artifact_prefixes
    CROSS JOIN (SELECT ':' || NEW.alias AS suffix UNION ALL SELECT '' WHERE NEW.alias = 'latest') AS s
    WHERE artifact_id = NEW.artifact_id
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER refs_move_alias AFTER UPDATE ON aliases FOR EACH ROW EXECUTE FUNCTION refs_move_alias();

-- trigger: walks_add_produced
CREATE OR REPLACE FUNCTION walks_add_produced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO upstream (node, next, next_label)
    SELECT 'version:' || NEW.version_id, 'run:' || NEW.run_id, label FROM run_labels WHERE run_id = NEW.run_id
    ON CONFLICT DO NOTHING;
    INSERT INTO downstream (node, next, next_label)
    SELECT 'run:' || NEW.run_id, 'version:' || NEW.version_id, label FROM version_refs WHERE version_id = NEW.version_id
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER walks_add_produced AFTER INSERT ON produced
    FOR EACH ROW EXECUTE FUNCTION walks_add_produced();

-- trigger: walks_add_consumed
CREATE OR REPLACE FUNCTION walks_add_consumed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO upstream (node, next, next_label)
    SELECT 'run:' || NEW.run_id, 'version:' || NEW.version_id, label FROM version_refs WHERE version_id = NEW.version_id
    ON CONFLICT DO NOTHING;
    INSERT INTO downstream (node, next, next_label)
    SELECT 'version:' || NEW.version_id, 'run:' || NEW.run_id, label FROM run_labels WHERE run_id = NEW.run_id
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER walks_add_consumed AFTER INSERT ON consumed
    FOR EACH ROW EXECUTE FUNCTION walks_add_consumed();

-- trigger: walks_drop_produced
CREATE OR REPLACE FUNCTION walks_drop_produced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM upstream WHERE node = 'version:' || OLD.version_id AND next = 'run:' || OLD.run_id;
    DELETE FROM downstream WHERE node = 'run:' || OLD.run_id AND next = 'version:' || OLD.version_id;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER walks_drop_produced AFTER DELETE ON produced
    FOR EACH ROW EXECUTE FUNCTION walks_drop_produced();

-- trigger: walks_drop_consumed
CREATE OR REPLACE FUNCTION walks_drop_consumed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM upstream WHERE node = 'run:' || OLD.run_id AND next = 'version:' || OLD.version_id;
    DELETE FROM downstream WHERE node = 'version:' || OLD.version_id AND next = 'run:' || OLD.run_id;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER walks_drop_consumed AFTER DELETE ON consumed
    FOR EACH ROW EXECUTE FUNCTION walks_drop_consumed();

-- trigger: walks_move_produced
CREATE OR REPLACE FUNCTION walks_move_produced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM upstream WHERE node = 'version:' || OLD.version_id AND next = 'run:' || OLD.run_id;
    DELETE FROM downstream WHERE node = 'run:' || OLD.run_id AND next = 'version:' || OLD.version_id;
    INSERT INTO upstream (node, next, next_label)
    SELECT 'version:' || NEW.version_id, 'run:' || NEW.run_id, label FROM run_labels WHERE run_id = NEW.run_id
    ON CONFLICT DO NOTHING;
    INSERT INTO downstream (node, next, next_label)
    SELECT 'run:' || NEW.run_id, 'version:' || NEW.version_id, label FROM version_refs WHERE version_id = NEW.version_id
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER walks_move_produced AFTER UPDATE OF run_id, version_id ON produced
    FOR EACH ROW EXECUTE FUNCTION walks_move_produced();

-- trigger: walks_move_consumed
CREATE OR REPLACE FUNCTION walks_move_consumed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM upstream WHERE node = 'run:' || OLD.run_id AND next = 'version:' || OLD.version_id;
    DELETE FROM downstream WHERE node = 'version:' || OLD.version_id AND next = 'run:' || OLD.run_id;
    INSERT INTO upstream (node, next, next_label)
    SELECT 'run:' || NEW.run_id, 'version:' || NEW.version_id, label FROM version_refs WHERE version_id = NEW.version_id
    ON CONFLICT DO NOTHING;
    INSERT INTO downstream (node, next, next_label)
    SELECT 'version:' || NEW.version_id, 'run:' || NEW.run_id, label FROM run_labels WHERE run_id = NEW.run_id
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER walks_move_consumed AFTER UPDATE OF run_id, version_id ON consumed
    FOR EACH ROW EXECUTE FUNCTION walks_move_consumed();

-- trigger: walks_relabel_run
CREATE OR REPLACE FUNCTION walks_relabel_run() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE upstream SET next_label = coalesce(NEW.job_type, 'run') || ':' || NEW.name
    WHERE next = 'run:' || NEW.id AND node IN (SELECT 'version:' || version_id FROM produced WHERE run_id = NEW.id);
    UPDATE downstream SET next_label = coalesce(NEW.job_type, 'run') || ':' || NEW.name
    WHERE next = 'run:' || NEW.id AND node IN (SELECT 'version:' || version_id FROM consumed WHERE run_id = NEW.id);
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER walks_relabel_run AFTER UPDATE OF name, job_type ON runs
    FOR EACH ROW EXECUTE FUNCTION walks_relabel_run();

-- trigger: run_counts_add
-- Once per statement, not per row as in SQLite: a COPY or a many-row INSERT adds its runs'
-- count to each project's row in one update. Each update of a row in one transaction leaves a
-- row version the next update walks past, so a count kept per row made a bulk load of n runs
-- cost n^2 (a 1M-version store's COPY of runs did not end in 15 minutes).
CREATE OR REPLACE FUNCTION run_counts_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO run_counts (project, runs) SELECT project, count(*) FROM added GROUP BY project
    ON CONFLICT (project) DO UPDATE SET runs = run_counts.runs + excluded.runs;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER run_counts_add AFTER INSERT ON runs REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION run_counts_add();
