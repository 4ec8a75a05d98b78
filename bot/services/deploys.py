"""Deploy schedules, their reminders and their SOP records (SPEC F12, F13; issue 16).

Commands (bot/listeners/clients.py): `/steward deploy <client> every <weekday> <HH:MM> [<zone>] [checklist <name>]`,
`/steward deploy <client> <YYYY-MM-DD> <HH:MM> [<zone>] [checklist <name>]`, `/steward deploy <client> remove` (every
schedule of the client), `/steward deploys` (the upcoming deploys). The time is a wall time in the organization's time
zone (org_settings.timezone) unless an IANA zone follows it (`15:00 Europe/London`); the schedule keeps that zone
(client_deploy_schedules.timezone), so a deploy stays at 15:00 there across DST. ``recurrence`` (jsonb) is
``{"freq": "weekly", "byweekday": [3], "time": "15:00"}`` (0 = Monday, as dateutil's rrule numbers weekdays) or
``{"freq": "once", "date": "2026-03-12", "time": "15:00"}``. Admins, and managers assigned to the client, manage them.

The job ``deploy-reminders`` (:func:`run_for_org`, every minute) for each upcoming deploy at instant D:

* Reminders: 24 hours and 1 hour before D (:data:`REMINDERS`), each of the client's assigned members gets a DM with
  the deploy's checklist as checkboxes (bot/services/checklists.py ``send_checklist``, for_date = D's date in the
  schedule's zone). Working hours permitting: a reminder whose instant falls outside the member's working hours (the
  people calendar: their clock, workdays, holidays, leave) goes at the last working moment before it (the end of their
  last working day before it), and never in their quiet hours or a Slack status "away" (those are on their OWN clock even
  when the team's clock sets the working day: the reminder goes just before they begin). A reminder that could only
  reach them after the deploy is not sent. Its words give the deploy's date and time (and the member's own wall time),
  with "today" or "tomorrow" when that is true on their clock when it reaches them, never "in N hours" nor "24 hours
  ahead" (a reminder moved or held is not that far ahead: tester16b N5). When several reminders are due at one run,
  only the latest is sent (a deploy added 30 minutes ahead gets one reminder, not two); one moved onto or before the
  previous one's instant is not sent twice.
  A member on leave (an absence covering D's date in their own zone) gets nothing and is not counted.
* The SOP record: at D, one ``sop_records`` row (user_id NULL, recorded_at = D) for the deploy's SOP (the SOP tied to
  its checklist by `/steward sop add`, else one the schedule made, trigger 'deploy'): compliant when every expected
  member ticked every item; else ``steps_done`` lists per member the items done and missing and ``notes`` says which
  items are missing and by whom. The members' managers (users.manager_id), or when none has one the client's leads
  (client_members.role 'lead'), or else the organization's admins, get one DM about a non-compliant deploy (a dedupe
  key per deploy and person: a re-run sends nothing). Then next_deploy_at moves to the next occurrence (a one-off
  schedule ends).
* A day ahead (with the 24-hour reminder's instant), a deploy on an organization holiday or a non-workday, or with every
  assigned member out, warns the same people once.

Every message has a dedupe key (deploy id, D, what, whom), so repeated runs send each once.

Deploys that would collide are refused when added (:func:`clash`, tester16b N2): one at the same instant as another of
the client's (whatever the recurrences or zones), and one on the same date as another of the client's with the same
checklist. The second is refused rather than keyed apart because a member's checklist is one row per checklist, person
and date (checklist_completions' unique key): two deploys that day would share one set of ticks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from psycopg.types.json import Jsonb

from bot import slack_markup as markup
from bot.errors import InvalidInput, NotFound
from bot.log import get_logger
from bot.services import attendance, calendar, security, sops
from bot.services import clients as client_service
from bot.services.checklist_schedule import parse_time
from bot.services.notifications import Target, notify
from bot.services.standup_settings import rhythm_of
from db.queries import Q
from db.repos.users import users_by_ids
from db.rows import User

log = get_logger(__name__)

# Issue 16: reminders 24 hours and 1 hour before each deploy.
REMINDERS: tuple[timedelta, ...] = (timedelta(hours=24), timedelta(hours=1))
# The holiday / everyone-out warning goes a day ahead (issue 16), with the first reminder.
WARN_AHEAD = timedelta(hours=24)
# How far before a deploy the job looks: a reminder moved to the last working moment before it can be a long weekend
# plus a holiday earlier.
LOOKAHEAD = timedelta(days=7)
# How far back the last working moment before a reminder is looked for (a longer leave: sent at its instant).
WORKING_LOOKBACK_DAYS = 14

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_WORDS = {**{d: i for i, d in enumerate(WEEKDAYS)}, **{d[:3]: i for i, d in enumerate(WEEKDAYS)},
              **{d + "s": i for i, d in enumerate(WEEKDAYS)}, "tues": 1, "weds": 2, "thur": 3, "thurs": 3}
# `/steward deploy Acme tomorrow 15:00`: a date said relative to the schedule's zone's today (tester16 F15).
_RELATIVE_DAYS = {"today": 0, "tomorrow": 1}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
USAGE = ("`/steward deploy <client> every <weekday> <HH:MM> [checklist <name>]` \u00b7 "
         "`/steward deploy <client> <YYYY-MM-DD>|today|tomorrow <HH:MM> [checklist <name>]` \u00b7 "
         "`/steward deploy <client> remove` \u00b7 "
         "`/steward deploys`")


# ---------------------------------------------------------------- the schedule in words

@dataclass(frozen=True)
class Recurrence:
    """A deploy's recurrence: weekly on ``weekday`` (0 = Monday) or once on ``on``, at ``at`` in ``timezone``."""

    at: time
    timezone: str
    weekday: int | None = None
    on: date | None = None

    def to_json(self) -> dict[str, Any]:
        if self.weekday is not None:
            return {"freq": "weekly", "byweekday": [self.weekday], "time": f"{self.at:%H:%M}"}
        assert self.on is not None
        return {"freq": "once", "date": self.on.isoformat(), "time": f"{self.at:%H:%M}"}

    @staticmethod
    def from_json(stored: dict[str, Any], timezone: str) -> Recurrence:
        hour, minute = (int(p) for p in str(stored["time"]).split(":"))
        if stored.get("freq") == "weekly":
            return Recurrence(time(hour, minute), timezone, weekday=int(stored["byweekday"][0]))
        return Recurrence(time(hour, minute), timezone, on=date.fromisoformat(str(stored["date"])))

    def next_after(self, after: datetime) -> datetime | None:
        """The first deploy instant (UTC) strictly after ``after`` (aware); None for a one-off already past."""
        if self.on is not None:
            at = calendar.at_local(self.on, self.at, self.timezone)
            return at if at > after else None
        assert self.weekday is not None
        day = calendar.local_date(after, self.timezone)
        for _ in range(15):
            if day.weekday() == self.weekday:
                at = calendar.at_local(day, self.at, self.timezone)
                if at > after:
                    return at
            day += timedelta(days=1)
        return None  # unreachable: a weekday recurs within 8 days

    def describe(self) -> str:
        when = f"every {WEEKDAYS[self.weekday].title()}" if self.weekday is not None else f"on {self.on:%a %d %b %Y}"
        return f"{when} at {self.at:%H:%M} ({self.timezone})"


