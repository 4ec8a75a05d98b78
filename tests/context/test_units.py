"""Context memory rules that need no database: what is stored, what a question searches for,
how rankings fuse, which plan a tenant gets, what a fact is about, what "remember" keeps."""

from __future__ import annotations

from bot.ai import Observation
from bot.blocks.context import backfill_fraction, progress_bar
from bot.listeners.context import is_question
from bot.services import search
from bot.services.context import Known, memory_key, message_row, remembered_text, second_person
from bot.services.search import Hit


def test_only_people_s_messages_with_text_are_stored() -> None:
    base = {"type": "message", "user": "U1", "text": "The deploy moved to Thursday.", "ts": "1700000000.000100"}
    assert message_row(base) == {"ts": "1700000000.000100", "thread_ts": None, "user_id": "U1", "subtype": None,
                                 "text": "The deploy moved to Thursday.", "edited_at": None}
    assert message_row({**base, "thread_ts": "1700000000.000001"})["thread_ts"] == "1700000000.000001"
    assert message_row({**base, "subtype": "thread_broadcast"}) is not None
    assert message_row({**base, "subtype": "file_share"}) is not None
    for noise in ({"subtype": "channel_join"}, {"subtype": "bot_message"}, {"bot_id": "B1"}, {"subtype": "channel_topic"},
                  {"user": "USLACKBOT"}, {"text": "   "}, {"ts": "not-a-ts"}, {"user": None}, {"hidden": True},
                  {"app_id": "A1"}):
        assert message_row({**base, **noise}) is None, noise
    unicode = {**base, "text": "  Zoë’s café — déploiement 🚀 jeudi  "}
    assert message_row(unicode)["text"] == unicode["text"]  # verbatim


def test_question_terms_drop_question_words_and_keep_ids() -> None:
    assert search.terms_of("What's the status of T-42?") == ["t-42"]
    terms = search.terms_of("When does the SSO certificate expire?")
    assert "sso" in terms and "certificate" in terms and "when" not in terms and "the" not in terms
    assert search.terms_of("any update on Acme's v2.3.1 deploy?") == ["acme", "v2.3.1", "deploy"]
    assert search.terms_of("what about <@U123> and <#C1|general>?") == []
    assert search.terms_of("status with Acme Corp", drop=["Acme", "Corp"]) == []


def _hit(i: int, distance: float | None = None, matched: int = 0) -> Hit:
    return Hit(i, f"fact {i}", "topic", "x", None, "C1", ["1.1"], None, distance, matched)


def test_rank_fusion_rewards_agreement_and_keeps_both_sides_facts() -> None:
    vector = [_hit(1, 0.1), _hit(2, 0.2), _hit(3, 0.25)]
    text = [_hit(3, matched=2), _hit(4, matched=1)]
    fused = search.fuse(vector, text, k=3)
    assert [h.id for h in fused] == [3, 1, 2]  # in both lists beats first in one
    assert fused[0].distance == 0.25 and fused[0].text_matched == 2
    assert search.fuse([], [], k=5) == []
    assert [h.id for h in search.fuse([], text, k=5)] == [3, 4]


def test_plan_choice_exact_for_small_or_minor_tenants_hnsw_for_big_ones() -> None:
    assert search.choose_plan(1_000, 100_000) == "exact"  # 1 %: a filtered HNSW scan would starve
    assert search.choose_plan(4_000, 100_000) == "exact"
    assert search.choose_plan(40_000, 100_000) == "hnsw"
    assert search.choose_plan(5_000, 5_000) == "exact"  # the whole table, but small: exact is cheap
    assert search.choose_plan(15_000, 1_000_000) == "exact"  # 1.5 % of a big table
    assert search.choose_plan(0, 0) == "exact"


