-- 0018_blocker_refs.sql -- a blocker on no task gets its own per-organization number (issue 13, tester finding 15).
--
-- People name a blocker on no task `B-n`. It used to be the row's id, shared with every blocker (task blockers
-- included) in every organization, so the first such blocker a team saw could be `B-2`. blockers.ref_number is
-- now assigned at insert from blocker_counters, one row per organization, as tasks' T-numbers are from
-- task_counters: gapless, consecutive within the organization, and never reused (a deleted blocker's number
-- stays spent). Blockers on a task keep ref_number NULL: they are named by their task (`T-5`).
--
-- Refs already shown stay as they were: the task-less blockers that exist get their id as their number, and each
-- organization's counter starts after the highest of them; a new organization starts at B-1.
--
-- No percent signs in this file (it may be sent through a DB-API driver).
CREATE TABLE blocker_counters (
    organization_id     bigint PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    last_value          bigint NOT NULL DEFAULT 0 CHECK (last_value >= 0),
    created_at          timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE blockers ADD COLUMN ref_number integer CHECK (ref_number > 0);
ALTER TABLE blockers ADD CONSTRAINT blockers_organization_id_ref_number_key UNIQUE (organization_id, ref_number);

UPDATE blockers SET ref_number = id WHERE task_id IS NULL;
INSERT INTO blocker_counters (organization_id, last_value)
SELECT organization_id, max(ref_number) FROM blockers WHERE ref_number IS NOT NULL GROUP BY organization_id;

-- The counter row is locked by the upsert until the inserting transaction ends, so concurrent inserts in one
-- organization queue up and get consecutive numbers, and a rolled-back insert rolls back its increment.
CREATE FUNCTION blockers_assign_ref_number() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.task_id IS NULL AND NEW.ref_number IS NULL THEN
        INSERT INTO blocker_counters AS c (organization_id, last_value)
        VALUES (NEW.organization_id, 1)
        ON CONFLICT (organization_id) DO UPDATE SET last_value = c.last_value + 1
        RETURNING c.last_value INTO NEW.ref_number;
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER blockers_assign_ref_number
    BEFORE INSERT ON blockers
    FOR EACH ROW EXECUTE FUNCTION blockers_assign_ref_number();