@dataclass(frozen=True)
class DeployRequest:
    recurrence: Recurrence
    checklist_name: str | None


class ScheduleError(ValueError):
    """A schedule that does not parse; the message says which part."""


def parse_when(words: str, org_timezone: str, now: datetime | None = None) -> DeployRequest:
    """`every thursday 15:00 [Europe/London] [checklist Pre-deploy]`, `2026-03-12 15:00 [...]`, or `today` /
    `tomorrow` for the date (the date in the schedule's zone at ``now``, aware; without ``now`` they are refused).
    The time as checklists read it (bot/services/checklist_schedule.py ``parse_time``: `15:00`, `3pm`, `3:30 pm`,
    `15.00`, `noon`, after an optional `at`; tester16 F15); a bare hour (`3`) is refused, never guessed. Raises
    ScheduleError naming the part that is wrong (the weekday, the date, the time, the zone, the words left over)."""
    text = " ".join(words.split())
    checklist = None
    found = re.search(r"(?i)\bchecklist\b", text)
    head = text[:found.start()] if found else text
    if found:
        checklist = text[found.end():].strip().strip("\"'\u201c\u201d ")
        if not checklist:
            raise ScheduleError("`checklist` needs the checklist's name after it.")
    parts = head.split()
    if not parts:
        raise ScheduleError("When? Say `every <weekday> <HH:MM>` or `<YYYY-MM-DD> <HH:MM>` after the client's name.")
    weekday, on = None, None
    relative = _RELATIVE_DAYS.get(parts[0].lower()) if now is not None else None
    if len(parts) >= 2 and parts[-1].lower().replace(".", "") in ("am", "pm"):  # `3:30 pm`: one time word
        parts = parts[:-2] + [parts[-2] + parts[-1]]
    if relative is not None:
        rest = parts[1:]
    elif parts[0].lower() == "every":
        if len(parts) < 2:
            raise ScheduleError("`every` needs a weekday after it (e.g. `every thursday 15:00`).")
        word = parts[1].lower().rstrip(",")
        if word not in _DAY_WORDS:
            raise ScheduleError(f"`{markup.escape(parts[1][:30])}` isn't a weekday (monday to sunday).")
        weekday, rest = _DAY_WORDS[word], parts[2:]
    elif _DATE.match(parts[0]):
        try:
            on = date.fromisoformat(parts[0])
        except ValueError:
            raise ScheduleError(f"`{parts[0]}` isn't a date (YYYY-MM-DD).") from None
        rest = parts[1:]
    else:
        raise ScheduleError(f"`{markup.escape(parts[0][:30])}` isn't `every <weekday>`, a date (YYYY-MM-DD), `today` "
                            "or `tomorrow`.")
    if rest and rest[0].lower() == "at":  # `every friday at 4pm`
        rest = rest[1:]
    if not rest:
        raise ScheduleError("What time? Add it as HH:MM (24-hour), e.g. `15:00`.")
    if rest[0].isdigit():  # `at 3`: 03:00 or 15:00? A deploy's time is never guessed.
        raise ScheduleError(f"`{markup.escape(rest[0][:30])}` could be morning or afternoon: write it as HH:MM "
                            "(24-hour), e.g. `15:00`, or like `3pm`.")
    try:
        at = parse_time(rest[0], rest[0])
    except InvalidInput:
        raise ScheduleError(f"`{markup.escape(rest[0][:30])}` isn't a time: write it as HH:MM (24-hour), e.g. `15:00`, "
                            "or like `3pm`.") from None
    zone = org_timezone
    if len(rest) > 1:
        if not calendar.valid_timezone(rest[1]):
            raise ScheduleError(f"`{markup.escape(rest[1][:40])}` isn't a time zone (an IANA name like `Europe/London`), "
                                "or is a word I don't understand here.")
        zone = ZoneInfo(rest[1]).key
    if len(rest) > 2:
        raise ScheduleError(f"I didn't understand `{markup.escape(' '.join(rest[2:])[:60])}`.")
    if relative is not None and now is not None:
        on = calendar.local_date(now, zone) + timedelta(days=relative)
    return DeployRequest(Recurrence(at, zone, weekday=weekday, on=on), checklist)


# ---------------------------------------------------------------- schedules

