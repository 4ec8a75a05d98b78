"""The composition root for the running bot:
settings → logging → database → Slack client → app → inbox worker → socket mode → scheduler."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from dataclasses import dataclass, field, replace
from typing import Any

from psycopg_pool import AsyncConnectionPool
from slack_bolt.async_app import AsyncApp

from bot.clock import Clock
from bot.deps import Deps
from bot.errors import InvalidPayload
from bot.health import HealthServer
from bot.inbox import ACK_SECONDS, InboxSocketModeHandler, InboxWorker, LateCommands, Metrics, team_of
from bot.log import get_logger
from bot.processes import HEARTBEAT_SECONDS, ProcessRegistry
from bot.runtime import database
from bot.services import onboarding, workspace
from bot.services.notifications import Dispatcher
from bot.settings import Secret, Settings
from bot.slack_app import FEATURES, build_app, build_client, refuse_payload, tell_user
from bot.tenants import Tenants
from bot.tokens import TokenBox
from bot.worker import cancel_and_wait
from db.pool import PoolHealth
from jobs import reminders as reminder_jobs
from jobs.leader import Leadership
from jobs.schedule import Scheduler

log = get_logger(__name__)

DEFAULT_SANDBOX_PORT = 8765
# The Socket Mode close first lets the envelopes being stored be acknowledged (bot.inbox.ACK_SECONDS), then
# waits for Slack's close frame (aiohttp's own wait for it is 10 s).
SOCKET_CLOSE_SECONDS = ACK_SECONDS + 3.0


@dataclass
class Steward:
    """One running bot process (several may share a database)."""

    settings: Settings
    pool: AsyncConnectionPool
    dsn: str
    clock: Clock = field(default_factory=Clock)
    features: tuple[str, ...] = FEATURES
    health_port: int | None = None  # None: settings.port; 0: any free port
    leader_retry_seconds: float = 15.0
    heartbeat_seconds: float = HEARTBEAT_SECONDS
    sandbox: bool = False
    metrics: Metrics = field(default_factory=Metrics)
    deps: Deps = field(init=False)
    app: AsyncApp = field(init=False)
    worker: InboxWorker = field(init=False)
    late: LateCommands = field(init=False)
    pool_health: PoolHealth = field(init=False)
    dispatcher: Dispatcher = field(init=False)
    handler: InboxSocketModeHandler | None = field(init=False, default=None)
    leadership: Leadership = field(init=False)
    scheduler: Scheduler = field(init=False)
    tenants: Tenants = field(init=False)
    registry: ProcessRegistry = field(init=False)
    health: HealthServer | None = field(init=False, default=None)
    org_id: int | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        token = self.settings.slack_bot_token.reveal() if self.settings.slack_bot_token else ""
        client = build_client(token, self.settings.slack_api_url)
        from bot.ai import AI

        box = TokenBox(self.settings.token_key.reveal()) if self.settings.token_key else None
        self.tenants = Tenants(self.pool, environment=client, box=box, api_url=self.settings.slack_api_url)
        self.deps = Deps(settings=self.settings, pool=self.pool, clock=self.clock, slack=client, metrics=self.metrics,
                         ai=AI.from_settings(self.settings), tenants=self.tenants)
        self.deps.extras["sandbox"] = self.sandbox
        self.dispatcher = Dispatcher(self.pool, self.tenants, self.clock, self.metrics)
        self.deps.extras["dispatcher"] = self.dispatcher
        self.leadership = Leadership(self.dsn, retry_seconds=self.leader_retry_seconds,
                                     organizations=lambda: self.tenants.organization_ids)
        self.scheduler = Scheduler(self.deps, self.leadership)
        self.deps.extras["scheduler"] = self.scheduler
        self.app = build_app(self.deps, self.tenants, self.features)
        self.worker = InboxWorker(self.app, self.pool, self.metrics, on_dead_letter=self._dead_letter_notice,
                                  teams=self._served_teams, dsn=self.dsn,
                                  on_invalid_payload=self._refuse_payload)
        self.late = LateCommands(self.pool, self.tenants)
        self.pool_health = PoolHealth(self.pool, self.dsn)
        self.registry = ProcessRegistry(self.pool, self.tenants, self.leadership,
                                        mode="sandbox" if self.sandbox else "slack",
                                        heartbeat_seconds=self.heartbeat_seconds)

    async def _served_teams(self) -> frozenset[str]:
        await self.tenants.ensure_loaded()
        return self.tenants.team_ids

    async def _refuse_payload(self, payload: dict[str, Any], error: InvalidPayload) -> None:
        """A payload refused before any listener ran: answered with its own workspace's token, if this
        process holds it (a payload naming no team we serve is only logged)."""
        tenant = self.tenants.for_team(team_of(payload))
        await refuse_payload(self.deps, tenant.client if tenant is not None else None, payload, error)

    async def _dead_letter_notice(self, payload: dict[str, Any], error: str) -> None:
        tenant = self.tenants.for_team(team_of(payload))
        if tenant is None:  # no workspace to answer in (a payload naming no team we serve)
            log.warning("dead_letter_notice_skipped", team_id=team_of(payload))
            return
        await tell_user(tenant.client, payload,
                        "Sorry, something went wrong while I was handling that, and I've logged it for the admins. "
                        "Please try again in a little while.")

    def socket_connected(self) -> bool:
        client = getattr(self.handler, "client", None)
        if client is None:
            return False
        current = getattr(client, "current_session", None)
        return current is not None and not current.closed

    async def sync_workspace(self) -> None:
        """Sync the environment token's workspace, then take up the tokens this process holds (bot/tenants.py)."""
        async with self.pool.connection() as conn:
            result = await workspace.sync_workspace(conn, self.deps.slack, admins=self.settings.admins, now=self.clock.now())
            self.org_id = result.organization_id
        await self.tenants.refresh()
        async with self.pool.connection() as conn:
            if self.sandbox:
                from bot.sandbox.seed import seed_steward

                await seed_steward(conn, self.org_id)
            if await onboarding.welcome_admins(conn, self.org_id, self.clock.now()):
                self.dispatcher.wake()

    async def start(self, *, connect: bool = True) -> None:
        # Workspace first, so the first event finds its organization and people.
        try:
            await self.sync_workspace()
        except Exception:
            log.exception("workspace_sync_failed")
        self.pool_health.start()
        self.late.start()
        self.worker.start()
        self.dispatcher.start()
        await self.leadership.start()
        await self.registry.start()
        self.scheduler.start()
        if self.org_id is not None:
            try:
                from jobs import backfill

                asked = await backfill.request_unseen(self.deps, self.org_id)
                if asked:
                    log.info("backfill_requested_for_new_channels", channels=asked)
                # Start now rather than at the next minute's job.
                started = [backfill.start_in_background(self.deps, self.org_id, channel_id) for channel_id in asked]
                if self.sandbox and asked:  # a fresh sandbox: its seeded history is read before anyone asks
                    from bot.sandbox.seed import read_seeded_history

                    await read_seeded_history(self.deps, self.scheduler, [t for t in started if t is not None])
            except Exception:
                log.exception("backfill_request_failed")
        try:
            restored = await reminder_jobs.restore(self.deps)
            log.info("reminders_restored", **restored)
        except Exception:
            log.exception("reminders_restore_failed")
        port = self.settings.port if self.health_port is None else self.health_port
        from bot.dashboard.web import Dashboard

        self.health = HealthServer(self.pool, self.metrics, socket_connected=self.socket_connected,
                                   is_leader=lambda: self.leadership.is_leader, mode="sandbox" if self.sandbox else "slack",
                                   clock=self.clock.now, dashboard=Dashboard(self.pool, self.clock.now, self.settings))
        try:
            self.health_port = await self.health.start("127.0.0.1" if self.sandbox else "0.0.0.0", port)
            # `/steward dashboard` links here (STEWARD_PUBLIC_URL, else this server's own port).
            self.deps.extras["dashboard_url"] = self.settings.dashboard_url(self.health_port)
        except OSError as exc:
            log.warning("health_server_not_started", port=port, error=str(exc))
            self.health = None
        if connect:
            await self.connect()

    async def connect(self) -> None:
        app_token = self.settings.slack_app_token.reveal() if self.settings.slack_app_token else ""
        # The handler must be built inside the running loop.
        self.handler = InboxSocketModeHandler(self.app, app_token, pool=self.pool, worker=self.worker, metrics=self.metrics,
                                              ack_hooks=self.deps.extras.setdefault("ack_hooks", {}), late=self.late)
        await self.handler.connect_async()

    async def stop(self) -> None:
        """Stop everything this process runs, in order, each part within its own bound (a part that does not
        unwind in time is logged and left): the socket (no new envelopes), the scheduler and its runs in progress,
        the inbox worker (events in progress get bot.inbox.STOP_GRACE_SECONDS), listeners' background work, the
        dispatcher (claims handed back), leadership, the health server, the AI client."""
        if self.handler is not None:
            try:
                async with asyncio.timeout(SOCKET_CLOSE_SECONDS):
                    await self.handler.close_async()
            except Exception:  # TimeoutError included
                log.exception("socket_close_failed")
        await self.scheduler.stop()
        await self.worker.stop()
        # Long work started by listeners (history backfills) stops here and resumes on the next start.
        await cancel_and_wait(list(self.deps.extras.get("background_tasks", ())), what="background work")
        await self.dispatcher.stop()
        await self.late.stop()
        await self.pool_health.stop()
        await self.registry.stop()
        await self.leadership.stop()
        if self.health is not None:
            await self.health.stop()
        try:
            await self.deps.ai.aclose()
        except Exception:
            log.exception("ai_close_failed")
        await self.tenants.aclose()


