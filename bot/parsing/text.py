"""Text helpers: splitting a message into task fragments, lead-in stripping, title cleanup.

They work on plain words: Slack markup is read before parsing (:mod:`bot.slack_markup`), so people
arrive as "@name", links as their label, channels as "#name". Emoji shortcodes (":rocket:") stay in
the text; :func:`protect_emoji` swaps them for single private-use characters while a message is
cut into titles, so no punctuation rule eats their colons.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

from bot.slack_limits import fit_text
from bot.slack_markup import EMOJI

_F = re.IGNORECASE

# Verbs that start a new task after "and" / "," / "then". Unambiguous ones split always;
# AMBIGUOUS ones (also common nouns: "design issues", "update docs") split only when followed by
# something that looks like an object: a determiner/pronoun, a capitalised word, a mention, a number.
VERBS: frozenset[str] = frozenset(
    """
    add analyse analyze answer archive arrange ask assign attend audit automate backup book brief build buy
    cancel chase clean cleanup clear close collect compile confirm configure contact coordinate create
    debug decide delete deliver deploy draft drop edit email estimate evaluate expense export extend
    figure file finalise finalize find finish fix follow forward gather get give go grab handle help hire
    host implement import install interview investigate invite invoice launch look mail make map meet
    merge migrate move notify onboard open optimise optimize order organise organize outline pay pick ping
    plan polish post prep prepare present print prioritise prioritize proofread publish pull push put read
    rebuild reconcile record redesign redo refactor refund remind remove renew reorganize repair replace
    reply report request rerun research reschedule resolve respond restart review revise rewrite run
    schedule send set setup share ship sign sketch sort start submit summarise summarize sync talk tell
    test text tidy track train translate triage try tweak update upgrade upload verify visit wrap write
    """.split()
)
AMBIGUOUS_VERBS: frozenset[str] = frozenset(
    """
    answer archive audit backup book call check cleanup copy design draft email estimate expense file
    invoice look map mail order outline plan post present print record reply report request research
    review schedule set setup sketch sort start sync talk test text track train update upload visit
    """.split()
)
_OBJECT_START = re.compile(
    r"^(?:the|a|an|my|our|your|their|his|her|its|this|that|these|those|some|all|any|every|each|both|"
    r"it|them|him|me|us|up|out|in|on|off|over|back|down|through|with|about|to|for|from|new|next|"
    r"[A-Z][\w.&-]*|@\w+|#\w+|\d[\w.]*)\b"
)

_MODAL = (
    r"(?:['’]ll|will|shall|['’]d\s+like\s+to|would\s+like\s+to|must|should|can|could|may|might|"
    r"need\s+to|needs\s+to|have\s+to|have\s+got\s+to|['’]ve\s+got\s+to|got\s+to|gotta|gonna|"
    r"(?:['’]m|am|are|['’]re)\s+(?:going\s+to|gonna|planning\s+to|trying\s+to|supposed\s+to|about\s+to)|"
    r"want\s+to|wanna|plan\s+to|hope\s+to|try\s+to)"
)
_ADV = r"(?:(?:also|still|really|definitely|probably|just|then|first|quickly)\s+)*"
# A label before the work says what kind of item it is, not what the work is: "new: renew the SSO
# certificate", "WIP - landing page", "todo: call Acme". A dash counts only with a space after it
# ("to-do list", "New-York office" keep their words).
_LABELS = (
    r"todo|to-do|to\s+do|tasks?|action\s+items?|next\s+steps?|reminder|note|new|wip|w\.i\.p\.?|ongoing|in\s+progress|"
    r"continu(?:e|ed|ing)|cont(?:['’]d|\.)?|carr(?:y|ied|ying)[\s-]?over|still|start(?:ed|ing)|finishing|working\s+on|focus"
)
_LEAD_INS = re.compile(
    r"^(?:"
    rf"(?:{_LABELS})\s*(?::|[\-–—](?=\s))\s*"
    r"|(?:ok(?:ay)?|so|also|and|then|plus|finally|firstly|secondly|lastly|oh|btw|hey|hi|alright|"
    r"and\s+then|after\s+that|afterwards)\b[,:]?\s*"
    r"|(?:first|second|third|next)\s*[,:]\s*"
    r"|(?:please|pls|plz|kindly)\b[,:]?\s*"
    r"|(?:can|could|would|will)\s+(?:you|someone|somebody|we|u)\s+(?:please\s+|pls\s+)?"
    r"|(?:i|we)(?:\s+|(?=['’]))"
    + _ADV
    + _MODAL
    + r"\s+"
    + _ADV
    + r"|(?:need|needs|have|has|got|going|plan|want|try|remember|hope)\s+to\s+"
    r"|(?:don['’]?t|do\s+not)\s+forget\s+(?:to\s+)?|make\s+sure\s+to\s+|be\s+sure\s+to\s+"
    r"|(?:must|should|gotta|gonna)\s+"
    r"|let(?:['’]s|\s+us|\s+me)\s+"
    r"|(?:someone|somebody|anyone)\s+(?:needs?\s+to|should|must|has\s+to|pls|please)\s+"
    r")",
    _F,
)
# "I'm fixing the bug" -> "fixing the bug"
_PROGRESSIVE = re.compile(
    r"^(?:i|we)\s*(?:['’]m|am|are|['’]re)\s+(?:(?:also|still|currently|just)\s+)?(?=\w+ing\b)", _F
)
# How far along someone is, said before the work, is not part of its title: "Working on the Acme homepage
# mockups", "still on the checkout bug", "continuing with the API docs" -> the work itself. Words that
# also begin names of things ("starting kit", "finishing touches", "continuing education") count only
# when a thing follows: an article or possessive, a capitalised word, a mention or a number.
_STATUS_ADV = r"(?:(?:still|currently|also|just|now|again)\s+)*"
_ARTICLE = r"(?:(?:the|a|an)\s+)?"
_PROGRESS = re.compile(
    r"^(?:"
    + _STATUS_ADV
    + r"(?:(?:working|worked)\s+on|(?:still|currently)\s+on|(?:focusing|focused)\s+on|busy\s+with|back\s+(?:on|to)|"
    r"(?:continuing|continue|carrying\s+on|carry\s+on|keep(?:ing)?\s+(?:going|working)|resuming|getting\s+back\s+to)\s+(?:with|on))\s+"
    + _ARTICLE
    + r"|"
    + _STATUS_ADV
    + r"(?:starting|started|finishing|completing|continuing|resuming|wrapping\s+up|tackling|doing|picking\s+up)\s+"
    r"(?:(?:on|with)\s+)?"
    r"(?=(?:the|a|an|my|our|this|that)\s|(?-i:[A-Z])|@|#|\d|T-\d)"
    + _ARTICLE
    + r")",
    _F,
)
# What is left must name something: "working on it" stays as it is.
_ONLY_PRONOUN = re.compile(r"^\W*(?:it|this|that|them|these|those|stuff|things|something|everything)\W*$", _F)

_BULLET = re.compile(r"^\s*(?:(?:[-*•◦▪‣–—+>]|\d{1,3}[.)]|[a-zA-Z][.)]|\(\d{1,3}\))\s+|\[[ xX✓✔]?\]\s*)+")
_CLAUSE_SEP = re.compile(
    r"\s*,\s*(?:(?:and\s+then|and|then|plus|&|also)\s+)?|\s+(?:and\s+then|and|then|plus|&|also|as\s+well\s+as)\s+",
    _F,
)
# Emoji shortcodes stand in as one character each from Supplementary Private Use Area-A while a
# message is parsed: nobody types these, and no word, punctuation or space rule matches them.
_EMOJI_BASE = 0xF0000
_EMOJI_MARK = "[\U000F0000-\U000FFFFD]"
_PROTECTED = re.compile(f"{EMOJI.pattern}|{_EMOJI_MARK}")
_SENTENCE_SEP = re.compile(rf"(?<=[.!?])\s+(?=[A-Z\"'“(<:]|{_EMOJI_MARK})")
_ABBREV_END = re.compile(r"(?:\b(?:[A-Za-z]|e\.g|i\.e|etc|vs|mr|mrs|ms|dr|st|approx|incl|p\.m|a\.m)\.)$", _F)

_TRAILING_JUNK = re.compile(
    r"(?:[\s,;:\-–—/]|\b(?:and|or|by|on|at|to|for|due|from|until|till|before|the|this|next|then|please|pls|plz|"
    r"thanks|thank\s+you|thx|ty|so|also|of|in|with|el|la|le|am|um|à|a|o)\b)+$",
    _F,
)
_TRAILING_PUNCT = re.compile(r"[\s.,;:!?\-–—/]+$")
# "…, should be done", "… hopefully", "… if all goes well": how sure someone is is not part of the task.
_TRAILING_HEDGE = re.compile(
    r"[\s,;\-–—(]*(?:(?:it|that|this|which)\s+)?(?:(?:should|will|would|might|may|hope(?:fully)?\s+(?:it\s+)?(?:will\s+)?)"
    r"\s*(?:be\s+)?(?:done|finished|ready|complete(?:d)?|wrapped(?:\s+up)?|shipped)|hopefully|if\s+all\s+goes\s+well|"
    r"fingers\s+crossed)\W*$",
    _F,
)
_LEADING_JUNK = re.compile(r"^(?:[\s,;:.\-–—/)\]]|\b(?:and|then|to|also|plus)\b\s)+", _F)
_WORDISH = re.compile(r"[^\W_]")
_EMPTY_BRACKETS = re.compile(r"\(\s*\)|\[\s*\]|\{\s*\}")
_SPACES = re.compile(r"\s+")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,;:.!?)])")

MAX_TITLE = 200


def normalize(text: str) -> str:
    """NFC, no zero-width characters, unified line breaks."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n")
    return re.sub(r"[\u200b\u200c\u200d\u2060\ufeff]", "", text)


