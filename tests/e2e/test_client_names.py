"""Client commands as a fresh tester drove them (tester16 findings 5, 10, 11, 12, 14, 15; ported from branch fix16b), through
the real bot over the Slack emulator with the clock as a parameter. Slack sends a slash command's ``&``, ``<`` and
``>`` as ``&amp;``, ``&lt;``, ``&gt;`` (https://api.slack.com/interactivity/slash-commands, "escaping"), so the texts
below are written as Slack's client sends them."""

from __future__ import annotations

from bot.app import Steward
from bot.clock import FrozenClock
from bot.emulators.slack import SlackEmulator
from tests.e2e.conftest import MAYA, SAM, answer_text
from tests.e2e.test_client_card import bot, clock, ny, rows, setup, value  # noqa: F401  (fixtures)

__all__ = ["bot", "clock"]


async def test_restoring_a_client_moves_its_deploy_schedules_past_the_deploys_missed_while_archived(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    """Finding 10: the job skips an archived client's deploys, so its schedule kept the Friday it was waiting for.
    Restored ten days later, that stale deploy must not be recorded (late, against members never sent anything): the
    weekly schedule goes on from the next Friday, the one-off that passed ends, and the answer says so."""
    await setup(emulator, db_dsn)
    clock.at = ny(3, 9, 10)  # Monday 9 March 2026
    await answer_text(emulator, MAYA, "/steward", f"client Globex members <@{SAM}>")
    await answer_text(emulator, MAYA, "/steward", 'checklist add "Globex QA" for client Globex on demand items: smoke test; invoices sent')
    said = await answer_text(emulator, MAYA, "/steward", 'deploy Globex every friday 15:00 checklist "Globex QA"')
    assert "every Friday at 15:00" in said, said
    said = await answer_text(emulator, MAYA, "/steward", "deploy Globex 2026-03-11 10:00")
    assert "Wed 11 Mar 2026" in said, said
    assert "Archived client *Globex*" in await answer_text(emulator, MAYA, "/steward", "client remove Globex")

    clock.at = ny(3, 16, 9)  # Monday 16 March: Wed 11 and Fri 13 passed while archived
    # Someone who may not add clients is refused, and the refusal stays logged (nothing rolls it back).
    said = await answer_text(emulator, SAM, "/steward", "client add Globex")
    assert "only Steward admins" in said, said
    assert await value(db_dsn, "SELECT count(*) FROM security_audit_logs WHERE event_type = 'permission_denied' "
                               "AND details::text LIKE '%%client.add%%'") == 1
    assert await value(db_dsn, "SELECT active FROM clients WHERE name = 'Globex'") is False
    said = await answer_text(emulator, MAYA, "/steward", "client add Globex")
    assert "Restored client *Globex*" in said, said
    assert "1 deploy schedule(s) missed deploys while archived" in said, said
    assert "Fri 20 Mar 15:00 (America/New_York)" in said, said
    assert "1 one-off deploy(s) passed while it was archived and ended" in said, said
    assert await rows(db_dsn, "SELECT active, next_deploy_at FROM client_deploy_schedules ORDER BY id") == [
        (True, ny(3, 20, 15)), (False, None)]
    assert await value(db_dsn, "SELECT count(*) FROM audit_logs WHERE action = 'deploy.resumed'") == 1

    report = await bot.scheduler.run_as_of("deploy-reminders", ny(3, 16, 9, 1))
    assert report is not None
    assert await value(db_dsn, "SELECT count(*) FROM sop_records") == 0  # no late record for Fri 13
    assert "Fri 20 Mar" in await answer_text(emulator, MAYA, "/steward", "deploys")
    # The next Friday is recorded as usual.
    report = await bot.scheduler.run_as_of("deploy-reminders", ny(3, 20, 15, 1))
    assert report is not None
    assert await rows(db_dsn, "SELECT recorded_at FROM sop_records") == [(ny(3, 20, 15),)]


async def test_deploy_words_read_like_checklists_and_refusals_name_the_wrong_part(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    """Finding 15: `tomorrow` / `today` (the schedule's zone) and `4pm`, `4 pm`, `16.00`, `at 4pm`, `noon` are read for
    deploys; a bare hour is refused as ambiguous; a misspelt schedule after a client's prefix blames the schedule;
    the alias clash names the alias; a client name starting with a schedule word is told to be quoted."""
    await setup(emulator, db_dsn)
    clock.at = ny(3, 9, 10)  # Monday 9 March 2026, 10:00 New York
    said = await answer_text(emulator, MAYA, "/steward", "deploy Acme tomorrow 09:00")
    assert "Scheduled *Acme Corp* deploys on Tue 10 Mar 2026 at 09:00" in said, said
    said = await answer_text(emulator, MAYA, "/steward", "deploy Acme today 10:55")
    assert "deploys on Mon 09 Mar 2026 at 10:55" in said and "less than an hour away" in said, said
    for words, when in [("every fri 4pm", "every Friday at 16:00"), ("every monday 4 pm", "every Monday at 16:00"),
                        ("every tuesday 16.00", "every Tuesday at 16:00"),
                        ("every wednesday at 4pm", "every Wednesday at 16:00"),
                        ("every thursday noon", "every Thursday at 12:00")]:
        said = await answer_text(emulator, MAYA, "/steward", f"deploy Acme {words}")
        assert f"Scheduled *Acme Corp* deploys {when}" in said, (words, said)
    said = await answer_text(emulator, MAYA, "/steward", "deploy Acme every saturday 3")
    assert "`3` could be morning or afternoon" in said and "Nothing was added" in said, said
    assert await value(db_dsn, "SELECT count(*) FROM client_deploy_schedules") == 7
    said = await answer_text(emulator, MAYA, "/steward", "deploy Acme tomorow 15:00")
    assert "I don't know a client" not in said and "I couldn't read that `tomorow 15:00`" in said, said
    assert await value(db_dsn, "SELECT count(*) FROM security_audit_logs WHERE event_type = 'deploy.refused'") == 2

    await answer_text(emulator, MAYA, "/steward", "client Acme Corp alias ACME")
    said = await answer_text(emulator, MAYA, "/steward", "client Globex alias Acme")
    assert "`Acme` already names Acme Corp (its alias `ACME`)" in said, said
    said = await answer_text(emulator, MAYA, "/steward", 'checklist add "EDF" for client Every Day Foods every friday '
                                                         "10:00 items: a")
    assert "starts with `Every`, a schedule word" in said and 'for client "Every Day Foods"' in said, said
    assert await value(db_dsn, "SELECT count(*) FROM checklists WHERE name = 'EDF'") == 0


async def test_a_checklist_for_nobody_is_accepted_with_a_warning_and_a_deploy_across_dst_says_when_it_is(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    """Finding 14: a checklist for a client with nobody assigned is accepted with a warning (members change); one
    that never falls on a workday is still refused; a deploy at a wall time a DST change skips or repeats is said
    to move (or to be the first)."""
    await setup(emulator, db_dsn)
    clock.at = ny(3, 13, 18)  # Friday 13 March 2026, 18:00 New York
    said = await answer_text(emulator, MAYA, "/steward", 'checklist add "Globex QA" for client Globex every monday 10:00 '
                                                         "items: a")
    assert "added" in said and "reaches nobody for now: Globex has no assigned members yet" in said, said
    await answer_text(emulator, MAYA, "/steward", f"client Globex members <@{SAM}>")
    said = await answer_text(emulator, MAYA, "/steward", 'checklist add "Globex wrap" for client Globex every friday '
                                                         "16:00 items: a")
    assert "added" in said and ":warning:" not in said, said
    said = await answer_text(emulator, MAYA, "/steward", 'checklist add "Weekend" for everyone every saturday 10:00 items: a')
    assert "never falls on one of the team's workdays" in said and "Nothing was added" in said, said
    assert await rows(db_dsn, "SELECT name FROM checklists ORDER BY id") == [("Globex QA",), ("Globex wrap",)]

    said = await answer_text(emulator, MAYA, "/steward", "deploy Acme 2027-03-14 02:30")
    assert "02:30 doesn't exist on Sun 14 Mar 2027 in America/New_York" in said and "is at 03:30" in said, said
    said = await answer_text(emulator, MAYA, "/steward", "deploy Acme 2026-11-01 01:30")
    assert "01:30 happens twice on Sun 01 Nov 2026" in said and "the first, 01:30 EDT (UTC-0400)" in said, said
    assert await value(db_dsn, "SELECT next_deploy_at FROM client_deploy_schedules ORDER BY id DESC LIMIT 1") == \
        ny(11, 1, 1, 30)  # 05:30 UTC: the first 01:30 (EDT)
    said = await answer_text(emulator, MAYA, "/steward", "deploy Acme 2026-11-02 01:30")
    assert "happens twice" not in said and "exist" not in said, said


async def test_an_sop_added_after_the_deploy_schedule_takes_it_over_and_retires_the_schedules_own(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    """Finding 12: the deploy schedule made its own SOP ("Deploy: Pre-deploy"); `/steward sop add` naming the same
    checklist takes the schedule over, so the next deploy is recorded against the SOP the admin named, and the
    schedule's own SOP (no longer used) is retired with its records kept: `/steward sops` lists one. A schedule
    that picks up an SOP added earlier marks it checked at each deploy."""
    await setup(emulator, db_dsn)
    clock.at = ny(3, 2, 10)  # Monday 2 March 2026
    await answer_text(emulator, MAYA, "/steward", f"client Acme Corp members <@{SAM}>")
    await answer_text(emulator, MAYA, "/steward", 'checklist add "Pre-deploy" for client Acme on demand items: tests pass')
    assert "Scheduled" in await answer_text(emulator, MAYA, "/steward", "deploy Acme every thursday 15:00 checklist Pre-deploy")
    assert await rows(db_dsn, "SELECT name, trigger, active FROM sops") == [("Deploy: Pre-deploy", "deploy", True)]
    await bot.scheduler.run_as_of("deploy-reminders", ny(3, 5, 15, 0))  # Thursday 5 March: a record for the old SOP
    assert await rows(db_dsn, "SELECT s.name FROM sop_records r JOIN sops s ON s.id = r.sop_id") == [("Deploy: Pre-deploy",)]

    clock.at = ny(3, 9, 10)
    said = await answer_text(emulator, MAYA, "/steward", 'sop add "Deploy to production" checklist "Pre-deploy"')
    assert "added" in said and "Deploy schedules using the checklist now record each deploy against it" in said, said
    listed = await answer_text(emulator, MAYA, "/steward", "sops")
    assert "Deploy to production" in listed and "checked at each deploy" in listed, listed
    assert "Deploy: Pre-deploy" not in listed, listed
    assert await rows(db_dsn, "SELECT name, active FROM sops ORDER BY id") == [("Deploy: Pre-deploy", False),
                                                                               ("Deploy to production", True)]
    await bot.scheduler.run_as_of("deploy-reminders", ny(3, 12, 15, 0))
    assert await rows(db_dsn, "SELECT s.name FROM sop_records r JOIN sops s ON s.id = r.sop_id ORDER BY r.recorded_at") == [
        ("Deploy: Pre-deploy",), ("Deploy to production",)]  # the old record is kept

    # An SOP written first, for a checklist no schedule uses yet: followed by hand until a schedule picks it up.
    await answer_text(emulator, MAYA, "/steward", 'checklist add "Globex QA" for client Globex on demand items: smoke')
    await answer_text(emulator, MAYA, "/steward", 'sop add "Globex release" checklist "Globex QA"')
    assert await value(db_dsn, "SELECT trigger FROM sops WHERE name = 'Globex release'") == "manual"
    assert "Scheduled" in await answer_text(emulator, MAYA, "/steward", 'deploy Globex every friday 11:00 checklist "Globex QA"')
    assert await value(db_dsn, "SELECT trigger FROM sops WHERE name = 'Globex release'") == "deploy"
    listed = await answer_text(emulator, MAYA, "/steward", "sops")
    globex = next(line for line in listed.splitlines() if "Globex release" in line)
    assert "checked at each deploy" in globex, globex


async def test_a_client_named_with_an_ampersand_is_found_by_every_command(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    """Finding 5 (ported from fix16b; main fixed it in 00ceb86): added as "Smith & Jones", then addressed by the card, members, alias, deploy and remove."""
    await setup(emulator, db_dsn)
    clock.at = ny(3, 9, 10)
    assert "Added client *Smith &amp; Jones*" in await answer_text(emulator, MAYA, "/steward", "client add Smith &amp; Jones")
    assert await value(db_dsn, "SELECT name FROM clients WHERE name LIKE 'Smith%%'") == "Smith & Jones"
    card = await answer_text(emulator, SAM, "/steward", "client Smith &amp; Jones")
    assert "I don't know" not in card and "Smith &amp; Jones" in card, card
    said = await answer_text(emulator, MAYA, "/steward", f"client smith &amp; jones members <@{SAM}>")
    assert "members are now" in said and f"<@{SAM}>" in said, said
    said = await answer_text(emulator, MAYA, "/steward", "client Smith &amp; Jones alias \"O'Brien &amp; Co\"")
    assert "also known as `O'Brien &amp; Co`" in said, said
    assert await rows(db_dsn, "SELECT alias FROM client_aliases") == [("O'Brien & Co",)]
    card = await answer_text(emulator, SAM, "/steward", "client O'Brien &amp; Co")
    assert "I don't know" not in card and "Smith &amp; Jones" in card, card
    said = await answer_text(emulator, MAYA, "/steward", "deploy Smith &amp; Jones every friday 10:00")
    assert "Scheduled *Smith &amp; Jones* deploys every Friday at 10:00" in said, said
    said = await answer_text(emulator, MAYA, "/steward", "deploy O'Brien &amp; Co remove")
    assert "Removed 1 deploy schedule(s) of *Smith &amp; Jones*" in said, said
    # An unknown name with an ampersand is quoted once-escaped (Slack shows "Brown & Co"), never "&amp;amp;".
    said = await answer_text(emulator, MAYA, "/steward", "client Brown &amp; Co")
    assert "I don't know a client called `Brown &amp; Co`" in said and "&amp;amp;" not in said, said
    assert "Archived client *Smith &amp; Jones*" in await answer_text(emulator, MAYA, "/steward",
                                                                     "client remove Smith &amp; Jones")


async def test_checklist_audience_and_deploy_find_clients_as_every_client_command_does(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    """Finding 11 (ported from fix16b; main fixed it in 00ceb86): `for client <name>` takes a prefix, an alias, any case, like `/steward client`; `/steward deploy`
    takes a quoted name."""
    await setup(emulator, db_dsn)
    clock.at = ny(3, 9, 10)
    await answer_text(emulator, MAYA, "/steward", 'client Acme Corp alias "Roadrunner Inc" ACME')
    cases = {'"Pre-deploy" for client Acme on demand items: tests pass': "Pre-deploy",
             '"Weekly QA" for client acme every friday 10:00 items: smoke test': "Weekly QA",
             '"Roadrunner wrap" for client Roadrunner Inc every friday 16:00 items: invoices sent': "Roadrunner wrap",
             '"Shout" for client ACME every friday 11:00 items: tell them': "Shout"}
    for words, name in cases.items():
        said = await answer_text(emulator, MAYA, "/steward", f"checklist add {words}")
        assert name in said and "I don't know" not in said, (words, said)
    assert await rows(db_dsn, "SELECT DISTINCT c.name FROM checklists k JOIN clients c ON c.id = k.client_id") == [("Acme Corp",)]
    said = await answer_text(emulator, MAYA, "/steward", 'deploy "Acme Corp" every monday 10:00 checklist Pre-deploy')
    assert "Scheduled *Acme Corp* deploys every Monday at 10:00" in said, said
    said = await answer_text(emulator, MAYA, "/steward", "deploy \u201cACME\u201d every tuesday 10:00")
    assert "Scheduled *Acme Corp* deploys every Tuesday at 10:00" in said, said
    said = await answer_text(emulator, MAYA, "/steward", 'checklist add "Nope" for client Initech every friday 10:00 items: a')
    assert "I don't know a client called `Initech`" in said, said