async def _wait_for_stop_signal() -> int:
    """Wait for SIGINT or SIGTERM; return the signal's number. From then on a second signal ends the process
    at once (exit status 128 + its number), whatever the graceful stop is doing."""
    stop = asyncio.Event()
    received: list[int] = []
    loop = asyncio.get_running_loop()

    def on_signal(sig: int) -> None:
        if received:
            log.warning("stop_forced", signal=signal.Signals(sig).name)
            os._exit(128 + sig)
        received.append(sig)
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, on_signal, sig)
        except NotImplementedError:  # pragma: no cover - non-Unix
            pass
    await stop.wait()
    return received[0]


async def stop_within(bot: Steward, seconds: float) -> bool:
    """Stop ``bot`` gracefully (the socket closes first, so Slack sends new envelopes to other connections;
    work in hand finishes, claims are handed back) within ``seconds`` (STEWARD_SHUTDOWN_SECONDS). Past the
    bound the stop is cancelled: what is still claimed goes back to other processes when its short lease
    runs out. Returns True when the stop finished within the bound."""
    try:
        await asyncio.wait_for(bot.stop(), seconds)
        return True
    except TimeoutError:
        log.warning("stop_timed_out", seconds=seconds)
        return False


async def open_sandbox(settings: Settings, conn: Any, *, port: int | None, reset: bool = False) -> Any:
    """Start the sandbox for `steward run`/`steward sandbox`: its workspace restored from the data
    directory when it matches the database, else both reset together (bot/sandbox/persistence.py).

    `port` None: DEFAULT_SANDBOX_PORT when free, else any free port; 0: any free port; another port must
    be free (else OSError). Returns the started Sandbox; its `notice` says why it was reset, if it was.
    """
    from bot.sandbox import DEMO_TEAM_ID, Sandbox
    from bot.sandbox.persistence import StateFile, reconcile

    state_file = StateFile(settings.data_dir)
    saved, notice = await reconcile(conn, state_file, DEMO_TEAM_ID, reset=reset)
    if notice:
        log.warning("sandbox_reset", notice=notice)
    # A stable address for the page when it is free (so a bookmark keeps working), else any port.
    sandbox = Sandbox(web_port=DEFAULT_SANDBOX_PORT if port is None else port, state_file=state_file, saved=saved,
                      notice=notice)
    try:
        await sandbox.start()
    except OSError:
        if port is not None:
            raise
        sandbox = Sandbox(web_port=None, state_file=state_file, saved=saved, notice=notice)
        await sandbox.start()
    return sandbox


