"""bot/slack_markup.py: reading Slack text into plain words + references, and writing it back
(the stored form, Block Kit mrkdwn that never pings, plain_text)."""

from __future__ import annotations

import pytest

from bot import slack_markup as markup
from bot.slack_markup import NO_PING, mrkdwn, read, store

PR = "<https://github.com/acme/web/pull/42|PR #42>"
DM = f"I'll review {PR} with <@U0PRIYA> by Friday :rocket:"


# ---------------------------------------------------------------- reading

def test_the_issue_example_reads_as_plain_words_with_its_references() -> None:
    msg = read(DM)
    assert msg.plain == "I'll review PR #42 with @U0PRIYA by Friday :rocket:"
    assert msg.original == DM
    assert [(r.kind, r.target, r.label) for r in msg.refs] == [
        ("link", "https://github.com/acme/web/pull/42", "PR #42"), ("user", "U0PRIYA", None)]
    link, person = msg.refs
    assert DM[link.span[0]:link.span[1]] == PR and msg.plain[link.plain_span[0]:link.plain_span[1]] == "PR #42"
    assert DM[person.span[0]:person.span[1]] == "<@U0PRIYA>" and msg.plain[slice(*person.plain_span)] == "@U0PRIYA"
    assert msg.users == ("U0PRIYA",) and msg.links == ("https://github.com/acme/web/pull/42",) and not msg.pings


@pytest.mark.parametrize(("text", "plain", "kinds"), [
    ("<@U123>", "@U123", ["user"]),
    ("<@U123|priya>", "@priya", ["user"]),
    ("<@W0ENTERPRISE|sam.c>", "@sam.c", ["user"]),
    ("<#C0STANDUP|standup>", "#standup", ["channel"]),
    ("<#C0STANDUP>", "#C0STANDUP", ["channel"]),
    ("<#C0STANDUP|>", "#C0STANDUP", ["channel"]),
    ("<https://example.com>", "https://example.com", ["link"]),
    ("<https://example.com|the docs>", "the docs", ["link"]),
    ("<mailto:bob@acme.test|Bob>", "Bob", ["link"]),
    ("<mailto:bob@acme.test>", "bob@acme.test", ["link"]),
    ("<!here>", "@here", ["special"]),
    ("<!channel>", "@channel", ["special"]),
    ("<!everyone>", "@everyone", ["special"]),
    ("<!here|@here>", "@here", ["special"]),
    ("<!group>", "@group", ["special"]),
    ("<!subteam^S0DESIGN|@design>", "@design", ["usergroup"]),
    ("<!subteam^S0DESIGN>", "@group", ["usergroup"]),
    ("<!date^1392734382^{date_short}|Feb 18, 2014>", "Feb 18, 2014", ["date"]),
    ("<!date^1392734382^{date} at {time}^https://x.test|Feb 18 at 6:39>", "Feb 18 at 6:39", ["date"]),
    ("<!foo>", "foo", ["unknown"]),
    ("<!foo|bar>", "bar", ["unknown"]),
])
def test_each_kind_of_markup(text: str, plain: str, kinds: list[str]) -> None:
    msg = read(f"a {text} b")
    assert msg.plain == f"a {plain} b"
    assert [r.kind for r in msg.refs] == kinds
    assert msg.refs[0].raw == text


def test_labels_keep_everything_after_the_first_bar_and_decode_entities() -> None:
    msg = read("<https://x.test/?a=1&amp;b=2|Q&amp;A | notes &gt; more>")
    (link,) = msg.refs
    assert link.target == "https://x.test/?a=1&b=2"
    assert link.label == "Q&A | notes > more" and msg.plain == "Q&A | notes > more"


def test_entities_decode_once_in_one_pass() -> None:
    assert read("R&amp;D &lt;3 a &gt; b").plain == "R&D <3 a > b"
    assert read("&amp;lt; is how you write &lt;").plain == "&lt; is how you write <"  # not decoded twice
    assert read("&quot;quoted&quot; &nbsp;").plain == "&quot;quoted&quot; &nbsp;"  # Slack escapes only & < >


