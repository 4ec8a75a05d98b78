-- 0014_recognition.sql -- issue 14, recognition and invisible labour: the organization's kudos channel, and a
-- confirmation state on interventions (only confirmed ones are credited to the helper).
--
-- No percent signs in this file (it may be sent through a DB-API driver).

-- `/steward kudos channel #x` (admins): kudos are posted there; NULL: each kudos is a DM to the person.
ALTER TABLE org_settings ADD COLUMN kudos_channel_id text;

-- An intervention is logged by one side and confirmed by the other (bot/services/interventions.py): `/helped @priya …`
-- is pending until Priya presses Confirm (or "Not me": declined); "thanks @sam for …" in a standup reply is recorded
-- when its author presses the offer's button, confirmed by them. confirmed_by / confirmed_at: who confirmed, when;
-- declined_at: when the helped person said it wasn't them. dedupe_key: one intervention per source (a /helped
-- command's Slack trigger, a standup reply and its thanked person), so a redelivery records nothing twice.
-- Rows from before this migration were never written by Steward (the table had no writer): they stay pending.
ALTER TABLE interventions ADD COLUMN status text NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'confirmed', 'declined'));
ALTER TABLE interventions ADD COLUMN confirmed_at timestamptz;
ALTER TABLE interventions ADD COLUMN confirmed_by bigint;
ALTER TABLE interventions ADD COLUMN declined_at timestamptz;
ALTER TABLE interventions ADD COLUMN dedupe_key text;
ALTER TABLE interventions ADD CONSTRAINT interventions_organization_id_dedupe_key_key UNIQUE (organization_id, dedupe_key);
ALTER TABLE interventions ADD CONSTRAINT interventions_confirmed_by_fkey FOREIGN KEY (organization_id, confirmed_by)
    REFERENCES users (organization_id, id) ON DELETE SET NULL (confirmed_by);
ALTER TABLE interventions ADD CONSTRAINT interventions_confirmed_check
    CHECK (status <> 'confirmed' OR confirmed_at IS NOT NULL);
ALTER TABLE interventions ADD CONSTRAINT interventions_declined_check
    CHECK (status <> 'declined' OR declined_at IS NOT NULL);
CREATE INDEX interventions_confirmed_by_idx ON interventions (confirmed_by);
-- Reports read the confirmed ones of a period (credited_interventions).
CREATE INDEX interventions_credited_idx ON interventions (organization_id, occurred_at) WHERE status = 'confirmed';

-- The kudos limits (per giver and day, per pair and day) count a giver's kudos of the day.
CREATE INDEX reinforcements_kudos_given_idx ON reinforcements (organization_id, from_user_id, created_at)
    WHERE kind = 'kudos';
