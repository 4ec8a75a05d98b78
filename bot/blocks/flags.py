"""Flags and private inquiries in Slack (pure): a flag's card with Open inquiry / Resolve / Dismiss, the answers to
`/flag` and `/flags`, the two threads of an inquiry and the words relayed in them. Words people wrote go through
:func:`bot.slack_markup.mrkdwn`; every message stays inside Slack's limits (:mod:`bot.slack_limits`). Nothing here
ever shows an inquiry message's body to anyone but its two people (the relay is the only place that renders one)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from bot import slack_limits as L
from bot import slack_markup as markup
from bot.blocks.blockers import day, quote, theirs_and_yours
from bot.blocks.kit import context, pack_sections, plain, section
from bot.services.escalations import flag_block_id
from bot.services.flags import Flag, Raised
from db.rows import User

BUTTONS = (("Open inquiry", "flag_inquiry", "primary"), ("Resolve", "flag_resolve", None), ("Dismiss", "flag_dismiss", "danger"))
# What raised a rule's flag, in words (flags.type).
RULES = {"low_mood": "the low-mood rule (several low check-ins in a row)",
         "blocker_escalated": "the blocker ladder's last rung",
         "overdue_escalated": "the overdue ladder's flag rung"}
SEVERITY_EMOJI = {"low": ":white_circle:", "medium": ":large_yellow_circle:", "high": ":large_orange_circle:",
                  "critical": ":red_circle:"}
# Evidence keys shown as they are named here (others as written, at most this many).
EVIDENCE_WORDS = {"rule": "Rule", "checkins": "Check-ins", "threshold": "At or below", "from": "From", "to": "To",
                  "task": "Task", "title": "Task title", "due_date": "Due", "project": "Project",
                  "blocker": "Blocker", "blocked_since": "Blocked since", "raised_at": "Blocked since",
                  "open_for": "Open for", "description": "Blocked on", "reason": "Reason", "raised_by": "Raised by"}
# Evidence values that are a date or an instant (ISO), shown as a day on the reader's clock ("Wed 23 Dec").
EVIDENCE_DAYS = {"from", "to", "due_date", "blocked_since", "raised_at"}
# Internal numbers an older flag may carry (a rung's index, a row id): not shown.
EVIDENCE_HIDDEN = {"reason", "raised_by", "level"}
MAX_EVIDENCE = 8
# A rule's key in the evidence, in words.
RULE_WORDS = {"consecutive_low_checkins": "several low mood check-ins in a row"}


def source(flag: Flag, raiser: User | None) -> str:
    """Who or what raised it: "Raised by @maya", "Raised by the blocker ladder's last rung"."""
    if flag.raised_by is not None:
        return f"Raised by {raiser.mention}" if raiser is not None else "Raised by someone who has since left"
    return "Raised by " + RULES.get(flag.type, f"the rule `{flag.type}`")


def _evidence_day(value: Any, tz: str) -> str | None:
    """An ISO date or instant as a day on ``tz``'s clock ("Wed 23 Dec"); None when it is neither."""
    try:
        if isinstance(value, str) and len(value) == 10:
            d = date.fromisoformat(value)
            return f"{d:%a} {d.day} {d:%b}"
        return day(datetime.fromisoformat(str(value)), tz)
    except ValueError:
        return None


def evidence_lines(flag: Flag, tz: str) -> list[str]:
    """The flag's evidence as "Name: value" lines as people read them (user-written values made safe; dates and
    instants as days on the reader's clock ``tz``, an IANA zone; internal numbers left out), without what the reason
    says."""
    out = []
    for key, value in list((flag.evidence or {}).items())[:MAX_EVIDENCE]:
        if value in (None, "", []) or key in EVIDENCE_HIDDEN or (key == "blocker" and not isinstance(value, str)):
            continue
        if key == "rule":
            value = RULE_WORDS.get(str(value), value)
        if key in EVIDENCE_DAYS:
            value = _evidence_day(value, tz) or value
        shown = quote(str(value), 200) if key in ("description", "title") else markup.escape(str(value))[:200]
        out.append(f"{EVIDENCE_WORDS.get(key, markup.escape(str(key))[:40])}: {shown}")
    return out


