"""Checklists (SPEC F13; issue 16): role checklists sent on their schedule with checkboxes, and what people tick.

* **Adding** (:func:`parse_checklist_add`, :func:`add`): `/steward checklist add "<name>" for <members|managers|admins|
  everyone|client <name>> <schedule> items: <a>; <b>; <c>`. The schedule's words are
  bot/services/checklist_schedule.py's. Who may add: admins, any checklist; a manager, a checklist for a client they
  are assigned to (client_members), as they manage that client's members (issue 16). Everyone else is refused
  (logged). Audiences read ``users.role`` exactly: ``members`` (role member), ``managers`` (role manager), ``admins``
  (role admin), ``everyone`` (every active person); ``client <name>``: that client's assigned members at each send.
* **Limits** (Block Kit reference, bot/slack_limits.py): each item is one checkbox option, whose text Slack caps at
  :data:`ITEM_TEXT_MAX` (75) characters; a checkboxes element holds 10 options, so items are split across actions
  blocks of 10, within a message's 50 blocks. A checklist holds at most :data:`MAX_ITEMS` items (100: ten blocks of
  ten, leaving the message room; a longer list is a procedure, not a checklist).
* **Sending** (:func:`send_checklist`): one ``checklist_completions`` row per (checklist, person, date) and one DM,
  through the one notification path (:func:`bot.services.notifications.notify`, dedupe key per completion: sent
  once, held through the person's quiet hours, and until ``hold_until`` when the caller gives one).
* **The job** (:func:`run_for_org`, job ``checklists``): each scheduled checklist goes to each of its people at the
  schedule's wall time on *their own* clock (their timezone), on a date that is one of the schedule's and a workday
  for them (the organization's workdays and holidays, their public holidays, their leave: the people calendar), once
  per person and date, whenever the job runs in [that time, the end of their day). A checklist sent and not finished
  by the end of the person's day (``due_by``: the midnight that ends the date on their clock) is recorded
  incomplete (``missed_at``) by the first run after it.
* **Ticking** (:func:`tick`): a checkboxes ``block_actions`` sends the group's selected options; what changed
  against the message's own ticks is applied (idempotent; an older copy never unticks what another copy ticked),
  ``completed_at`` is set when every item is done and cleared when one is unticked, and every message showing the
  same checkboxes is refreshed (:func:`messages_showing`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import psycopg
from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from bot import slack_limits as L
from bot import slack_markup as markup
from bot.errors import InvalidInput, NotFound
from bot.services import attendance, calendar, security, standup_settings
from bot.services.checklist_schedule import SCHEDULE_EXAMPLES, Schedule, never_on, parse_schedule
from bot.services.notifications import Target, notify
from db.queries import Q
from db.repos.users import user_by_id, users_by_ids
from db.rows import User

# Slack: a checkbox option's text is at most 75 characters; a checkboxes element has at most 10 options
# (Block Kit reference, "Checkboxes" and "Option object"; bot/slack_limits.py).
ITEM_TEXT_MAX = L.OPTION_TEXT
ITEMS_PER_BLOCK = L.CHECKBOX_OPTIONS
# Our own cap: ten checkboxes blocks of ten, well inside a message's 50 blocks (Slack's limit) with the heading.
MAX_ITEMS = 100
NAME_MAX = 80
KIND_SENT = "checklist.sent"
# Weekday names by ISO number - 1 (org_settings.workdays: 1 = Monday).
_ISO_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
ACTION_TICK = "checklist_tick"
BLOCK_PREFIX = "checklist"
AUDIENCES = {"members": "member", "member": "member", "managers": "manager", "manager": "manager",
             "admins": "admin", "admin": "admin", "everyone": None, "everybody": None, "all": None}
AUDIENCE_WORDS = {"member": "members", "manager": "managers", "admin": "admins", None: "everyone"}
# Schedule words for a checklist with no schedule of its own: sent only when something asks (a deploy schedule).
ON_DEMAND = frozenset({"on demand", "on deploy", "on deploys", "for deploys", "at deploys", "at each deploy"})
USAGE = ('`/steward checklist add "<name>" for <members|managers|admins|everyone|client <name>> <schedule> items: '
         "<a>; <b>; <c>`, e.g. `/steward checklist add \"Friday wrap-up\" for everyone every friday 16:00 items: "
         "timesheet filled; inbox zero; tomorrow planned`. Schedules: " + SCHEDULE_EXAMPLES + ", or `on demand` for a "
         "checklist only deploys send.")

_QUOTES = "\"\u201c\u201d\u201e\u00ab\u00bb'\u2018\u2019"
_NAME = re.compile(rf"^\s*[{_QUOTES}](?P<name>[^{_QUOTES}]*)[{_QUOTES}]\s*(?P<rest>.*)$", re.DOTALL)
_ITEMS = re.compile(r"\bitems?\s*:", re.IGNORECASE)
_SCHEDULE_START = re.compile(r"\s(?=(?:every|each|weekdays?|daily|on|first|second|third|fourth|last|1st|2nd|3rd|4th|"
                             r"mondays|tuesdays|wednesdays|thursdays|fridays|saturdays|sundays)\b)", re.IGNORECASE)


@dataclass(frozen=True)
class Item:
    """One item of a checklist: ``key`` (stable within the checklist: "1".."n", what ``items_done`` holds) and its
    text (at most :data:`ITEM_TEXT_MAX` characters)."""

    key: str
    text: str


@dataclass(frozen=True)
class ChecklistSpec:
    """`/steward checklist add` read: the name, who it is for (``role``: "member", "manager", "admin", None for
    everyone; or ``client_name``), the schedule, the items' texts (in order)."""

    name: str
    role: str | None
    client_name: str | None
    schedule: Schedule | None  # None: on demand (sent by a deploy schedule, never by the `checklists` job)
    items: tuple[str, ...]