@dataclass(frozen=True)
class Deploy:
    """An upcoming deploy of an active schedule."""

    schedule_id: int
    client_id: int
    client_name: str
    recurrence: Recurrence
    at: datetime  # next_deploy_at (UTC)
    checklist_id: int | None
    checklist_name: str | None
    sop_id: int | None

    @property
    def for_date(self) -> date:
        """The deploy's date in its schedule's zone (the checklist's for_date)."""
        return calendar.local_date(self.at, self.recurrence.timezone)


async def upcoming(conn: psycopg.AsyncConnection, org_id: int, *, client_id: int | None = None,
                   until: datetime | None = None) -> list[Deploy]:
    """The organization's upcoming deploys (active schedules of active clients), soonest first; only ``client_id``'s
    and only those at or before ``until`` when given."""
    rows = await (await conn.execute(Q["deploy_schedules_upcoming"], {
        "organization_id": org_id, "client_id": client_id, "until": until})).fetchall()
    return [Deploy(int(r[0]), int(r[1]), r[2], Recurrence.from_json(r[3], r[4]), r[5], r[6], r[7], r[8]) for r in rows]


# How far ahead two schedules are compared for deploys that coincide: a year covers every weekday and both DST
# changes of any zone.
CLASH_HORIZON = timedelta(days=366)


def occurrences(recurrence: Recurrence, after: datetime, until: datetime) -> list[datetime]:
    """The deploy instants (UTC) of ``recurrence`` strictly after ``after`` and at or before ``until`` (aware)."""
    found: list[datetime] = []
    at = recurrence.next_after(after)
    while at is not None and at <= until:
        found.append(at)
        at = recurrence.next_after(at)
    return found


@dataclass(frozen=True)
class Clash:
    """A deploy of an existing schedule the new one would collide with: ``same_instant`` (both at ``at``: every
    reminder twice, two SOP records) or else on the same date with the same checklist (``at`` the existing one's)."""

    existing: Deploy
    at: datetime
    same_instant: bool


def clash(recurrence: Recurrence, checklist_id: int | None, existing: Sequence[Deploy], now: datetime,
          horizon: timedelta = CLASH_HORIZON) -> Clash | None:
    """The first collision, within ``horizon`` after ``now`` (aware), between the deploys of ``recurrence`` (a new
    schedule of a client, with checklist ``checklist_id``) and those of ``existing`` (the client's active schedules):
    the same instant, whatever the recurrences and zones say (a one-off on the day of a weekly one, `15:00
    Europe/London` and `10:00` New York: tester16b N2); or, both with the same checklist, the same date (each in its
    schedule's zone, as the checklist's for_date is): a person gets one checklist per checklist and date
    (checklist_completions), so the two deploys would share one set of ticks and one would be judged on the other's.
    None when they never collide."""
    until = now + horizon
    mine = occurrences(recurrence, now, until)
    if not mine:
        return None
    first: Clash | None = None
    for deploy in existing:
        theirs = occurrences(deploy.recurrence, now, until)
        same = sorted(set(mine) & set(theirs))
        if same:
            found = Clash(deploy, same[0], True)
        elif checklist_id is not None and deploy.checklist_id == checklist_id:
            my_days = {calendar.local_date(t, recurrence.timezone) for t in mine}
            shared = [t for t in theirs if calendar.local_date(t, deploy.recurrence.timezone) in my_days]
            if not shared:
                continue
            found = Clash(deploy, shared[0], False)
        else:
            continue
        if first is None or found.at < first.at:
            first = found
    return first


async def _refuse(conn: psycopg.AsyncConnection, org_id: int, actor: User, message: str, **details: object) -> Exception:
    return await client_service.refused(conn, org_id, actor, "deploy", message, **details)


async def _deploy_sop(conn: psycopg.AsyncConnection, org_id: int, actor: User, checklist_id: int, name: str,
                      items: Any, now: datetime) -> int:
    """The SOP a deploy with this checklist is recorded against: the one tied to it (`/steward sop add`; its trigger
    becomes 'deploy', so `/steward sops` says it is checked at each deploy: tester16 F12), else one made now
    ("Deploy: <checklist>", trigger 'deploy', the checklist's items as its steps)."""
    row = await (await conn.execute(Q["deploy_sop_of_checklist"], {"organization_id": org_id, "checklist_id": checklist_id})).fetchone()
    if row is not None:
        await sops.use_for_deploy(conn, org_id, int(row[0]), now)
        return int(row[0])
    made = await (await conn.execute(Q["deploy_sop_insert"], {
        "organization_id": org_id, "slug": f"deploy-checklist-{checklist_id}", "name": f"Deploy: {name}"[:200],
        "steps": Jsonb(items if isinstance(items, list) else []), "checklist_id": checklist_id, "created_by": actor.id,
    })).fetchone()
    assert made is not None
    return int(made[0])