def buttons(flag: Flag) -> dict[str, Any]:
    elements = []
    for text, action_id, style in BUTTONS:
        button: dict[str, Any] = {"type": "button", "action_id": action_id, "text": plain(text, L.BUTTON_TEXT),
                                  "value": str(flag.id)}
        if style:
            button["style"] = style
        elements.append(button)
    return {"type": "actions", "block_id": flag_block_id(flag.id), "elements": elements}


def card(flag: Flag, person: User, raiser: User | None, recipient: User) -> tuple[str, list[dict[str, Any]]]:
    """The card a flag's recipient gets: who it is about, its reason or rule, its evidence, who raised it, and the
    buttons Open inquiry / Resolve / Dismiss."""
    emoji = SEVERITY_EMOJI.get(flag.severity, ":triangular_flag_on_post:")
    head = f":triangular_flag_on_post: *Flag `{flag.ref}` about {person.mention}* \u00b7 {emoji} {flag.severity}"
    lines = [head, f"*{markup.mrkdwn(flag.title)}*"]
    if flag.description and markup.read(flag.description).plain.strip() != markup.read(flag.title).plain.strip():
        lines.append(markup.mrkdwn(markup.store(flag.description, limit=1500)))
    blocks: list[dict[str, Any]] = [section("\n".join(lines))]
    evidence = evidence_lines(flag, recipient.timezone)
    if evidence:
        blocks.append(section("*Evidence*\n" + "\n".join(f"\u2022 {e}" for e in evidence)))
    notes = [f"{source(flag, raiser)} on {day(flag.created_at, recipient.timezone)}."]
    if flag.is_private:
        notes.append(":lock: Private: only you got this. Their scores, notes and journal stay private to them.")
    notes.append("Open inquiry starts a private conversation with them that I relay: only the two of you can read it.")
    blocks.append(context(" ".join(notes)))
    blocks.append(buttons(flag))
    fallback = f"Flag {flag.ref} about {person.display_name}: {markup.read(flag.title).plain}"
    if flag.type == "low_mood":
        fallback = (f":lock: Private \u00b7 {person.mention}'s recent mood check-ins have been low several times in a row. "
                    "It may be a good moment for a private, supportive 1:1.")
    return L.fit_text(fallback, L.MESSAGE_TEXT), blocks


def raised_text(raised: Raised, person: User, actor: User) -> str:
    """The answer to `/flag @person <reason>`: what was raised, who got its card, and when a card that waits for its
    recipient's quiet hours reaches them (on their clock and the reader's, ``actor``)."""
    flag, told = raised.flag, raised.told
    if [u.id for u in told] == [actor.id]:
        where = "I've sent you its card in our DM, with Open inquiry / Resolve / Dismiss."
    elif told:
        where = f"Its card went to {', '.join(u.mention for u in told)}."
        waiting = [(u, raised.held_until[u.id]) for u in told if u.id in raised.held_until]
        if len(waiting) == 1 and len(told) == 1:
            where = (f"{where[:-1]}: it waits for their quiet hours and reaches them "
                     f"{theirs_and_yours(waiting[0][1], told[0].timezone, actor.timezone)}.")
        elif waiting:
            where += " Held for their quiet hours: " + "; ".join(
                f"{u.mention} gets it {theirs_and_yours(at, u.timezone, actor.timezone)}" for u, at in waiting) + "."
    else:
        where = "Nobody could be told (no manager or admin is set up)."
    return f":triangular_flag_on_post: Flag `{flag.ref}` raised about {person.mention}: {quote(flag.title)}. {where}"


def already_closed(flag: Flag, by: User | None, viewer: User) -> str:
    """Why a closed flag can't be resolved, dismissed or asked about again: by whom and when (the viewer's zone)."""
    when = f" on {day(flag.resolved_at, viewer.timezone)}" if flag.resolved_at else ""
    who = f" by {'you' if by is not None and by.id == viewer.id else by.mention}" if by is not None else ""
    return f"Flag `{flag.ref}` was already {flag.status}{who}{when}. Nothing to do."


