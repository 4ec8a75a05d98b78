"""Blockers in Slack (pure): the ladder's DMs and channel posts, the answers to `/blocker` and `/blockers`, and
what people hear when a blocker is taken on or resolved. Words people wrote go through
:func:`bot.slack_markup.mrkdwn`; every message stays inside Slack's limits (:mod:`bot.slack_limits`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from bot import slack_limits as L
from bot import slack_markup as markup
from bot.blocks.kit import context, pack_sections, plain, section
from bot.services import calendar
from bot.services.blockers import SUBJECT, Blocker, Opened
from bot.services.escalations import People, Step, item_block_id
from db.rows import User

QUOTE = 200


def quote(text: str | None, limit: int = QUOTE) -> str:
    """A person's words in quotes, shortened whole-word and safe to show (no accidental @channel)."""
    return f"\u201c{markup.mrkdwn(markup.store(text or '', limit=limit))}\u201d"


def short(at: datetime, tz: str) -> str:
    local = at.astimezone(calendar.zone(tz))
    return f"{local:%a} {local.day} {local:%b} {local:%H:%M}"


def theirs_and_yours(at: datetime, their_tz: str, your_tz: str) -> str:
    """An instant on someone else's clock and on the reader's: "Sat 7 Mar 08:00 their time (03:00 yours)", the
    reader's day named too when it differs ("(Fri 6 Mar 22:00 yours)"); one clock when both zones agree there.
    ``their_tz`` and ``your_tz`` are IANA zones."""
    theirs, yours = short(at, their_tz), short(at, your_tz)
    if theirs == yours:
        return theirs
    yours = yours[-5:] if yours[:-6] == theirs[:-6] else yours
    return f"{theirs} their time ({yours} yours)"


def day(at: datetime, tz: str) -> str:
    local = at.astimezone(calendar.zone(tz))
    return f"{local:%a} {local.day} {local:%b}"


def working_age(people: People, blocker: Blocker, now: datetime) -> str:
    """How long it has been open in the blocked person's working time: "4 working hours", "1 working day 2 h"."""
    spent = calendar.working_time(people.rhythm, people.person(blocker.user_id), blocker.created_at, now)
    return span_words(spent, calendar.workday_length(people.rhythm))


def span_words(spent: timedelta, workday: timedelta) -> str:
    hours = spent.total_seconds() / 3600
    per_day = workday.total_seconds() / 3600 or 8
    days, rest = divmod(hours, per_day)
    rest_h = round(rest)
    if days < 1:
        h = max(round(hours), 0)
        return f"{h} working hour{'s' if h != 1 else ''}" if h else "under an hour of working time"
    text = f"{int(days)} working day{'s' if days >= 2 else ''}"
    return text + (f" {rest_h} h" if rest_h else "")


def _task(blocker: Blocker) -> str:
    if blocker.task_display_id:
        return f"`{blocker.task_display_id}` {markup.mrkdwn(markup.store(blocker.task_title or '', limit=80))}"
    return f"`{blocker.ref}` (on no task)"


def _where(blocker: Blocker) -> str:
    """Where it was raised: a link to the message when Slack gave one, else the channel, else how."""
    if blocker.raised_permalink:
        return f"<{blocker.raised_permalink}|Where it was raised>"
    if blocker.raised_channel_id and not blocker.raised_channel_id.startswith("D"):
        return f"Raised in <#{blocker.raised_channel_id}>"
    return "Raised with `/blocker`" if blocker.source == "slash" else "Raised in a standup update"


def _buttons(blocker: Blocker, action: str, level: int) -> dict[str, Any]:
    value = str(blocker.id)
    if action == "owner":
        pairs = [("Resolved", "blocker_resolve", "primary"), ("Still blocked", "blocker_still", None),
                 ("I need help", "blocker_help", None)]
    else:
        pairs = [("I'm on it", "blocker_mine", "primary"), ("Resolve", "blocker_resolve", None),
                 ("Reassign", "blocker_reassign", None)]
    elements = []
    for text, action_id, style in pairs:
        button: dict[str, Any] = {"type": "button", "action_id": action_id, "text": plain(text, L.BUTTON_TEXT), "value": value}
        if style:
            button["style"] = style
        elements.append(button)
    return {"type": "actions", "block_id": item_block_id(SUBJECT, blocker.id, level), "elements": elements}


