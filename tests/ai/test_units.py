"""Pure pieces of bot.ai: tag neutralising, loose matching, retry-after parsing, offline helpers."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.ai import offline as off
from bot.ai.prompts import neutralise_tags
from bot.ai.validate import InvalidOutput, loose_match, ooo_from_output, reminder_from_output, truncate

ZONE = ZoneInfo("Europe/Berlin")
NOW = datetime(2025, 3, 4, 10, 0, tzinfo=ZONE)  # a Tuesday


@pytest.mark.parametrize(
    "text",
    [
        "</user_message>",
        "< / user_message >",
        "&lt;/user_message&gt;",
        "&#60;/user_message&#62;",
        "＜/user_message＞",
        "</user\u200b_message>",
        "<user_<user_message>message>",
        "</USER_MESSAGE extra='x'>",
        "</facts>",
        "<memory>",
    ],
)
def test_neutralise_tags(text: str) -> None:
    out = neutralise_tags(f"before {text} after")
    assert "user_message" not in out.lower() and "facts>" not in out and "memory>" not in out
    assert out.startswith("before") and out.endswith("after")


def test_neutralise_keeps_ordinary_text() -> None:
    text = "I <3 the new <b>design</b>: 2 < 3 and the facts are clear"
    assert neutralise_tags(text) == text


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Acme", "Acme Corp"),
        ("acme corp.", "Acme Corp"),
        ("ACME's", "Acme Corp"),
        ("Acme Corporation", "Acme Corp"),
        ("Globx", "Globex Inc"),
        ("Initech", None),
        ("", None),
        (None, None),
        ("the website", None),
    ],
)
def test_loose_match(name: object, expected: str | None) -> None:
    assert loose_match(name, ["Acme Corp", "Globex Inc", "Website Redesign"]) == expected


def test_truncate() -> None:
    assert truncate("short", 200) == "short"
    cut = truncate("word " * 100, 50)
    assert len(cut) <= 50 and cut.endswith("…")


def test_reminder_validation() -> None:
    r = reminder_from_output({"found": True, "what": "stand-up notes", "date": None, "time": None,
                              "recurrence": {"kind": "weekly", "hour": 8, "minute": 15, "weekdays": [4, 4, 9], "day": None,
                                             "interval": 1}}, now=NOW, zone=ZONE)  # fmt: skip
    assert r is not None
    assert r.recurrence == {"kind": "weekly", "hour": 8, "minute": 15, "weekdays": [4]}
    assert r.fire_at == datetime(2025, 3, 7, 8, 15, tzinfo=ZONE)  # the first Friday
    assert r.has_time is True

    monthly = reminder_from_output({"found": True, "what": "pay rent", "date": "2025-03-01", "time": "09:00",
                                    "recurrence": {"kind": "monthly", "hour": 9, "minute": 0, "weekdays": [], "day": 1,
                                                   "interval": 1}}, now=NOW, zone=ZONE)  # fmt: skip
    assert monthly is not None and monthly.fire_at == datetime(2025, 4, 1, 9, 0, tzinfo=ZONE)

    # a date without a time: 09:00, or the next full hour when that has passed today
    today = reminder_from_output({"found": True, "what": "x", "date": "2025-03-04", "time": None, "recurrence": None}, now=NOW, zone=ZONE)
    assert today is not None and today.fire_at == datetime(2025, 3, 4, 11, 0, tzinfo=ZONE) and today.has_time is False

    assert reminder_from_output({"found": False}, now=NOW, zone=ZONE) is None
    assert reminder_from_output({"found": True, "what": "x", "date": None, "time": None, "recurrence": None}, now=NOW, zone=ZONE) is None
    with pytest.raises(InvalidOutput):
        reminder_from_output({"found": True, "what": "", "date": "2025-03-05"}, now=NOW, zone=ZONE)
    with pytest.raises(InvalidOutput):
        reminder_from_output({"found": True, "what": "x", "recurrence": {"kind": "hourly"}}, now=NOW, zone=ZONE)


def test_ooo_validation() -> None:
    o = ooo_from_output({"found": True, "start_date": "2025-03-10", "end_date": None, "reason": "Vacation"}, now=NOW, zone=ZONE)
    assert o is not None and (o.start_date.isoformat(), o.end_date.isoformat(), o.reason) == ("2025-03-10", "2025-03-10", "vacation")
    assert ooo_from_output({"found": True, "start_date": None, "end_date": None, "reason": "moon"}, now=NOW, zone=ZONE).reason is None  # type: ignore[union-attr]
    with pytest.raises(InvalidOutput):
        ooo_from_output({"found": True, "start_date": "2025-03-12", "end_date": "2025-03-10"}, now=NOW, zone=ZONE)
    with pytest.raises(InvalidOutput):
        ooo_from_output({"found": True, "start_date": "2025-03-10", "end_date": "2027-03-10"}, now=NOW, zone=ZONE)


def test_offline_sentences() -> None:
    assert off.is_substantive("The staging deploy is blocked on VPN access")
    assert not off.is_substantive("Thanks so much everyone!")
    assert not off.is_substantive("Good morning team, happy Monday")
    assert off.is_substantive("Thanks, the Acme invoice was paid today")
    assert not off.is_substantive("ok sounds good")
    assert off.sentences("- <https://x.io|Acme doc> is ready. See <#C1|general> :tada:\n• next item here") == [
        "Acme doc is ready.",
        "See #general",
        "next item here",
    ]
    assert off.parse_hint("client:Acme") == ("client", "Acme")
    assert off.parse_hint("Acme") == ("other", "Acme")
    assert off.parse_hint(" ") is None


def test_offline_answer_and_summary() -> None:
    facts = ["Globex paid in February", "Acme SSO certificate expires March 10", "Acme deploy is blocked on VPN"]
    answer = off.offline_answer("What about the Acme SSO certificate?", facts)
    lines = answer.splitlines()
    assert lines[1] == "• Acme SSO certificate expires March 10 [2]"
    assert "[3]" in lines[2] and len(lines) == 3
    assert off.offline_answer("anything?", []) == "I don't have anything on that yet."
    assert off.offline_answer("zzz?", facts).count("•") == 3
    summary = off.offline_summary("Acme", [f"note {i} about things" for i in range(12)])
    assert summary.startswith("Latest on Acme:") and summary.endswith("…and 4 more.")
