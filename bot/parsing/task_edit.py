"""`/task edit T-n <words>`: the words read as changes to a task. Pure: no I/O, ``now`` is a parameter.

Words (any order, one of each; a title runs to the end, so it comes last):

  ``due <date words>``   read by the offline date rules (:func:`bot.parsing.dates.resolve_when`) in the
                        person's timezone and date order: "due monday", "due 3/4", "due Friday 5pm",
                        "due in 2 weeks"; a time of day said with it is kept.
  ``no due date``        (also "due none", "no deadline", "undated") clears the due date.
  ``size <xs..xl>``      xs, s, m, l, xl (or small, medium, large, extra small, extra large).
  ``client <name>``      a client's name, as `/tasks <client>` takes it; "client none" / "no client" clears it.
  ``project <name>``     a project's name (any case, or the start of it); "project none" / "no project" clears it.
  ``title <text>``       the new title (Slack markup kept as written).

Anything else gets a specific answer (:class:`bot.errors.InvalidInput`) naming the words that were not
understood and what is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime

from bot import slack_markup as markup
from bot.errors import InvalidInput

from .dates import make_ctx, resolve_when
from .models import DateOrder
from .text import remove_spans

_F = re.IGNORECASE
_CLEAR_DUE = r"no\s+due(?:\s+date)?|no\s+deadline|no\s+date|undated"
_FIELD = re.compile(
    rf"(?<![\w<|@#-])(?P<kw>{_CLEAR_DUE}|no\s+client|no\s+project|due(?:\s+date)?|deadline|title|rename(?:\s+to)?|size|client"
    r"|project)"
    r"(?![\w-])\s*(?::|=)?\s*",
    _F,
)
_NONE = re.compile(r"^(?:none|nothing|no|-+|n/?a|never)$", _F)
# Words around a date that say nothing more than "the due date is": "due by Friday", "due on the 9th".
_DATE_FILLER = re.compile(r"\b(?:by|on|at|before|the|this|is|to|until|till|of)\b|[\s,.;:!]+", _F)
SIZE_WORDS: dict[str, str] = {
    "xs": "xs", "s": "s", "m": "m", "l": "l", "xl": "xl",
    "x-small": "xs", "extra small": "xs", "extra-small": "xs", "tiny": "xs", "small": "s", "medium": "m",
    "large": "l", "big": "l", "x-large": "xl", "extra large": "xl", "extra-large": "xl", "huge": "xl",
}
HOW = ("Say what to change: `due <date>` (or `no due date`), `size xs|s|m|l|xl`, `client <name>` (or `no client`), "
       "`project <name>` (or `project none`), `title <new title>`; `/task edit {id}` alone opens the form.")


@dataclass(frozen=True)
class EditWords:
    """What the words asked for; a field left ``None`` (``due``/``client``: not ``*_given``) stays as it is."""
    title: str | None = None  # the new title, stored form (Slack markup as written)
    due_given: bool = False
    due_date: date | None = None  # None with due_given: clear the due date
    due_at: datetime | None = None  # the time of day when one was said (aware, the person's zone)
    client_given: bool = False
    client: str | None = None  # the client's name as written; None with client_given: no client
    project_given: bool = False
    project: str | None = None  # the project's name as written; None with project_given: no project
    size: str | None = None  # xs, s, m, l or xl


def parse_edit_words(text: str, *, display_id: str, now: datetime, tz: str, date_order: DateOrder) -> EditWords:
    """Read the words after `/task edit T-n` (``text``, as Slack delivers it) as changes, see the module doc.

    ``now`` is aware; ``tz`` the person's IANA zone and ``date_order`` theirs ("MDY"/"DMY"), for the due
    date. Raises InvalidInput for empty text, words that are not a change, a field said twice, an empty
    or unreadable value."""
    how = HOW.format(id=display_id)
    text = (text or "").strip()
    fields = list(_FIELD.finditer(text))
    if not text or not fields or text[: fields[0].start()].strip():
        stray = text[: fields[0].start()].strip() if fields else text
        hint = _as_due_hint(stray, display_id, now, tz, date_order)
        raise InvalidInput(f"I don't know how to change `{markup.escape(markup.plain_text(stray))[:60]}` on {display_id}. "
                           + (hint or how))
    values: dict[str, str] = {}
    for i, m in enumerate(fields):
        kw = re.sub(r"\s+", " ", m["kw"].lower())
        if values.get("title") is not None:
            break  # a title runs to the end: the words after it are part of it
        key = ("due" if kw.startswith(("due", "deadline")) or re.fullmatch(_CLEAR_DUE, kw, _F) else
               "client" if kw.endswith("client") else "project" if kw.endswith("project")
               else "title" if kw.startswith(("title", "rename")) else kw)
        if key in values:
            raise InvalidInput(f"You said `{key}` twice; say each change once. {how}")
        if key == "title":
            values[key] = text[m.end():].strip()
            continue
        end = fields[i + 1].start() if i + 1 < len(fields) else len(text)
        value = text[m.end():end].strip().rstrip(",;").strip()
        if kw.startswith("no ") or kw == "undated":
            if value:
                raise InvalidInput(f"I don't know what `{markup.escape(value)[:60]}` means after `{kw}`. {how}")
            value = "none"
        values[key] = value
    result = EditWords()
    if "title" in values:
        if not markup.read(values["title"]).plain.strip():
            raise InvalidInput(f"What should the title be? `/task edit {display_id} title <new title>`.")
        result = replace(result, title=values["title"])
    if "size" in values:
        size = SIZE_WORDS.get(re.sub(r"\s+", " ", values["size"].lower()))
        if size is None:
            raise InvalidInput(f"`{markup.escape(values['size'])[:30] or '(nothing)'}` isn't a size. Sizes are xs, s, m, l and xl.")
        result = replace(result, size=size)
    if "client" in values:
        name = markup.read(values["client"]).plain.strip()
        if not name:
            raise InvalidInput(f"Which client? `/task edit {display_id} client <name>` (or `no client`).")
        result = replace(result, client_given=True, client=None if _NONE.match(name) else values["client"])
    if "project" in values:
        name = markup.read(values["project"]).plain.strip()
        if not name:
            raise InvalidInput(f"Which project? `/task edit {display_id} project <name>` (or `project none`).")
        result = replace(result, project_given=True, project=None if _NONE.match(name) else name)
    if "due" in values:
        due, at = _due(values["due"], display_id, now, tz, date_order)
        result = replace(result, due_given=True, due_date=due, due_at=at)
    return result


def _due(value: str, display_id: str, now: datetime, tz: str, date_order: DateOrder) -> tuple[date | None, datetime | None]:
    plain = markup.read(value).plain.strip()
    if not plain:
        raise InvalidInput(f"Due when? `/task edit {display_id} due friday` (or `no due date`).")
    if _NONE.match(plain):
        return None, None
    ctx = make_ctx(now, tz, date_order)
    when, _hits = resolve_when(plain, ctx)
    left = _DATE_FILLER.sub(" ", remove_spans(plain, list(when.spans))).strip() if when is not None else plain
    if when is None or left:
        unread = left if when is not None else plain
        raise InvalidInput(f"I couldn't read `{markup.escape(unread)[:60]}` as a date. Try `due friday`, `due 9 March`, "
                           f"`due tomorrow 5pm` or `no due date`.")
    if when.instant is not None:
        return when.day, when.instant
    if when.at is not None:
        return when.day, datetime.combine(when.day, when.at, ctx.zone)
    return when.day, None


def _as_due_hint(words: str, display_id: str, now: datetime, tz: str, date_order: DateOrder) -> str | None:
    """"Did you mean `due friday`?" when the stray words are a date on their own."""
    plain = markup.read(words).plain.strip()
    if not plain:
        return None
    try:
        _due(plain, display_id, now, tz, date_order)
    except InvalidInput:
        return None
    return f"To change the due date, say `/task edit {display_id} due {markup.escape(plain)[:60]}`."