async def add(conn: psycopg.AsyncConnection, org_id: int, actor: User, client_words: str, when_words: str,
              now: datetime) -> Deploy:
    """Add a deploy schedule (see the module notes for the words). Raises NotFound for an unknown client,
    PermissionDenied (logged) for anyone but an admin or a manager assigned to the client, InvalidInput (logged as
    ``deploy.refused``; nothing written) for a schedule that does not parse (naming the part), an unknown checklist,
    a one-off deploy not after ``now``, one the client already has (same recurrence and zone: tester16 F5), one with
    a deploy at the same instant as one of the client's (tester16b N2), or one on the same date as one of the client's
    with the same checklist (they would share its ticks): :func:`clash`."""
    client = await require_client(conn, org_id, client_words, actor=actor, action="deploy")
    await client_service.require_manager_of(conn, org_id, actor, client, "deploy.add", "schedule its deploys")
    rhythm = await rhythm_of(conn, org_id)
    try:
        request = parse_when(when_words, rhythm.timezone, now)
    except ScheduleError as exc:
        raise await _refuse(conn, org_id, actor, f"I couldn't read that schedule: {exc} Nothing was added.\n{USAGE}",
                            words=when_words) from None
    first = request.recurrence.next_after(now)
    if first is None:
        raise await _refuse(conn, org_id, actor, f"The deploy you asked for, {request.recurrence.describe()}, is in the "
                            "past, so there's nothing to remind anyone of. Nothing was added.", words=when_words)
    same = await (await conn.execute(Q["deploy_schedule_same"], {
        "organization_id": org_id, "client_id": client.id, "recurrence": Jsonb(request.recurrence.to_json()),
        "timezone": request.recurrence.timezone})).fetchone()
    if same is not None:
        with_checklist = f" (with checklist *{markup.mrkdwn(same[1])}*)" if same[1] else ""
        raise await _refuse(conn, org_id, actor, f"*{markup.mrkdwn(client.name)}* already deploys "
                            f"{request.recurrence.describe()}{with_checklist}. Nothing was added; to change it, "
                            f"`/steward deploy {client.name} remove` and add it again.", words=when_words)
    checklist_id, checklist_name, sop_id, checklist_items = None, None, None, None
    if request.checklist_name:
        row = await (await conn.execute(Q["checklist_by_name"], {"organization_id": org_id, "name": request.checklist_name})).fetchone()
        if row is None:
            names = [r[0] for r in await (await conn.execute(Q["checklist_names"], {"organization_id": org_id})).fetchall()]
            known = ", ".join(names) if names else "none yet (add one with `/steward checklist add`)"
            raise await _refuse(conn, org_id, actor, f"I don't know a checklist called `{markup.escape(request.checklist_name[:60])}`. "
                                f"Checklists: {known}. Nothing was added.", checklist=request.checklist_name)
        checklist_id, checklist_name, checklist_items = int(row[0]), row[1], row[2]
    collides = clash(request.recurrence, checklist_id, await upcoming(conn, org_id, client_id=client.id), now)
    if collides is not None:
        theirs = collides.existing
        local = collides.at.astimezone(ZoneInfo(theirs.recurrence.timezone))
        weekday = theirs.recurrence.weekday
        again = f", every {WEEKDAYS[weekday].title()}" if weekday is not None else ""
        said = f"{local:%a %d %b %Y} at {local:%H:%M} ({theirs.recurrence.timezone}{again})"
        if collides.same_instant:
            why = (f"*{markup.mrkdwn(client.name)}* already deploys at that moment: {said}. Two deploys at one instant "
                   "would remind everyone twice and record the deploy twice. Nothing was added; to change it, "
                   f"`/steward deploy {client.name} remove` and add it again.")
        else:
            why = (f"*{markup.mrkdwn(client.name)}* already deploys that day with checklist "
                   f"*{markup.mrkdwn(str(checklist_name))}*: {said}. Each member gets one checklist per date, so the "
                   "two deploys would share one set of ticks. Nothing was added; give this deploy another checklist, "
                   "or none.")
        raise await _refuse(conn, org_id, actor, why, words=when_words, clash_with=theirs.schedule_id,
                            at=collides.at.isoformat(), same_instant=collides.same_instant)
    async with conn.transaction():
        if checklist_id is not None:
            sop_id = await _deploy_sop(conn, org_id, actor, checklist_id, str(checklist_name), checklist_items, now)
        made = await (await conn.execute(Q["deploy_schedule_insert"], {
            "organization_id": org_id, "client_id": client.id, "name": "Deploy", "recurrence": Jsonb(request.recurrence.to_json()),
            "timezone": request.recurrence.timezone, "next_deploy_at": first, "checklist_id": checklist_id, "sop_id": sop_id,
        })).fetchone()
        assert made is not None
        await security.audit(conn, organization_id=org_id, actor=actor, action="deploy.added", entity_type="client_deploy_schedule",
                             entity_id=int(made[0]), details={"client": client.name, "recurrence": request.recurrence.to_json(),
                                                              "timezone": request.recurrence.timezone, "checklist": checklist_name},
                             now=now)
    return Deploy(int(made[0]), client.id, client.name, request.recurrence, first, checklist_id, checklist_name, sop_id)


async def remove(conn: psycopg.AsyncConnection, org_id: int, actor: User, client_words: str, now: datetime) -> tuple[str, int]:
    """End every active deploy schedule of the client: (the client's name, how many ended). What the job queued for
    them and has not sent (reminders, warnings, their checklist DMs) is cancelled, and a deploy checklist that never
    reached anyone and holds no tick is withdrawn (tester16 F3). Raises NotFound (unknown client), PermissionDenied
    (logged) as :func:`add`."""
    client = await require_client(conn, org_id, client_words, actor=actor, action="deploy")
    await client_service.require_manager_of(conn, org_id, actor, client, "deploy.remove", "change its deploys")
    async with conn.transaction():
        ended = await (await conn.execute(Q["deploy_schedules_remove"], {"organization_id": org_id, "client_id": client.id})).fetchall()
        if ended:
            ids = [str(r[0]) for r in ended]
            cancelled = await (await conn.execute(Q["deploy_deliveries_cancel"], {
                "organization_id": org_id, "schedule_ids": ids})).fetchall()
            withdrawn = await (await conn.execute(Q["deploy_completions_withdraw"], {
                "organization_id": org_id, "schedule_ids": ids})).fetchall()
            await security.audit(conn, organization_id=org_id, actor=actor, action="deploy.removed", entity_type="client",
                                 entity_id=client.id, details={"schedules": [int(i) for i in ids], "messages_cancelled": len(cancelled),
                                                               "checklists_withdrawn": len(withdrawn)}, now=now)
    return client.name, len(ended)