def lines_of(text: str) -> list[str]:
    out = []
    for line in normalize(text).split("\n"):
        line = _BULLET.sub("", line).strip()
        if line:
            out.append(line)
    return out


# A day of the month written as an ordinal with a dot: "24." (German, and the dotted forms of the other
# languages), "24th.", "1er.", "1º.". Before a month name the dot is part of a date, not the end of a
# sentence: "Ich bin vom 24. bis 28. Dezember im Urlaub", "off from the 24th. December to the 2nd.".
_ORDINAL_DAY_END = re.compile(r"(?<![\d.])(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th|er|re|e|º|ª|°)?\.$", _F)


@lru_cache(maxsize=1)
def _month_follows() -> re.Pattern[str]:
    """A month name in any language Steward reads (English and dateparser's locale data for the others),
    "of"/"de" allowed before it."""
    from .foreign import month_names  # a late import: foreign.py reads dateparser's data on first use

    months = "|".join(sorted((re.escape(m) for m in month_names()), key=len, reverse=True))
    # "May I ask…" after a number is a question, not a date
    return re.compile(rf"(?:(?:of|de|del|di)\s+)?(?:{months})(?![^\W\d_])(?!(?<=may)\s+(?:i|we|you)\b)", _F)


def _inside_a_date(chunk: str, dot_end: int, next_at: int) -> bool:
    """Whether the sentence end before ``next_at`` is an ordinal day's dot ("24. Dezember", "24th. Dec")."""
    return bool(_ORDINAL_DAY_END.search(chunk, 0, dot_end) and _month_follows().match(chunk, next_at))


