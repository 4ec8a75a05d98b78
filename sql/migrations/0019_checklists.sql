-- 0019_checklists.sql -- issue 16 (part A): role checklists, their completions, and SOPs tied to checklists.
--
-- * checklists.client_id: a checklist `for client <name>` goes to that client's assigned members (client_members);
--   it is part of its client (deleted with it; clients are archived, not deleted, so this is rare).
-- * One active checklist per name in an organization (any case): `/steward checklist add` refuses a duplicate, and
--   `/steward sop add ... checklist "<name>"` and deploy schedules name checklists.
-- * checklist_completions.due_by: the end of the person's day for for_date (the midnight that ends it, in their own
--   timezone), fixed when it is sent; missed_at: when the `checklists` job found it not finished by due_by (recorded
--   incomplete; a late tick still records the items but never makes it on time); context: what the sender said it
--   was for (e.g. {"deploy_schedule_id": 3}), for the record.
-- * sops.checklist_id: the checklist an SOP is followed with (`/steward sop add "<name>" checklist "<name>"`); the
--   SOP keeps a copy of the items as its steps (the version it was written as) when the checklist goes.
--
-- Retention and erasure: completions keep user_id SET NULL when a person is erased (0001); nothing here holds
-- personal text beyond items written by admins. No percent signs in this file (it may be sent through a DB-API
-- driver).
ALTER TABLE checklists ADD COLUMN client_id bigint;
ALTER TABLE checklists ADD CONSTRAINT checklists_client_id_fkey FOREIGN KEY (organization_id, client_id)
    REFERENCES clients (organization_id, id) ON DELETE CASCADE;
CREATE INDEX checklists_client_id_idx ON checklists (client_id);
CREATE UNIQUE INDEX checklists_organization_id_name_key ON checklists (organization_id, lower(name)) WHERE active;

ALTER TABLE checklist_completions ADD COLUMN due_by timestamptz;
ALTER TABLE checklist_completions ADD COLUMN missed_at timestamptz;
ALTER TABLE checklist_completions ADD COLUMN context jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(context) = 'object');
CREATE INDEX checklist_completions_open_idx ON checklist_completions (organization_id, due_by)
    WHERE completed_at IS NULL AND missed_at IS NULL;

ALTER TABLE sops ADD COLUMN checklist_id bigint;
ALTER TABLE sops ADD CONSTRAINT sops_checklist_id_fkey FOREIGN KEY (organization_id, checklist_id)
    REFERENCES checklists (organization_id, id) ON DELETE SET NULL (checklist_id);
CREATE INDEX sops_checklist_id_idx ON sops (checklist_id);
