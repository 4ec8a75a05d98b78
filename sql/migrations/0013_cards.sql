-- 0013_cards.sql -- issue 14, first half: yellow and red cards with evidence and appeal, their rules per
-- organization, shadow mode, and what the cards job reads (bot/services/cards.py).
--
-- No percent signs in this file (it may be sent through a DB-API driver).

-- A card's life: active -> acknowledged (the person pressed Acknowledge) -> appealed (Appeal, with a reason) ->
-- upheld or revoked (the manager's decision, with a reason); a manager may revoke any active card of their
-- reports; expired once expires_at passed. 'upheld' is new.
ALTER TABLE cards DROP CONSTRAINT cards_status_check;
ALTER TABLE cards ADD CONSTRAINT cards_status_check
    CHECK (status IN ('active', 'acknowledged', 'appealed', 'upheld', 'revoked', 'expired'));
-- The appeal's decision (an upheld card; a revoked one also fills revoked_by / revoked_at / revoke_reason).
ALTER TABLE cards ADD COLUMN decided_by bigint;
ALTER TABLE cards ADD CONSTRAINT cards_decided_by_fkey FOREIGN KEY (organization_id, decided_by)
    REFERENCES users (organization_id, id) ON DELETE SET NULL (decided_by);
CREATE INDEX cards_decided_by_idx ON cards (decided_by);
ALTER TABLE cards ADD COLUMN decided_at timestamptz;
ALTER TABLE cards ADD COLUMN decision_reason text;
-- Issued in shadow mode: computed and shown to admins only (never sent to the person or their manager).
ALTER TABLE cards ADD COLUMN shadow boolean NOT NULL DEFAULT false;
-- When the card's messages were queued (NULL: not yet; the job sends them in the transaction that issues it).
ALTER TABLE cards ADD COLUMN notified_at timestamptz;
-- (organization_id, id) is what other rows and the buttons name.
ALTER TABLE cards ADD CONSTRAINT cards_organization_id_id_key UNIQUE (organization_id, id);
-- The job's questions per organization and person: the cards of the last 30 days (red, listing), those to expire.
CREATE INDEX cards_org_user_created_idx ON cards (organization_id, user_id, created_at);
DROP INDEX cards_expires_at_idx;
CREATE INDEX cards_expires_at_idx ON cards (organization_id, expires_at)
    WHERE status IN ('active', 'acknowledged', 'appealed', 'upheld');

-- org_settings.card_rules (0001) holds the overrides of the defaults in code (bot/services/card_rules.py,
-- DEFAULT_RULES), e.g. {"carry": {"threshold": 4}, "missed": {"on": false}}. cards_mode: 'auto' (shadow for the
-- first SHADOW_WORKDAYS workdays from cards_started_at, then live), or 'shadow' / 'live' as an admin set it.
-- Organizations that exist now start their shadow period now: nobody has seen a card from them yet.
ALTER TABLE org_settings ADD COLUMN cards_mode text NOT NULL DEFAULT 'auto' CHECK (cards_mode IN ('auto', 'shadow', 'live'));
ALTER TABLE org_settings ADD COLUMN cards_started_at timestamptz NOT NULL DEFAULT now();

-- Attendance reads every person's updates over a range (bot/services/attendance.py): per organization and person.
CREATE INDEX thread_submissions_org_user_idx ON thread_submissions (organization_id, user_id);
-- The carry rule reads each person's carried tasks: task_statuses by task.
CREATE INDEX task_statuses_carry_idx ON task_statuses (organization_id, task_id) WHERE status = 'carry_forward';
