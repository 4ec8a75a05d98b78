"""The `steward` command line."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.settings import Settings, SettingsError

if TYPE_CHECKING:
    from jobs.runs import RunReport

EXIT_CONFIG = 2


def _fail(message: str, code: int = 1) -> int:
    print(f"steward: {message}", file=sys.stderr)
    return code


def load_settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        print(f"steward: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None


def _parse_now(raw: str | None) -> datetime:
    if raw is None:
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise SystemExit(_fail(f"--now must be an ISO-8601 date-time such as 2026-03-02T09:00:00-05:00, not {raw!r}", EXIT_CONFIG)) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="steward",
        description="Steward: the Slack-first accountability assistant. With no Slack tokens, `steward run` starts the local sandbox.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="run the bot (the sandbox when SLACK_BOT_TOKEN/SLACK_APP_TOKEN are unset)")
    run.add_argument("--no-browser-hint", action="store_true", help=argparse.SUPPRESS)
    reset_help = ("sandbox only: start the sandbox's channels, DMs and messages and Steward's data for the demo "
                  "workspace afresh (both are otherwise kept between runs)")
    run.add_argument("--reset", action="store_true", help=reset_help)
    sb = sub.add_parser("sandbox", help="run the bot against a local Slack emulator with a demo workspace")
    sb.add_argument("--port", type=int, default=None,
                    help="port of the sandbox web page (default: 8765 when free, else any free port)")
    sb.add_argument("--reset", action="store_true", help=reset_help)

    db = sub.add_parser("db", help="database migrations")
    dbsub = db.add_subparsers(dest="db_command", metavar="ACTION")
    dbsub.add_parser("migrate", help="apply pending migrations")
    dbsub.add_parser("status", help="list applied and pending migrations (exit 1 if an applied file changed)")
    new = dbsub.add_parser("new", help="create the next numbered migration file")
    new.add_argument("name")

    jobs = sub.add_parser("jobs", help="scheduled jobs")
    jsub = jobs.add_subparsers(dest="jobs_command", metavar="ACTION")
    jsub.add_parser("list", help="list jobs and their schedules")
    jrun = jsub.add_parser("run", help="run one job once, now or as if at --now; what it decides to send then is "
                                       "sent at once, and the summary says what was sent, held (until when) or failed")
    jrun.add_argument("name")
    jrun.add_argument("--now", help="ISO-8601 instant to run the job as if it were (default: now)")

    admin = sub.add_parser("admin", help="dashboard accounts")
    asub = admin.add_subparsers(dest="admin_command", metavar="ACTION")
    pw = asub.add_parser("password", help="give a manager or admin a one-time dashboard password (printed once; "
                                          "they choose their own at first sign-in)")
    pw.add_argument("person", metavar="EMAIL_OR_SLACK_ID", help="their email address or Slack member ID (U…)")
    pw.add_argument("--workspace", metavar="TEAM_ID", default=None,
                    help="the Slack workspace (T…) when the email is in more than one")

    sub.add_parser("doctor", help="check the installation: database, pgvector, migrations, Slack, OpenAI")

    bf = sub.add_parser("backfill", help="read channel history into context memory (resumable)")
    bf.add_argument("channels", nargs="*", metavar="CHANNEL", help="channel names (#general) or ids")
    bf.add_argument("--all", action="store_true", dest="all_channels", help="every channel Steward is a member of")
    bf.add_argument("--days", type=int, default=None, help="how far back to read (default 30)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    settings = load_settings()
    from bot.log import configure_logging
    from db.database import DatabaseError
    from db.embedded import EmbeddedPostgresError
    from db.migrate import MigrationError

    configure_logging(settings.log_level, settings.log_format)
    try:
        return _dispatch(parser, args, settings)
    except (MigrationError, DatabaseError, EmbeddedPostgresError) as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return 130


def _dispatch(parser: argparse.ArgumentParser, args: argparse.Namespace, settings: Settings) -> int:
    if args.command in ("run", "sandbox"):
        from bot.app import run_bot

        return asyncio.run(run_bot(settings, sandbox=args.command == "sandbox", sandbox_port=getattr(args, "port", None),
                                   reset=args.reset))
    if args.command == "db":
        if args.db_command is None:
            parser.parse_args(["db", "--help"])
        return asyncio.run(_db(settings, args))
    if args.command == "jobs":
        if args.jobs_command is None:
            parser.parse_args(["jobs", "--help"])
        return asyncio.run(_jobs(settings, args))
    if args.command == "backfill":
        if bool(args.channels) == args.all_channels:
            parser.error("backfill: name one or more channels, or --all")
        if args.days is not None and args.days < 1:
            parser.error("backfill: --days must be at least 1")
        from jobs.backfill import cli as backfill_cli

        return asyncio.run(backfill_cli(settings, args.channels, args.all_channels, args.days))
    if args.command == "admin":
        if args.admin_command is None:
            parser.parse_args(["admin", "--help"])
        return asyncio.run(_admin_password(settings, args.person, args.workspace))
    if args.command == "doctor":
        from bot.doctor import run_doctor

        return asyncio.run(run_doctor(settings))
    parser.print_help()
    return 0


async def _db(settings: Settings, args: argparse.Namespace) -> int:
    from db import migrate
    from db.database import check_server, locate

    if args.db_command == "new":
        try:
            path = migrate.new_migration(args.name)
        except migrate.MigrationError as exc:
            return _fail(str(exc))
        print(f"created {path}")
        return 0

    db = locate(settings)
    try:
        async with await db.connect() as conn:
            if args.db_command == "migrate":
                await check_server(conn)
                try:
                    applied = await migrate.migrate(conn)
                except migrate.MigrationError as exc:
                    return _fail(str(exc))
                print("\n".join(f"applied {label}" for label in applied) if applied else "nothing to apply: the schema is current")
                return 0
            try:
                states = await migrate.status(conn)
            except migrate.MigrationError as exc:
                return _fail(str(exc))
            width = max((len(s.label) for s in states), default=10)
            for s in states:
                when = f"  {s.applied_at:%Y-%m-%d %H:%M:%S}" if s.applied_at else ""
                print(f"{s.label:<{width}}  {s.state:<8}  {(s.checksum or '')[:12]}{when}")
            changed = [s for s in states if s.state in ("changed", "missing")]
            for s in changed:
                what = "was changed after it was applied" if s.state == "changed" else "was applied but its file is gone"
                print(f"error: migration {s.label} {what}; restore it and add a new migration instead", file=sys.stderr)
            pending = sum(1 for s in states if s.state == "pending")
            print(f"{len(states) - pending - len(changed)} applied, {pending} pending")
            return 1 if changed else 0
    finally:
        await db.close()


async def _admin_password(settings: Settings, login: str, workspace: str | None) -> int:
    """`steward admin password`: a one-time dashboard password for one manager or admin, printed once (stdout);
    refusals on stderr with exit 1 (nobody found, more than one, a member, someone deactivated)."""
    from bot.errors import StewardError
    from bot.runtime import database
    from bot.services import dashboard_auth

    async with database(settings) as db, db.pool.connection() as conn:  # type: ignore[union-attr]
        people = await dashboard_auth.people_named(conn, login, team_id=workspace)
        if not people:
            where = f" in workspace {workspace}" if workspace else ""
            return _fail(f"nobody{where} has the email address or Slack member ID {login!r}; check the spelling "
                         "(Steward knows the people of the workspaces it has synced)")
        if len({p.organization_id for p in people}) > 1:
            teams = ", ".join(sorted({t for p in people if (t := await _team_of(conn, p.organization_id))}))
            return _fail(f"{login!r} is in more than one workspace ({teams}); name one with --workspace TEAM_ID")
        person = people[0]
        try:
            password = await dashboard_auth.set_one_time_password(conn, person, datetime.now(UTC), via="cli")
        except StewardError as exc:
            return _fail(str(exc))
    print(f"One-time dashboard password for {person.display_name} ({person.email or person.slack_id}, {person.role}):\n"
          f"\n    {password}\n\nIt is shown this once, and it signs in once, within 24 hours. Sign in at "
          f"{settings.dashboard_url()} and choose a new password before anything else is shown.")
    return 0


async def _team_of(conn: Any, organization_id: int) -> str | None:
    from db.queries import Q

    row = await (await conn.execute(Q["dashboard_team_of"], {"organization_id": organization_id})).fetchone()
    return row[0] if row else None


async def _jobs(settings: Settings, args: argparse.Namespace) -> int:
    from jobs import registry

    if args.jobs_command == "list":
        from jobs.schedule import describe_schedule

        schedule = describe_schedule()
        jobs = registry.all_jobs()
        name_w = max(len(n) for n in jobs)
        when_w = max(len(schedule.get(n, "on demand")) for n in jobs)
        for name, spec in jobs.items():
            print(f"{name:<{name_w}}  {schedule.get(name, 'on demand'):<{when_w}}  {spec.description}")
        return 0

    try:
        spec = registry.get(args.name)
    except KeyError:
        names = ", ".join(registry.all_jobs())
        return _fail(f"no job named {args.name!r}; known jobs: {names}")
    now = _parse_now(args.now)
    if spec.needs_slack and not settings.slack_configured:
        return _fail(f"{spec.name} talks to Slack (what it decides to send at --now is sent at once), and no Slack "
                     "tokens are set here. Against Slack, set SLACK_BOT_TOKEN and SLACK_APP_TOKEN. In the sandbox, "
                     "whose Slack lives inside `steward run`, set the page's clock to that time and press Run now "
                     f"for {spec.name}.", EXIT_CONFIG)
    from bot.runtime import job_runtime
    from jobs.runs import run_and_deliver
    from jobs.summaries import summarise

    async with job_runtime(settings) as deps:
        report = await run_and_deliver(deps, spec.name, now, lambda: spec.run(deps, now))
        plain = await _plain_names(deps, report)
    print(json.dumps({"summary": summarise(spec.name, report.result, plain, report), **report.to_json()},
                     indent=2, default=str))
    return 0


async def _plain_names(deps: Any, report: RunReport) -> Callable[[str], str]:
    """Slack markup -> words for a run's summary: people by the names Steward holds, channels by the names
    Slack gives (`conversations.info` in the channel's own workspace; the id when Slack will not say)."""
    import aiohttp
    from slack_sdk.errors import SlackApiError

    from bot import slack_markup
    from bot.tenants import NotServed

    names = {d.target_id: d.recipient_name for d in report.deliveries if d.target_type == "dm" and d.recipient_name}
    channels: dict[str, str] = {}
    for channel, org_id in {(d.target_id, d.organization_id) for d in report.deliveries if d.target_type != "dm"}:
        try:
            info = await deps.slack_for(org_id).conversations_info(channel=channel)
        except (SlackApiError, NotServed, aiohttp.ClientError, OSError, TimeoutError):
            continue  # the summary names the channel by its id instead
        name = (info.get("channel") or {}).get("name")
        if name:
            channels[channel] = name

    def plain(text: str) -> str:
        for channel, name in channels.items():
            text = text.replace(f"<#{channel}>", f"<#{channel}|{name}>")
        return slack_markup.read(slack_markup.with_names(text, names)).plain

    return plain

if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