@dataclass(frozen=True)
class Checklist:
    """A checklist as stored (``checklists``), with its client's name."""

    id: int
    organization_id: int
    name: str
    role: str | None
    client_id: int | None
    client_name: str | None
    items: list[dict[str, Any]]
    schedule: dict[str, Any] | None
    created_at: datetime

    @property
    def item_list(self) -> list[Item]:
        return [Item(str(i["key"]), str(i["text"])) for i in self.items]

    @property
    def parsed_schedule(self) -> Schedule | None:
        return Schedule.from_json(self.schedule) if self.schedule else None

    @property
    def audience(self) -> str:
        """Who it is for, in the command's words: "everyone", "managers", "client Acme"."""
        if self.client_id is not None:
            return f"client {self.client_name or '?'}"
        return AUDIENCE_WORDS.get(self.role, "everyone")


@dataclass(frozen=True)
class Completion:
    """A checklist sent to a person for a date (``checklist_completions``). ``due_by``: the end of their day;
    ``missed_at``: when it was recorded incomplete."""

    id: int
    organization_id: int
    checklist_id: int
    user_id: int | None
    for_date: date
    items_done: list[str]
    completed_at: datetime | None
    due_by: datetime | None
    missed_at: datetime | None
    message_channel_id: str | None
    message_ts: str | None

    def done(self, items: Sequence[Item]) -> list[Item]:
        ticked = set(self.items_done)
        return [i for i in items if i.key in ticked]

    def missing(self, items: Sequence[Item]) -> list[Item]:
        ticked = set(self.items_done)
        return [i for i in items if i.key not in ticked]


@dataclass(frozen=True)
class MissingItems:
    """What one person left unticked of a checklist sent to them for a date (:func:`items_missing`)."""

    user_id: int
    slack_id: str
    name: str
    items: tuple[Item, ...]
    completion_id: int


# ---------------------------------------------------------------- the grammar

def _clean(text: str) -> str:
    return " ".join(markup.read(text).plain.split()) if text else ""


def parse_items(words: str) -> tuple[str, ...]:
    """``a; b; c`` (or one per line) as the items' texts, in order. Raises InvalidInput: no items, more than
    :data:`MAX_ITEMS`, an item longer than :data:`ITEM_TEXT_MAX` characters (naming it), an item twice."""
    texts = [" ".join(p.split()) for p in re.split(r"[;\n]", words or "")]
    texts = [t.strip(" ,.") for t in texts if t.strip(" ,.")]
    if not texts:
        raise InvalidInput("A checklist needs items: end the command with `items: <a>; <b>; <c>`.")
    if len(texts) > MAX_ITEMS:
        raise InvalidInput(f"That's {len(texts)} items; a checklist holds at most {MAX_ITEMS} (ten groups of ten "
                           "checkboxes in one message). Split it into two checklists.")
    seen: dict[str, int] = {}
    for number, text in enumerate(texts, start=1):
        if len(text) > ITEM_TEXT_MAX:
            raise InvalidInput(f"Item {number} (`{markup.escape(text[:40])}…`) is {len(text)} characters; Slack shows at "
                               f"most {ITEM_TEXT_MAX} in a checkbox. Shorten it.")
        if text.lower() in seen:
            raise InvalidInput(f"Item {number} (`{markup.escape(text)}`) repeats item {seen[text.lower()]}: each item once.")
        seen[text.lower()] = number
    return tuple(texts)