@dataclass(frozen=True)
class Resumed:
    """What restoring a client did to its deploy schedules: ``moved`` (schedule id, its next deploy in UTC, the
    schedule's IANA zone) for the weekly ones, ``ended`` the ids of one-offs whose deploy passed while archived."""

    moved: list[tuple[int, datetime, str]]
    ended: list[int]


async def resume_after_restore(conn: psycopg.AsyncConnection, org_id: int, actor: User, client_id: int,
                               now: datetime) -> Resumed:
    """A restored client's deploy schedules (tester16 F10): the job skips an archived client's deploys, so a schedule
    archived with its client still holds the deploy it was waiting for. Each whose next deploy is at or before
    ``now`` (aware) moves on to its first deploy after ``now`` (a one-off that passed ends); the deploys missed while
    archived get no SOP record and no reminder, and what was still queued for them (held reminders, their checklist
    DMs) is cancelled. Schedules whose next deploy is still ahead are left as they are. Audit ``deploy.resumed``;
    call inside the restore's transaction (psycopg nests it as a savepoint)."""
    stale = await (await conn.execute(Q["deploy_schedules_stale"], {"organization_id": org_id, "client_id": client_id,
                                                                    "now": now})).fetchall()
    moved: list[tuple[int, datetime, str]] = []
    ended: list[int] = []
    if not stale:
        return Resumed(moved, ended)
    async with conn.transaction():
        for schedule_id, stored, zone, stale_at in stale:
            following = Recurrence.from_json(stored, zone).next_after(now)
            await conn.execute(Q["deploy_schedule_resume"], {"organization_id": org_id, "id": int(schedule_id),
                                                            "next_deploy_at": following, "stale_at": stale_at})
            if following is None:
                ended.append(int(schedule_id))
            else:
                moved.append((int(schedule_id), following, str(zone)))
        ids = [str(r[0]) for r in stale]
        cancelled = await (await conn.execute(Q["deploy_deliveries_cancel"], {
            "organization_id": org_id, "schedule_ids": ids})).fetchall()
        withdrawn = await (await conn.execute(Q["deploy_completions_withdraw"], {
            "organization_id": org_id, "schedule_ids": ids})).fetchall()
        await security.audit(conn, organization_id=org_id, actor=actor, action="deploy.resumed", entity_type="client",
                             entity_id=client_id, details={"moved": [i for i, _, _ in moved], "ended": ended,
                                                           "messages_cancelled": len(cancelled),
                                                           "checklists_withdrawn": len(withdrawn)}, now=now)
    return Resumed(moved, ended)


# ---------------------------------------------------------------- the job's rules (pure)

def _reachable_at(rhythm: calendar.Rhythm, person: calendar.Person, t: datetime) -> datetime | None:
    """None when a DM sent at ``t`` reaches the person at once (outside their quiet hours and any away interval, on
    a date that is a workday of theirs in their own zone: :func:`bot.services.calendar.reachable_from`'s rules);
    else the latest instant before ``t`` worth trying instead (just before the quiet hours, the away interval or the
    own-zone day that stops it)."""
    own = calendar.own_zone(rhythm, person)
    span = calendar.quiet_span(t, own, rhythm.quiet_hours_start, rhythm.quiet_hours_end)
    if span is not None:
        return span[0] - _STEP
    away = next((a for a in person.away if a.holds(t)), None)
    if away is not None:
        return away.start - _STEP
    day = calendar.local_date(t, own)
    if not calendar.available_on(rhythm, person, day):
        return calendar.at_local(day, calendar.MIDNIGHT, own) - _STEP
    return None


# The job runs once a minute: a reminder moved before a quiet period goes the minute before it starts.
_STEP = timedelta(minutes=1)


def last_working_moment(rhythm: calendar.Rhythm, person: calendar.Person, at: datetime) -> datetime:
    """The latest instant at or before ``at`` (aware) that is in the person's working hours (the people calendar's
    :func:`~bot.services.calendar.working_from`: morning to end of day on their clock, workdays, holidays and leave)
    AND at which a DM reaches them at once (outside their quiet hours, which are on their OWN clock even when the
    team's clock sets the working day, and outside a Slack status "away"; the notification path would hold a DM
    through those: tester16 F1). ``at`` itself when it is such an instant; ``at`` when none is found within
    :data:`WORKING_LOOKBACK_DAYS` (the caller then checks the person is reachable before the deploy at all)."""
    tz = calendar.clock_zone(rhythm, person)
    day = calendar.local_date(at, tz)
    for _ in range(WORKING_LOOKBACK_DAYS):
        if calendar.available_on(rhythm, person, day):
            start = calendar.morning_at(day, rhythm, tz)
            t = min(calendar.end_of_day_at(day, rhythm, tz), at)
            while t >= start:
                earlier = _reachable_at(rhythm, person, t)
                if earlier is None:
                    return t
                t = min(earlier, t - _STEP)
        day -= timedelta(days=1)
    return at


def reminder_due(rhythm: calendar.Rhythm, person: calendar.Person, deploy_at: datetime, now: datetime) -> timedelta | None:
    """Which reminder (its lead, one of :data:`REMINDERS`) is due for the person at ``now``: the latest whose send
    instant (:func:`last_working_moment` of D - lead) is at or before ``now``, while ``now`` is before D; None when
    none is. One moved onto or before an earlier reminder's instant is not sent (that one covered it)."""
    if now >= deploy_at:
        return None
    due: list[tuple[datetime, timedelta]] = []
    previous: datetime | None = None
    for lead in sorted(REMINDERS, reverse=True):
        send_at = last_working_moment(rhythm, person, deploy_at - lead)
        if previous is not None and send_at <= previous:
            continue
        previous = send_at
        if send_at <= now:
            due.append((send_at, lead))
    return max(due)[1] if due else None


def on_leave(rhythm: calendar.Rhythm, person: calendar.Person, deploy_at: datetime) -> bool:
    """An absence (leave, their public holiday) covers the deploy's date in the person's own zone."""
    return calendar.absence_on(person, calendar.local_date(deploy_at, calendar.own_zone(rhythm, person))) is not None


