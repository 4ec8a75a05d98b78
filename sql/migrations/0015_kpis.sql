-- 0015_kpis.sql -- issue 15, KPIs: targets may also be set for checklist and SOP compliance (bot/services/kpis.py
-- TARGETABLE), and the kpi-snapshot job reads the team's weekly snapshots by week.
--
-- No percent signs in this file (it may be sent through a DB-API driver).

-- `/steward kpi set checklist_compliance 0.95`: the two compliance ratios join the six KPIs of 0001. Interventions and
-- recognition are credits, counted in reports and never given a target.
ALTER TABLE kpi_targets DROP CONSTRAINT kpi_targets_metric_check;
ALTER TABLE kpi_targets ADD CONSTRAINT kpi_targets_metric_check CHECK (metric IN (
    'submission_rate', 'on_time_rate', 'carry_forward_rate', 'blocker_resolution_hours', 'weighted_throughput',
    'team_mood', 'checklist_compliance', 'sop_compliance'));
-- A rate's target is a ratio (0..1), never negative; hours and points are never negative either.
ALTER TABLE kpi_targets ADD CONSTRAINT kpi_targets_target_check CHECK (target >= 0);

-- Reports and the snapshot job read an organization's snapshots by period kind and week (team rows: user_id NULL).
CREATE INDEX kpi_snapshots_org_period_idx ON kpi_snapshots (organization_id, period, period_start);