def parse_checklist_add(text: str) -> ChecklistSpec:
    """The words after `/steward checklist add`: ``"<name>" for <audience> <schedule> items: <a>; <b>; <c>``.

    ``<schedule>``: see bot/services/checklist_schedule.py, or ``on demand`` / ``for deploys`` (:data:`ON_DEMAND`: no
    schedule; sent by a deploy schedule that names it). ``<audience>``: members, managers, admins, everyone (also
    member, manager, admin, everybody, all), or ``client <name>`` (a client's name may be quoted: ``client "First Bank"``, and must be when it starts with a
    schedule word). Raises InvalidInput naming the part that is wrong (the name, who it is for, the schedule's time
    or day, the items)."""
    raw = _clean(text)
    found = _NAME.match(raw)
    if found is None:
        raise InvalidInput('Put the checklist\'s name in quotes first: `/steward checklist add "Friday wrap-up" for '
                           "everyone every friday 16:00 items: timesheet filled; inbox zero`.")
    name = " ".join(found["name"].split())
    if not name:
        raise InvalidInput("The checklist's name is empty: put it between the quotes.")
    if len(name) > NAME_MAX:
        raise InvalidInput(f"The checklist's name is {len(name)} characters; keep it to {NAME_MAX}.")
    rest = found["rest"]
    split = _ITEMS.search(rest)
    if split is None:
        raise InvalidInput("A checklist needs items: end the command with `items: <a>; <b>; <c>`.")
    head, items_words = rest[: split.start()].strip(), rest[split.end():]
    items = parse_items(items_words)
    words = head.split(None, 1)
    if not words or words[0].lower() != "for":
        raise InvalidInput("Say who it is for after the name: `for members`, `for managers`, `for admins`, "
                           "`for everyone` or `for client <name>`.")
    after_for = words[1] if len(words) > 1 else ""
    who, _, schedule_words = after_for.partition(" ")
    role: str | None = None
    client_name: str | None = None
    if who.lower() == "client":
        quoted = _NAME.match(schedule_words)
        if quoted is not None:
            client_name, schedule_words = " ".join(quoted["name"].split()), quoted["rest"]
        elif (demand := next((p for p in ON_DEMAND if " ".join(schedule_words.lower().split()).endswith(" " + p)),
                             None)) is not None:
            words_in = schedule_words.split()
            client_name, schedule_words = " ".join(words_in[:-len(demand.split())]), demand
        else:
            cut = _SCHEDULE_START.search(" " + schedule_words)
            client_name = (schedule_words[: cut.start()] if cut else schedule_words).strip()
            schedule_words = schedule_words[cut.start():] if cut else ""
        if not client_name and schedule_words.strip():
            first = markup.escape(schedule_words.split()[0][:30])
            raise InvalidInput(f"Say which client after `for client`: what follows starts with `{first}`, a schedule "
                               "word. A name that starts like that goes in quotes: "
                               '`for client "Every Day Foods" every friday 16:00`.')
        if not client_name:
            raise InvalidInput("Say which client after `for client`: `for client Acme every friday 16:00`.")
    elif who.lower() in AUDIENCES:
        role = AUDIENCES[who.lower()]
    else:
        shown = markup.escape(who[:30]) or "nothing"
        raise InvalidInput(f"I couldn't read who it is for (`{shown}`): say `members`, `managers`, `admins`, "
                           "`everyone` or `client <name>`.")
    if " ".join(schedule_words.lower().split()) in ON_DEMAND:
        return ChecklistSpec(name, role, client_name, None, items)
    schedule = parse_schedule(schedule_words)
    return ChecklistSpec(name, role, client_name, schedule, items)


# ---------------------------------------------------------------- reading

async def list_checklists(conn: psycopg.AsyncConnection, org_id: int) -> list[Checklist]:
    """The organization's active checklists, by name."""
    cur = conn.cursor(row_factory=class_row(Checklist))
    await cur.execute(Q["checklists_of_org"], {"organization_id": org_id})
    return await cur.fetchall()