def test_facts_are_tied_to_the_channel_s_client_a_named_one_or_the_channel() -> None:
    known = Known([("client", 1, "Acme Corp", "CACME"), ("project", 2, "Website Relaunch", None),
                   ("client", 3, "Globex", None), ("person", 7, "Maya Lopez", None)])
    plain = Observation("The deploy moved to Thursday.", "other", None, ["1.1"])
    assert known.resolve(plain, "CACME").key == "acme corp"
    assert known.resolve(plain, "CACME").id == 1
    assert known.resolve(plain, "COTHER") == search.Entity("channel", "COTHER", "COTHER")
    named = Observation("Globex signed the renewal.", "other", None, ["1.1"])
    assert known.resolve(named, "COTHER").key == "globex"
    assert known.resolve(Observation("The website relaunch slipped.", "other", None, ["1"]), "C9").type == "project"
    by_model = Observation("Maya owns it.", "person", "Maya Lopez", ["1"])
    assert known.resolve(by_model, "CACME") == search.Entity("person", "maya lopez", "Maya Lopez", 7)
    unknown = Observation("Initech wants a quote.", "client", "Initech", ["1"])
    assert known.resolve(unknown, "COTHER") == search.Entity("topic", "initech", "Initech")
    assert known.hint("CACME") == "client:Acme Corp" and known.hint("COTHER") is None
    assert known.named_in("any news from acme?") is not None  # the distinctive first word of "Acme Corp"
    assert known.named_in("the acmeish thing") is None


def test_remember_keeps_what_follows_and_keys_it_stably() -> None:
    assert remembered_text("remember that I prefer afternoon reminders") == "I prefer afternoon reminders"
    assert remembered_text("Please remember: my manager is Maya.") == "my manager is Maya"
    assert remembered_text("hey steward, remember I'm out on Fridays") == "I'm out on Fridays"
    assert remembered_text("remember") is None and remembered_text("remember x") is None
    assert remembered_text("I remember that meeting") is None
    assert memory_key("I prefer afternoon reminders") == memory_key("i PREFER afternoon reminders!")
    assert second_person("I prefer my reminders in the afternoon") == "you prefer your reminders in the afternoon"


def test_questions_are_recognised() -> None:
    for text in ("What's the status with Acme?", "who owns the launch", "any update on T-42", "status acme",
                 "and what about the deploy?", "is the Acme deploy still on?"):
        assert is_question(text), text
    for text in ("I'll fix the login bug by Friday", "remind me to call Bob tomorrow", "thanks"):
        assert not is_question(text), text


def test_backfill_progress_is_the_share_of_the_time_window_covered() -> None:
    assert backfill_fraction("running", "100.0", "200.0", "150.0") == 0.5
    assert backfill_fraction("running", "100.0", "200.0", None) == 0.0
    assert backfill_fraction("complete", None, None, None) == 1.0
    assert progress_bar(0.5, 10) == "\u2593" * 5 + "\u2591" * 5
    assert progress_bar(2.0, 4) == "\u2593" * 4


def test_facts_are_tied_to_a_client_by_its_alias_and_by_its_assigned_members() -> None:
    """Issue 16's client matching for facts: an alias the model named or the fact says, else the one client all the
    fact's authors are assigned to (never for a fact about a person or the team)."""
    known = Known([("client", 1, "Acme Corp", "CACME"), ("client", 3, "Globex", None), ("person", 7, "Maya Lopez", None)],
                  aliases=[(1, "Roadrunner"), (3, "GBX")], member_clients={"U0SAM": [3], "U0LEE": [3], "U0DIEGO": [1, 3]})
    # The model named the alias; the fact says it in words (whole words only, any case).
    assert known.resolve(Observation("Renewal is signed.", "client", "GBX", ["1"]), "COTHER").id == 3
    assert known.resolve(Observation("The roadrunner launch moved to May.", "other", None, ["1"]), "COTHER").id == 1
    assert known.resolve(Observation("Roadrunners are fast.", "other", None, ["1"]), "COTHER").type == "channel"
    # Nothing named: the client all the authors are assigned to ...
    plain = Observation("The staging deploy is green again.", "other", None, ["1"])
    assert known.resolve(plain, "COTHER", ["U0SAM", "U0LEE"]).id == 3
    # ... but not when one of them has two clients, or the authors differ, or the fact is about a person or the team.
    assert known.resolve(plain, "COTHER", ["U0DIEGO"]).type == "channel"
    assert known.resolve(plain, "COTHER", ["U0SAM", "U0MAYA"]).type == "channel"
    assert known.resolve(Observation("Sam is out on Friday.", "person", "Sam", ["1"]), "COTHER", ["U0SAM"]).type == "topic"
    # The channel's client still comes before the authors' client.
    assert known.resolve(plain, "CACME", ["U0SAM"]).id == 1