def item(step: Step, people: People, recipient: User, now: datetime) -> tuple[str, list[dict[str, Any]]]:
    """One blocker's rung in an escalation DM (:func:`bot.blocks.escalations.escalation_dm`): (its fallback words,
    its blocks: a section, a context line saying why it came to ``recipient`` when it went elsewhere than the plain
    rule says, and its buttons: Resolved / Still blocked / I need help for one's own blocker, I'm on it / Resolve /
    Reassign for someone else's)."""
    blocker: Blocker = step.item
    tz = recipient.timezone
    person = people.users.get(blocker.user_id)
    who = person.mention if person is not None else "Someone"
    age = working_age(people, blocker, now)
    since = day(blocker.created_at, tz)
    action = step.route.action
    if action == "owner" and recipient.id in (blocker.user_id, blocker.owner_id):
        line = (f":construction: {_task(blocker)}: you're blocked on {quote(blocker.description)}, open {age} "
                f"(since {since}). Is it sorted?")
        fallback = f"Still blocked on {blocker.ref}? ({age})"
    else:
        flag = ":triangular_flag_on_post: *Flag raised (high):* " if action == "flag" else ":construction: "
        line = f"{flag}{who} has been blocked on {_task(blocker)} for {age} (since {since}): {quote(blocker.description)}"
        latest = step.extra.get("latest_word")
        if latest:
            line += f"\nTheir latest word ({short(latest[1], tz)}): {quote(latest[0], 300)}"
        else:
            line += f"\n{who} hasn't said anything about it yet."
        if blocker.owner_id and blocker.owner_id != blocker.user_id and blocker.owner_id in people.users:
            line += f"\nOwner of record: {people.users[blocker.owner_id].mention}"
        line += f"\n{_where(blocker)}."
        fallback = f"{person.display_name if person else 'Someone'} blocked on {blocker.ref} for {age}"
    blocks: list[dict[str, Any]] = [section(line)]
    notes = []
    if step.route.reason:
        notes.append(f":information_source: {step.route.reason[0].upper()}{step.route.reason[1:]}.")
    if notes:
        blocks.append(context(" ".join(notes)))
    blocks.append(_buttons(blocker, "owner" if action == "owner" and recipient.id in (blocker.user_id, blocker.owner_id)
                           else "manager", step.level))
    return fallback, blocks


def head(recipient: User, steps: Sequence[Step]) -> str:
    """The heading of a DM listing only blocker rungs: the recipient's own blockers, or others' needing an owner."""
    own = all(s.route.action == "owner" and recipient.id in (s.item.user_id, s.item.owner_id) for s in steps)
    if len(steps) == 1:
        return "A blocker of yours is still open" if own else "A blocker needs someone to own it"
    return f"{len(steps)} blockers of yours are still open" if own else f"{len(steps)} blockers need someone to own them"


def markup_safe(text: str) -> str:
    return L.fit_text(text, L.MESSAGE_TEXT)


def channel_post(steps: Sequence[Step], people: People, now: datetime) -> tuple[str, list[dict[str, Any]]]:
    """One channel post listing every blocker whose channel rung fires in this sweep for this channel."""
    lines = []
    for step in steps:
        blocker: Blocker = step.item
        person = people.users.get(blocker.user_id)
        who = person.mention if person is not None else "Someone"
        owner = people.users.get(blocker.owner_id) if blocker.owner_id else None
        lines.append(f"\u2022 {who} on {_task(blocker)}: {quote(blocker.description)}, open {working_age(people, blocker, now)}"
                     + (f" (owner of record {owner.mention})" if owner is not None and owner.id != blocker.user_id else ""))
    head = (":construction: *A blocker has been open a while* \u2014 can anyone help?" if len(steps) == 1
            else f":construction: *{len(steps)} blockers have been open a while* \u2014 can anyone help?")
    refs = list(dict.fromkeys(s.item.ref for s in steps))
    commands = ", ".join(f"`/blocker resolve {ref}`" for ref in refs)
    how = (f"the owner resolves it with {commands}" if len(refs) == 1 else f"their owners resolve them with {commands}")
    sections, _left = pack_sections(lines, L.MESSAGE_BLOCKS - 3)
    blocks = [section(head), *sections, context(L.fit_text(f"Reply in this thread if you can unblock "
                                                           f"{'it' if len(refs) == 1 else 'one'}; {how}.", L.SECTION_TEXT))]
    return markup_safe(head + "\n" + "\n".join(lines)), blocks


