-- The refs triggers of schema.sql in PL/pgSQL: the same rows, kept in step the same way.
-- Each part is one trigger's function and its trigger, named as in schema.sql (the
-- schema derived from schema.sql takes them from here by that name;
-- tests/test_postgres.py checks every trigger of schema.sql has its twin here).

-- trigger: refs_add_run
CREATE OR REPLACE FUNCTION refs_add_run() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO refs (ref, kind, id)
    VALUES ('run:' || NEW.id, 'run', NEW.id), ('run:' || NEW.name, 'run', NEW.id)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER refs_add_run AFTER INSERT ON runs FOR EACH ROW EXECUTE FUNCTION refs_add_run();

-- trigger: refs_rename_run
CREATE OR REPLACE FUNCTION refs_rename_run() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM refs WHERE ref = 'run:' || OLD.name AND kind = 'run' AND id = OLD.id AND OLD.name <> OLD.id;
    INSERT INTO refs (ref, kind, id) VALUES ('run:' || NEW.name, 'run', NEW.id) ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER refs_rename_run AFTER UPDATE OF name ON runs
    FOR EACH ROW EXECUTE FUNCTION refs_rename_run();

-- trigger: refs_add_version
CREATE OR REPLACE FUNCTION refs_add_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO refs (ref, kind, id)
    SELECT prefix || ':v' || NEW.number, 'version', CAST(NEW.id AS TEXT)
    FROM artifact_prefixes WHERE artifact_id = NEW.artifact_id
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER refs_add_version AFTER INSERT ON versions
    FOR EACH ROW EXECUTE FUNCTION refs_add_version();

-- trigger: refs_add_alias
CREATE OR REPLACE FUNCTION refs_add_alias() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO refs (ref, kind, id)
    SELECT prefix || suffix, 'version', CAST(NEW.version_id AS TEXT)
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
    INSERT INTO refs (ref, kind, id)
    SELECT prefix || suffix, 'version', CAST(NEW.version_id AS TEXT)
    FROM artifact_prefixes
    CROSS JOIN (SELECT ':' || NEW.alias AS suffix UNION ALL SELECT '' WHERE NEW.alias = 'latest') AS s
    WHERE artifact_id = NEW.artifact_id
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER refs_move_alias AFTER UPDATE ON aliases FOR EACH ROW EXECUTE FUNCTION refs_move_alias();
