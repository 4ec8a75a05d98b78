"""The rules that make a memory answer trustworthy, without a database: what talks to Steward, which
day a fact is about, how facts are ranked, how citations are numbered, how a fact is told."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.services.answers import (
    Fact,
    addressed_to_steward,
    compose,
    fact_date,
    fact_line,
    is_question,
    number_sources,
    prompt_line,
    rank_status,
    rank_topic,
    show_day,
    usable_fact,
)
from bot.services.search import Hit

BOT = "U0STEWARD"
MONDAY = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
TODAY = MONDAY.date()


@pytest.mark.parametrize("text", [
    f"<@{BOT}> what's going on with Acme?",
    f"and <@{BOT}|steward> remember that I review copy on Mondays",
    "@steward what's going on with Acme?",  # typed before Slack (or the sandbox) linked the mention
    "hey @Steward, any news on the deploy",
    "Steward, what's the status with Acme?",
    "hey steward: when is the review?",
    "/steward help",  # a slash command typed as a message (Slack does not run commands in threads)
    "/ask what's going on",
])
def test_questions_and_commands_for_steward_are_recognised(text: str) -> None:
    assert addressed_to_steward(text, BOT)


@pytest.mark.parametrize("text", [
    "The steward of the Acme account is Maya.",
    "Steward posted the standup thread late today",  # about Steward, not to it
    "Ask the @stewardship group about it",
    "mail bob@steward.io the metadata",
    "<@U0PRIYA> can you own the renewal?",
    "Half/half split on the budget",
    "",
])
def test_messages_about_the_work_are_not(text: str) -> None:
    assert not addressed_to_steward(text, BOT)


def test_a_mention_needs_the_bot_s_own_id() -> None:
    assert addressed_to_steward("<@U0OTHERBOT> status?", "U0OTHERBOT")
    assert not addressed_to_steward("<@U0OTHERBOT> the deploy went fine.", BOT)
    assert not addressed_to_steward("<@U0OTHERBOT> the deploy went fine.", None)


def test_questions_are_not_facts() -> None:
    assert is_question("<@U0PRIYA> can you own the renewal?")
    assert is_question("Can we ship it Friday? :pray:")
    assert is_question("Is the *SSO cert* renewed?*")
    assert not is_question("Why? Because the metadata is late.")
    assert not is_question("The deploy is on Friday.")
    assert usable_fact("The deploy is on Friday.", BOT)
    assert not usable_fact("Who owns the deploy?", BOT)
    assert not usable_fact("@steward what's going on with Acme?", BOT)
    assert not usable_fact(f"<@{BOT}> status", BOT)
    assert not usable_fact("   ", BOT)


# ------------------------------------------------------------------------------ dates


def test_dates_are_resolved_from_when_they_were_said() -> None:
    said = MONDAY - timedelta(days=3)  # Friday 27 Nov
    assert fact_date("The copy review is tomorrow.", said, "UTC") == date(2026, 11, 28)
    assert fact_date("Staging deploy is planned for Thursday.", said, "UTC") == date(2026, 12, 3)
    assert fact_date("The SSO certificate expires on December 12.", said, "UTC") == date(2026, 12, 12)
    # Said on 27 Dec, "January 9" is next year's.
    assert fact_date("Metadata due January 9.", datetime(2026, 12, 27, 12, tzinfo=UTC), "UTC") == date(2027, 1, 9)


def test_the_author_s_timezone_decides_which_day_tomorrow_is() -> None:
    late = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)  # already Tuesday in Kolkata
    assert fact_date("The review is tomorrow.", late, "UTC") == date(2026, 12, 1)
    assert fact_date("The review is tomorrow.", late, "Asia/Kolkata") == date(2026, 12, 2)
    assert fact_date("The review is tomorrow.", late, "Not/A_Zone") == date(2026, 12, 1)  # UTC then


def test_weekday_and_date_are_one_date_and_deadlines_win() -> None:
    # "Wednesday, December 9" is December 9, not the next Wednesday.
    assert fact_date("We review it with Acme on Wednesday, December 9.", MONDAY, "UTC") == date(2026, 12, 9)
    assert fact_date("Demo on Wed, Dec 9 at noon", MONDAY, "UTC") == date(2026, 12, 9)
    assert fact_date("Wireframes landed Tuesday; feedback is due by Friday.", MONDAY, "UTC") == date(2026, 12, 4)


def test_vague_or_missing_dates_give_no_day() -> None:
    assert fact_date("Kicking off the redesign this week.", MONDAY, "UTC") is None
    assert fact_date("The renewal call moved to next week.", MONDAY, "UTC") is None
    assert fact_date("The budget was approved at 40k.", MONDAY, "UTC") is None
    assert fact_date("The review is tomorrow.", None, "UTC") is None


def test_days_are_shown_plainly() -> None:
    assert show_day(date(2026, 12, 12), TODAY) == "Sat 12 Dec"
    assert show_day(date(2027, 1, 9), TODAY) == "Sat 9 Jan 2027"


# ------------------------------------------------------------------------------ ranking


def _fact(i: int, *, home: bool = True, on: date | None = None, said_days_ago: float = 1, channel: str = "C0ACME",
          author: str | None = "Priya Raman", ts: str | None = None) -> Fact:
    hit = Hit(i, f"fact {i}", "client", "acme corp", 1, channel, [ts or f"{1_790_000_000 + i}.000100"], None)
    return Fact(hit, home=home, on=on, said_at=MONDAY - timedelta(days=said_days_ago), author=author,
                channel_name="client-acme" if home else "standup")


def test_status_leads_with_the_entity_s_upcoming_dates_then_the_rest_then_elsewhere() -> None:
    facts = [
        _fact(1, on=None, said_days_ago=0.1),  # newest undated
        _fact(2, on=TODAY + timedelta(days=12)),
        _fact(3, home=False, on=TODAY + timedelta(days=1)),  # a standup mention, dated and soon: still after
        _fact(4, on=TODAY + timedelta(days=3)),
        _fact(5, on=TODAY - timedelta(days=2)),  # a date already past
        _fact(6, on=None, said_days_ago=2),
        _fact(7, on=TODAY),  # today counts as upcoming
        _fact(8, home=False, on=None),
    ]
    assert [f.hit.id for f in rank_status(facts, TODAY)] == [7, 4, 2, 1, 6, 5, 3, 8]
    assert [f.hit.id for f in rank_status(facts, TODAY, limit=3)] == [7, 4, 2]
    assert rank_status([], TODAY) == []


def test_topic_answers_keep_relevance_with_the_entity_s_channel_first() -> None:
    facts = [_fact(1, home=False), _fact(2), _fact(3, home=False), _fact(4)]
    assert [f.hit.id for f in rank_topic(facts, [2, 0, 3, 1])] == [4, 2, 3, 1]
    assert [f.hit.id for f in rank_topic(facts, [2, 0, 9, 0], limit=5)] == [3, 1]  # unknown and repeated indexes go
    assert [f.hit.id for f in rank_topic(facts, range(4), limit=2)] == [2, 4]


# ------------------------------------------------------------------------------ citations


def test_citations_are_numbered_by_source_in_order_of_first_use() -> None:
    a, b, c = ("C0ACME", "1.1"), ("C0ACME", "2.2"), ("C0STANDUP", "3.3")
    # Facts 1..5 as the writer saw them: facts 2 and 4 come from the same message; 5 is a summary.
    sources = [a, b, c, b, None]
    text, cited = number_sources("The cert expires [4]. Staging is Thursday [3][1]. Metadata [2, 4]. "
                                 "Summary [5]. Unknown [9]. Zero [0].", sources)
    assert text == "The cert expires [1]. Staging is Thursday [2] [3]. Metadata [1]. Summary. Unknown. Zero."
    assert cited == [b, c, a]


def test_repeated_citations_collapse_and_nothing_cited_means_no_sources() -> None:
    text, cited = number_sources("Thursday [1] [1][2]", [("C", "1"), ("C", "1")])
    assert (text, cited) == ("Thursday [1]", [("C", "1")])
    assert number_sources("No facts used.", [("C", "1")]) == ("No facts used.", [])
    assert number_sources("Only a summary [1].", [None]) == ("Only a summary.", [])
    assert number_sources("The review [1] [0] .", [("C", "1")]) == ("The review [1].", [("C", "1")])
    lines, _ = number_sources("• one [2]\n• two [1]", [("C", "1"), ("C", "2")])
    assert lines == "• one [1]\n• two [2]"  # a citation never swallows the line break before the next bullet


# ------------------------------------------------------------------------------ telling a fact


def test_a_fact_line_says_the_day_it_is_about_who_said_it_and_when() -> None:
    fact = Fact(Hit(1, "Heads up: Acme's SSO certificate expires on December 12.", "client", "acme corp", 1, "C0ACME",
                    ["1.1"], None), home=True, on=date(2026, 12, 12), said_at=MONDAY - timedelta(days=1),
                author="Priya Raman", channel_name="client-acme")
    assert fact_line(fact, 3, TODAY) == ("\u2022 *Sat 12 Dec*: Heads up: Acme's SSO certificate expires on December 12. "
                                         "_(Priya Raman, Sun 29 Nov)_ [3]")
    elsewhere = Fact(fact.hit, home=False, on=TODAY - timedelta(days=1), said_at=fact.said_at, author=None,
                     channel_name="standup")
    assert fact_line(elsewhere, 1, TODAY).startswith("\u2022 *Sun 29 Nov* (passed): Heads up")
    assert fact_line(elsewhere, 1, TODAY).endswith("_(in #standup, Sun 29 Nov)_ [1]")
    bare = Fact(Hit(2, "The budget was approved.", "topic", "x", None, None, [], None))
    assert fact_line(bare, 2, TODAY) == "\u2022 The budget was approved. [2]"


def test_the_offline_answer_and_the_model_s_facts() -> None:
    facts = [_fact(1, on=date(2026, 12, 3)), _fact(2)]
    status = compose(facts, today=TODAY, entity_name="Acme Corp", status=True)
    assert status.splitlines()[0] == "Here's what I know about *Acme Corp*, dates and deadlines first:"
    assert status.splitlines()[1].startswith("\u2022 *Thu 3 Dec*: fact 1") and status.endswith("[2]")
    assert compose(facts, today=TODAY, entity_name=None, status=False).startswith("Here's what I have:\n\u2022 ")
    line = prompt_line(_fact(3, home=False, on=date(2026, 11, 2)), TODAY)
    assert line == "fact 3 (said by Priya Raman, in #standup, on Sun 29 Nov, about Mon 2 Nov (passed))"
    assert prompt_line(_fact(4), TODAY).endswith("in #client-acme, the channel of what was asked about, on Sun 29 Nov)")


def test_a_long_answer_is_split_between_lines_never_cut() -> None:
    from bot.blocks.context import text_sections

    lines = [f"\u2022 Fact number {i}: " + "word " * 80 + f"[{i}] <https://acme.slack.com/archives/C1/p{i}|#client-acme>"
             for i in range(1, 25)]
    sections = text_sections("Here's what I have:\n" + "\n".join(lines))
    texts = [b["text"]["text"] for b in sections]
    assert all(len(t) <= 3000 for t in texts) and len(texts) > 1
    assert "\n".join(texts) == "Here's what I have:\n" + "\n".join(lines)  # nothing lost, every [n] kept
    one_line = text_sections("x " * 3500)
    assert all(len(b["text"]["text"]) <= 3000 for b in one_line) and len(one_line) == 3
    assert "".join(b["text"]["text"].replace(" ", "") for b in one_line) == "x" * 3500
    assert [b["text"]["text"] for b in text_sections("short")] == ["short"]