async def get(conn: psycopg.AsyncConnection, org_id: int, checklist_id: int) -> Checklist:
    """The checklist ``checklist_id`` of the organization; NotFound otherwise (another organization's is not found)."""
    cur = conn.cursor(row_factory=class_row(Checklist))
    await cur.execute(Q["checklist_by_id"], {"organization_id": org_id, "id": checklist_id})
    found = await cur.fetchone()
    if found is None:
        raise NotFound("I couldn't find that checklist. `/steward checklists` lists them.")
    return found


async def by_name(conn: psycopg.AsyncConnection, org_id: int, name: str) -> Checklist:
    """The active checklist called ``name`` (any case; quotes and extra spaces ignored), or the only one whose name
    starts with it. Raises NotFound naming the checklists there are."""
    wanted = " ".join(name.strip().strip(_QUOTES).split()).lower()
    known = await list_checklists(conn, org_id)
    exact = [c for c in known if c.name.lower() == wanted]
    loose = [c for c in known if c.name.lower().startswith(wanted)] if wanted else []
    if exact or len(loose) == 1:
        return (exact or loose)[0]
    names = ", ".join(f"“{c.name}”" for c in known) or "none yet (`/steward checklist add` adds one)"
    raise NotFound(f"I don't know a checklist called “{markup.escape(name.strip()[:60])}”. Checklists: {names}.")


async def recipients(conn: psycopg.AsyncConnection, org_id: int, checklist: Checklist) -> list[User]:
    """The active people ``checklist`` is for now: by role (``users.role``), everyone, or its client's assigned
    members (``client_members``)."""
    rows = await (await conn.execute(Q["checklist_recipients"], {
        "organization_id": org_id, "role": checklist.role, "client_id": checklist.client_id})).fetchall()
    return await users_by_ids(conn, org_id, [int(r[0]) for r in rows])


async def _client(conn: psycopg.AsyncConnection, org_id: int, name: str) -> tuple[int, str]:
    """The active client ``name`` names, as every client command reads it (its name or an alias, any case, or the
    only one whose name starts with it: :func:`bot.services.clients.find_client`; tester16 #11). NotFound listing
    the clients."""
    from bot.services import clients as client_service

    known = await client_service.list_clients(conn, org_id)
    if not known:
        raise NotFound(f"I don't know a client called `{markup.escape(name[:60])}`. Clients: none yet (an admin adds "
                       "one with `/steward client add <name>`).")
    found = client_service.find_client(known, name)
    return found.id, found.name


# ---------------------------------------------------------------- adding

async def _refuse(conn: psycopg.AsyncConnection, org_id: int, actor: User, why: str, message: str,
                  **details: Any) -> InvalidInput:
    """Log a refused checklist or SOP command (security event ``checklist.refused``) and return the error to raise."""
    await security.record(conn, organization_id=org_id, event_type="checklist.refused", threat_level="none",
                          description=f"checklist refused: {why}", user_id=actor.id, slack_user_id=actor.slack_id,
                          details={"why": why, **details})
    return InvalidInput(message)