def sentences_of(line: str) -> list[str]:
    """Split on ';' and on sentence ends followed by a capital (not after "e.g." / "Dr." / "3 p.m.", nor at
    the dot of a day written "24." or "24th." before a month name: "vom 24. bis 28. Dezember")."""
    parts: list[str] = []
    for chunk in line.split(";"):
        start = 0
        for m in _SENTENCE_SEP.finditer(chunk):
            if _ABBREV_END.search(chunk, 0, m.start()) or _inside_a_date(chunk, m.start(), m.end()):
                continue
            parts.append(chunk[start : m.start()])
            start = m.end()
        parts.append(chunk[start:])
    return [p.strip() for p in parts if p.strip()]


def strip_lead_ins(s: str) -> str:
    """``s`` without what comes before the work: "I'll", "todo:", "new:", "please", "I'm working on the", "still
    on", "starting the" (see ``_LEAD_INS`` and ``_PROGRESS``); unchanged when only a pronoun would be left."""
    for _ in range(6):
        t = _LEAD_INS.sub("", s, count=1)
        t = _PROGRESSIVE.sub("", t, count=1)
        t = _PROGRESS.sub("", t, count=1)
        if t == s or _ONLY_PRONOUN.match(t):
            break
        s = t
    return s


def _first_word(s: str) -> tuple[str, str]:
    """(first word lowercased, rest) ignoring leading emoji/punctuation."""
    m = re.match(r"^[^\w@#]*([\w'’-]+)\s*(.*)$", s, re.S)
    if not m:
        return "", ""
    return m.group(1).lower(), m.group(2)


