"""The Bolt app: one AsyncApp, listeners registered per feature, one error handler."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.context.assistant.thread_context_store.async_store import AsyncAssistantThreadContextStore
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.context.say.async_say import AsyncSay
from slack_sdk.web.async_client import AsyncWebClient

from bot import slack_markup as markup
from bot import slack_payloads
from bot.deps import Deps
from bot.effects import JournaledWebClient
from bot.errors import InvalidPayload, StewardError
from bot.inbox import CURRENT_OUTCOME, team_of
from bot.log import bind_context, get_logger
from bot.services import security, workspace
from bot.slack_limits import slack_refusal
from bot.tenants import Tenants, build_client

__all__ = ["FEATURES", "build_app", "build_client", "tell_user"]

log = get_logger(__name__)

# Feature modules under bot/listeners, each with register(app, deps). Order matters only
# for message listeners that overlap; the catch-all DM handler registers last.
# "flags" comes early: its message listener (the relay of a private inquiry's threads) must see a reply such as "help"
# before the DM listeners do.
FEATURES = ("workspace", "flags", "help", "home", "reminders", "tasks", "pipeline", "standup", "updates", "ooo", "mood", "context", "privacy", "clients", "dates", "ladders", "team", "blockers", "overdue", "team_home", "cards", "checklists", "recognition", "kpis", "reports", "dashboard", "dm")


def build_app(deps: Deps, tenants: Tenants, features: tuple[str, ...] = FEATURES) -> AsyncApp:
    """The Bolt app. Each request acts in its own workspace: ``tenants.authorize`` gives it the bot token of
    its team, so a listener's ``client`` (and ``say``/``respond``) never carries another workspace's token."""
    async def authorize(enterprise_id: str | None, team_id: str | None, user_id: str | None) -> AuthorizeResult | None:
        # A plain function: Bolt fills arguments by name, and a bound method's `self` is not one of them.
        return await tenants.authorize(enterprise_id, team_id, user_id)

    app = AsyncApp(
        # No token of its own: the request's team picks the token (Bolt's multi-workspace authorization).
        client=build_client(None, tenants.api_url),
        authorize=authorize,  # type: ignore[arg-type]  # returning None is how Bolt is told "not ours"
        # Processing happens from the inbox, after the ack: when dispatch returns, the
        # listener has finished, so the worker knows whether the row is done.
        process_before_response=True,
        request_verification_enabled=False,
        raise_error_for_unhandled_request=False,
        ignoring_self_events_enabled=True,
        assistant_thread_context_store=NoAssistantThreads(),
    )
    app.error(partial(_error_handler, deps=deps))
    app.middleware(_journaled_client)
    for name in features:
        module = importlib.import_module(f"bot.listeners.{name}")
        module.register(app, deps)
    # Catch-alls that must come after every feature's listeners (Bolt runs only the first match).
    for name in features:
        register_last = getattr(importlib.import_module(f"bot.listeners.{name}"), "register_last", None)
        if register_last is not None:
            register_last(app, deps)
    return app


async def _journaled_client(context: Any, next: Any) -> Any:  # noqa: A002 (Bolt's name)
    """Bolt gives each request a plain AsyncWebClient of its own (with the token ``authorize`` found):
    listeners get Steward's journaled one instead (same token and settings), so their posts are done once
    per source event (bot/effects.py)."""
    plain = context.get("client")
    if plain is not None and not isinstance(plain, JournaledWebClient):
        context["client"] = JournaledWebClient(
            token=plain.token, base_url=plain.base_url, timeout=plain.timeout, ssl=plain.ssl, proxy=plain.proxy,
            session=plain.session, trust_env_in_session=plain.trust_env_in_session, headers=plain.headers,
            logger=plain.logger, retry_handlers=plain.retry_handlers)
        context["client"].default_params.update(plain.default_params)
        say = context.get("say")
        if say is not None and getattr(say, "client", None) is plain:
            # Bolt made say() with the plain client before this middleware ran: the same say(), journaled.
            context["say"] = AsyncSay(context["client"], channel=say.channel, thread_ts=say.thread_ts,
                                      build_metadata=say.build_metadata)
    return await next()


class NoAssistantThreads(AsyncAssistantThreadContextStore):  # type: ignore[misc]
    """Bolt takes any person's message in a DM thread for an AI-assistant thread: its say() there asks this store
    for the thread's context, and Bolt's default store reads the thread's first bot reply and takes that reply's
    metadata for one (slack_bolt/context/assistant), which fails on Steward's own delivery and reply metadata.
    Steward is no assistant app: there is never a thread context, and the say() metadata Bolt then builds
    (``assistant_thread_context`` with no payload) is replaced by the reply's own (bot/effects.py)."""

    async def save(self, *, channel_id: str, thread_ts: str, context: dict[str, str]) -> None:
        return None

    async def find(self, *, channel_id: str, thread_ts: str) -> None:
        return None


async def _error_handler(error: Exception, body: dict[str, Any], client: AsyncWebClient, context: Any, *,
                         deps: Deps) -> None:
    outcome = CURRENT_OUTCOME.get()
    if outcome is not None:
        outcome.error = error
    if isinstance(error, InvalidPayload):
        await refuse_payload(deps, client, body, error, context)
        return
    if isinstance(error, StewardError):
        await tell_user(client, body, error.user_message, context)
        return
    code = slack_refusal(error)
    if code is not None:
        # Retrying would only be refused again: say what happened instead of "something went wrong".
        log.error("slack_refused", error=code, messages=_refusal_details(error))
        await tell_user(client, body, refusal_message(code), context)
        return
    log.error("listener_failed", error=f"{type(error).__name__}: {error}", exc_info=error)