async def add(conn: psycopg.AsyncConnection, org_id: int, actor: User, text: str, now: datetime) -> Checklist:
    """`/steward checklist add <text>`: parse it (:func:`parse_checklist_add`), check who may (admins; managers for a
    client they are assigned to), and store the checklist in one transaction. Raises InvalidInput (the grammar, a
    duplicate name; logged as ``checklist.refused``), NotFound (an unknown client), PermissionDenied (logged).
    Audit-logged (``checklist.added``)."""
    try:
        spec = parse_checklist_add(text)
    except InvalidInput as exc:
        raise await _refuse(conn, org_id, actor, "unreadable", str(exc), text=markup.store(text, limit=300)) from None
    if spec.schedule is not None:
        workdays = (await standup_settings.rhythm_of(conn, org_id)).workdays
        if never_on(spec.schedule, workdays):
            days = ", ".join(_ISO_DAY_NAMES[d - 1] for d in sorted(workdays)) or "none"
            raise await _refuse(conn, org_id, actor, "never sent",
                                f"“{markup.escape(spec.schedule.words())}” never falls on one of the team's workdays "
                                f"({days}), and checklists go only on workdays, so nobody would ever get it. Pick a "
                                "workday. Nothing was added.", schedule=spec.schedule.words())
    client_id: int | None = None
    client_name: str | None = None
    if spec.client_name is not None:
        try:
            client_id, client_name = await _client(conn, org_id, spec.client_name)
        except NotFound as exc:
            await _refuse(conn, org_id, actor, "unknown client", str(exc), client=spec.client_name)
            raise
    if not actor.is_admin:
        assigned = client_id is not None and actor.role == "manager" and bool((await (await conn.execute(
            Q["checklist_is_client_member"], {"organization_id": org_id, "client_id": client_id,
                                              "user_id": actor.id})).fetchone() or [False])[0])
        if not assigned:
            message = ("Sorry, only Steward admins can add checklists (and managers, for a client they're assigned "
                       "to). Ask an admin; `/steward checklists` shows the ones there are.")
            raise await security.deny(conn, organization_id=org_id, actor=actor, action="checklist.add", message=message,
                                      details={"name": spec.name})
    if (await (await conn.execute(Q["checklist_name_taken"], {"organization_id": org_id, "name": spec.name})).fetchone()
            or [False])[0]:
        raise await _refuse(conn, org_id, actor, "duplicate name",
                            f"There's already a checklist called “{markup.escape(spec.name)}”. Pick another name.",
                            name=spec.name)
    items = [{"key": str(n), "text": t} for n, t in enumerate(spec.items, start=1)]
    async with conn.transaction():
        row = await (await conn.execute(Q["checklist_insert"], {
            "organization_id": org_id, "name": spec.name, "role": spec.role, "client_id": client_id,
            "items": Jsonb(items),
            "schedule": Jsonb({**spec.schedule.to_json(), "words": spec.schedule.words()}) if spec.schedule else None,
            "created_by": actor.id, "now": now})).fetchone()
        if row is None:  # added by someone else between the check and now
            raise InvalidInput(f"There's already a checklist called “{markup.escape(spec.name)}”. Pick another name.")
        await security.audit(conn, organization_id=org_id, actor=actor, action="checklist.added", entity_type="checklist",
                             entity_id=int(row[0]), details={"name": spec.name, "for": client_name or spec.role,
                                                             "items": len(items)}, now=now)
    return await get(conn, org_id, int(row[0]))


# ---------------------------------------------------------------- sending

def end_of_day(person: User | None, rhythm: calendar.Rhythm, for_date: date) -> datetime:
    """When a checklist for ``for_date`` is due at the latest: the midnight that ends that date on the person's own
    clock (their timezone; the team's when unknown)."""
    tz = calendar.own_zone(rhythm, calendar.Person(person.timezone if person else None))
    return calendar.end_of_local_day(for_date, tz)


async def send_checklist(conn: psycopg.AsyncConnection, *, organization_id: int, checklist_id: int, user_id: int,
                         for_date: date, now: datetime, context: dict[str, Any] | None = None,
                         hold_until: datetime | None = None, due_by: datetime | None = None,
                         urgent: bool = False) -> int:
    """DM the person ``user_id`` the checklist ``checklist_id`` for ``for_date`` (their own date) as checkboxes, and
    return its ``checklist_completions`` row's id. Idempotent: a second call for the same checklist, person and date
    reuses the row (merging ``context`` into it) and queues no second message (dedupe key
    ``checklist.sent:<org>:<completion>``).

    ``now``: aware, the caller's clock. ``context``: what it is for, stored with the row (e.g. ``{"deploy_schedule_id":
    3, "deploy_at": "2026-03-12T15:00:00+00:00"}``; JSON values only). ``hold_until``: the DM waits until then (the
    people calendar's first reachable instant; quiet hours are always waited out unless ``urgent``). ``due_by``: when
    it must be finished (default: the end of the person's ``for_date``, :func:`end_of_day`). The message is sent by
    the dispatcher (bot/services/notifications.py): its channel and ts reach the row once it is in Slack (the next
    ``checklists`` run, or the person's first tick).

    Raises NotFound (no such checklist or person in the organization) and InvalidInput (the person has left: nobody
    is sent a checklist they cannot answer)."""
    from bot.blocks import checklists as render

    checklist = await get(conn, organization_id, checklist_id)
    person = await user_by_id(conn, organization_id, user_id)
    if person is None:
        raise NotFound("I couldn't find that person in this workspace.")
    if not person.active:
        raise InvalidInput(f"{person.mention} has left the workspace, so I didn't send them “{checklist.name}”.")
    rhythm = await standup_settings.rhythm_of(conn, organization_id)
    due = due_by or end_of_day(person, rhythm, for_date)
    async with conn.transaction():
        row = await (await conn.execute(Q["checklist_completion_upsert"], {
            "organization_id": organization_id, "checklist_id": checklist.id, "user_id": person.id, "for_date": for_date,
            "due_by": due, "context": Jsonb(dict(context or {})), "now": now})).fetchone()
        assert row is not None  # an upsert always returns its row
        completion = await completion_by_id(conn, organization_id, int(row[0]))
        text, blocks = render.checklist_message(checklist, completion, person)
        await notify(conn, organization_id=organization_id, kind=KIND_SENT,
                     dedupe_key=f"{KIND_SENT}:{organization_id}:{completion.id}", text=text, blocks=blocks,
                     targets=[Target.dm(person.slack_id)], now=now, user_id=person.id, hold_until=hold_until,
                     urgent=urgent)
    return completion.id