def closed_for_person(actor: User | None, opener: User | None) -> str:
    """What the person hears when the flag of their inquiry is resolved or dismissed (``actor`` None: its cause
    went, a blocker resolved or a task closed)."""
    with_whom = opener.mention if opener is not None else "your manager"
    by = ("" if actor is None or (opener is not None and opener.id == actor.id)
          else f" ({actor.mention} closed it)")
    return (f":lock: Your private conversation with {with_whom} through me is closed{by}. Thank you for talking; "
            "anything you write in it now stays with you.")


def closed_for_opener(flag: Flag, actor: User | None, status: str) -> str:
    """What an inquiry's opener hears when someone else resolved or dismissed its flag (``actor`` None: its cause
    went)."""
    who = f"{actor.mention} {status}" if actor is not None else f"{flag.note or 'its cause went'}: I {status}"
    return (f":lock: {who} flag `{flag.ref}` about <@{flag.person_slack_id}>, so your private "
            "conversation with them is closed.")


def flag_line(flag: Flag, viewer: User, messages: int | None = None, raiser: User | None = None) -> str:
    """One flag in a list: ref, person, severity, title, status and since when, its inquiry (existence only).

    A flag about the viewer themselves shows that it exists, who or what raised it (``raiser``: the person who did),
    its status and since when, but not its reason, severity or evidence: those are for the manager who owns it,
    as an inquiry does not tell the person the reason either (README, "Flags and private inquiries")."""
    status = flag.status if flag.status != "acknowledged" else "open (acknowledged)"
    when = day(flag.resolved_at if flag.resolved_at and not flag.is_open else flag.created_at, viewer.timezone)
    if flag.user_id == viewer.id:
        by = source(flag, raiser)
        line = (f"\u2022 `{flag.ref}` about you \u00b7 {by[0].lower()}{by[1:]} \u2014 "
                f"{status} {'since' if flag.is_open else 'on'} {when}")
    else:
        line = (f"\u2022 `{flag.ref}` <@{flag.person_slack_id}> \u00b7 {flag.severity} \u00b7 {quote(flag.title, 120)} "
                f"\u2014 {status} {'since' if flag.is_open else 'on'} {when}")
    if flag.inquiry_id is not None:
        count = f", {messages} message{'s' if messages != 1 else ''}" if messages is not None else ""
        private = "" if viewer.id in (flag.user_id, flag.inquiry_opened_by) else "; its words are for its two people only"
        line += f" \u00b7 :lock: private inquiry {flag.inquiry_status}{count}{private}"
    return line


def flags_list(found: Sequence[Flag], viewer: User, counts: Mapping[int, int],
               raisers: Mapping[int, User] | None = None) -> tuple[str, list[dict[str, Any]]]:
    """`/flags`: the flags the asker may see, open first (``raisers``: the people who raised them, by user id).
    Flags about the asker are shown as :func:`flag_line` says; the footer names the card's buttons only to those
    who have cards (flags about someone else)."""
    if not found:
        text = "No flags you can see. :white_check_mark:"
        return text, [section(text)]
    raisers = raisers or {}
    open_count = sum(1 for f in found if f.is_open)
    head = f"*Flags* ({open_count} open" + (f", {len(found) - open_count} closed lately)" if len(found) > open_count else ")")
    lines = [flag_line(f, viewer, counts.get(f.inquiry_id) if f.inquiry_id else None,
                       raisers.get(f.raised_by) if f.raised_by is not None else None) for f in found]
    sections, _left = pack_sections(lines, L.MESSAGE_BLOCKS - 2, more="\u2026and {n} more.")
    notes = []
    if any(f.user_id != viewer.id for f in found):
        notes.append("Each open flag's card (in its manager's DM, and App Home) has Open inquiry / Resolve / Dismiss.")
    if any(f.user_id == viewer.id for f in found):
        notes.append("A flag about you is your manager's to follow up, and its reason is for them; they may ask you for "
                     "a private word, and you'll hear when it's closed.")
    tail = context(" ".join(notes))
    return L.fit_text(head + "\n" + "\n".join(lines), L.MESSAGE_TEXT), [section(head), *sections, tail]