def outcome_words(blocker: Blocker, actor: User | None, via: str) -> str:
    """What an escalation DM's item about a blocker resolved elsewhere says instead of its buttons (the day follows):
    ":white_check_mark: Resolved by @diego (T-5 is done)"."""
    by = f" by {actor.mention}" if actor is not None else ""
    if via == "standup":
        by += " in a standup update"
    if via.startswith("task "):
        by += f" ({blocker.task_display_id or 'its task'} is {via.removeprefix('task ')})"
    return f":white_check_mark: Resolved{by}"


def resolved_text(blocker: Blocker, actor: User | None, note: str | None, via: str,
                  flags_closed: Sequence[str] = ()) -> str:
    """What everyone told hears when a blocker is resolved: by whom (or why), with the note, and the flags its
    ladder raised that closed with it (their refs)."""
    if actor is not None:
        by = f"by {actor.mention}" + (" in a standup update" if via == "standup" else "")
    else:
        by = f"because {blocker.task_display_id or 'its task'} is {via.removeprefix('task ')}" if via.startswith("task ") else "by Steward"
    if actor is not None and via.startswith("task "):
        by += f" ({blocker.task_display_id} is {via.removeprefix('task ')})"
    text = f":white_check_mark: Blocker resolved {by}: {quote(blocker.description)} on {_task(blocker)}."
    if note:
        text += f" Note: {quote(note, 300)}"
    if flags_closed:
        refs = ", ".join(f"`{r}`" for r in flags_closed)
        text += f" Flag {refs} {'is' if len(flags_closed) == 1 else 'are'} resolved with it."
    return text


LADDER_DONE = "The ladder has been through every step, so nothing more is sent"


def still_line(blocker: Blocker, viewer: User) -> str:
    """*Still blocked* pressed: the wait towards the next rung starts over (when it comes, on ``viewer``'s clock), or,
    after the last rung, that nothing more waits."""
    if blocker.next_escalation_at is None:
        return f":construction: Still blocked: noted. {LADDER_DONE}; `/blockers` shows who owns it."
    return (":construction: Still blocked: noted, and the wait starts over. Next step "
            f"{short(blocker.next_escalation_at, viewer.timezone)}.")


def taken_line(blocker: Blocker, viewer: User) -> str:
    """*I'm on it* pressed: the presser owns it; the ladder holds until when (``viewer``'s clock), or had no step left."""
    if blocker.held_until is None or blocker.next_escalation_at is None:
        return f":raised_hand: You're on it: you own it now. {LADDER_DONE}."
    return f":raised_hand: You're on it: you own it now and the ladder holds until {short(blocker.held_until, viewer.timezone)}."


def taken_text(blocker: Blocker, actor: User, owner: User, held: datetime | None, reader: User) -> str:
    """What the blocked person and a new owner of record hear when someone takes a blocker on (*I'm on it*) or gives
    it to someone (*Reassign*): each their own words (``reader``: "asked you to take") and the hold on their clock;
    no hold after the last rung."""
    if held is None or blocker.next_escalation_at is None:
        until = f" {LADDER_DONE}."
    else:
        until = f" The ladder holds until {short(held, reader.timezone)}."
    what = f"the blocker {quote(blocker.description)} on {_task(blocker)}"
    if actor.id == owner.id:
        return f":raised_hand: {actor.mention} is on {what}.{until}"
    if reader.id == owner.id:
        return (f":arrow_right: {actor.mention} asked you to take {what}: you own it now.{until} Resolve it here when "
                "it's sorted.")
    return f":arrow_right: {actor.mention} asked {owner.mention} to take {what}.{until}"