async def completion_by_id(conn: psycopg.AsyncConnection, org_id: int, completion_id: int) -> Completion:
    """The completion row ``completion_id`` of the organization; NotFound otherwise."""
    cur = conn.cursor(row_factory=class_row(Completion))
    await cur.execute(Q["checklist_completion_by_id"], {"organization_id": org_id, "id": completion_id})
    found = await cur.fetchone()
    if found is None:
        raise NotFound("I couldn't find that checklist any more.")
    return found


async def completions_for_date(conn: psycopg.AsyncConnection, org_id: int, checklist_id: int,
                               for_date: date) -> list[Completion]:
    """Everyone ``checklist_id`` was sent to for ``for_date``, with what they ticked."""
    cur = conn.cursor(row_factory=class_row(Completion))
    await cur.execute(Q["checklist_completions_for_date"], {"organization_id": org_id, "checklist_id": checklist_id,
                                                            "for_date": for_date})
    return await cur.fetchall()


async def items_missing(conn: psycopg.AsyncConnection, *, organization_id: int, checklist_id: int,
                        for_date: date) -> list[MissingItems]:
    """Who left what unticked of ``checklist_id`` sent for ``for_date``: one entry per person it was sent to with at
    least one item not ticked, by name (people who ticked everything are left out; an empty list: everyone it was
    sent to finished it). Items keep the checklist's order. Rows of people since erased (``user_id`` NULL) are left
    out. For the SOP record at deploy time ("which items are missing, by whom")."""
    checklist = await get(conn, organization_id, checklist_id)
    items = checklist.item_list
    rows = await completions_for_date(conn, organization_id, checklist_id, for_date)
    people = {u.id: u for u in await users_by_ids(conn, organization_id, [r.user_id for r in rows if r.user_id])}
    out: list[MissingItems] = []
    for row in rows:
        person = people.get(row.user_id or -1)
        missing = row.missing(items)
        if person is not None and missing:
            out.append(MissingItems(person.id, person.slack_id, person.real_name or person.display_name,
                                    tuple(missing), row.id))
    return sorted(out, key=lambda m: (m.name.lower(), m.user_id))


# ---------------------------------------------------------------- ticking

def _block_group(block_id: str) -> tuple[int, int]:
    """(completion id, group index) from a checkboxes block's id ``checklist:<completion>:<group>``."""
    parts = block_id.split(":")
    if len(parts) != 3 or parts[0] != BLOCK_PREFIX or not parts[1].isdigit() or not parts[2].isdigit():
        raise InvalidInput("That checkbox didn't carry what I put on it, so I did nothing. `/checklists` shows yours.")
    return int(parts[1]), int(parts[2])


def group_keys(items: Sequence[Item], group: int) -> list[str]:
    """The item keys of checkboxes group ``group`` (0-based): items group*10 .. group*10+9."""
    return [i.key for i in items[group * ITEMS_PER_BLOCK:(group + 1) * ITEMS_PER_BLOCK]]


def ticked_in(blocks: Sequence[dict[str, Any]] | None, block_id: str) -> list[str] | None:
    """The item keys the message's checkboxes block ``block_id`` showed ticked (its ``initial_options``: what
    Steward last put there), from the message a ``block_actions`` payload carries; None when the message (or that
    block) is not there (an ephemeral message: Slack sends none)."""
    for block in blocks or ():
        if block.get("block_id") == block_id:
            return [str(o.get("value")) for e in block.get("elements") or []
                    for o in e.get("initial_options") or [] if isinstance(o, dict)]
    return None


