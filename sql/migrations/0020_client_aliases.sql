-- 0020_client_aliases.sql -- clients' aliases, and one deploy SOP record per deploy (issue 16, clients and deploys).
--
-- A client is named in many ways ("Acme", "Acme Corp", "ACME"): `/steward client Acme alias "Acme Corp" ACME` stores
-- each extra name here. An alias is unique per organization whatever its case (two clients can't share one); that
-- it does not clash with another client's name is checked by Steward when it is added (bot/services/clients.py).
-- Aliases are part of their client (deleted with it) and hold no personal data: the erasure of a person only sets
-- created_by to NULL.
--
-- The deploy-reminders job records, at each deploy's time, one sop_records row for the deploy (deploy_schedule_id
-- and recorded_at = the deploy's instant). The unique index makes a repeated run a no-op.
--
-- No percent signs in this file (it may be sent through a DB-API driver).
CREATE TABLE client_aliases (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    client_id           bigint NOT NULL,
    alias               text NOT NULL CHECK (length(btrim(alias)) > 0 AND length(alias) <= 120),
    created_by          bigint,
    created_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT client_aliases_organization_id_id_key UNIQUE (organization_id, id),
    -- An alias is a part of its client.
    CONSTRAINT client_aliases_client_id_fkey FOREIGN KEY (organization_id, client_id)
        REFERENCES clients (organization_id, id) ON DELETE CASCADE,
    CONSTRAINT client_aliases_created_by_fkey FOREIGN KEY (organization_id, created_by)
        REFERENCES users (organization_id, id) ON DELETE SET NULL (created_by)
);
CREATE UNIQUE INDEX client_aliases_organization_id_alias_key ON client_aliases (organization_id, lower(alias));
CREATE INDEX client_aliases_client_id_idx ON client_aliases (client_id);
CREATE INDEX client_aliases_created_by_idx ON client_aliases (created_by);

CREATE UNIQUE INDEX sop_records_deploy_key ON sop_records (organization_id, deploy_schedule_id, recorded_at)
    WHERE deploy_schedule_id IS NOT NULL;