def taken_blocks(blocker: Blocker, text: str) -> list[dict[str, Any]]:
    """The message a new owner of record gets, or the blocked person when someone else opened it: the words, and the
    buttons of someone who owns a blocker (Resolved / Still blocked / I need help)."""
    return [section(text), _buttons(blocker, "owner", blocker.escalation_level)]


def opened_for_text(opened: Opened, actor: User, reader: User) -> str:
    """What the blocked person hears when ``actor`` (their manager, an admin) opened a blocker on their task: what it
    is, and when they will be asked about it, on their clock (``reader``)."""
    blocker = opened.blocker
    text = f":construction: {actor.mention} opened a blocker on your {_task(blocker)}: {quote(blocker.description)}."
    if opened.next_at is not None and opened.next_step == "owner":
        text += f" If it's still open, you'll be asked about it {short(opened.next_at, reader.timezone)}."
    elif opened.next_at is not None:
        text += f" If it's still open {short(opened.next_at, reader.timezone)}, its ladder starts."
    return text + " Press *Resolved* when it's sorted, *Still blocked* if it still holds you up."


def opened_text(opened: Opened, rhythm: calendar.Rhythm, viewer: User, ladder_words: list[str]) -> str:
    """The answer to `/blocker …`: what was opened, on what, and what happens next, when (the viewer's clock)."""
    blocker = opened.blocker
    if opened.existing:
        return (f"That blocker is already open on {_task(blocker)} (since {day(blocker.created_at, viewer.timezone)}); "
                "I'm following it up. `/blockers` shows where it is.")
    whose = "" if blocker.user_id == viewer.id else f" for <@{blocker.person_slack_id}>"
    text = f":construction: Blocker opened{whose} on {_task(blocker)}: {quote(blocker.description)}."
    if opened.next_at is not None and ladder_words:
        when = short(opened.next_at, viewer.timezone)  # when it reaches them (their reachable time), on this reader's clock
        if opened.next_step == "owner":
            who = "you'll" if blocker.owner_of_record == viewer.id else f"<@{blocker.person_slack_id}> will"
            text += f" If it's still open, {who} be asked about it {when}; the ladder: {'; '.join(ladder_words)}."
        else:
            text += f" If it's still open {when}, the ladder starts: {'; '.join(ladder_words)}."
    return text + f" Resolve it with `/blocker resolve {blocker.ref}`."


def blocker_line(blocker: Blocker, people: People, viewer: User, ladder_len: int, now: datetime) -> str:
    person = people.users.get(blocker.user_id)
    who = "you" if blocker.user_id == viewer.id else (person.mention if person else "someone")
    rung = f"rung {blocker.escalation_level} of {ladder_len}" if blocker.escalation_level else "not escalated yet"
    nxt = f", next {short(blocker.next_escalation_at, viewer.timezone)}" if blocker.next_escalation_at else ""
    owner = people.users.get(blocker.owner_id) if blocker.owner_id else None
    on_it = ("" if owner is None or owner.id == blocker.user_id else ", you're on it" if owner.id == viewer.id
             else f", {owner.mention} is on it")
    return (f"\u2022 `{blocker.ref}` {who}: {quote(blocker.description, 150)} \u2014 open {working_age(people, blocker, now)}"
            f" ({rung}{nxt}{on_it})")


def blockers_list(blockers: Sequence[Blocker], people: People, viewer: User, ladder_len: int, now: datetime) -> tuple[str, list[dict[str, Any]]]:
    """`/blockers`: the open blockers the asker may see, oldest first, with their age and rung."""
    if not blockers:
        return "No open blockers you can see. :tada:", [section("No open blockers you can see. :tada:")]
    lines = [blocker_line(b, people, viewer, ladder_len, now) for b in blockers]
    head = f"*Open blockers* ({len(blockers)})"
    sections, _left = pack_sections(lines, L.MESSAGE_BLOCKS - 2, more="\u2026and {n} more.")
    return markup_safe(head + "\n" + "\n".join(lines)), [section(head), *sections]