async def tick(conn: psycopg.AsyncConnection, org_id: int, actor: User, block_id: str, selected: Iterable[str],
               now: datetime, *, shown: Iterable[str] | None = None, channel_id: str | None = None,
               ts: str | None = None) -> tuple[Checklist, Completion]:
    """A checkboxes group ticked: ``block_id`` is the group's (``checklist:<completion>:<group>``), ``selected`` the
    values (item keys) Slack sent as its selected options; ``shown``: the keys that message's group showed ticked
    (:func:`ticked_in`). With ``shown``, only what the person changed is applied: items in ``selected`` and not in
    ``shown`` become done, items in ``shown`` and not in ``selected`` undone, every other item keeps its state, so
    ticking an older copy of the checklist (the 24-hour reminder's, while the 1-hour one holds newer ticks) never
    unticks what was ticked elsewhere (tester16b N1). Without ``shown`` (an ephemeral `/checklists`, whose message
    Slack does not send back), the group's items become exactly ``selected``. Other groups' ticks stay.
    ``completed_at`` becomes ``now`` when every item is done (kept when it already was) and NULL when one is not.
    ``channel_id``/``ts``: the message ticked, recorded when the row has none yet. Idempotent (the same ticks again
    change nothing). One transaction, the row locked (two quick ticks on two copies both count).

    Raises InvalidInput (someone else's checklist; a value that is not one of the group's items) and NotFound."""
    completion_id, group_index = _block_group(block_id)
    async with conn.transaction():
        cur = conn.cursor(row_factory=class_row(Completion))
        await cur.execute(Q["checklist_completion_lock"], {"organization_id": org_id, "id": completion_id})
        row = await cur.fetchone()
        if row is None:
            raise NotFound("I couldn't find that checklist any more.")
        if row.user_id != actor.id:
            raise InvalidInput("That checklist is someone else's to tick; `/checklists` shows yours.")
        checklist = await get(conn, org_id, row.checklist_id)
        items = checklist.item_list
        group = group_keys(items, group_index)
        chosen = {str(v) for v in selected}
        before = None if shown is None else {str(v) for v in shown}
        if not chosen <= set(group) or (before is not None and not before <= set(group)):
            raise InvalidInput("That checkbox didn't carry what I put on it, so I did nothing. `/checklists` shows yours.")
        if before is None:
            done = (set(row.items_done) - set(group)) | chosen
        else:
            done = (set(row.items_done) | (chosen - before)) - (before - chosen)
        ordered = [i.key for i in items if i.key in done]
        complete = len(ordered) == len(items)
        completed_at = (row.completed_at or now) if complete else None
        await conn.execute(Q["checklist_completion_tick"], {
            "organization_id": org_id, "id": row.id, "items_done": Jsonb(ordered), "completed_at": completed_at,
            "channel_id": channel_id, "ts": ts, "now": now})
    return checklist, await completion_by_id(conn, org_id, completion_id)


async def messages_showing(conn: psycopg.AsyncConnection, org_id: int, completion: Completion) -> list[tuple[str, str]]:
    """Every Slack message (channel id, ts) that shows the checkboxes of ``completion``: its checklist DM and each
    deploy reminder sent with the same checkboxes (notification_deliveries sent to the person, whose payload holds
    the block ``checklist:<completion>:0``). Oldest first, each once. So a tick on one copy refreshes the others
    (tester16b N1)."""
    rows = await (await conn.execute(Q["checklist_completion_messages"], {
        "organization_id": org_id, "user_id": completion.user_id,
        "block": Jsonb([{"block_id": f"{BLOCK_PREFIX}:{completion.id}:0"}])})).fetchall()
    found = [(str(c), str(t)) for c, t in rows]
    if completion.message_channel_id and completion.message_ts:
        found.insert(0, (completion.message_channel_id, completion.message_ts))
    return list(dict.fromkeys(found))


# ---------------------------------------------------------------- the person's own (`/checklists`)

@dataclass(frozen=True)
class Today:
    """`/checklists`: the asker's checklists for their today (sent, and scheduled later today), with their state."""

    day: date
    sent: list[tuple[Checklist, Completion]] = field(default_factory=list)
    later: list[tuple[Checklist, datetime]] = field(default_factory=list)


