-- 0009_delivery_leases.sql -- a crash during dispatch neither loses a notification nor sends it twice
-- (issue 11, part 1).
--
-- No percent signs in this file (it may be sent through a DB-API driver).

-- A dispatcher claims a delivery for a lease of seconds (bot/services/notifications.py, LEASE_SECONDS),
-- renewed while it is being sent; a delivery whose lease ran out (its process died) is claimed again.
-- claim_token names the claim, so a dispatcher that lost its claim can neither renew nor complete it.
ALTER TABLE notification_deliveries ADD COLUMN lease_until timestamptz;
ALTER TABLE notification_deliveries ADD COLUMN claim_token uuid;

-- The first instant since which Slack may hold this delivery without Steward knowing its ts: set when a
-- claim ended without an answer from Slack (the process died, the connection broke, Slack answered 5xx).
-- Before posting again, the dispatcher looks for the delivery id in the conversation's messages since
-- then (Slack message metadata); NULL: no earlier post can have reached Slack.
ALTER TABLE notification_deliveries ADD COLUMN unconfirmed_since timestamptz;

-- Deliveries left 'sending' by the previous version (no lease) are reclaimed at once, and looked for first.
UPDATE notification_deliveries
SET lease_until = coalesce(locked_at, updated_at), unconfirmed_since = coalesce(locked_at, updated_at)
WHERE status = 'sending';

ALTER TABLE notification_deliveries ADD CONSTRAINT notification_deliveries_sending_lease_check
    CHECK (status <> 'sending' OR lease_until IS NOT NULL);

-- The dispatcher's look-out for leases that ran out.
CREATE INDEX notification_deliveries_lease_until_idx ON notification_deliveries (lease_until)
    WHERE status = 'sending';
