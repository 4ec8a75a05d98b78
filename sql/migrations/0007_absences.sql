-- 0007_absences.sql -- absences beyond /ooo (issue 10, part 3): public holidays per country or region,
-- and a Slack status that says its person is away.
--
-- No percent signs in this file (it may be sent through a DB-API driver).

-- Public holidays come from the `holidays` package by ISO 3166-1 country code, with an optional
-- subdivision: 'GB', 'GB-SCT', 'DE-BY', 'US-CA'. The organization's (`/steward standup country GB`)
-- applies to everyone who has not set their own; NULL = no public holidays.
ALTER TABLE org_settings ADD COLUMN holiday_country text
    CHECK (holiday_country IS NULL OR holiday_country ~ '^[A-Z]{2}(-[A-Z0-9]{1,4})?$');

-- A person's own (`/ooo country DE-BY`): NULL = the organization's; 'none' = no public holidays.
ALTER TABLE users ADD COLUMN holiday_country text
    CHECK (holiday_country IS NULL OR holiday_country = 'none' OR holiday_country ~ '^[A-Z]{2}(-[A-Z0-9]{1,4})?$');

-- The person's Slack status as last seen (users.list, users.info, user_change events): its text and
-- emoji, when it expires (status_expiration; NULL = never), and since when Steward has seen it (kept
-- while the text and emoji stay the same). Whether it means "away" is decided when it is read.
ALTER TABLE users ADD COLUMN slack_status_text text CHECK (slack_status_text IS NULL OR length(slack_status_text) <= 500);
ALTER TABLE users ADD COLUMN slack_status_emoji text CHECK (slack_status_emoji IS NULL OR length(slack_status_emoji) <= 200);
ALTER TABLE users ADD COLUMN slack_status_expires_at timestamptz;
ALTER TABLE users ADD COLUMN slack_status_since timestamptz;