_LEADING_WHEN = re.compile(
    r"^(?:today|tomorrow|tonight|later|afterwards|this\s+(?:morning|afternoon|evening))\b,?\s*", _F
)


def verb_of_gerund(word: str) -> str | None:
    """The task verb an "-ing" word is a form of ("reviewing" -> "review", "writing" -> "write", "shipping" ->
    "ship", "tidying" -> "tidy"), lowercased; None when it is not one of ``VERBS`` / ``AMBIGUOUS_VERBS``."""
    word = word.lower()
    if not word.endswith("ing") or len(word) < 5:
        return None
    stem = word[:-3]
    candidates = [stem, stem + "e"]
    if len(stem) > 2 and stem[-1] == stem[-2]:
        candidates.append(stem[:-1])  # "shipping" -> "ship"
    return next((c for c in candidates if c in VERBS or c in AMBIGUOUS_VERBS), None)


def starts_with_verb(s: str) -> bool:
    s = strip_lead_ins(_LEADING_WHEN.sub("", strip_lead_ins(s.strip())))
    word, rest = _first_word(s)
    if verb_of_gerund(word) is not None:
        # "… and writing the release notes": a verb in "-ing" needs an object after it ("writing skills" is a noun)
        return bool(_OBJECT_START.match(rest))
    if word not in VERBS and word not in AMBIGUOUS_VERBS:
        return False
    if word in AMBIGUOUS_VERBS:
        return bool(_OBJECT_START.match(rest))
    return True


_GERUND_FIRST = re.compile(r"^(?P<word>[^\W\d_]+ing)\s+(?P<rest>.*)$", _F | re.S)


def as_instruction(title: str) -> str:
    """A title that starts with a task verb in "-ing" and its object, as the verb itself: "reviewing the rate
    limiter PR" -> "review the rate limiter PR" (a capital kept). Names that only start like that stay whole:
    "Finishing touches on the deck", "Testing framework migration" (no object after the word)."""
    m = _GERUND_FIRST.match(title)
    if m is None or not _OBJECT_START.match(m["rest"]):
        return title
    verb = verb_of_gerund(m["word"])
    if verb is None:
        return title
    if m["word"][0].isupper():
        verb = verb[0].upper() + verb[1:]
    return f"{verb} {m['rest']}"


_ONLY_PEOPLE = re.compile(r"\s*@[\w.\-]+(?:(?:\s*,\s*|\s+(?:and|&)\s+)@[\w.\-]+)*\s*")


# "and" in German, French, Spanish, Italian and Portuguese joins two pieces of work when both have their
# verb in the same place: German puts the infinitive last ("Staging-Build deployen und Release Notes
# schreiben"), the others first ("déployer le build et écrire les notes", "revisar el PR y escribir las notas").
_FOREIGN_AND = re.compile(r"\s+(?:und|et|y|e)\s+", _F)
_GERMAN_VERB_LAST = re.compile(r"(?<![^\W\d_])(?-i:[a-zäöü])[a-zäöüß]{2,}(?:en|ern|eln)\W*$")
_ROMANCE_VERB_FIRST = re.compile(r"^\W*(?-i:[a-zàâçéèêëîïôûùüÿñáíóúã])[a-zàâçéèêëîïôûùüÿñáíóúã]{2,}(?:ar|er|ir|re)\b")


def _foreign_pieces(clause: str) -> list[str]:
    """``clause`` split at a foreign "and" between two pieces of work (see ``_FOREIGN_AND``)."""
    pieces: list[str] = []
    start = 0
    for m in _FOREIGN_AND.finditer(clause):
        left, right = clause[start : m.start()], clause[m.end() :]
        word = m.group().strip().lower()
        right_clause = _FOREIGN_AND.split(right, maxsplit=1)[0]
        german = word == "und" and _GERMAN_VERB_LAST.search(left) and _GERMAN_VERB_LAST.search(right_clause)
        romance = word != "und" and _ROMANCE_VERB_FIRST.match(left) and _ROMANCE_VERB_FIRST.match(right)
        if len(left.split()) < 2 or not (german or romance):
            continue
        pieces.append(left)
        start = m.end()
    pieces.append(clause[start:])
    return pieces