def _all_public_holiday(rhythm: calendar.Rhythm, members: Sequence[User], people: Mapping[int, calendar.Person],
                        deploy_at: datetime) -> bool:
    """Whether what keeps every member out on the deploy's date (their own zone) is a public holiday of theirs
    (absences source ``public_holiday``, bot/services/absences.py), so the warning says so (tester16 #15)."""
    from bot.services.absences import SOURCE_HOLIDAY

    def why(member: User) -> str | None:
        person = people.get(member.id, calendar.Person(member.timezone))
        found = calendar.absence_on(person, calendar.local_date(deploy_at, calendar.own_zone(rhythm, person)))
        return found.source if found else None

    return bool(members) and all(why(m) == SOURCE_HOLIDAY for m in members)


def reminders_said(ahead: timedelta) -> str:
    """What a new schedule's answer says of its first deploy's reminders, ``ahead`` being how far away it is: a deploy
    less than a day (an hour) away gets only the reminders still ahead of it (tester16 #15)."""
    if ahead <= timedelta(hours=1):
        return "It's less than an hour away: its members get one reminder now (working hours permitting)."
    if ahead <= timedelta(hours=24):
        return ("It's less than a day away: its members get a reminder now and one an hour before (working hours "
                "permitting); later deploys, 24 hours and 1 hour before.")
    return "Its members get reminders 24 hours and 1 hour before."


def _relative_day(day: date, today: date) -> str:
    """"today" / "tomorrow" when ``day`` is that on the reader's clock, else ""."""
    return {0: "today", 1: "tomorrow"}.get((day - today).days, "")


def reminder_text(deploy: Deploy, member_zone: str, send_at: datetime) -> str:
    """A reminder's words, true whenever it arrives: no "24 hours ahead" / "1 hour ahead" (a reminder moved to the last
    working moment, held through quiet hours or sent late by a job that did not run is not that far ahead: tester16b
    N5), and never "in N hours" (tester16 F2). The deploy's instant as a date and time in the schedule's zone and,
    when the member's own zone (IANA name) shows another wall time, theirs too ("Thu 03 Dec at 15:00
    (America/New_York), 21:00 your time (Europe/Berlin)"), preceded by "today" or "tomorrow" when that is what the
    deploy's date is on the member's clock at ``send_at`` (aware: when the DM will reach them, the caller's now or
    the first instant they can be reached)."""
    zone = deploy.recurrence.timezone
    there = deploy.at.astimezone(ZoneInfo(zone))
    when = f"{there:%a %d %b} at {there:%H:%M} ({zone})"
    own = calendar.zone(member_zone)
    mine = deploy.at.astimezone(own)
    if mine.replace(tzinfo=None) != there.replace(tzinfo=None):
        day = "" if mine.date() == there.date() else f"{mine:%a} "
        when += f", {day}{mine:%H:%M} your time ({member_zone})"
    relative = _relative_day(mine.date(), send_at.astimezone(own).date())
    return (f"Deploy reminder: the {markup.mrkdwn(deploy.client_name)} deploy is "
            f"{relative + ', ' if relative else ''}{when}.")


@dataclass(frozen=True)
class Compliance:
    compliant: bool
    steps_done: list[dict[str, Any]]  # per member: {"user_id", "slack_id", "done": [...], "missing": [...]}
    notes: str


def _item_text(item: Any) -> str:
    if isinstance(item, dict):
        return str(item.get("text") or item.get("label") or item.get("key") or "")
    return str(item)


def _done(item: Any, index: int, done: Sequence[Any]) -> bool:
    """Whether ``done`` (checklist_completions.items_done: item keys, bot/services/checklists.py) holds the item (an
    item without a key, a bare string, by its text)."""
    keys = {str(d.get("key") if isinstance(d, dict) else d) for d in done}
    if isinstance(item, dict) and item.get("key") is not None:
        return str(item["key"]) in keys
    return _item_text(item) in keys


def compliance(items: Sequence[Any], members: Sequence[User], done_by: Mapping[int, Sequence[Any]], *,
               nobody: str = "no assigned member was expected") -> Compliance:
    """Compliant when every member (those expected: not on leave) ticked every item; else, per member, the items
    missing, and notes naming them ("Sam Carter: Run migrations; Tag the release").

    ``done_by``: user id -> items_done of each member's checklist_completions row for the deploy's date. A member
    without a row never got the checklist (the job did not run while their reminders were due, or they could not be
    reached before the deploy): listed with
    ``"sent": false`` and named as "never sent", not as having left items; the deploy is still not compliant (nobody
    can say the SOP was followed). No member expected at all (all out, or none assigned; ``nobody`` says which) is
    not compliant either: nobody did the checklist, which a vacuous "all done" would hide (tester16 F6, F7)."""
    if not members:
        return Compliance(False, [], f"Not done: nobody did the checklist ({nobody}).")
    steps: list[dict[str, Any]] = []
    lines: list[str] = []
    never: list[str] = []
    for member in members:
        name = member.real_name or member.display_name
        sent = member.id in done_by
        done = done_by.get(member.id, ())
        ticked = [_item_text(i) for n, i in enumerate(items) if _done(i, n, done)]
        missing = [_item_text(i) for n, i in enumerate(items) if not _done(i, n, done)]
        steps.append({"user_id": member.id, "slack_id": member.slack_id, "name": name, "sent": sent, "done": ticked,
                      "missing": missing})
        if not sent:
            never.append(name)
        elif missing:
            lines.append(f"{name}: " + "; ".join(missing))
    compliant = not lines and not never
    if compliant:
        return Compliance(True, steps, "All items done by every member.")
    parts = (["Missing: " + " | ".join(lines)] if lines else []) + (
        [f"Never sent the checklist: {', '.join(never)}."] if never else [])
    return Compliance(False, steps, ". ".join(parts))