# ---------------------------------------------------------------- the inquiry's two threads

def manager_root(flag: Flag, person: User, opener: User) -> tuple[str, list[dict[str, Any]]]:
    """The message that starts the opener's thread: what it is, how it works, and Resolve / Dismiss."""
    them, you = markup.escape(person.display_name), markup.escape(opener.display_name)
    text = (f":lock: *Private inquiry with {person.mention}* about flag `{flag.ref}` ({quote(flag.title, 150)}).\n"
            f"Write to {them} here, in this thread: I'll pass each message on as \u201c{you} asks: \u2026\u201d and "
            f"bring their replies back here. Only you and {them} can read this conversation; admins see only that it "
            "exists.")
    elements = [e for e in buttons(flag)["elements"] if e["action_id"] != "flag_inquiry"]
    blocks = [section(text), context("Resolve or Dismiss closes the conversation; they'll be told it's closed."),
              {"type": "actions", "block_id": f"inquiry:{flag.id}", "elements": elements}]
    return L.fit_text(text, L.MESSAGE_TEXT), blocks


def person_root(opener: User) -> str:
    """The message that starts the person's thread: who wants to talk, and that it is private."""
    return (f":lock: *{markup.escape(opener.display_name)} would like a private word with you.* They write to you "
            f"through me, and you'll see their messages here, in this thread. Reply in this thread and I'll pass your "
            f"words to {markup.escape(opener.display_name)}. Only the two of you can read this conversation.")


def relayed(sender: User, side: str, body: str) -> str:
    """A message passed on: "*Maya asks:* …" to the person, "*Priya replies:* …" to the opener."""
    verb = "asks" if side == "manager" else "replies"
    return L.fit_text(f"*{markup.escape(sender.display_name)} {verb}:* {markup.mrkdwn(body)}", L.MESSAGE_TEXT)


# ---------------------------------------------------------------- a reply written outside the inquiry's thread

REPLY_SEND = "inquiry_reply_send"
REPLY_OTHER = "inquiry_reply_other"


def reply_where(waiting: Sequence[Any], message_ts: str) -> tuple[str, list[dict[str, Any]]]:
    """The question asked when a person writes in the DM itself while a manager's private conversation with them
    waits for a reply (``waiting``: :class:`bot.services.inquiries.Awaiting`): one *Send to <name>* button per
    conversation, and *It's something else*. Nothing is passed on or drafted until they choose."""
    names = [markup.escape(w.opener.display_name) for w in waiting]
    if len(waiting) == 1:
        text = (f":lock: Is that for {names[0]}, in your private conversation? I haven't passed it on. "
                f"(Next time, reply in the conversation's thread and it goes straight to {names[0]}.)")
    else:
        text = (":lock: Is that for one of your private conversations? I haven't passed it on. Pick who it's for "
                "(next time, reply in the conversation's thread and it goes straight there).")
    elements = [{"type": "button", "action_id": f"{REPLY_SEND}:{w.inquiry_id}", "style": "primary" if len(waiting) == 1
                 else None, "text": plain(f"Send to {w.opener.display_name}", L.BUTTON_TEXT),
                 "value": f"{w.inquiry_id}:{message_ts}"} for w in waiting]
    for element in elements:
        if element["style"] is None:
            del element["style"]
    elements.append({"type": "button", "action_id": REPLY_OTHER, "text": plain("It's something else", L.BUTTON_TEXT),
                     "value": message_ts})
    return L.fit_text(text, L.MESSAGE_TEXT), [section(text), {"type": "actions", "block_id": f"reply_where:{message_ts}",
                                                              "elements": elements}]
