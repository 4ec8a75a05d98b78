-- 0005_date_order.sql -- how a person writes dates (issue 10: times and dates the way people write them).
--
-- No percent signs in this file (it may be sent through a DB-API driver).

-- The person's Slack locale ("en-US", "en-GB", "de-DE" ...), from users.list / users.info with
-- include_locale; refreshed by every workspace sync; NULL when Slack did not say. Day-first locales
-- read "3/4" as 3 April, month-first ones (en-US) as 4 March.
ALTER TABLE users ADD COLUMN locale text CHECK (locale IS NULL OR length(locale) BETWEEN 2 AND 35);

-- The person's own choice, which wins over the locale (`/steward dates day-first|month-first|auto`):
-- 'DMY' day-first, 'MDY' month-first, NULL = from the locale.
ALTER TABLE users ADD COLUMN date_order text CHECK (date_order IN ('DMY', 'MDY'));