def told_lines(result: Compliance) -> str:
    """The lines of the manager's non-compliance DM: each member's missing items, or that they were never sent it."""
    lines = []
    for s in result.steps_done:
        if not s.get("sent", True):
            lines.append(f"\u2022 <@{s['slack_id']}>: never got the checklist (it could not reach them in time, or the job did not run)")
        elif s["missing"]:
            lines.append(f"\u2022 <@{s['slack_id']}>: " + ", ".join(s["missing"]))
    return "\n".join(lines) or f"\u2022 {result.notes}"


# A record written this long after its deploy says so (the job did not run at the deploy's time).
LATE_RECORD = timedelta(minutes=10)


# ---------------------------------------------------------------- the job

async def _told(conn: psycopg.AsyncConnection, org_id: int, members: Sequence[User], client_id: int) -> list[User]:
    """Who hears about a deploy's problems: the members' managers; else the client's leads; else the admins."""
    manager_ids = sorted({m.manager_id for m in members if m.manager_id is not None})
    if not manager_ids:
        manager_ids = [m.user.id for m in await client_service.members_of(conn, org_id, client_id) if m.role == "lead"]
    if not manager_ids:
        manager_ids = [int(r[0]) for r in await (await conn.execute(Q["org_admins"], {"organization_id": org_id})).fetchall()]
    return [u for u in await users_by_ids(conn, org_id, manager_ids) if u.active]


def _key(deploy: Deploy, what: str, user: User) -> str:
    return f"deploy:{deploy.schedule_id}:{deploy.at:%Y%m%dT%H%MZ}:{what}:{user.id}"