def _refusal_details(error: BaseException) -> list[str]:
    response = getattr(error, "response", None)
    if response is None:
        return []
    return list(response.get("errors") or (response.get("response_metadata") or {}).get("messages") or [])[:5]


_REFUSAL_WHY = {
    "invalid_blocks": "my answer didn't fit in one Slack message",
    "invalid_blocks_format": "my answer didn't fit in one Slack message",
    "msg_too_long": "my answer was longer than Slack allows in one message",
    "invalid_arguments": "my answer didn't fit Slack's limits",
    "channel_not_found": "I can't see that channel",
    "not_in_channel": "I'm not a member of that channel (add me with `/invite @Steward`)",
    "is_archived": "that channel is archived",
    "user_not_in_channel": "that person isn't in the channel",
}


# Slack refusals that say a person can't be reached where a payload said they were (a forged or stale channel).
UNREACHABLE = frozenset({"channel_not_found", "not_in_channel", "user_not_in_channel", "is_archived", "user_not_found",
                         "cannot_dm_bot", "user_disabled", "account_inactive"})


def refusal_message(code: str) -> str:
    """What to tell a person whose request ended in a permanent Slack refusal ``code``."""
    why = _REFUSAL_WHY.get(code, "Slack refused my reply")
    return (f"Sorry, I couldn't finish that: {why} (Slack said `{code}`), and trying again would get the same "
            "answer. Try asking for less at once; if it keeps happening, please tell your Steward admin.")


def _where(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """(channel, user) of the person who caused this payload; None for what the payload does not give as a string."""
    event: dict[str, Any] = body["event"] if isinstance(body.get("event"), dict) else {}
    user = body.get("user_id") or event.get("user")
    if isinstance(body.get("user"), dict):
        user = body["user"].get("id")
    channel = body.get("channel_id") or event.get("channel")
    if isinstance(body.get("channel"), dict):
        channel = body["channel"].get("id")
    return (channel if isinstance(channel, str) and channel else None), (user if isinstance(user, str) and user else None)


def kind_of(body: Mapping[str, Any]) -> str:
    """The Socket Mode envelope type a payload came in: "events_api", "slash_commands" or "interactive"."""
    if body.get("type") == "event_callback":
        return "events_api"
    return "slash_commands" if "command" in body else "interactive"


async def refuse_payload(deps: Deps, client: AsyncWebClient | None, body: dict[str, Any], error: InvalidPayload,
                         context: Any = None) -> None:
    """Refuse a payload that is not what Steward sent (bot/slack_payloads.py): an ``invalid_payload`` row in
    ``security_audit_logs`` (threat level low, with what was wrong and which listener it was for) when its
    organization is known, and the polite private answer of ``error`` to whoever sent it, where Slack says
    who and where. Never raises: the inbox row is done whatever happens here."""
    slack_user = _where(body)[1]
    details = {**slack_payloads.details_of(kind_of(body), body), **error.details, "problem": error.problem[:500]}
    org = context.get("org") if context is not None else None
    user = context.get("steward_user") if context is not None else None
    try:
        async with deps.pool.connection() as conn:
            team = team_of(body)
            if org is None and team is not None:
                org = await workspace.org_by_team(conn, team)
            if org is not None and user is None and slack_user is not None:
                user = await workspace.user_by_slack_id(conn, org.id, slack_user)
            if org is not None:
                await security.record(conn, organization_id=org.id, event_type="invalid_payload", threat_level="low",
                                      description=f"{details.get('kind')} payload refused: {error.problem}"[:1000],
                                      user_id=getattr(user, "id", None), slack_user_id=slack_user, details=details)
    except Exception:
        log.exception("invalid_payload_not_recorded", **details)
    if org is None:
        log.warning("invalid_payload", **details)
    if client is None:  # no workspace of ours to answer in
        return
    # Refused before Bolt ran (no context): the payload's own response_url still answers a button or command.
    url = body.get("response_url")
    respond = AsyncRespond(response_url=url) if context is None and isinstance(url, str) and url else None
    await tell_user(client, body, error.user_message, context, respond=respond)


async def tell_user(client: AsyncWebClient, body: dict[str, Any], text: str, context: Any = None, *,
                    respond: Any = None) -> None:
    """A private reply to whoever caused ``body``: via response_url when there is one (the context's
    ``respond``, or ``respond``), else ephemeral/DM."""
    respond = respond or (getattr(context, "respond", None) if context is not None else None)
    text = markup.no_pings(text)  # error messages quote what people typed
    try:
        if body.get("response_url") and respond is not None:
            await respond(text=text, response_type="ephemeral", replace_original=False)
            return
        channel, user = _where(body)
        if user is None:
            return
        if channel and channel.startswith("D"):
            await client.chat_postMessage(channel=channel, text=text)
        elif channel:
            await client.chat_postEphemeral(channel=channel, user=user, text=text)
        else:
            await client.chat_postMessage(channel=user, text=text)
    except Exception as exc:
        if slack_refusal(exc) in UNREACHABLE:  # the payload named someone or somewhere Slack would not post to
            log.warning("tell_user_unreachable", error=slack_refusal(exc), channel=_where(body)[0], slack_user=_where(body)[1])
            return
        log.exception("tell_user_failed")


def bind_request_context(body: dict[str, Any]) -> None:
    channel, user = _where(body)
    bind_context(slack_user=user, channel=channel)
