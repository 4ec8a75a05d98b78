"""Slack markup in what people write: one reader, one writer.

Slack delivers message text (and slash-command text, with ``should_escape``) with its own markup
(https://api.slack.com/reference/surfaces/formatting, "Escaping text" and "Advanced formatting"):

* ``<@U123>`` / ``<@U123|name>`` a person, ``<#C123>`` / ``<#C123|name>`` a channel,
* ``<https://…>`` / ``<https://…|label>`` / ``<mailto:…|label>`` a link,
* ``<!here>``, ``<!channel>``, ``<!everyone>`` (and the legacy ``<!group>``) special mentions,
  ``<!subteam^S123|@team>`` a user-group mention, ``<!date^…|fallback>`` a date,
* ``&amp;`` ``&lt;`` ``&gt;`` for the only three characters Slack escapes, and ``:emoji:``
  shortcodes (with skin tones as ``:+1::skin-tone-2:``) as plain text.

:func:`read` turns such text into a :class:`SlackText`: ``plain`` words for parsers, matching and
the language model (people as ``@name``, channels as ``#name``, links as their label, special
mentions as ``@here``, entities decoded, emoji shortcodes kept), the :class:`Ref` of every piece of
markup with its span in the original and in ``plain``, and the original.

**What Steward stores** for user-written text (task titles, blockers, reminders, journals, notes) is
the *stored form*: Slack markup for people, channels, links and dates, so they render as Slack
renders them, and decoded text for everything else ("Q&A", "a < b"). Special and user-group
mentions are never stored as markup: they are stored as the neutralised words "@\u200bchannel",
"@\u200bdesign" (see below). An ``&`` or ``<``
that would otherwise read back as an entity or as markup keeps its entity (``&amp;lt;``,
``&lt;@U1>``), so the stored form reads back exactly. :func:`store` and :meth:`SlackText.stored`
write it; :func:`read` reads it (as it reads Slack's own text).

**What Steward writes into Block Kit ``mrkdwn``** (and a message's ``text``) goes through
:func:`mrkdwn` (user-written text, which may hold markup) or :func:`escape` (literal text such
as a name): people, channels, links and dates stay markup, everything else is escaped exactly once
(applying it twice changes nothing), emoji shortcodes stay intact, and nothing pings by accident:
``<!channel>``, ``<!here>``, ``<!everyone>``, ``<!subteam^…>`` and the plain words "@channel",
"@here", "@everyone" (which Slack turns into pings when a message is posted with
``link_names``/``parse=full``) are shown as "@\u200bchannel": an ``@``, a zero-width space
(:data:`NO_PING`), then the name. They read the same and notify no one.
``plain_text`` objects (buttons, options, headers, modal fields) take :func:`plain_text`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

RefKind = Literal["user", "channel", "link", "special", "usergroup", "date", "unknown"]

NO_PING = "\u200b"  # between "@" and "channel": reads the same, notifies no one
SPECIAL_MENTIONS = frozenset({"here", "channel", "everyone", "group"})  # "group": the legacy @channel of private groups

# An emoji shortcode (":rocket:", ":+1::skin-tone-2:", ":100:"); not "10:30:45" (no digit before the colon).
EMOJI = re.compile(r"(?<!\d):[a-z0-9_+\-]{1,100}:(?::skin-tone-[2-6]:)?")

_TOKEN = re.compile(r"<([^<>]*)>|&(amp|lt|gt);")
_ENTITY = {"amp": "&", "lt": "<", "gt": ">"}
_ENTITY_TEXT = re.compile(r"&(?:amp|lt|gt);")
_USER = re.compile(r"@([UW][A-Z0-9]+)(?:\|(.*))?", re.S)
_CHANNEL = re.compile(r"#([CG][A-Z0-9]+)(?:\|(.*))?", re.S)
_LINK = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]{0,31}:[^|\s]+)(?:\|(.*))?", re.S)
_BANG = re.compile(r"!([a-z]+)(\^[^|]*)?(?:\|(.*))?", re.S)
_BROADCAST_WORD = re.compile(r"(?<![\w.@])@(channel|here|everyone)(?![\w-])", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
_ELLIPSIS = "\u2026"


@dataclass(frozen=True, slots=True)
class Ref:
    """One piece of Slack markup found in text.

    ``target`` is the user id (``U123``), channel id (``C123``), URL, special mention name
    (``here``), user-group id (``S123``) or date spec (``1392734382^{date}``); ``label`` the text
    after ``|`` with entities decoded (None when absent); ``raw`` the markup as written; ``span``
    its (start, end) in the original text and ``plain_span`` in :attr:`SlackText.plain`.
    """

    kind: RefKind
    target: str
    label: str | None
    raw: str
    span: tuple[int, int]
    plain_span: tuple[int, int]
    plain: str  # how it reads in plain text: "@Priya", "#general", "PR #42", "@here"

    @property
    def pings(self) -> bool:
        """True for the mentions that notify a whole channel or group."""
        return self.kind in ("special", "usergroup")

    @property
    def kept(self) -> bool:
        """True when the stored form and mrkdwn keep it as markup (people, channels, links, dates)."""
        return self.kind in ("user", "channel", "link", "date")

    def markup(self) -> str:
        """Its markup as Steward stores and posts it (entities minimal in storage, see the module doc)."""
        return _ref_markup(self, _token_text, stored=True)


@dataclass(frozen=True, slots=True)
class SlackText:
    """Slack text read once: ``plain`` words, the ``refs`` in order, and the ``original``."""

    original: str
    plain: str
    refs: tuple[Ref, ...]
    _segments: tuple[str | Ref, ...]

    @property
    def users(self) -> tuple[str, ...]:
        """User ids mentioned, in order of first mention."""
        return tuple(dict.fromkeys(r.target for r in self.refs if r.kind == "user"))

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.target for r in self.refs if r.kind == "channel"))

    @property
    def links(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.target for r in self.refs if r.kind == "link"))

    @property
    def pings(self) -> tuple[Ref, ...]:
        """The special and user-group mentions (each would notify many people if echoed)."""
        return tuple(r for r in self.refs if r.pings)

    @property
    def has_words(self) -> bool:
        """True when the text says something besides markup and emoji (letters or digits outside them)."""
        words = "".join(s for s in self._segments if isinstance(s, str))
        return any(ch.isalnum() for ch in EMOJI.sub(" ", words))

    def without(self, *kinds: RefKind) -> str:
        """``plain`` with the references of these kinds left out, spaces collapsed ("/tasks <@U1> Acme" -> "Acme")."""
        parts = [s if isinstance(s, str) else (" " if s.kind in kinds else s.plain) for s in self._segments]
        return _SPACES.sub(" ", "".join(parts)).strip()

    def plain_keeping(self, *kinds: RefKind) -> str:
        """``plain``, except that references of these kinds stay markup (memory keeps "<@U123>")."""
        return "".join(s if isinstance(s, str) else (s.markup() if s.kind in kinds else s.plain) for s in self._segments)

    def stored(self, fragment: str | None = None, *, limit: int | None = None) -> str:
        """The stored form (module doc) of the whole text, or of ``fragment``: a piece of ``plain``
        (or a phrase built from it, like a parser's title) in which the plain forms of people,
        channels, links and dates become their markup again ("review PR #42 with @Priya" ->
        "review <https://…|PR #42> with <@U0PRIYA>"). A plain form found more often than it was
        written matches in order. ``limit`` (characters) shortens the result at a word or
        reference boundary, ending with "…"; markup is never cut in half.
        """
        if fragment is None:
            segments: list[str | Ref] = list(self._segments)
        else:
            segments = self._restore(fragment)
        return _join_stored(segments, limit)

    def _restore(self, fragment: str) -> list[str | Ref]:
        queues: dict[str, list[Ref]] = {}
        for ref in self.refs:
            if (ref.kept or ref.pings) and ref.plain.strip():
                queues.setdefault(ref.plain, []).append(ref)
        if not queues:
            return [fragment]
        pattern = re.compile("|".join(_bounded(p) for p in sorted(queues, key=len, reverse=True)))
        used: dict[str, int] = {}
        out: list[str | Ref] = []
        pos = 0
        for m in pattern.finditer(fragment):
            options = queues[m.group()]
            n = used.get(m.group(), 0)
            used[m.group()] = n + 1
            out.append(fragment[pos:m.start()])
            out.append(options[min(n, len(options) - 1)])
            pos = m.end()
        out.append(fragment[pos:])
        return [s for s in out if s != ""]


def read(text: str | None) -> SlackText:
    """Read Slack text (or Steward's stored form) into a :class:`SlackText`.

    People read as "@name" when the mention carries a ``|name``, else as "@U123". Lenient: a ``<``
    that opens no valid markup, and an ``&`` that is not one of Slack's three entities, are plain
    characters. Never raises.
    """
    original = text or ""
    segments: list[str | Ref] = []
    refs: list[Ref] = []
    plain: list[str] = []
    at = 0  # plain length so far
    literal: list[str] = []
    pos = 0

    def flush() -> None:
        nonlocal at
        if literal:
            chunk = "".join(literal)
            literal.clear()
            segments.append(chunk)
            plain.append(chunk)
            at += len(chunk)

    while True:
        m = _TOKEN.search(original, pos)
        if m is None:
            literal.append(original[pos:])
            break
        literal.append(original[pos:m.start()])
        if m.group(2):  # an entity
            literal.append(_ENTITY[m.group(2)])
            pos = m.end()
            continue
        found = _classify(m.group(1))
        if found is None:  # "<" that opens no markup: a plain "<", then read on after it
            literal.append("<")
            pos = m.start() + 1
            continue
        flush()
        kind, target, label, stand_in = found
        ref = Ref(kind, target, label, m.group(), (m.start(), m.end()), (at, at + len(stand_in)), stand_in)
        refs.append(ref)
        segments.append(ref)
        plain.append(stand_in)
        at += len(stand_in)
        pos = m.end()
    flush()
    return SlackText(original, "".join(plain), tuple(refs), tuple(segments))


def mrkdwn(text: str | None, *, names: Mapping[str, str] | None = None) -> str:
    """User-written text (Slack's or the stored form) -> Block Kit ``mrkdwn`` / a message's ``text``.

    People, channels, links and dates stay markup; special and user-group mentions (as markup or as
    the words "@channel"/"@here"/"@everyone") are neutralised as "@\u200bname"; everything else is
    escaped exactly once. Idempotent: ``mrkdwn(mrkdwn(x)) == mrkdwn(x)``.

    ``names`` (Slack user id -> name), when given, writes people as their names instead of mentions
    ("Priya Nair", else the mention's label, else "@U123"): for text posted where the people it quotes
    would be notified again (a memory answer in a channel thread).
    """
    out = []
    for seg in read(text)._segments:
        if isinstance(seg, str):
            out.append(escape(seg))
        elif names is not None and seg.kind == "user":
            out.append(escape(names.get(seg.target) or (seg.label or "").lstrip("@") or "@" + seg.target))
        elif seg.kept:
            out.append(_ref_markup(seg, _escape_all, stored=False))
        else:
            out.append(escape(seg.plain) if seg.kind == "unknown" else _no_ping(seg.plain))
    return "".join(out)


def escape(text: str | None) -> str:
    """Literal text (a name, a label, a word someone typed) -> ``mrkdwn``: ``&``, ``<``, ``>``
    escaped and the words "@channel", "@here", "@everyone" neutralised. No markup survives."""
    return _BROADCAST_WORD.sub(lambda m: "@" + NO_PING + m.group(1), _escape_all(text or ""))


_PING_MARKUP = re.compile(r"<!(?:(here|channel|everyone|group)|subteam\^[^|<>]*)(?:\|([^<>]*))?>")


def no_pings(text: str | None) -> str:
    """Text already written as ``mrkdwn`` (an answer or an error message that quotes what someone typed) with
    every special and user-group mention neutralised as "@\u200bname", as :func:`mrkdwn` writes them, and
    everything else left exactly as it is (people, links, escapes). For text Steward composed around
    user input; user input itself goes through :func:`mrkdwn` or :func:`escape`."""
    def quiet(m: re.Match[str]) -> str:
        name = m.group(1) or (_decode(m.group(2)) or "").strip().lstrip("@") or "group"
        return "@" + NO_PING + _escape_all(name)

    return _BROADCAST_WORD.sub(lambda m: "@" + NO_PING + m.group(1), _PING_MARKUP.sub(quiet, text or ""))


def plain_text(text: str | None) -> str:
    """User-written text -> what a ``plain_text`` object shows (which renders no markup): :attr:`SlackText.plain`."""
    return read(text).plain


def with_names(text: str | None, names: Mapping[str, str]) -> str:
    """``text`` with each person mention labelled with their name (``<@U123>`` -> ``<@U123|Priya>``)
    where ``names`` (Slack user id -> display name) knows them, so plain-text fields (select options,
    modal inputs) read "@Priya" instead of "@U123". Everything else is unchanged."""
    if not names:
        return text or ""
    out = []
    for seg in read(text)._segments:
        if isinstance(seg, Ref) and seg.kind == "user" and seg.target in names:
            out.append(f"<@{seg.target}|{_token_text(names[seg.target])}>")
        else:
            out.append(seg.raw if isinstance(seg, Ref) else _escape_all(seg))
    return "".join(out)


def editable(stored: str | None, names: Mapping[str, str]) -> str:
    """A stored text as a person edits it in a modal's plain-text input ("review PR #42 with @Priya")."""
    return read(with_names(stored, names)).plain


def from_edit(original: str | None, edited: str, names: Mapping[str, str]) -> str:
    """What a person typed over :func:`editable` text, back in the stored form: the people, channels and
    links of ``original`` whose plain form ("@Priya", "PR #42") is still there become markup again."""
    return read(with_names(original, names)).stored(edited)


def store(text: str | None, *, limit: int | None = None) -> str:
    """Slack text, stored form or typed text (a modal's input) -> the stored form (module doc).
    ``limit``: see :meth:`SlackText.stored`. ``store(store(x)) == store(x)``."""
    return read(text).stored(limit=limit)


def typed_name(text: str | None, user_id: str, fallback: str) -> str:
    """How the person ``user_id`` was named in ``text`` (Slack text), for a hint inside a code span where Slack shows
    mentions raw: ``@`` and the ``|name`` their mention carried, else ``@`` and ``fallback`` (their display name)."""
    for ref in read(text).refs:
        if ref.kind == "user" and ref.target == user_id and ref.label:
            return "@" + ref.label.lstrip("@")
    return "@" + (fallback or user_id).lstrip("@")


def without_user(text: str | None, user_id: str | None) -> str:
    """Slack text with every mention of ``user_id`` cut out (the bot's own name in an app mention),
    the rest exactly as written (other people stay mentioned); surrounding spaces trimmed."""
    msg = read(text)
    out, pos = [], 0
    for ref in msg.refs:
        if ref.kind == "user" and ref.target == user_id:
            out.append(msg.original[pos:ref.span[0]])
            pos = ref.span[1]
    out.append(msg.original[pos:])
    return re.sub(r"[ \t]{2,}", " ", "".join(out)).strip()


# ---------------------------------------------------------------- internals

def _classify(inner: str) -> tuple[RefKind, str, str | None, str] | None:
    """(kind, target, label, plain stand-in) of the text between ``<`` and ``>``, or None if it is no markup."""
    if m := _USER.fullmatch(inner):
        uid, label = m.group(1), _decode(m.group(2))
        name = (label or uid).lstrip("@")
        return "user", uid, label, "@" + name
    if m := _CHANNEL.fullmatch(inner):
        cid, label = m.group(1), _decode(m.group(2)) or None
        return "channel", cid, label, "#" + (label or cid).lstrip("#")
    if m := _BANG.fullmatch(inner):
        word, arg, label = m.group(1), m.group(2) or "", _decode(m.group(3))
        if word in SPECIAL_MENTIONS and not arg:
            return "special", word, label, "@" + word
        if word == "subteam" and arg:
            handle = (label or "").strip().lstrip("@") or "group"
            return "usergroup", arg[1:], label, "@" + handle
        if word == "date" and arg:
            return "date", arg[1:], label, label or arg[1:].split("^")[0]
        return "unknown", word + arg, label, label or word
    if m := _LINK.fullmatch(inner):
        url, label = _decode(m.group(1)) or "", _decode(m.group(2))
        shown = label if label else (url.removeprefix("mailto:") if url.startswith("mailto:") else url)
        return "link", url, label, shown
    return None


def _decode(text: str | None) -> str | None:
    if text is None:
        return None
    return _ENTITY_TEXT.sub(lambda m: _ENTITY[m.group()[1:-1]], text)


def _escape_all(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _token_text(text: str) -> str:
    """Inside stored markup: ``<`` and ``>`` always escaped (they would end it), ``&`` only before an entity name."""
    return _minimal_amp(text).replace("<", "&lt;").replace(">", "&gt;")


def _minimal_amp(text: str) -> str:
    return re.sub(r"&(?=(?:amp|lt|gt);)", "&amp;", text)


def _minimal(text: str) -> str:
    """Plain text in the stored form: decoded, except an ``&`` that would read as an entity and a
    ``<`` that would open markup."""
    text = _minimal_amp(text)
    out, pos = [], 0
    for m in re.finditer(r"<([^<>]*)>", text):
        if _classify(m.group(1)) is not None:
            out.append(text[pos:m.start()] + "&lt;")
            pos = m.start() + 1
    out.append(text[pos:])
    return "".join(out)


def _ref_markup(ref: Ref, e: Callable[[str], str], *, stored: bool) -> str:
    """``e`` escapes the text inside: :func:`_token_text` for storage, :func:`_escape_all` for mrkdwn.
    A person's ``|name`` is kept in storage (plain text reads it) and left out of posts, where
    Slack shows the person's current name."""
    label = f"|{e(ref.label)}" if ref.label else ""
    if ref.kind == "user":
        return f"<@{ref.target}{label if stored else ''}>"
    if ref.kind == "channel":
        return f"<#{ref.target}{label}>"
    if ref.kind == "date":
        return f"<!date^{e(ref.target)}{label}>"
    return f"<{e(ref.target)}{label}>"


def _no_ping(stand_in: str, *, escaped: bool = True) -> str:
    name = stand_in.lstrip("@")
    return "@" + NO_PING + (_escape_all(name) if escaped else name)


def _bounded(word: str) -> str:
    left = r"(?<!\w)" if word[:1].isalnum() or word[:1] == "_" else ""
    right = r"(?!\w)" if word[-1:].isalnum() or word[-1:] == "_" else ""
    return left + re.escape(word) + right


def _stored_pieces(segments: list[str | Ref]) -> list[tuple[str, str | None]]:
    """(stored text, shorter plain stand-in for a reference that would not fit) per run of plain text
    or kept reference; plain runs are escaped together, so no entity or markup forms across them."""
    pieces: list[tuple[str, str | None]] = []
    run: list[str] = []
    for seg in segments:
        if isinstance(seg, Ref) and seg.kept:
            if run:
                pieces.append((_minimal("".join(run)), None))
                run.clear()
            pieces.append((seg.markup(), _minimal(seg.plain)))
        elif isinstance(seg, Ref):
            run.append(_no_ping(seg.plain, escaped=False) if seg.pings else seg.plain)
        else:
            run.append(seg)
    if run:
        pieces.append((_minimal("".join(run)), None))
    return pieces


def _join_stored(segments: list[str | Ref], limit: int | None) -> str:
    pieces = _stored_pieces(segments)
    whole = "".join(p for p, _ in pieces)
    if limit is None or len(whole) <= limit:
        return whole
    room = limit - len(_ELLIPSIS)
    out = ""
    for piece, shorter in pieces:
        if len(out) + len(piece) <= room:
            out += piece
        elif shorter is not None and len(out) + len(shorter) <= room:
            out += shorter  # a link that does not fit is shown as its label
        else:
            if shorter is None:  # plain text: cut at a word boundary
                cut = piece[: room - len(out)]
                space = cut.rfind(" ")
                out += cut[:space] if space > 0 else ("" if out else cut)
            return out.rstrip(" ,;-") + _ELLIPSIS
    return out
