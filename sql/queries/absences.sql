-- Absences from every source (issue 10, part 3): out of office, public holidays by country or region,
-- and a Slack status that says its person is away. See bot/services/absences.py.

-- name: absence_people
-- What decides a person's absences besides /ooo: their zone, the holiday country in force (their own,
-- else the organization's; 'none' = none) and their Slack status as last seen.
SELECT u.id, u.timezone, coalesce(u.holiday_country, s.holiday_country) AS holiday_country,
       u.slack_status_text, u.slack_status_emoji, u.slack_status_expires_at, u.slack_status_since
FROM users u JOIN org_settings s ON s.organization_id = u.organization_id
WHERE u.organization_id = %(organization_id)s AND u.id = ANY(%(user_ids)s)
ORDER BY u.id

-- name: absence_ooo_between
-- Out-of-office records (not cancelled) of these people that touch [first, last].
SELECT id, user_id, start_date, end_date, reason, source
FROM ooo_records
WHERE organization_id = %(organization_id)s AND user_id = ANY(%(user_ids)s) AND cancelled_at IS NULL
  AND start_date <= %(last)s AND end_date >= %(first)s
ORDER BY user_id, start_date, id

-- name: holiday_countries
-- The organization's holiday country and this person's own choice (NULL: the organization's).
SELECT s.holiday_country, u.holiday_country
FROM org_settings s JOIN users u ON u.organization_id = s.organization_id
WHERE s.organization_id = %(organization_id)s AND u.id = %(user_id)s

-- name: org_set_holiday_country
UPDATE org_settings SET holiday_country = %(holiday_country)s WHERE organization_id = %(organization_id)s

-- name: user_set_holiday_country
UPDATE users SET holiday_country = %(holiday_country)s
WHERE organization_id = %(organization_id)s AND id = %(user_id)s