async def today_of(conn: psycopg.AsyncConnection, org_id: int, person: User, now: datetime) -> Today:
    """The person's checklists due on their today (their own clock): those sent (with what they ticked) and those
    still to come today (their time, for a scheduled checklist meant for them that is due later)."""
    rhythm = await standup_settings.rhythm_of(conn, org_id)
    tz = calendar.own_zone(rhythm, calendar.Person(person.timezone))
    day = calendar.local_date(now, tz)
    cur = conn.cursor(row_factory=class_row(Completion))
    await cur.execute(Q["checklist_completions_of_user_dates"], {"organization_id": org_id, "user_id": person.id,
                                                                 "days": [day]})
    rows = await cur.fetchall()
    known = {c.id: c for c in await list_checklists(conn, org_id)}
    sent = [(known[r.checklist_id], r) for r in rows if r.checklist_id in known]
    sent_ids = {c.id for c, _ in sent}
    later: list[tuple[Checklist, datetime]] = []
    for checklist in known.values():
        schedule = checklist.parsed_schedule
        if checklist.id in sent_ids or schedule is None or not schedule.occurs_on(day):
            continue
        if person.id not in {u.id for u in await recipients(conn, org_id, checklist)}:
            continue
        at = calendar.at_local(day, schedule.at, tz)
        if at > now:
            later.append((checklist, at))
    return Today(day, sent, sorted(later, key=lambda p: p[1]))


# ---------------------------------------------------------------- the job

@dataclass
class RunSummary:
    sent: int = 0
    away: int = 0
    incomplete: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"sent": self.sent, "away": self.away, "incomplete": self.incomplete}


async def run_for_org(conn: psycopg.AsyncConnection, org_id: int, now: datetime) -> dict[str, int]:
    """The job ``checklists`` for one organization at ``now`` (aware): send each scheduled checklist that is due for
    each of its people on their own clock (see the module notes), record as incomplete those not finished by their
    ``due_by``, and note where sent messages are in Slack. Returns counts: {"sent", "away" (due, but the person is on
    leave, off or away for the rest of their day: not sent, not counted against them), "incomplete"}. Idempotent."""
    summary = RunSummary()
    rhythm = await standup_settings.rhythm_of(conn, org_id)
    scheduled = [c for c in await list_checklists(conn, org_id) if c.schedule]
    if scheduled:
        await _send_due(conn, org_id, rhythm, scheduled, now, summary)
    async with conn.transaction():
        closed = await (await conn.execute(Q["checklist_completions_close"], {"organization_id": org_id,
                                                                                "now": now})).fetchall()
        for completion_id, checklist_id, user_id, for_date in closed:
            await security.audit(conn, organization_id=org_id, actor=None, action="checklist.incomplete",
                                 entity_type="checklist_completion", entity_id=int(completion_id),
                                 details={"checklist_id": int(checklist_id), "user_id": user_id,
                                          "for_date": for_date.isoformat()}, now=now)
        summary.incomplete = len(closed)
    await conn.execute(Q["checklist_completions_fill_messages"], {"organization_id": org_id})
    return summary.as_dict()


async def _send_due(conn: psycopg.AsyncConnection, org_id: int, rhythm: calendar.Rhythm, scheduled: list[Checklist],
                    now: datetime, summary: RunSummary) -> None:
    wanted: dict[int, list[User]] = {c.id: await recipients(conn, org_id, c) for c in scheduled}
    everyone = {u.id: u for people in wanted.values() for u in people}
    if not everyone:
        return
    utc_day = now.date()
    first, last = utc_day - timedelta(days=2), utc_day + timedelta(days=2)
    people = await attendance.people(conn, org_id, list(everyone), first, last)
    sent = {(int(c), int(u) if u is not None else None, d) for c, u, d in await (await conn.execute(
        Q["checklist_completions_sent"], {"organization_id": org_id, "checklist_ids": [c.id for c in scheduled],
                                          "first": first, "last": last})).fetchall()}
    for checklist in scheduled:
        schedule = checklist.parsed_schedule
        assert schedule is not None
        for user in wanted[checklist.id]:
            person = people.get(user.id, calendar.Person(user.timezone))
            tz = calendar.own_zone(rhythm, person)
            day = calendar.local_date(now, tz)
            if (checklist.id, user.id, day) in sent or not schedule.occurs_on(day):
                continue
            due_at = calendar.at_local(day, schedule.at, tz)
            end = calendar.end_of_local_day(day, tz)
            if not due_at <= now < end or due_at < checklist.created_at:
                continue  # not yet; or an occurrence from before the checklist existed
            reach = (calendar.reachable_from(rhythm, person, now, before=end)
                     if calendar.available_on(rhythm, person, day) else None)
            if reach is None:
                summary.away += 1  # leave, a holiday, their weekend, away all day: nothing sent, nothing owed
                continue
            await send_checklist(conn, organization_id=org_id, checklist_id=checklist.id, user_id=user.id,
                                 for_date=day, now=now, hold_until=reach, due_by=end,
                                 context={"schedule": checklist.schedule.get("words") if checklist.schedule else None})
            summary.sent += 1