def split_clauses(sentence: str) -> list[str]:
    """Split on ',', 'and', 'then', '&' only where the next clause starts with a verb and the
    clause before it has at least two words ("review and merge the PR" stays one task); and on the
    German, French, Spanish, Italian and Portuguese "and" between two pieces of work."""
    pieces: list[str] = []
    start = 0
    for m in _CLAUSE_SEP.finditer(sentence):
        left = sentence[start : m.start()]
        right = sentence[m.end() :]
        if len(strip_lead_ins(left.strip()).split()) < 2 or _ONLY_PEOPLE.fullmatch(left) or not starts_with_verb(right):
            continue
        pieces.append(left)
        start = m.end()
    pieces.append(sentence[start:])
    return [p.strip() for piece in pieces for p in _foreign_pieces(piece) if p.strip()]


def remove_spans(text: str, spans: list[tuple[int, int]] | tuple[tuple[int, int], ...]) -> str:
    for a, b in sorted(spans, reverse=True):
        text = text[:a] + " " + text[b:]
    return text


# "@Priya and I will pair on the bug": the people named first are partners in the work.
_PARTNERS_FIRST = re.compile(
    r"^\s*(?P<who>@[\w.\-]+(?:(?:\s*,\s*|\s+(?:and|&)\s+)@[\w.\-]+)*)\s*,?\s+(?:and|&|\+)\s+(?P<me>i|me|myself)\b(?P<rest>.*)$",
    _F | re.S,
)


def partners_last(s: str) -> str:
    """"@Priya and I will pair on the bug" -> "pair on the bug with @Priya" (unchanged otherwise)."""
    m = _PARTNERS_FIRST.match(s)
    if not m:
        return s
    work = strip_lead_ins("I" + m["rest"]).strip()
    if work == ("I" + m["rest"]).strip() or not has_content(work):
        return s
    return f"{work} with {m['who']}"


def clean_title(s: str) -> str:
    s = partners_last(s)
    s = _EMPTY_BRACKETS.sub(" ", s)
    s = _SPACES.sub(" ", s).strip()
    s = _SPACE_BEFORE_PUNCT.sub(r"\1", s)
    for _ in range(4):
        t = _LEADING_JUNK.sub("", s)
        t = strip_lead_ins(t)
        t = _TRAILING_PUNCT.sub("", t)
        t = _TRAILING_HEDGE.sub("", t)
        t = _TRAILING_JUNK.sub("", t)
        t = t.strip()
        if t == s:
            break
        s = t
    # a dangling "(" or opening quote left behind
    if s.count("(") > s.count(")"):
        s = s.rstrip("( ")
    return s


def has_content(s: str) -> bool:
    """False for emoji-only / punctuation-only / shortcode-only fragments."""
    return bool(_WORDISH.search(EMOJI.sub("", s)))


def protect_emoji(text: str) -> tuple[str, tuple[str, ...]]:
    """``text`` with each emoji shortcode (":rocket:", ":+1::skin-tone-2:") replaced by one private-use
    character, and the shortcodes in order; :func:`restore_emoji` puts them back. Private-use characters
    the text already held are swapped out the same way (and put back as they were), so none is taken for
    a mark."""
    found: list[str] = []

    def mark(m: re.Match[str]) -> str:
        found.append(m.group())
        return chr(_EMOJI_BASE + len(found) - 1)

    return _PROTECTED.sub(mark, text), tuple(found)


def restore_emoji(text: str, shortcodes: Sequence[str]) -> str:
    """Undo :func:`protect_emoji` in ``text`` (or in any piece cut from it)."""
    if not shortcodes:
        return text
    return re.sub(_EMOJI_MARK, lambda m: shortcodes[ord(m.group()) - _EMOJI_BASE], text)


def clamp(s: str, limit: int = MAX_TITLE) -> str:
    """``s`` at most ``limit`` characters, shortened after a whole word (never inside "@U0PRIYA",
    a link or an emoji shortcode), ending in "…" when shortened."""
    return fit_text(s, limit)


def fold(s: str) -> str:
    """Lowercase, accents removed, possessive 's dropped, punctuation -> space."""
    s = unicodedata.normalize("NFKD", s.lower().replace("’", "'"))
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = re.sub(r"'s\b", "", s)
    s = re.sub(r"[^\w]+|_", " ", s)
    return _SPACES.sub(" ", s).strip()