def test_a_less_than_that_opens_no_markup_is_a_character() -> None:
    # Typed "<" arrives from Slack as "&lt;"; in the stored form or a modal it is a plain "<".
    assert read("if a < b and c > d").plain == "if a < b and c > d"
    assert read("a <b> c <3").plain == "a <b> c <3" and read("a <b> c").refs == ()
    assert read("<<@U1>>").plain == "<@U1>" and read("<<@U1>>").users == ("U1",)
    assert read("<@not-an-id>").refs == () and read("< https://x.test >").refs == ()
    assert read("&lt;@U123&gt;").refs == ()  # typed, not a mention


def test_emoji_shortcodes_are_words_not_punctuation() -> None:
    text = "ship it :+1::skin-tone-2: :white_check_mark: :man-raising-hand: :100: at 10:30:45"
    msg = read(text)
    assert msg.plain == text and msg.refs == ()
    assert markup.EMOJI.findall(text) == [":+1::skin-tone-2:", ":white_check_mark:", ":man-raising-hand:", ":100:"]


def test_only_a_mention_has_no_words() -> None:
    assert not read("<@U0PRIYA>").has_words
    assert not read("  <@U0PRIYA> :wave:  <https://x.test|link> ").has_words
    assert read("<@U0PRIYA> hi").has_words and read("2").has_words
    assert read("").plain == "" and read(None).refs == ()


def test_without_and_plain_keeping() -> None:
    assert read("<@U0SAM> Acme &amp; Co").without("user") == "Acme & Co"
    assert read("Acme <#C0ACME|client-acme>").without("channel") == "Acme"
    assert read("ask <@U1> about <https://x.test|it>").plain_keeping("user") == "ask <@U1> about it"


# ---------------------------------------------------------------- the stored form

def test_a_parser_title_gets_its_people_and_links_back() -> None:
    msg = read(DM)
    assert msg.stored("review PR #42 with @U0PRIYA :rocket:") == f"review {PR} with <@U0PRIYA> :rocket:"
    assert msg.stored("Review PR #42") == f"Review {PR}"
    assert msg.stored("something else") == "something else"


def test_stored_form_keeps_people_channels_links_dates_and_decodes_the_rest() -> None:
    text = ("Q&amp;A with <@U1|priya> in <#C1|general>: <https://x.test|R&amp;D>, <!date^1^{date}|Monday> "
            "<!here> <!subteam^S1|@design> <!foo> a &lt; b")
    assert store(text) == ("Q&A with <@U1|priya> in <#C1|general>: <https://x.test|R&D>, <!date^1^{date}|Monday> "
                           f"@{NO_PING}here @{NO_PING}design foo a < b")


@pytest.mark.parametrize("text", [
    "&lt;@U123&gt; typed by hand", "&lt;https://evil.test|Click&gt;", "&amp;lt; and &amp;amp;", "a &lt; b &amp; c &gt; d",
    "<https://x.test/?q=a&amp;b|x &amp;lt; y>", "a&lt;<@U1>&gt;", "&lt;<!subteam^S1|@U2X>&gt;", DM, "",
])
def test_the_stored_form_reads_back_exactly(text: str) -> None:
    stored = store(text)
    assert read(stored).plain == read(text).plain.replace("@", "@" + NO_PING) if read(text).pings else read(stored).plain == read(text).plain
    assert [(r.kind, r.target) for r in read(stored).refs if r.kept] == [(r.kind, r.target) for r in read(text).refs if r.kept]
    assert store(stored) == stored


def test_the_stored_form_escapes_only_what_would_read_as_markup() -> None:
    assert store("&lt;@U123&gt; and &lt;https://x.test&gt;") == "&lt;@U123> and &lt;https://x.test>"
    assert store("&amp;amp; &amp;lt;") == "&amp;amp; &amp;lt;"
    assert store("a &lt; b &amp; c") == "a < b & c"