async def run_bot(settings: Settings, *, sandbox: bool = False, sandbox_port: int | None = None,
                  reset: bool = False) -> int:
    """Run Steward until SIGINT/SIGTERM: connected to Slack, or to the sandbox (no tokens, or `sandbox`).

    `reset` (sandbox only) starts the sandbox's workspace and Steward's data for it afresh.
    """
    use_sandbox = sandbox or not settings.slack_configured
    if reset and not use_sandbox:
        print("steward: --reset resets the local sandbox, and Slack tokens are set, so Steward would connect to "
              "Slack instead; nothing was reset. Unset SLACK_BOT_TOKEN/SLACK_APP_TOKEN or run `steward sandbox --reset`.",
              file=sys.stderr)
        return 2
    sandbox_env = None
    async with database(settings) as db:
        assert db.pool is not None
        try:
            if use_sandbox:
                async with db.pool.connection() as conn:
                    sandbox_env = await open_sandbox(settings, conn, port=sandbox_port, reset=reset)
                settings = replace(settings, slack_bot_token=Secret(sandbox_env.bot_token),
                                   slack_app_token=Secret(sandbox_env.app_token), slack_api_url=sandbox_env.api_url)
            bot = Steward(settings, db.pool, db.dsn, sandbox=sandbox_env is not None,
                          clock=sandbox_env.clock if sandbox_env else Clock())
            if sandbox_env is not None:
                sandbox_env.attach(bot)
            await bot.start()
            if sandbox_env is not None:
                await bind_sandbox(sandbox_env, db.pool)
            where = f"health on :{bot.health_port}" if bot.health_port else "no health server"
            board = (f"  The manager dashboard: {bot.settings.dashboard_url(bot.health_port)} (sign in with a one-time password "
                     "from `/steward dashboard` as a manager or admin, or `steward admin password <email>`).\n"
                     if bot.health_port else "")
            if sandbox_env is not None:
                notice = f"  {sandbox_env.notice}\n" if sandbox_env.notice else ""
                print(f"\nSteward is running in the local sandbox (no Slack account needed).\n{notice}"
                      f"  Open {sandbox_env.web_url} in your browser: pick who you are, DM Steward, post in channels.\n"
                      f"{board}  ({where}; the sandbox is kept in {sandbox_env.state_file.path}; Ctrl-C to stop)\n", flush=True)
            else:
                print(f"Steward is connected to Slack ({where}, pid {os.getpid()} on {socket.gethostname()}). Ctrl-C to stop.\n"
                      f"{board}", end="", flush=True)
            try:
                sig = await _wait_for_stop_signal()
                log.info("stopping", signal=signal.Signals(sig).name, within_seconds=settings.shutdown_seconds)
            finally:
                await stop_within(bot, settings.shutdown_seconds)
        finally:
            if sandbox_env is not None:
                await sandbox_env.stop()
    return 0


async def bind_sandbox(sandbox_env: Any, pool: AsyncConnectionPool) -> None:
    """Tie the sandbox's saved workspace to the demo organization the bot just synced."""
    from bot.sandbox import DEMO_TEAM_ID
    from bot.sandbox.persistence import demo_organization

    async with pool.connection() as conn:
        sandbox_env.bind_organization(await demo_organization(conn, DEMO_TEAM_ID))