async def _remind(conn: psycopg.AsyncConnection, org_id: int, deploy: Deploy, member: User, text: str, key: str,
                  lead: timedelta, now: datetime, hold_until: datetime | None = None) -> int | None:
    """One reminder DM (once: ``key``). With a checklist: the first reminder a member gets for the deploy's date is a
    line naming the deploy, then the checklist itself as checkboxes (``send_checklist``, which makes the
    checklist_completions row, for_date = the deploy's date, its context naming the deploy); a later one (the
    checklist was already sent, and ``send_checklist`` sends a checklist once per person and date) carries the same
    checkboxes, in their current state, under the reminder. ``hold_until``: the first instant the member can be
    reached (the people calendar), which the caller has checked is before the deploy."""
    from bot.blocks import checklists as checklist_blocks  # the checklists feature (issue 16, part A)
    from bot.services import checklists

    if deploy.checklist_id is None:
        return await notify(conn, organization_id=org_id, kind="deploy_reminder", dedupe_key=key, text=text,
                            targets=[Target.dm(member.slack_id)], now=now, user_id=member.id, hold_until=hold_until)
    async with conn.transaction():
        sent_before = await (await conn.execute(Q["deploy_completion_exists"], {
            "organization_id": org_id, "checklist_id": deploy.checklist_id, "user_id": member.id,
            "for_date": deploy.for_date})).fetchone()
        lead_in = f"{text} Your checklist *{markup.mrkdwn(deploy.checklist_name or '')}*: tick each item as you do it."
        if sent_before is None:
            queued = await notify(conn, organization_id=org_id, kind="deploy_reminder", dedupe_key=key, text=lead_in,
                                  targets=[Target.dm(member.slack_id)], now=now, user_id=member.id, hold_until=hold_until)
            if queued is not None:
                await checklists.send_checklist(
                    conn, organization_id=org_id, checklist_id=deploy.checklist_id, user_id=member.id,
                    for_date=deploy.for_date, now=now, hold_until=hold_until,
                    context={"deploy_schedule_id": deploy.schedule_id, "deploy_at": deploy.at.isoformat(),
                             "deploy": f"{deploy.client_name} deploy", "reminder_minutes": int(lead.total_seconds() // 60)})
            return queued
        checklist = await checklists.get(conn, org_id, deploy.checklist_id)
        completion = await checklists.completion_by_id(conn, org_id, int(sent_before[0]))
        _text, blocks = checklist_blocks.checklist_message(checklist, completion, member)
        header = {"type": "section", "text": {"type": "mrkdwn", "text": f":rocket: {lead_in}"}}
        return await notify(conn, organization_id=org_id, kind="deploy_reminder", dedupe_key=key, text=lead_in,
                            blocks=[header, *blocks[1:]], targets=[Target.dm(member.slack_id)], now=now,
                            user_id=member.id, hold_until=hold_until)


async def run_for_org(conn: psycopg.AsyncConnection, org_id: int, now: datetime) -> dict[str, int]:
    """One organization's deploy-reminders run as of ``now`` (aware): see the module notes. Returns counts."""
    rhythm = await rhythm_of(conn, org_id)
    counts = {"reminders": 0, "records": 0, "non_compliant_told": 0, "warnings": 0}
    for deploy in await upcoming(conn, org_id, until=now + LOOKAHEAD):
        members = [m.user for m in await client_service.members_of(conn, org_id, deploy.client_id) if m.user.active]
        people = await attendance.people(conn, org_id, [u.id for u in members], deploy.for_date - timedelta(days=WORKING_LOOKBACK_DAYS),
                                         deploy.for_date + timedelta(days=1))
        expected = [u for u in members if not on_leave(rhythm, people.get(u.id, calendar.Person(u.timezone)), deploy.at)]
        when = calendar.at_local(deploy.for_date, deploy.recurrence.at, deploy.recurrence.timezone)
        label = f"{markup.mrkdwn(deploy.client_name)} deploy on {when.astimezone(ZoneInfo(deploy.recurrence.timezone)):%a %d %b %H:%M} ({deploy.recurrence.timezone})"
        # A day ahead: a deploy on a holiday (or non-workday), or with every assigned member out.
        if deploy.at - WARN_AHEAD <= now < deploy.at:
            holiday = not calendar.is_workday(deploy.for_date, rhythm)
            if holiday or (members and not expected) or not members:
                why = ("falls on a holiday or a day off for the team" if holiday else
                       "has no assigned members" if not members else
                       "falls on a public holiday for every assigned member" if _all_public_holiday(rhythm, members, people, deploy.at)
                       else "has every assigned member out")
                for person in await _told(conn, org_id, members, deploy.client_id):
                    if await notify(conn, organization_id=org_id, kind="deploy_warning", dedupe_key=_key(deploy, "warning", person),
                                    text=f":warning: The {label} {why}. Move it, or make sure someone is there "
                                         f"(`/steward deploy {deploy.client_name} remove` ends the schedule).",
                                    targets=[Target.dm(person.slack_id)], now=now, user_id=person.id) is not None:
                        counts["warnings"] += 1
        if now < deploy.at:
            for member in expected:
                them = people.get(member.id, calendar.Person(member.timezone))
                lead = reminder_due(rhythm, them, deploy.at, now)
                if lead is None:
                    continue
                # Never a reminder that would only reach them (quiet hours, a Slack status) after the deploy.
                reach = calendar.reachable_from(rhythm, them, now, before=deploy.at)
                if reach is None:
                    continue
                text = reminder_text(deploy, calendar.own_zone(rhythm, them), max(now, reach))
                key = _key(deploy, f"remind{int(lead.total_seconds() // 60)}m", member)
                sent = await _remind(conn, org_id, deploy, member, text, key, lead, now, hold_until=reach)
                if sent is not None:
                    counts["reminders"] += 1
            continue
        # At deploy time: the SOP record, non-compliance told once, then the next occurrence.
        async with conn.transaction():
            if deploy.sop_id is not None and deploy.checklist_id is not None:
                row = await (await conn.execute(Q["checklist_items_of"], {"organization_id": org_id, "id": deploy.checklist_id})).fetchone()
                items = list(row[1]) if row else []
                done_by = {int(r[0]): list(r[1] or []) for r in await (await conn.execute(Q["deploy_completions"], {
                    "organization_id": org_id, "checklist_id": deploy.checklist_id, "for_date": deploy.for_date})).fetchall()
                    if r[0] is not None}
                result = compliance(items, expected, done_by, nobody="every assigned member was out" if members
                                    else "the client has no assigned members")
                late = ""
                if now - deploy.at > LATE_RECORD:
                    late = (f"Recorded late, at {now:%Y-%m-%d %H:%M} UTC (the job did not run at the deploy's time): "
                            "ticks made until then count.")
                    result = Compliance(result.compliant, result.steps_done, f"{result.notes} Recorded late, at "
                                        f"{now:%Y-%m-%d %H:%M} UTC: the job did not run at the deploy's time.")
                made = await (await conn.execute(Q["deploy_sop_record_insert"], {
                    "organization_id": org_id, "sop_id": deploy.sop_id, "client_id": deploy.client_id,
                    "deploy_schedule_id": deploy.schedule_id, "compliant": result.compliant,
                    "steps_done": Jsonb(result.steps_done), "notes": result.notes, "recorded_at": deploy.at})).fetchone()
                if made is not None:
                    counts["records"] += 1
                if not result.compliant:
                    missing = told_lines(result)
                    for person in await _told(conn, org_id, expected or members, deploy.client_id):
                        if await notify(conn, organization_id=org_id, kind="deploy_noncompliant",
                                        dedupe_key=_key(deploy, "noncompliant", person),
                                        text=f":warning: The {label} went ahead with its checklist "
                                             f"*{markup.mrkdwn(deploy.checklist_name or '')}* not done:\n{missing}"
                                             + (f"\n_{late}_" if late else ""),
                                        targets=[Target.dm(person.slack_id)], now=now, user_id=person.id) is not None:
                            counts["non_compliant_told"] += 1
            await conn.execute(Q["deploy_schedule_advance"], {
                "organization_id": org_id, "id": deploy.schedule_id, "deploy_at": deploy.at,
                "next_deploy_at": deploy.recurrence.next_after(deploy.at)})
    return counts


def describe_upcoming(deploys: Sequence[Deploy]) -> str:
    """`/steward deploys`: one line per upcoming deploy (the deploy's own zone)."""
    if not deploys:
        return "_No deploys scheduled._ " + USAGE
    lines = []
    for d in deploys:
        local = d.at.astimezone(ZoneInfo(d.recurrence.timezone))
        checklist = f" \u2014 checklist *{markup.mrkdwn(d.checklist_name)}*" if d.checklist_name else ""
        again = f" (every {WEEKDAYS[d.recurrence.weekday].title()})" if d.recurrence.weekday is not None else ""
        lines.append(f"\u2022 *{markup.mrkdwn(d.client_name)}* \u2014 {local:%a %d %b %Y %H:%M} {d.recurrence.timezone}{again}{checklist}")
    return "*Upcoming deploys*\n" + "\n".join(lines)


async def require_client(conn: psycopg.AsyncConnection, org_id: int, name: str, *, actor: User | None = None,
                         action: str = "client") -> client_service.Client:
    """The client called ``name`` (or an alias, as :func:`bot.services.clients.find_client` reads it); NotFound listing
    the clients, logged as ``<action>.refused`` (``security_audit_logs``; tester16 #13)."""
    clients = await client_service.list_clients(conn, org_id)
    try:
        if not clients:
            raise NotFound("There are no clients yet (an admin adds one with `/steward client add <name>`).")
        return client_service.find_client(clients, name)
    except NotFound as exc:
        await client_service.refused(conn, org_id, actor, action, str(exc), client=name, why="unknown client")
        raise
