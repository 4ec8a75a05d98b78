"""Reports (SPEC F14; issue 15): daily, weekly and monthly, for a person, a manager's team or the organization.

A report is composed from the figures of bot/services/kpis.py (``compute`` for the period, ``trend`` from
``kpi_snapshots`` for the chart), stated by bot/services/report_figures.py, with a narrative
(bot/services/report_narrative.py), a chart (bot/services/report_chart.py), the action items it proposes and
those still open (bot/services/action_items.py), who is out next week, and the people on leave shown as such.

Scheduled reports (:func:`send_scheduled`) are stored in ``reports`` once per organization, kind, period and scope
(a re-run finds the row and sends nothing) and go through the one notification path
(:func:`bot.services.notifications.notify`: quiet hours, leave, exactly once): each manager gets their team's
report (their direct reports); the organization's report goes to the reports channel
(`/steward reports channel #x`), else to each admin by DM. The chart travels with the notification as a file the
dispatcher uploads with the files API into the report's conversation, threaded under it; a chart that cannot be
drawn or uploaded leaves the report without it, logged and recorded (``reports.chart_error``).

On demand (:func:`on_demand`, `/report`): the period containing a date (default the last complete one), for
oneself (anyone), one's reports (managers: anyone below them in the reporting line), anyone or the whole
organization (admins); others are refused and logged.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, Literal

import psycopg
from psycopg.types.json import Jsonb

from bot import slack_markup as markup
from bot.errors import InvalidInput, NotFound
from bot.log import get_logger
from bot.services import absences as absence_sources
from bot.services import action_items, calendar, kpis, recognition_feed, security, standup_settings
from bot.services import report_chart as chart
from bot.services import report_figures as figures_text
from bot.services.action_items import Item
from bot.services.notifications import Target, notify
from bot.services.report_narrative import Narrative, narrate
from bot.services.report_periods import Kind, Period, due_period, last_complete, period_of
from db.queries import Q
from db.repos.users import active_users, user_by_slack_id, users_by_ids
from db.rows import User

log = get_logger(__name__)

Audience = Literal["self", "team", "org"]
NO_DATA = "No updates were asked in {period}, so there is nothing to report."
CSV_COLUMNS = ("person", "slack_id", "days_out") + figures_text.MAIN_KPIS + (
    "team_mood", "checklist_compliance", "sop_compliance", "interventions", "recognition")
NOTIFICATION_KIND = "report"
LEAVE_HORIZON = timedelta(days=62)
"""How far past next week a leave starting in it is read, to show its last day."""


@dataclass(frozen=True)
class Report:
    """A composed report: what the blocks, the chart, the CSV and the stored row are made of."""

    organization_id: int
    period: Period
    audience: Audience
    subject: User | None  # the person (self), the manager (team); None for the organization
    people: list[User]
    figures: Any  # kpis.Figures
    narrative: Narrative
    facts: list[str]
    chart_png: bytes | None
    chart_error: str | None
    proposals: list[action_items.Proposal]
    out_next_week: list[str]
    on_leave: list[str]
    items: list[Item] = field(default_factory=list)
    id: int | None = None
    recognition: list[str] = field(default_factory=list)  # the feed's lines (bot/services/recognition_feed.py)

    @property
    def title(self) -> str:
        kind = self.period.kind.capitalize()
        whose = {"self": f"{self.subject.display_name if self.subject else ''}", "team": "your team",
                 "org": "the organization"}[self.audience]
        return f"{kind} report: {whose}, {self.period.label()}"

    def metrics(self) -> dict[str, Any]:
        """The figures as JSON (``reports.metrics``)."""
        return {"team": {k: figures_text.as_dict(f) for k, f in self.figures.team.items()},
                "people": {str(u): {k: figures_text.as_dict(f) for k, f in fs.items()}
                           for u, fs in self.figures.people.items()}}


def _ranges(days: Sequence[date], rhythm: calendar.Rhythm) -> list[tuple[date, date]]:
    """``days`` as runs (first, last): a run goes on across days that are no workdays (a weekend, a holiday)."""
    out: list[tuple[date, date]] = []
    for d in sorted(set(days)):
        gap = [out[-1][1] + timedelta(days=i) for i in range(1, (d - out[-1][1]).days)] if out else None
        if gap is not None and not any(calendar.is_workday(g, rhythm) for g in gap):
            out[-1] = (out[-1][0], d)
        else:
            out.append((d, d))
    return out


def _span(first: date, last: date) -> str:
    """"Mon 21 Dec", "Mon 21 – Wed 23 Dec", "Mon 30 Nov – Wed 2 Dec" (a leave's workdays, first to last)."""
    end = f"{last:%a} {last.day} {last:%b}"
    if first == last:
        return end
    start = f"{first:%a} {first.day}" + ("" if (first.year, first.month) == (last.year, last.month) else f" {first:%b}")
    return f"{start} – {end}"


async def threads_asked(conn: psycopg.AsyncConnection, org_id: int, period: Period) -> int:
    """How many standup threads were posted in ``period`` (0: nobody was asked for an update)."""
    row = await (await conn.execute(Q["report_threads_in"], {
        "organization_id": org_id, "since": period.start, "until": period.end})).fetchone()
    return int(row[0]) if row else 0


async def team_trend(conn: psycopg.AsyncConnection, org_id: int, period: Period, audience: Audience,
                      people: Sequence[User]) -> list[tuple[date, dict[str, float | None]]]:
    """The chart's trend: the organization's snapshots, or a person's, or for a manager's team the mean of its
    people's snapshot values per week (throughput: their sum)."""
    if audience == "org":
        return list(await kpis.trend(conn, org_id, user_id=None, periods=chart.PERIODS, until=period.end))
    if audience == "self" and people:
        return list(await kpis.trend(conn, org_id, user_id=people[0].id, periods=chart.PERIODS, until=period.end))
    return await kpis.mean_trend(conn, org_id, [u.id for u in people], periods=chart.PERIODS, until=period.end)


# The figures a one-person report takes from the person's own rather than the group's: a deploy's SOP record counts
# for them as "did their part" (kpis.sop_records_of), not as the whole deploy's result (tester16b N3).
OWN_PART_KPIS = (kpis.CHECKLIST_COMPLIANCE, kpis.SOP_COMPLIANCE)


def own_part(figures: kpis.Figures, ids: Sequence[int]) -> kpis.Figures:
    """``figures`` as a report about ``ids`` shows them: for one person, their own figures (:data:`OWN_PART_KPIS`) in
    place of the group's, so `/report weekly @Lena` says whether Lena did her part of each deploy; for several people,
    unchanged."""
    if len(ids) != 1 or ids[0] not in figures.people:
        return figures
    mine = figures.people[ids[0]]
    return replace(figures, team={**figures.team, **{k: mine[k] for k in OWN_PART_KPIS if k in mine}})


async def compose(conn: psycopg.AsyncConnection, org_id: int, period: Period, *, audience: Audience,
                  subject: User | None, people: Sequence[User], now: datetime, ai: Any = None,
                  with_chart: bool = True) -> Report:
    """Compose the report of ``period`` about ``people`` (module doc). Raises InvalidInput(:data:`NO_DATA`, naming the
    period) when no
    standup thread was posted in the period. The chart is drawn for weekly and monthly reports (``with_chart``);
    its failure is recorded in ``chart_error``, never raised."""
    if await threads_asked(conn, org_id, period) == 0:
        named = {"daily": period.label(), "weekly": f"the {period.label()} ({_span(period.start, period.end)})"}.get(
            period.kind, f"{period.label()} ({_span(period.start, period.end)})")
        raise InvalidInput(NO_DATA.format(period=named))
    rhythm = await standup_settings.rhythm_of(conn, org_id)
    ids = [u.id for u in people]
    figures = await kpis.compute(conn, org_id, since=period.start, until=period.end, now=now, user_ids=ids)
    figures = own_part(figures, ids)
    names = {u.id: u.display_name for u in people}
    on_leave = [f"{names[uid]} ({len(days)} day{'s' if len(days) != 1 else ''} out)"
                for uid, days in sorted(figures.out.items()) if days and uid in names]
    report_day = calendar.local_date(now, rhythm.timezone)
    next_week = (report_day + timedelta(days=1), report_day + timedelta(days=7))
    out_next: dict[int, list[date]] = {}
    # Leaves that start within the next 7 days are shown whole (to LEAVE_HORIZON): "Mon 21 – Wed 23 Dec".
    for absence in await absence_sources.absences(conn, org_id, ids, next_week[0], next_week[1] + LEAVE_HORIZON):
        day = absence.first
        while day <= absence.last:
            if calendar.is_workday(day, rhythm):
                out_next.setdefault(absence.user_id, []).append(day)
            day += timedelta(days=1)
    out_next_week = [f"{names[uid]}: " + ", ".join(_span(a, b) for a, b in runs)
                     for uid, days in sorted(out_next.items()) if uid in names
                     if (runs := [r for r in _ranges(days, rhythm) if r[0] <= next_week[1]])]
    facts = figures_text.facts(figures.team, people=len(people), on_leave=on_leave, period=period.label())
    narrative = await narrate(ai, facts, report=f"{period.kind}:{period.start}:{audience}",
                              fallback=figures_text.decisions(figures.team))
    png, chart_error = None, None
    if with_chart and period.kind != "daily":
        try:
            trend = await team_trend(conn, org_id, period, audience, people)
            targets = {k: f.target for k, f in figures.team.items()}
            png = chart.render(trend, targets, title=f"{period.kind.capitalize()} KPIs, last {chart.PERIODS} weeks")
        except chart.ChartError as exc:
            chart_error = str(exc)
            log.warning("report_chart_failed", organization_id=org_id, period=str(period.start), error=chart_error)
    blockers = await (await conn.execute(Q["report_blockers_high"], {
        "organization_id": org_id, "user_ids": ids})).fetchall()
    carried = await (await conn.execute(Q["report_tasks_carried"], {
        "organization_id": org_id, "user_ids": ids, "times": action_items.CARRIED_TIMES})).fetchall()
    scope = "org" if audience == "org" else f"{audience}:{subject.id if subject else 0}"
    proposals = action_items.propose(period, figures.team, figures.people, names, blockers=blockers, carried=carried,
                                     scope=scope)
    recognition = [] if period.kind == "daily" else recognition_feed.lines(
        await recognition_feed.feed(conn, org_id, ids, period.start, period.end, rhythm.timezone))
    return Report(org_id, period, audience, subject, list(people), figures, narrative, facts, png, chart_error,
                  proposals, out_next_week, on_leave, recognition=recognition)


async def store(conn: psycopg.AsyncConnection, report: Report, *, owner: User | None, now: datetime) -> Report | None:
    """Store ``report`` once (None when its period and scope already have one) with its action items (owned by
    ``owner``, the reader; none without one), and the owner's open items. Returns the stored report."""
    rhythm = await standup_settings.rhythm_of(conn, report.organization_id)
    row = await (await conn.execute(Q["report_insert"], {
        "organization_id": report.organization_id, "kind": report.period.kind, "period_start": report.period.start,
        "period_end": report.period.end, "user_id": None if report.audience == "org" else report.subject.id
        if report.subject else None, "audience": "self" if report.audience == "org" else report.audience,
        "metrics": Jsonb(report.metrics()), "narrative": report.narrative.text,
        "narrative_source": report.narrative.source, "chart_png": report.chart_png, "chart_error": report.chart_error,
        "now": now})).fetchone()
    if row is None:
        return None
    report_id = int(row[0])
    items: list[Item] = []
    if owner is not None:
        due = action_items.due_date(calendar.local_date(now, rhythm.timezone), rhythm)
        await action_items.record(conn, report.organization_id, report_id, owner.id, report.proposals, due=due, now=now)
        items = await action_items.open_items(conn, report.organization_id, [owner.id])
    return Report(**{**report.__dict__, "id": report_id, "items": items})


def to_csv(report: Report) -> str:
    """The per-person figures of ``report`` as CSV (:data:`CSV_COLUMNS`; rates as fractions, as stored; an empty
    cell for no value), one row per person by display name."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for person in sorted(report.people, key=lambda u: u.display_name.lower()):
        values = report.figures.people.get(person.id, {})
        days_out = len(report.figures.out.get(person.id, []))
        row: list[Any] = [person.display_name, person.slack_id, days_out]
        for kpi in CSV_COLUMNS[3:]:
            figure = values.get(kpi)
            row.append("" if figure is None or figure.value is None else figure.value)
        writer.writerow(row)
    return out.getvalue()


# ---------------------------------------------------------------- who may see what


async def _below(conn: psycopg.AsyncConnection, org_id: int, manager: User, person: User) -> bool:
    row = await (await conn.execute(Q["person_is_below"], {
        "organization_id": org_id, "person": person.id, "actor": manager.id})).fetchone()
    return bool(row and row[0])


async def direct_reports(conn: psycopg.AsyncConnection, org_id: int, manager_id: int) -> list[User]:
    ids = [int(r[0]) for r in await (await conn.execute(Q["report_direct_reports"], {
        "organization_id": org_id, "manager_id": manager_id})).fetchall()]
    return await users_by_ids(conn, org_id, ids)


@dataclass(frozen=True)
class Request:
    """What `/report [daily|weekly|monthly] [@person|team|org] [YYYY-MM-DD] [csv]` asked for: ``team`` is the
    asker's own team (their direct reports; admins too), ``org`` the whole organization (admins)."""

    kind: Kind = "weekly"
    person: str | None = None  # a Slack user id
    team: bool = False
    day: date | None = None
    csv: bool = False
    org: bool = False


def parse_request(text: str, mentioned: Sequence[str]) -> Request:
    """Read `/report`'s words (``mentioned``: the Slack ids of the people mentioned, in order). Raises
    InvalidInput naming the word it could not read."""
    kind: Kind = "weekly"
    person = mentioned[0] if mentioned else None
    team = org = want_csv = False
    day = None
    for word in text.split():
        lower = word.lower()
        if lower in ("daily", "weekly", "monthly"):
            kind = lower  # type: ignore[assignment]
        elif lower == "team":
            team = True
        elif lower in ("org", "organization", "organisation", "all"):
            org = True
        elif lower == "csv":
            want_csv = True
        elif word.startswith("<@") or word.startswith("@"):
            if not mentioned:
                raise InvalidInput(f"I don't know who {word} is; mention them with @ so Slack links the name.")
        else:
            try:
                day = date.fromisoformat(word)
            except ValueError:
                raise InvalidInput(
                    f"I didn't understand “{word[:40]}”. Try `/report weekly`, `/report monthly @ana 2026-03-02`, "
                    "`/report weekly team csv`, `/report weekly org` (a date is YYYY-MM-DD).") from None
    if (person is not None) + team + org > 1:
        raise InvalidInput("Ask for one person, your team or the organization, one at a time.")
    return Request(kind, person, team, day, want_csv, org)


async def on_demand(conn: psycopg.AsyncConnection, org_id: int, asker: User, request: Request, *, now: datetime,
                    ai: Any = None) -> Report:
    """:func:`requested` with the asker's open action items (the same list as `/actions`), so an on-demand report
    never says "Nothing needs a decision" while the asker has items open."""
    report = await requested(conn, org_id, asker, request, now=now, ai=ai)
    return replace(report, items=await action_items.open_items(conn, org_id, [asker.id]))


async def requested(conn: psycopg.AsyncConnection, org_id: int, asker: User, request: Request, *, now: datetime,
                    ai: Any = None) -> Report:
    """The report `/report` asked for, composed (not stored: asking twice is harmless). Members may ask for
    themselves; managers for themselves, anyone below them and their team (`team`: their direct reports); admins
    for anyone, their own team (`team`) and the organization (`org`). Raises InvalidInput (a future date, a period with no data), NotFound (an
    unknown person), PermissionDenied (logged to security_audit_logs)."""
    rhythm = await standup_settings.rhythm_of(conn, org_id)
    today = calendar.local_date(now, rhythm.timezone)
    if request.day is not None and request.day > today:
        raise InvalidInput(f"{request.day.isoformat()} is in the future; a report covers days that have happened.")
    period = period_of(request.kind, request.day) if request.day else last_complete(request.kind, today)
    if request.org:
        if not asker.is_admin:
            raise await security.deny(conn, organization_id=org_id, actor=asker, action="report.org",
                                      message="Sorry, the organization's report is for admins. `/report team` gives "
                                              "your team's, `/report` your own.")
        people = [u for u in await active_users(conn, org_id)]
        return await compose(conn, org_id, period, audience="org", subject=None, people=people, now=now, ai=ai)
    if request.team:
        if asker.is_manager or asker.is_admin:
            people = await direct_reports(conn, org_id, asker.id)
            if not people:
                raise InvalidInput("Nobody reports to you yet, so there is no team report."
                                   + (" `/report org` gives the organization's." if asker.is_admin else ""))
            return await compose(conn, org_id, period, audience="team", subject=asker, people=people, now=now, ai=ai)
        raise await security.deny(conn, organization_id=org_id, actor=asker, action="report.team",
                                  message="Sorry, team reports are for managers and admins. "
                                          "`/report` gives you your own.")
    person = asker
    if request.person is not None and request.person != asker.slack_id:
        found = await user_by_slack_id(conn, org_id, request.person)
        if found is None:
            raise NotFound("I don't know that person in this workspace.")
        if not (asker.is_admin or (asker.is_manager and await _below(conn, org_id, asker, found))):
            raise await security.deny(conn, organization_id=org_id, actor=asker, action="report.person",
                                      message="Sorry, you can see your own report, and managers their reports'. "
                                              "That one isn't yours to see.",
                                      details={"person": found.id})
        person = found
    return await compose(conn, org_id, period, audience="self", subject=person, people=[person], now=now, ai=ai)


# ---------------------------------------------------------------- scheduled reports


async def _recipients(conn: psycopg.AsyncConnection, org_id: int) -> tuple[list[User], str | None]:
    """The organization's admins (active) and its reports channel (None: DMs)."""
    row = await (await conn.execute(Q["report_settings"], {"organization_id": org_id})).fetchone()
    admins = [u for u in await active_users(conn, org_id) if u.is_admin]
    return admins, (row[0] if row else None)


async def _send(conn: psycopg.AsyncConnection, report: Report, *, targets: list[Target], key: str, now: datetime,
                recipient: User | None, hold_until: datetime | None) -> int | None:
    from bot.blocks import reports as render

    text, blocks = render.report(report)
    files = []
    if report.chart_png is not None and report.id is not None:
        files.append({"source": "report_chart", "report_id": report.id,
                      "filename": f"{report.period.kind}-{report.period.start.isoformat()}.png",
                      "title": f"{report.title} (chart)"})
    return await notify(conn, organization_id=report.organization_id, kind=NOTIFICATION_KIND, dedupe_key=key,
                        text=text, blocks=blocks, targets=targets, now=now,
                        user_id=recipient.id if recipient else None, hold_until=hold_until, files=files or None)


async def send_scheduled(conn: psycopg.AsyncConnection, org_id: int, kind: Kind, now: datetime, *,
                         ai: Any = None) -> dict[str, Any]:
    """The scheduled ``kind`` report of organization ``org_id`` at ``now`` (aware), when due (report_periods):
    each manager's team report, then the organization's (module doc). Idempotent. Returns counts (``sent``,
    ``already``, ``no_data``, ``chart_failed``) and the period."""
    row = await (await conn.execute(Q["report_settings"], {"organization_id": org_id})).fetchone()
    rhythm = await standup_settings.rhythm_of(conn, org_id)
    period = due_period(kind, rhythm, now, report_day=int(row[1]) if row else 1, report_time=row[2] if row else None)
    result: dict[str, Any] = {"sent": 0, "already": 0, "no_data": 0, "chart_failed": 0}
    if period is None:
        return result
    result["period"] = period.start.isoformat()
    if await threads_asked(conn, org_id, period) == 0:
        result["no_data"] = 1
        return result
    everyone = await active_users(conn, org_id)
    by_id = {u.id: u for u in everyone}
    today = calendar.local_date(now, rhythm.timezone)
    reach = await ooo_people(conn, org_id, everyone, today)
    managers = [int(r[0]) for r in await (await conn.execute(Q["report_managers"], {"organization_id": org_id})).fetchall()]
    jobs: list[tuple[Audience, User | None, list[User]]] = [
        ("team", by_id[m], await direct_reports(conn, org_id, m)) for m in managers if m in by_id]
    jobs.append(("org", None, everyone))
    admins, channel = await _recipients(conn, org_id)
    # One transaction: every report is stored (with the items it proposes) before any is sent, so a reader with two
    # reports (their team's and the organization's) sees the same open items, the same rows, in both.
    async with conn.transaction():
        stored_reports: list[tuple[Audience, User | None, Report]] = []
        for audience, manager, people in jobs:
            report = await compose(conn, org_id, period, audience=audience, subject=manager, people=people, now=now, ai=ai)
            owner = manager if audience == "team" else (admins[0] if admins else None)
            stored = await store(conn, report, owner=owner, now=now)
            if stored is None:
                result["already"] += 1
                continue
            stored_reports.append((audience, owner, stored))
        for audience, owner, stored in stored_reports:
            if owner is not None:
                stored = replace(stored, items=await action_items.open_items(conn, org_id, [owner.id]))
            result["chart_failed"] += int(stored.chart_error is not None)
            manager = stored.subject if audience == "team" else None
            scope = f"team:{manager.id}" if manager else "org"
            key = f"report:{org_id}:{kind}:{period.start.isoformat()}:{scope}"
            if audience == "team" and manager is not None:
                await _send(conn, stored, targets=[Target.dm(manager.slack_id)], key=key, now=now, recipient=manager,
                            hold_until=calendar.reachable_from(rhythm, reach.get(manager.id) or calendar.Person(
                                timezone=manager.timezone), now))
            elif channel:
                await _send(conn, stored, targets=[Target.channel(channel)], key=key, now=now, recipient=None,
                            hold_until=None)
            else:
                for admin in admins:
                    await _send(conn, stored, targets=[Target.dm(admin.slack_id)], key=f"{key}:to:{admin.id}", now=now,
                                recipient=admin, hold_until=calendar.reachable_from(
                                    rhythm, reach.get(admin.id) or calendar.Person(timezone=admin.timezone), now))
            result["sent"] += 1
    return result


async def ooo_people(conn: psycopg.AsyncConnection, org_id: int, users: Sequence[User],
                     today: date) -> dict[int, calendar.Person]:
    """The people calendar's view of ``users`` (their absences), to hold a report until its reader is back."""
    from bot.services import ooo

    return await ooo.people(conn, org_id, list(users), today)


async def set_reports_channel(conn: psycopg.AsyncConnection, org_id: int, actor: User, channel_id: str | None,
                              *, now: datetime, can_post: Callable[[str], Awaitable[None]] | None = None) -> None:
    """`/steward reports channel #x` (admins; ``None``: back to admins' DMs). ``can_post(channel id)``: the caller's
    check that Steward can post there (raises InvalidInput saying why not; bot/listeners/channel_check.py), run
    after the admin check and before anything is written. A client's channel (``clients.slack_channel_id``) is
    refused (InvalidInput): reports name people and their figures. Raises PermissionDenied (logged)."""
    await security.require_admin(conn, organization_id=org_id, actor=actor, action="reports.channel")
    if channel_id is not None:
        client = await (await conn.execute(Q["client_of_channel"], {"organization_id": org_id,
                                                                     "channel_id": channel_id})).fetchone()
        if client is not None:
            raise InvalidInput(f"<#{channel_id}> is the channel of the client {markup.escape(client[0])}, and reports "
                               "name people and their figures: pick a channel only your team is in.")
    if channel_id is not None and can_post is not None:
        await can_post(channel_id)
    await conn.execute(Q["reports_channel_set"], {"organization_id": org_id, "channel_id": channel_id})
    await security.audit(conn, organization_id=org_id, actor=actor, action="reports.channel",
                         entity_type="org_settings", details={"channel": channel_id}, now=now)


async def reports_channel(conn: psycopg.AsyncConnection, org_id: int) -> str | None:
    row = await (await conn.execute(Q["report_settings"], {"organization_id": org_id})).fetchone()
    return row[0] if row else None


async def chart_of(conn: psycopg.AsyncConnection, org_id: int, report_id: int) -> bytes:
    """A stored report's chart PNG. Raises NotFound when it has none."""
    row = await (await conn.execute(Q["report_chart"], {"organization_id": org_id, "id": report_id})).fetchone()
    if row is None or row[0] is None:
        raise NotFound("That report has no chart.")
    return bytes(row[0])
