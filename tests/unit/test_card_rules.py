"""The card rules (bot/services/card_rules.py), pure, on hand-built data: missed updates in a row (leave, holidays,
ramp-up and days Steward did not ask never count, and break a run), carried tasks, overdue tasks not mentioned,
three yellows make a red (revoked and expired ones never count), and the settings merged over the defaults."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.services import card_rules as rules
from bot.services.attendance import DayRecord
from bot.services.card_rules import IssuedCard, RuleSetting

MON = date(2026, 3, 2)
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
ON2, ON3 = RuleSetting(True, 2), RuleSetting(True, 3)


def rec(d: date, *, asked: bool = True, updated: bool = False, ramp_up: bool = False, working: bool = True) -> DayRecord:
    return DayRecord(day=d, asked=asked and working, working=working, ramp_up=ramp_up, updated=updated,
                     permalink=f"https://acme.slack.com/archives/C1/p{d:%Y%m%d}" if asked else None, person_day=d,
                     closes_at=datetime(d.year, d.month, d.day, tzinfo=UTC) + timedelta(days=1))


def week(*kinds: str, start: date = MON) -> list[DayRecord]:
    """One record per workday from ``start``: "m" missed, "u" updated, "l" on leave, "h" a holiday of theirs,
    "r" ramp-up (missed), "n" not asked (the thread failed)."""
    out, d = [], start
    for k in kinds:
        while d.isoweekday() > 5:
            d += timedelta(days=1)
        out.append(rec(d, updated=k == "u", working=k not in "lh", ramp_up=k == "r", asked=k != "n"))
        d += timedelta(days=1)
    return out


def test_two_misses_in_a_row_is_one_yellow_with_its_days_and_links() -> None:
    found = rules.missed_breaches(7, week("u", "m", "m", "u"), ON2, NOW)
    assert len(found) == 1
    (b,) = found
    assert (b.color, b.rule, b.dedupe_key) == ("yellow", rules.RULE_MISSED, "card:missed:7:2026-03-03")
    assert b.evidence["days"] == ["2026-03-03", "2026-03-04"]
    assert b.evidence["links"] == ["https://acme.slack.com/archives/C1/p20260303", "https://acme.slack.com/archives/C1/p20260304"]
    assert "2 missed morning updates in a row" in b.reason


def test_a_day_that_does_not_count_breaks_the_run() -> None:
    for between in ("l", "h", "r", "n", "u"):  # leave, holiday, ramp-up, not asked, updated
        assert rules.missed_breaches(7, week("m", between, "m"), ON2, NOW) == [], between


def test_a_weekend_does_not_break_the_run_and_a_long_run_is_one_card_per_block() -> None:
    friday_monday = week("u", "u", "u", "u", "m", "m")  # Friday, then Monday
    assert [b.evidence["days"] for b in rules.missed_breaches(7, friday_monday, ON2, NOW)] == [["2026-03-06", "2026-03-09"]]
    four = rules.missed_breaches(7, week("m", "m", "m", "m", "m"), ON2, NOW)
    assert [b.dedupe_key for b in four] == ["card:missed:7:2026-03-02", "card:missed:7:2026-03-04"]


def test_a_day_not_closed_yet_is_not_a_miss_and_a_rule_off_finds_nothing() -> None:
    days = week("m", "m")
    assert rules.missed_breaches(7, days, ON2, days[1].closes_at - timedelta(minutes=1)) == []
    assert rules.missed_breaches(7, days, ON2, days[1].closes_at) != []
    assert rules.missed_breaches(7, days, RuleSetting(False, 2), NOW) == []
    assert rules.missed_breaches(7, week("m", "m", "m"), ON3, NOW) != []


def test_carried_three_times_counts_only_counted_days_and_never_a_blocked_task() -> None:
    days = week("u", "u", "r", "u", "u")
    carried = tuple(r.day for r in days)
    task = rules.CarriedTask(40, 7, "T-4", "Acme mockups", carried[:3], blocked=False)
    assert rules.carry_breaches(task, days, ON3) == []  # one of the three was a ramp-up day
    task = rules.CarriedTask(40, 7, "T-4", "Acme mockups", carried, blocked=False)
    (b,) = rules.carry_breaches(task, days, ON3)
    assert b.dedupe_key == "card:carry:40" and b.evidence["task"] == "T-4" and len(b.evidence["days"]) == 4
    assert rules.carry_breaches(rules.CarriedTask(40, 7, "T-4", "x", carried, blocked=True), days, ON3) == []


def test_overdue_unmentioned_for_two_counted_days_after_its_due_date() -> None:
    days = week("u", "u", "u", "u", "u")
    due = MON
    task = rules.OverdueTask(41, 7, "T-5", "Invoice", due, frozenset())
    (b,) = rules.overdue_breaches(task, days, ON2, NOW)
    assert b.evidence["days"] == ["2026-03-03", "2026-03-04"] and b.dedupe_key == "card:overdue:41:2026-03-02"
    mentioned = rules.OverdueTask(41, 7, "T-5", "Invoice", due, frozenset({date(2026, 3, 4), date(2026, 3, 6)}))
    assert rules.overdue_breaches(mentioned, days, ON2, NOW) == []  # Tue alone, then Thu alone
    assert rules.overdue_breaches(task, week("u", "m", "m", "u", "u"), ON2, NOW)[0].evidence["days"] == [
        "2026-03-05", "2026-03-06"]  # the missed days are the missed rule's, not this one's
    on_leave = week("u", "u", "l", "u", "u")
    assert rules.overdue_breaches(rules.OverdueTask(41, 7, "T-5", "x", due, frozenset({date(2026, 3, 6)})), on_leave,
                                  ON2, NOW) == []


def _card(i: int, *, status: str = "active", days_ago: int = 1, shadow: bool = False, color: str = "yellow",
          counted_by: int | None = None) -> IssuedCard:
    created = NOW - timedelta(days=days_ago)
    return IssuedCard(i, 7, color, status, shadow, created, created + timedelta(days=30), counted_by)


def test_three_yellows_make_one_red_revoked_and_expired_never_count() -> None:
    window = timedelta(days=30)
    (red,) = rules.red_breaches(7, [_card(1), _card(2), _card(3)], ON3, window, NOW, shadow=False)
    assert red.color == "red" and red.evidence["cards"] == [1, 2, 3] and red.dedupe_key == "card:red:7:1-2-3"
    assert rules.red_breaches(7, [_card(1), _card(2, status="revoked"), _card(3)], ON3, window, NOW, shadow=False) == []
    assert rules.red_breaches(7, [_card(1), _card(2, status="expired"), _card(3)], ON3, window, NOW, shadow=False) == []
    assert rules.red_breaches(7, [_card(1, days_ago=31), _card(2), _card(3)], ON3, window, NOW, shadow=False) == []
    assert rules.red_breaches(7, [_card(1, counted_by=9), _card(2), _card(3)], ON3, window, NOW, shadow=False) == []
    assert rules.red_breaches(7, [_card(1, shadow=True), _card(2), _card(3)], ON3, window, NOW, shadow=False) == []
    assert len(rules.red_breaches(7, [_card(1, shadow=True), _card(2), _card(3)], ON3, window, NOW, shadow=True)) == 1
    upheld = [_card(1, status="upheld"), _card(2, status="acknowledged"), _card(3, status="active")]
    assert len(rules.red_breaches(7, upheld, ON3, window, NOW, shadow=False)) == 1


def test_a_card_under_appeal_waits_for_the_decision_before_it_counts_towards_a_red() -> None:
    window = timedelta(days=30)
    pending = [_card(1, status="upheld"), _card(2, status="acknowledged"), _card(3, status="appealed")]
    assert rules.red_breaches(7, pending, ON3, window, NOW, shadow=False) == []
    decided = [*pending[:2], _card(3, status="upheld")]
    assert len(rules.red_breaches(7, decided, ON3, window, NOW, shadow=False)) == 1


def test_overrides_lay_over_the_defaults_and_bad_values_are_ignored() -> None:
    r = rules.rules_of({"carry": {"threshold": 4}, "missed": {"on": False}, "red": {"threshold": "x"}, "nonsense": 1})
    assert r.carry == RuleSetting(True, 4) and r.missed == RuleSetting(False, 2) and r.red == RuleSetting(True, 3)
    assert r.expiry == timedelta(days=30) and r.red_window == timedelta(days=30)
    assert rules.rules_of(None) == rules.rules_of({})
    assert any("carried forward 4 times" in line for line in rules.describe(r))


def test_days_already_carded_never_count_again_whatever_the_window() -> None:
    days = week("u", "m", "m", "m", "m", "u")  # Tue-Fri missed: two cards
    first = rules.missed_breaches(7, days, ON2, NOW)
    carded = [date.fromisoformat(d) for b in first for d in b.evidence["days"]]
    # A later run whose window starts on Wednesday would pair Wed-Thu; the carded days stop it.
    assert rules.missed_breaches(7, days[2:], ON2, NOW) != []
    assert rules.missed_breaches(7, days[2:], ON2, NOW, carded) == []


DEFAULTS = rules.rules_of(None)


def test_two_silent_days_are_one_missed_card_never_a_carry_card_too() -> None:
    """Tester 14, finding 10: Sam gives his update Monday (T-8 is planned), then says nothing Wednesday and
    Thursday; T-8 is carried all three days. The two silent days are the missed rule's: one card, not a carry card
    made of the same days as well (which, with an older yellow, made a red in the same run)."""
    days = week("u", "u", "m", "m")  # Mon 2 (T-8 new), Tue 3, Wed 4 and Thu 5 silent
    t8 = rules.CarriedTask(80, 7, "T-8", "Acme call notes", tuple(r.day for r in days[1:]), blocked=False)
    assert rules.carry_breaches(t8, days, ON3) == []  # carries on silent days are not the person's carries
    found = rules.yellow_breaches(7, days, [t8], [], DEFAULTS, NOW)
    assert [b.rule for b in found] == [rules.RULE_MISSED]
    # Carried three times while giving updates (and no blocker): that is the carry rule's.
    busy = week("u", "u", "u", "u")
    t8 = rules.CarriedTask(80, 7, "T-8", "Acme call notes", tuple(r.day for r in busy[1:]), blocked=False)
    (card,) = rules.yellow_breaches(7, busy, [t8], [], DEFAULTS, NOW)
    assert card.rule == rules.RULE_CARRY and card.evidence["days"] == ["2026-03-03", "2026-03-04", "2026-03-05"]


def test_one_day_is_evidence_for_one_card_whatever_the_rule() -> None:
    days = week("u", "u", "u", "u", "u")
    carried = tuple(r.day for r in days[1:4])  # Tue, Wed, Thu
    late = rules.OverdueTask(41, 7, "T-5", "Invoice", MON, frozenset())  # unmentioned Tue, Wed, ...
    other = rules.CarriedTask(42, 7, "T-6", "Deck", carried, blocked=False)
    found = rules.yellow_breaches(7, days, [other], [late], DEFAULTS, NOW)
    assert [b.rule for b in found] == [rules.RULE_OVERDUE]  # Tue and Wed are taken: T-6 has only Thu left
    # Days already in an older card's evidence (a revoked one too) are taken the same way.
    used = [date(2026, 3, 3), date(2026, 3, 4)]
    (only,) = rules.yellow_breaches(7, days, [other], [late], DEFAULTS, NOW, used)
    assert only.rule == rules.RULE_OVERDUE and only.evidence["days"] == ["2026-03-05", "2026-03-06"]
    assert rules.carry_breaches(other, days, ON3, used) == []


def test_a_task_that_gave_a_card_gives_no_other_under_another_rule_until_a_new_due_date() -> None:
    """Tester 14, finding 12: T-2's carry card was revoked ("pulled onto the Acme SSO renewal all week"); the same
    task is not carded again as overdue for the same due date. A due date given after the card starts again."""
    days = week("u", "u", "u", "u", "u")
    carded = {2: date(2026, 3, 2)}  # T-2 (task 2) gave a card on Mon 2 March
    due_before = rules.OverdueTask(2, 7, "T-2", "Login bug", date(2026, 2, 27), frozenset())
    assert rules.overdue_breaches(due_before, days, ON2, NOW) != []
    assert rules.overdue_breaches(due_before, days, ON2, NOW, task_carded=carded) == []
    new_date = rules.OverdueTask(2, 7, "T-2", "Login bug", date(2026, 3, 3), frozenset())
    assert rules.overdue_breaches(new_date, days, ON2, NOW, task_carded=carded) != []
    again = rules.CarriedTask(2, 7, "T-2", "Login bug", tuple(r.day for r in days), blocked=False)
    assert rules.carry_breaches(again, days, ON3, task_carded={2: date(2026, 3, 2)}) == []


def test_an_overdue_reason_reads_the_same_to_the_person_and_to_their_manager() -> None:
    late = rules.OverdueTask(41, 7, "T-5", "Invoice", MON, frozenset())
    (b,) = rules.overdue_breaches(late, week("u", "u", "u"), ON2, NOW)
    assert "your" not in b.reason and "no update mentioned it on 2 working days" in b.reason