def test_a_limit_never_cuts_markup_in_half() -> None:
    title = f"review {PR} with <@U0PRIYA> and then a great many more words " + "word " * 40
    assert store(title, limit=60) == f"review {PR} with\u2026"  # the mention would not fit
    assert store(f"review {PR} with <@U0PRIYA>", limit=30) == "review PR #42 with <@U0PRIYA>"  # the link as its label
    assert store(f"review {PR} with <@U0PRIYA> today", limit=30) == "review PR #42 with <@U0PRIYA>\u2026"
    short = store("x" * 300, limit=20)
    assert len(short) == 20 and short.endswith("\u2026")
    assert store("fine as it is", limit=20) == "fine as it is"


# ---------------------------------------------------------------- writing mrkdwn

def test_mrkdwn_keeps_people_links_and_emoji() -> None:
    assert mrkdwn(f"review {PR} with <@U0PRIYA> :rocket:") == f"review {PR} with <@U0PRIYA> :rocket:"
    assert mrkdwn("<@U0PRIYA|priya> in <#C1|general>") == "<@U0PRIYA> in <#C1|general>"
    assert mrkdwn("<https://x.test/?a=1&amp;b=2|Q&amp;A>") == "<https://x.test/?a=1&amp;b=2|Q&amp;A>"
    assert mrkdwn("<!date^1^{date}|Monday>") == "<!date^1^{date}|Monday>"


def test_mrkdwn_escapes_everything_else_exactly_once() -> None:
    assert mrkdwn("Q&A a < b > c") == "Q&amp;A a &lt; b &gt; c"
    assert mrkdwn("Q&amp;A a &lt; b") == "Q&amp;A a &lt; b"  # Slack's own escaping is not doubled
    assert mrkdwn("&lt;@U123&gt;") == "&lt;@U123&gt;"  # typed by hand: shown, not a mention
    assert mrkdwn("&amp;lt;") == "&amp;lt;"


@pytest.mark.parametrize("text", [DM, "Q&A <!here> &lt;b&gt;", "<!subteam^S1|@design> @channel", "<!foo|@here>", "a&amp;b"])
def test_mrkdwn_is_idempotent(text: str) -> None:
    once = mrkdwn(text)
    assert mrkdwn(once) == once
    assert mrkdwn(store(text)) == once


@pytest.mark.parametrize(("text", "shown"), [
    ("<!channel> deploy", f"@{NO_PING}channel deploy"),
    ("<!here|here> deploy", f"@{NO_PING}here deploy"),
    ("<!everyone>", f"@{NO_PING}everyone"),
    ("<!group>", f"@{NO_PING}group"),
    ("<!subteam^S0DESIGN|@design> review", f"@{NO_PING}design review"),
    ("<!subteam^S0DESIGN>", f"@{NO_PING}group"),
    ("@channel and @Here and @everyone's", f"@{NO_PING}channel and @{NO_PING}Here and @{NO_PING}everyone's"),
    ("<!foo|@channel>", f"@{NO_PING}channel"),
    ("mail me at ops@here.test or @channels", "mail me at ops@here.test or @channels"),
])
def test_nothing_pings(text: str, shown: str) -> None:
    out = mrkdwn(text)
    assert out == shown
    assert "<!" not in out or "<!date^" in out
    assert mrkdwn(store(text)) == shown  # stored, then echoed: still no ping


def test_escape_is_for_literal_text() -> None:
    assert markup.escape("Lee <b> & @here") == f"Lee &lt;b&gt; &amp; @{NO_PING}here"
    assert markup.escape("<@U123>") == "&lt;@U123&gt;"
    assert markup.escape(None) == ""


def test_plain_text_and_without_user() -> None:
    assert markup.plain_text(f"review {PR} with <@U0PRIYA> &amp; co") == "review PR #42 with @U0PRIYA & co"
    assert markup.without_user("<@U0BOT> I'll pair with <@U0PRIYA> &amp; ship", "U0BOT") == "I'll pair with <@U0PRIYA> &amp; ship"
    assert markup.without_user("<@U0BOT|steward> tell <!here>", "U0BOT") == "tell <!here>"
    assert markup.without_user("<@U0BOT>", "U0BOT") == ""
