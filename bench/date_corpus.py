"""How Steward's offline reminder parser reads a peer's time-expression corpus.

    python bench/date_corpus.py PATH [--show all|disagreements|none] [--compare]

PATH is a Duckling English time corpus file (``Duckling/Time/EN/Corpus.hs``; the corpus is not part
of Steward). Taken from it: every ``datetime`` example (single instants; holidays, intervals and
open intervals are left out) of grain Day or finer, in the corpora read at Duckling's reference
time (Tue 2013-02-12 04:30, UTC-2: all but ``diffCorpus``), that lies after the reference time;
each phrase once. Each is sent as "remind me to call the bank <phrase>" to ``parse_reminder``
with now = the reference time, in the zone Etc/GMT+2 (UTC-2).

Agreement: the reminder's moment equals the corpus value at the value's grain (Day: the date;
Hour: date and hour; Minute and Second: date, hour and minute). "clean" also needs the reminder's
text to be exactly "call the bank" (the phrase fully understood and removed).

Printed: how many phrases were understood, how many agree (and %), the same on the subset a person
would type to a bot (``EXCLUDED`` says what is left out and why), and each disagreement marked as
a stated convention (``CONVENTIONS``: where Steward reads a phrase differently on purpose, and why)
or a bug. ``--compare`` runs the same phrases through other parsers that happen to be installed
(dateparser, parsedatetime, ctparse, recognizers-text) for reference.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness import machine  # noqa: E402

REFERENCE = datetime(2013, 2, 12, 4, 30, tzinfo=timezone(timedelta(hours=-2)))
ZONE = "Etc/GMT+2"  # POSIX sign: UTC-2
SENTENCE = "remind me to call the bank {}"
WHAT = "call the bank"
FINE_GRAINS = ("Day", "Hour", "Minute", "Second")
OTHER_REFERENCE_SECTIONS = ("diffCorpus",)  # read at another reference time (Fri 2013-02-15)

# What a person would not type to a bot, left out of the "included" figure (by section or phrase).
EXCLUDED_SECTIONS = {
    "latentCorpus": "Duckling's own latent readings (a bare '7', 'the 24', 'twelve oh three'), which Duckling "
    "itself returns only when asked for guesses",
}
EXCLUDED: list[tuple[str, str]] = [
    (r"^the ides of march$", "Roman calendar"),
    (r"closest", "'the second closest Mon to October fifth': a puzzle, not a request"),
    (r"christmas|xmas|easter", "counted from a holiday (holidays are out of the selection)"),
    (r"^(?:the )?(?:fifth|5th) last day of", "'the fifth last day of May': counting back from a month's end"),
]

# Where Steward reads a phrase differently on purpose: phrase -> reason.
CONVENTIONS: dict[str, str] = {
    "tuesday": "a weekday said on that weekday is today (the next occurrence, today included: 'by Tuesday' said "
    "on a Tuesday is due today); Duckling reads next week's",
    "in 4 years at 5pm": "Steward keeps the day of the month (2017-02-12); Duckling rounds 'in N years' to "
    "the month (2017-02-01)",
    "at 7 in 3 years": "Steward keeps the day of the month (2016-02-12); Duckling rounds to the month",
    "tomorrow at 150ish": "a 12-hour time with a day is read in working hours (13:50), not in the night",
    "this morning at 3": "'this morning at 3' said at 04:30 is past: kept today (Duckling moves it a day)",
    "sat": "'sat' and 'sun' are ordinary words; they are days after a connector ('on sat') or with a dot",
    "sun": "'sat' and 'sun' are ordinary words; they are days after a connector ('on sat') or with a dot",
    "2-15": "a hyphen between two numbers is a range ('pages 2-15'), not a date",
    "2 - 15": "a hyphen between two numbers is a range ('pages 2-15'), not a date",
    "2 / 15": "spaced numbers around a slash are a fraction or a score, not a date",
    "this afternoon at 12": "12 in the afternoon is noon; Duckling reads midnight",
}


@dataclass(frozen=True)
class Example:
    phrase: str
    value: datetime  # at the reference offset
    grain: str
    section: str


def read_corpus(path: Path) -> list[Example]:
    """The single-instant examples of grain Day or finer after the reference time, each phrase once."""
    src = path.read_text(encoding="utf-8")
    sections = [(m.start(), m.group(1)) for m in re.finditer(r"^(\w+)\s*::", src, re.M)]
    rx = re.compile(
        r"examples\s*\((?P<kind>datetime\w*)\s*\((?P<v>-?\d+,\s*\d+,\s*\d+,\s*\d+,\s*\d+,\s*\d+)\)\s*(?P<grain>\w+)"
        r"(?:\s*\"[^\"]*\")?\)\s*\[(?P<body>.*?)\]",
        re.S,
    )
    seen: dict[str, Example] = {}
    for m in rx.finditer(src):
        section = next((name for pos, name in reversed(sections) if pos <= m.start()), "")
        if m["kind"] != "datetime" or m["grain"] not in FINE_GRAINS or section in OTHER_REFERENCE_SECTIONS:
            continue
        y, mo, d, h, mi, s = (int(x) for x in m["v"].split(","))
        if y < 1:
            continue
        value = datetime(y, mo, d, h, mi, s, tzinfo=REFERENCE.tzinfo)
        if value <= REFERENCE:
            continue
        for raw in re.findall(r'"((?:[^"\\]|\\.)*)"', m["body"]):
            phrase = raw.replace('\\"', '"')
            seen.setdefault(phrase, Example(phrase, value, m["grain"], section))
    return list(seen.values())


def agrees(got: datetime | None, ex: Example) -> bool:
    if got is None:
        return False
    got = got.astimezone(REFERENCE.tzinfo)
    if got.date() != ex.value.date():
        return False
    if ex.grain == "Day":
        return True
    if ex.grain == "Hour":
        return got.hour == ex.value.hour
    return (got.hour, got.minute) == (ex.value.hour, ex.value.minute)


def exclusion(ex: Example) -> str | None:
    if ex.section in EXCLUDED_SECTIONS:
        return EXCLUDED_SECTIONS[ex.section]
    for pattern, reason in EXCLUDED:
        if re.search(pattern, ex.phrase, re.I):
            return reason
    return None


Reader = Callable[[str], tuple[datetime | None, str | None]]


def steward() -> Reader:
    from bot.parsing import parse_reminder

    def read(phrase: str) -> tuple[datetime | None, str | None]:
        r = parse_reminder(SENTENCE.format(phrase), now=REFERENCE, tz=ZONE)
        return (r.fire_at, r.what) if r is not None else (None, None)

    return read


def _others() -> dict[str, Callable[[], Reader]]:
    naive = REFERENCE.replace(tzinfo=None)
    zone = ZoneInfo(ZONE)

    def aware(d: datetime | None) -> datetime | None:
        return None if d is None else d.replace(tzinfo=zone) if d.tzinfo is None else d

    def dateparser_reader() -> Reader:
        from dateparser.search import search_dates

        settings = {"RELATIVE_BASE": naive, "PREFER_DATES_FROM": "future"}

        def read(p: str) -> tuple[datetime | None, str | None]:
            found = search_dates(SENTENCE.format(p), languages=["en"], settings=settings)  # type: ignore[arg-type]
            return aware(found[-1][1] if found else None), None

        return read

    def parsedatetime_reader() -> Reader:
        import parsedatetime

        cal = parsedatetime.Calendar(version=parsedatetime.VERSION_CONTEXT_STYLE)

        def read(p: str) -> tuple[datetime | None, str | None]:
            found = cal.nlp(SENTENCE.format(p), sourceTime=naive)
            return aware(found[-1][0] if found else None), None

        return read

    def ctparse_reader() -> Reader:
        from ctparse import ctparse
        from ctparse.types import Interval

        def read(p: str) -> tuple[datetime | None, str | None]:
            found = ctparse(SENTENCE.format(p), ts=naive, timeout=1)
            t = found.resolution if found is not None else None
            if isinstance(t, Interval):
                t = t.t_from
            try:
                return aware(t.dt if t is not None else None), None
            except (ValueError, TypeError, AttributeError):
                return None, None

        return read

    def recognizers_reader() -> Reader:
        from recognizers_date_time import recognize_datetime
        from recognizers_text import Culture

        def read(p: str) -> tuple[datetime | None, str | None]:
            for res in recognize_datetime(SENTENCE.format(p), Culture.English, reference=naive):
                for v in res.resolution.get("values", []):
                    value = v.get("value") or v.get("start") or ""
                    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%H:%M:%S"):
                        try:
                            d = datetime.strptime(value, fmt)
                        except ValueError:
                            continue
                        if fmt == "%H:%M:%S":  # a time alone: today's
                            d = datetime.combine(naive.date(), d.time())
                        if d > naive:
                            return aware(d), None
            return None, None

        return read

    return {"dateparser": dateparser_reader, "parsedatetime": parsedatetime_reader, "ctparse": ctparse_reader,
            "recognizers-text": recognizers_reader}


@dataclass
class Score:
    understood: int = 0
    agree: int = 0
    clean: int = 0
    total: int = 0


def run(examples: list[Example], read: Reader) -> tuple[Score, Score, list[tuple[Example, datetime | None, str | None]]]:
    overall, included = Score(), Score()
    misses = []
    for ex in examples:
        got, what = read(ex.phrase)
        ok = agrees(got, ex)
        for score, counts in ((overall, True), (included, exclusion(ex) is None)):
            if not counts:
                continue
            score.total += 1
            score.understood += got is not None
            score.agree += ok
            score.clean += ok and what == WHAT
        if not ok:
            misses.append((ex, got, what))
    return overall, included, misses


def _pct(n: int, d: int) -> str:
    return f"{100 * n / d:.1f} %" if d else "-"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("path", type=Path, help="Duckling's Duckling/Time/EN/Corpus.hs")
    ap.add_argument("--show", choices=("all", "disagreements", "none"), default="disagreements")
    ap.add_argument("--compare", action="store_true", help="also run other installed parsers")
    args = ap.parse_args()
    if not args.path.is_file():
        sys.exit(f"no such file: {args.path}")
    examples = read_corpus(args.path)
    if not examples:
        sys.exit(f"no examples found in {args.path}: is it Duckling's English time corpus?")
    print(machine())
    t0 = time.perf_counter()
    overall, included, misses = run(examples, steward())
    elapsed = time.perf_counter() - t0
    excluded = len(examples) - included.total
    print(f"phrases: {overall.total} (single instants, day grain or finer, after the reference time)")
    print(f"Steward understands {overall.understood}, agrees on {overall.agree} ({_pct(overall.agree, overall.total)}); "
          f"clean (text fully removed) {overall.clean} ({_pct(overall.clean, overall.total)})")
    print(f"included (what a person would type to a bot; {excluded} left out): {included.total} phrases, "
          f"understands {included.understood}, agrees on {included.agree} ({_pct(included.agree, included.total)}), "
          f"clean {included.clean} ({_pct(included.clean, included.total)})")
    print(f"{1000 * elapsed / len(examples):.2f} ms per phrase")
    if args.show != "none":
        bugs = conventions = 0
        print("\ndisagreements (corpus value at its grain -> Steward):")
        for ex, got, _what in misses:
            why = exclusion(ex)
            if why is not None:
                mark = f"left out: {why}"
            elif ex.phrase in CONVENTIONS:
                mark, conventions = f"convention: {CONVENTIONS[ex.phrase]}", conventions + 1
            else:
                mark, bugs = "BUG", bugs + 1
            shown = got.astimezone(REFERENCE.tzinfo).strftime("%a %Y-%m-%d %H:%M") if got else "not understood"
            print(f"  {ex.phrase!r}: {ex.value:%a %Y-%m-%d %H:%M} ({ex.grain}) -> {shown}  [{mark}]")
        print(f"\n{len(misses)} disagreements: {bugs} bugs, {conventions} stated conventions, "
              f"{len(misses) - bugs - conventions} left out")
        if args.show == "all":
            print("\ncleanliness (agreeing, but the text kept part of the phrase):")
            for ex in examples:
                got, what = steward()(ex.phrase)
                if agrees(got, ex) and what != WHAT:
                    print(f"  {ex.phrase!r}: text {what!r}")
    if args.compare:
        print("\nother parsers on the same sentences (agreement only; none removes the phrase from the text):")
        for name, make in _others().items():
            try:
                reader = make()
            except ImportError:
                print(f"  {name}: not installed")
                continue
            t0 = time.perf_counter()

            def safe(p: str, reader: Reader = reader) -> tuple[datetime | None, str | None]:
                try:
                    return reader(p)
                except Exception:  # another library's crash on one phrase is a miss, not the end of the bench
                    return None, None

            o, i, _ = run(examples, safe)
            ms = 1000 * (time.perf_counter() - t0) / len(examples)
            print(f"  {name}: understands {o.understood}, agrees on {o.agree} ({_pct(o.agree, o.total)}); "
                  f"included {i.agree}/{i.total} ({_pct(i.agree, i.total)}); {ms:.1f} ms per phrase")


if __name__ == "__main__":
    main()
