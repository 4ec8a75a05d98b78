"""Signing in to the manager dashboard (issue 17, SPEC F18): one-time passwords, argon2 hashes, sign-in limits and
server-side sessions.

Who may sign in: managers and admins (``users.role``), active. A member's credentials are refused (their data is
theirs in Slack). A one-time password (``steward admin password``, or ``/steward dashboard`` on first use) marks
``users.must_change_password``; it signs in once, within :data:`ONE_TIME_LIFETIME` of ``users.password_set_at``
(``users.one_time_password_used_at`` marks it spent), and until it is changed the session reaches nothing but the
change form.

Passwords are hashed with argon2id (argon2-cffi's ``PasswordHasher``, RFC 9106's recommended low-memory profile)
and never logged, stored in plain text, or put in a notification row. A chosen one must pass
:func:`check_new_password` (zxcvbn).

Sign-in limits (OWASP Authentication Cheat Sheet, "account lockout"), over :data:`LOGIN_WINDOW` (tester17 findings
1, 5 and 7): :data:`LOGIN_FAILURES` failures naming one account from one address lock it for that address;
:data:`ACCOUNT_FAILURES` naming it from any address lock it everywhere; :data:`ADDRESS_FAILURES` from one address
lock the address. "Naming the account" is by user id when the login resolves (an email and a Slack member ID are
one account) and by the login typed otherwise, so an unknown email locks like a known one and a lockout says
nothing about who has an account. Failures from before the account's password was last set do not count for it,
so a new one-time password lifts its locks. Wrong current passwords on the change form count as failures too.
Attempts are kept in ``dashboard_login_attempts``; a refusal of a known account also goes to
``security_audit_logs`` and a lockout, once per lock, to ``rate_limit_events``. An attempt is recorded
('checking', a failure until proved otherwise) in the transaction that reads the limits, under advisory locks,
before its password is verified, so parallel requests verify no more than the limit.

Sessions are rows of ``dashboard_sessions``: the cookie carries ``<id>.<token>``, the row the token's SHA-256 and
the session's CSRF token. A session ends on sign-out, on a password change (the others of that person), or after
:data:`IDLE_TIMEOUT` without a request. Every instant here is an aware ``now`` passed in (tests drive the clock).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import psycopg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from zxcvbn import zxcvbn

from bot.errors import InvalidInput
from bot.log import get_logger
from bot.services import security
from db.queries import Q
from db.repos.users import user_by_id
from db.rows import User

log = get_logger(__name__)

IDLE_TIMEOUT = timedelta(hours=12)
"""A session ends after this long without a request (issue 17: "expiring after 12 hours idle")."""
LOGIN_WINDOW = timedelta(minutes=15)
LOGIN_FAILURES = 5
"""Failed sign-ins naming one account (or, when the login names none, one login) from one address within
:data:`LOGIN_WINDOW` that lock it for that address (OWASP: a small number, e.g. 3 to 10). Only for that address, so
a stranger who knows a manager's email cannot lock the manager out (tester17 finding 7)."""
ACCOUNT_FAILURES = 50
"""Failed sign-ins naming one account from any address within :data:`LOGIN_WINDOW` that lock it everywhere (a guesser
with many addresses). A new one-time password lifts it: only failures after the password was last set count."""
ADDRESS_FAILURES = 20
"""Failed sign-ins from one address within :data:`LOGIN_WINDOW` that lock the address (several people may share
an office's address, so higher than the per-login limit)."""
LOGIN_MAX = 254
"""The longest login kept: an email address's limit (RFC 5321 as corrected by erratum 1690)."""
PASSWORD_MIN = 12
"""A chosen password's least length (NIST SP 800-63B allows 8; the dashboard shows people's data, so 12)."""
PASSWORD_MAX = 256
ONE_TIME_GROUPS = 4
ONE_TIME_LIFETIME = timedelta(hours=24)
"""How long an unused one-time password signs in (tester17 finding 2: it sits in a DM's history, a Slack export and
terminal scrollback, so it must not work for ever); it also signs in only once."""
_ONE_TIME_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read from a DM and typed
CSRF_BYTES = 32
TOKEN_BYTES = 32
ROLES = ("manager", "admin")

_hasher = PasswordHasher()
# A hash of a random password: an unknown login is verified against it, so it costs what a known one does.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))

Outcome = Literal["checking", "signed_in", "one_time_spent", "wrong_current", "current_ok", "wrong_password", "unknown_login", "member", "locked", "csrf_refused"]


class SignInRefused(Exception):
    """A refused sign-in: ``status`` is the HTTP status (401 wrong credentials, 403 a member, 429 locked), the
    message what the page says (never which of login or password was wrong)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


WRONG = "That email (or Slack member ID) and password don't match an account that can use the dashboard."
MEMBERS = ("The dashboard is for managers and admins. Your own tasks, mood and journal stay yours in Slack: "
           "`/tasks`, App Home and `/steward my-data` show them.")


SPENT = ("That one-time password has been used already or is more than 24 hours old, so it no longer signs in. "
         "Type `/steward dashboard` in Slack for a fresh one, or ask an admin to run `steward admin password`.")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``password_hash`` (argon2); False for no hash or a damaged one. Takes as long for
    an account without a hash as for one with it."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def hash_off_loop(password: str) -> str:
    """:func:`hash_password` in a worker thread: argon2 takes tens of milliseconds and 64 MiB by design, and the
    event loop also serves Slack (argon2-cffi releases the GIL while it hashes)."""
    return await asyncio.to_thread(hash_password, password)


async def verify_off_loop(password_hash: str | None, password: str) -> bool:
    """:func:`verify_password` in a worker thread (see :func:`hash_off_loop`)."""
    return await asyncio.to_thread(verify_password, password_hash, password)


def one_time_password() -> str:
    """A fresh one-time password, four groups of four from a 31-letter alphabet (about 79 bits): ``k7dm-q2xp-…``."""
    return "-".join("".join(secrets.choice(_ONE_TIME_ALPHABET) for _ in range(4)) for _ in range(ONE_TIME_GROUPS))


def clean_login(raw: str) -> str:
    """The login as bucketed and looked up: trimmed, lower-cased, at most :data:`LOGIN_MAX` characters."""
    return raw.strip().lower()[:LOGIN_MAX]


# ---------------------------------------------------------------- one-time passwords

async def set_one_time_password(conn: psycopg.AsyncConnection, person: User, now: datetime, *,
                                actor: User | None = None, via: str) -> str:
    """Give ``person`` (a manager or an admin) a fresh one-time password, returned once (the caller shows it and
    forgets it); it signs in once, within :data:`ONE_TIME_LIFETIME`. Marks ``must_change_password`` and ends their
    dashboard sessions; audit-logged (``via``: "cli" or
    "slack"), never with the password. Raises PermissionDenied for a member (logged) and InvalidInput for an
    inactive person."""
    if person.role not in ROLES:
        raise await security.deny(conn, organization_id=person.organization_id, actor=actor or person,
                                  action="dashboard.password", details={"person": person.id, "via": via},
                                  message=f"{person.display_name} is a member: the dashboard is for managers and "
                                          "admins, so no password was set.")
    if not person.active:
        raise InvalidInput(f"{person.display_name} is deactivated in Slack, so no password was set.")
    password = one_time_password()
    hashed = await hash_off_loop(password)
    async with conn.transaction():
        await conn.execute(Q["dashboard_set_password"], {"organization_id": person.organization_id, "user_id": person.id,
                                                         "password_hash": hashed, "must_change": True, "now": now})
        await conn.execute(Q["dashboard_sessions_end_others"], {"organization_id": person.organization_id,
                                                                "user_id": person.id, "keep_id": None, "now": now})
        await security.audit(conn, organization_id=person.organization_id, actor=actor, action="dashboard.password_issued",
                             entity_type="user", entity_id=person.id, details={"via": via}, now=now)
    return password


async def people_named(conn: psycopg.AsyncConnection, login: str, *, team_id: str | None = None) -> list[User]:
    """The people ``login`` names (an email in any case, or a Slack member ID), in every organization, or in the
    workspace ``team_id`` only; at most 20."""
    rows = await (await conn.execute(Q["dashboard_accounts"], {"login": clean_login(login), "team_id": team_id})).fetchall()
    found = [await user_by_id(conn, r[1], r[0]) for r in rows]
    return [u for u in found if u is not None]


async def has_password(conn: psycopg.AsyncConnection, person: User) -> tuple[bool, bool]:
    """(whether ``person`` has a dashboard password, whether it is still a one-time one)."""
    row = await (await conn.execute(Q["dashboard_password_of"], {"organization_id": person.organization_id,
                                                                 "user_id": person.id})).fetchone()
    return (bool(row and row[0]), bool(row and row[1]))


# ---------------------------------------------------------------- signing in

@dataclass(frozen=True)
class Account:
    id: int
    organization_id: int
    role: str
    active: bool
    password_hash: str | None
    must_change_password: bool
    password_set_at: datetime | None
    one_time_password_used_at: datetime | None


LockKind = Literal["account", "account_everywhere", "address"]


@dataclass(frozen=True)
class Lock:
    """The sign-in limits as read for one attempt: failures in :data:`LOGIN_WINDOW` naming the account (its user
    ids when the login names any, else the login typed) from this address, naming it from any address, and from
    this address naming anything; and which of them is full, with when it frees (its limit-th newest failure leaves
    the window). Failures before the account's password was last set (a fresh one-time password) are not counted
    for the account."""

    account_failures: int
    everywhere_failures: int
    address_failures: int
    locks: tuple[tuple[LockKind, datetime], ...]

    def until(self) -> datetime | None:
        """When the lock on this attempt ends (None: not locked)."""
        return max(t for _, t in self.locks) if self.locks else None

    def kinds(self) -> set[LockKind]:
        return {k for k, _ in self.locks}


def _full(times: list[datetime], limit: int) -> datetime | None:
    """When a bucket of failures at ``times`` (newest first) stops being full, or None when it is not full."""
    return times[limit - 1] + LOGIN_WINDOW if len(times) >= limit else None


async def _lock(conn: psycopg.AsyncConnection, login: str, address: str, accounts: list[Account],
                now: datetime) -> Lock:
    rows = await (await conn.execute(Q["dashboard_login_failures"], {
        "login": login, "address": address, "since": now - LOGIN_WINDOW,
        "org_ids": [a.organization_id for a in accounts], "user_ids": [a.id for a in accounts]})).fetchall()
    reset = max((a.password_set_at for a in accounts if a.password_set_at is not None), default=None)
    everywhere = [at for at, _, names in rows if names and (reset is None or at > reset)]
    mine = [at for at, where, names in rows if names and where == address and (reset is None or at > reset)]
    here = [at for at, where, _ in rows if where == address]
    locks: list[tuple[LockKind, datetime]] = []
    for kind, times, limit in (("account", mine, LOGIN_FAILURES), ("account_everywhere", everywhere, ACCOUNT_FAILURES),
                               ("address", here, ADDRESS_FAILURES)):
        if (until := _full(times, limit)) is not None:
            locks.append((kind, until))  # type: ignore[arg-type]
    return Lock(len(mine), len(everywhere), len(here), tuple(locks))


def lockout_message(lock: Lock, now: datetime) -> str:
    """What a locked sign-in (or password change) is told: how long, and what lifts it (tester17 finding 7)."""
    until = lock.until()
    assert until is not None
    minutes = max(1, math.ceil((until - now).total_seconds() / 60))
    wait = f"{minutes} more minute{'s' if minutes != 1 else ''}"
    if lock.kinds() == {"address"}:
        return (f"Too many failed sign-ins from your network address. For everyone's safety, sign-ins from it are "
                f"paused for {wait}; then try again.")
    return (f"Too many failed sign-ins for this account. For your safety it is locked for {wait}; then try again. "
            "A new one-time password lifts the lock at once: ask an admin to run `steward admin password` for you "
            "(or, if you never chose a password, type `/steward dashboard` in Slack).")


async def _attempt(conn: psycopg.AsyncConnection, login: str, address: str, outcome: Outcome, now: datetime,
                   account: Account | None = None) -> int:
    row = await (await conn.execute(Q["dashboard_login_attempt_insert"], {
        "organization_id": account.organization_id if account else None, "user_id": account.id if account else None,
        "login": login, "address": address[:64], "outcome": outcome, "now": now})).fetchone()
    assert row is not None
    if outcome != "checking":
        log.info("dashboard_sign_in", outcome=outcome, organization_id=account.organization_id if account else None,
                 user_id=account.id if account else None)
    return int(row[0])


async def _outcome(conn: psycopg.AsyncConnection, attempt_id: int, outcome: Outcome, account: Account | None) -> None:
    """Write the outcome of the attempt :func:`_reserve` recorded as 'checking'."""
    await conn.execute(Q["dashboard_login_attempt_outcome"], {"id": attempt_id, "outcome": outcome})
    log.info("dashboard_sign_in", outcome=outcome, organization_id=account.organization_id if account else None,
             user_id=account.id if account else None)


async def _reserve(conn: psycopg.AsyncConnection, login: str, address: str, accounts: list[Account],
                   now: datetime) -> tuple[Lock, int | None]:
    """Read the limits and, when nothing is locked, record this attempt as 'checking' (a failure until its
    password is known to be right): one transaction under advisory locks of the login, the address and each
    account, taken in one order, so parallel requests see each other's attempts and no more than the limit are
    ever verified (tester17 finding 1). Returns the limits read and the attempt's id (None: locked, and the
    lockout recorded)."""
    keys = {f"dashboard-login:{login}", f"dashboard-address:{address}",
            *(f"dashboard-user:{a.organization_id}:{a.id}" for a in accounts)}
    async with conn.transaction():
        for key in sorted(keys):
            await conn.execute(Q["dashboard_sign_in_lock"], {"key": key})
        lock = await _lock(conn, login, address, accounts, now)
        if lock.until() is not None:
            await _record_lockout(conn, login, address, accounts, lock, now)
            return lock, None
        return lock, await _attempt(conn, login, address, "checking", now, accounts[0] if accounts else None)


async def _record_lockout(conn: psycopg.AsyncConnection, login: str, address: str, accounts: list[Account], lock: Lock,
                          now: datetime) -> None:
    row = await (await conn.execute(Q["dashboard_lockout_recorded"], {"login": login, "address": address,
                                                                       "since": now - LOGIN_WINDOW})).fetchone()
    await _attempt(conn, login, address, "locked", now, accounts[0] if accounts else None)
    if row is not None and row[0]:
        return  # this lock is in security_audit_logs and rate_limit_events already (every attempt stays in ours)
    for account in accounts:
        await conn.execute(Q["rate_limit_insert"], {"organization_id": account.organization_id, "user_id": account.id,
                                                    "external_user_id": None, "action": "dashboard.sign_in",
                                                    "allowed": False, "now": now})
        await security.record(conn, now=now, organization_id=account.organization_id, event_type="dashboard.locked",
                              threat_level="medium", user_id=account.id,
                              description="dashboard sign-in refused: too many failed attempts",
                              details={"address": address, "locks": sorted(lock.kinds()),
                                       "failures_for_account_here": lock.account_failures,
                                       "failures_for_account": lock.everywhere_failures,
                                       "failures_from_address": lock.address_failures})


async def _spend_one_time(conn: psycopg.AsyncConnection, account: Account, now: datetime) -> bool:
    """Whether ``account``'s one-time password (already verified) may sign in now: issued less than
    :data:`ONE_TIME_LIFETIME` ago and never used; if so it is spent here, atomically (of two parallel sign-ins with
    it, one gets in)."""
    if account.password_set_at is None or now - account.password_set_at > ONE_TIME_LIFETIME:
        return False
    row = await (await conn.execute(Q["dashboard_spend_one_time_password"], {
        "organization_id": account.organization_id, "user_id": account.id, "password_hash": account.password_hash,
        "now": now})).fetchone()
    return row is not None


async def record_csrf_refusal(conn: psycopg.AsyncConnection, login_raw: str, address: str, now: datetime) -> None:
    """A sign-in form posted without its CSRF token (nothing was checked): recorded with the login typed."""
    await _attempt(conn, clean_login(login_raw), address, "csrf_refused", now)


async def sign_in(conn: psycopg.AsyncConnection, login_raw: str, password: str, *, address: str, now: datetime,
                  team_id: str | None = None) -> User:
    """The person ``login_raw`` (an email or a Slack member ID) and ``password`` sign in as, in the workspace
    ``team_id`` names when given. Every attempt is recorded (``dashboard_login_attempts``), before its password is
    verified (:func:`_reserve`). Raises SignInRefused: 429 while the login or the address is locked (the attempt is
    not checked, and a lockout of a known account goes to rate_limit_events and security_audit_logs), 401 for a
    wrong password or an unknown login (one message for both), 403 for a member's right credentials
    (security_audit_logs). Must not run inside a caller's transaction (a refusal's records must stay)."""
    login = clean_login(login_raw)
    if not login or not password:
        raise SignInRefused(400, "Please fill in both your email (or Slack member ID) and your password.")
    if len(password) > PASSWORD_MAX:
        password = password[:PASSWORD_MAX + 1]  # still wrong, but argon2 is not made to hash a megabyte
    rows = await (await conn.execute(Q["dashboard_accounts"], {"login": login, "team_id": team_id})).fetchall()
    accounts = [Account(*r) for r in rows]
    lock, attempt_id = await _reserve(conn, login, address, accounts, now)
    if attempt_id is None:
        raise SignInRefused(429, lockout_message(lock, now))
    # Every account the login names is checked (the same email may be in two workspaces), each costing one argon2.
    matched = [a for a in accounts if await verify_off_loop(a.password_hash, password)]
    if not accounts:
        await verify_off_loop(None, password)  # the same time as a known login
    usable = [a for a in matched if a.active and a.role in ROLES]
    if usable:
        account = usable[0]
        if account.must_change_password and not await _spend_one_time(conn, account, now):
            await _outcome(conn, attempt_id, "one_time_spent", account)
            await security.record(conn, now=now, organization_id=account.organization_id,
                                  event_type="dashboard.one_time_spent", threat_level="medium", user_id=account.id,
                                  description="dashboard sign-in with a used or expired one-time password",
                                  details={"address": address})
            raise SignInRefused(401, SPENT)
        await _outcome(conn, attempt_id, "signed_in", account)
        await conn.execute(Q["dashboard_mark_login"], {"organization_id": account.organization_id, "user_id": account.id,
                                                       "now": now})
        person = await user_by_id(conn, account.organization_id, account.id)
        assert person is not None
        return person
    if matched:  # right credentials of a member (or of someone deactivated)
        account = matched[0]
        await _outcome(conn, attempt_id, "member", account)
        await security.record(conn, now=now, organization_id=account.organization_id, event_type="permission_denied",
                              threat_level="low", user_id=account.id, description="dashboard.sign_in refused",
                              details={"action": "dashboard.sign_in", "role": account.role, "active": account.active,
                                       "address": address})
        raise SignInRefused(403, MEMBERS if account.active else
                            "That account is deactivated, so it can't use the dashboard.")
    first = accounts[0] if accounts else None
    await _outcome(conn, attempt_id, "wrong_password" if first else "unknown_login", first)
    for account in accounts:
        await security.record(conn, now=now, organization_id=account.organization_id, event_type="dashboard.sign_in_failed",
                              threat_level="low", user_id=account.id, description="dashboard sign-in: wrong password",
                              details={"address": address})
    raise SignInRefused(401, WRONG)


# ---------------------------------------------------------------- sessions

@dataclass(frozen=True)
class Session:
    id: int
    organization_id: int
    user_id: int
    csrf_token: str
    must_change_password: bool
    role: str


def _sha(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def start_session(conn: psycopg.AsyncConnection, person: User, *, address: str, now: datetime) -> str:
    """A new session for ``person``; returns the cookie's value (``<id>.<token>``), never stored."""
    token, csrf = secrets.token_urlsafe(TOKEN_BYTES), secrets.token_urlsafe(CSRF_BYTES)
    row = await (await conn.execute(Q["dashboard_session_insert"], {
        "organization_id": person.organization_id, "user_id": person.id, "token_sha256": _sha(token),
        "csrf_token": csrf, "address": address[:64], "now": now})).fetchone()
    assert row is not None
    return f"{row[0]}.{token}"


SessionProblem = Literal["missing", "malformed", "unknown", "tampered", "ended", "expired", "not_allowed"]


@dataclass(frozen=True)
class SessionCheck:
    """What a cookie turned out to be: a live ``session``, or the ``problem`` (and the organization and person of
    the session it named, when it named a real one)."""

    session: Session | None
    problem: SessionProblem | None = None
    organization_id: int | None = None
    user_id: int | None = None


async def check_session(conn: psycopg.AsyncConnection, cookie: str | None, now: datetime) -> SessionCheck:
    """The session ``cookie`` holds at ``now``, touched (its idle time starts again), or why there is none:
    missing, malformed, unknown (no such session), tampered (the token does not match), ended (signed out),
    expired (:data:`IDLE_TIMEOUT` idle), not_allowed (the person is no longer an active manager or admin)."""
    if not cookie:
        return SessionCheck(None, "missing")
    sid, _, token = cookie.partition(".")
    if not sid.isdigit() or len(sid) > 18 or not token or len(token) > 100:
        return SessionCheck(None, "malformed")
    row = await (await conn.execute(Q["dashboard_session_get"], {"id": int(sid)})).fetchone()
    if row is None:
        return SessionCheck(None, "unknown")
    (session_id, org_id, user_id, token_sha, csrf, last_seen, ended_at, role, active, must_change) = row
    if not hmac.compare_digest(bytes(token_sha), _sha(token)):
        return SessionCheck(None, "tampered", org_id, user_id)
    if ended_at is not None:
        return SessionCheck(None, "ended", org_id, user_id)
    if now - last_seen > IDLE_TIMEOUT:
        return SessionCheck(None, "expired", org_id, user_id)
    if not active or role not in ROLES:
        return SessionCheck(None, "not_allowed", org_id, user_id)
    await conn.execute(Q["dashboard_session_touch"], {"organization_id": org_id, "id": session_id, "now": now})
    return SessionCheck(Session(session_id, org_id, user_id, csrf, bool(must_change), role))


async def set_flash(conn: psycopg.AsyncConnection, session: Session, text: str) -> None:
    """Keep ``text`` (at most 1,000 characters) for the session's next page (after a form's redirect)."""
    await conn.execute(Q["dashboard_session_flash_set"], {"organization_id": session.organization_id, "id": session.id,
                                                          "flash": text[:1000]})


async def take_flash(conn: psycopg.AsyncConnection, session: Session) -> str | None:
    """The session's message for this page, if any, cleared as it is read."""
    row = await (await conn.execute(Q["dashboard_session_flash_take"], {"organization_id": session.organization_id,
                                                                        "id": session.id})).fetchone()
    return str(row[0]) if row else None


def csrf_ok(session: Session, sent: Any) -> bool:
    return isinstance(sent, str) and hmac.compare_digest(sent.encode(), session.csrf_token.encode())


async def end_session(conn: psycopg.AsyncConnection, session: Session, now: datetime) -> None:
    await conn.execute(Q["dashboard_session_end"], {"organization_id": session.organization_id, "id": session.id,
                                                    "now": now})


STRENGTH_MIN = 3
"""The least zxcvbn score (0-4) a chosen password needs: 3 is "safely unguessable: moderate protection from an
offline slow-hash scenario" (zxcvbn's own scale; argon2 is such a slow hash)."""
DISTINCT_MIN = 6
"""The fewest different characters a chosen password may use."""


def check_new_password(new: str, confirm: str, *, current: str, context: Sequence[str] = ()) -> None:
    """InvalidInput naming what is wrong with a chosen password: too short (:data:`PASSWORD_MIN`), too long
    (:data:`PASSWORD_MAX`), spaces at either end, not confirmed, the same as the current one, too few different
    characters (:data:`DISTINCT_MIN`), or easy to guess: a common or breached password, a keyboard pattern, a
    date, or built from ``context`` (the person's email, names, the product's name) as zxcvbn rates it (score under
    :data:`STRENGTH_MIN`; NIST SP 800-63B section 5.1.1.2: check against commonly used and compromised values and
    context-specific words)."""
    if len(new) < PASSWORD_MIN:
        raise InvalidInput(f"Your new password needs at least {PASSWORD_MIN} characters (it has {len(new)}).")
    if len(new) > PASSWORD_MAX:
        raise InvalidInput(f"Your new password can have at most {PASSWORD_MAX} characters.")
    if new != new.strip():
        raise InvalidInput("Your new password starts or ends with a space; spaces at the ends are easy to lose, so "
                           "please leave them out.")
    if len(new.strip()) < PASSWORD_MIN:
        raise InvalidInput(f"Your new password needs at least {PASSWORD_MIN} characters besides spaces.")
    if new != confirm:
        raise InvalidInput("The two new passwords are not the same; type it twice, exactly.")
    if new == current:
        raise InvalidInput("Your new password must differ from the current one.")
    if len(set(new)) < DISTINCT_MIN:
        raise InvalidInput(f"Your new password uses too few different characters (at least {DISTINCT_MIN}); use a "
                           "phrase of a few uncommon words.")
    words = [w for c in context if c for w in {c, *c.replace("@", " ").replace(".", " ").split()}]
    rated = zxcvbn(new, user_inputs=[*words, "steward", "dashboard"], max_length=PASSWORD_MAX)
    if rated["score"] < STRENGTH_MIN:
        why = str(rated["feedback"].get("warning") or "").rstrip(".")
        raise InvalidInput("Your new password is too easy to guess" + (f" ({why[0].lower() + why[1:]})" if why else "")
                           + "; a phrase of three or four uncommon words is both safer and easier to remember.")


async def change_password(conn: psycopg.AsyncConnection, session: Session, person: User, *, current: str, new: str,
                          confirm: str, now: datetime, address: str) -> None:
    """Replace ``person``'s password (one-time or chosen) with ``new``: ``current`` must match, ``new`` pass
    :func:`check_new_password` (InvalidInput). Clears ``must_change_password`` and ends the person's other sessions;
    audit-logged (never the password).

    A wrong ``current`` counts against the account like a failed sign-in (the same buckets, recorded before it is
    checked: :func:`_reserve`), so a stolen cookie or an unlocked browser gets no more guesses than the sign-in
    form (tester17 finding 4): PermissionDenied (logged) while under :data:`LOGIN_FAILURES`; at the limit, or when
    the account or address is already locked, the session ends and SignInRefused (429) says so."""
    row = await (await conn.execute(Q["dashboard_password_of"], {"organization_id": person.organization_id,
                                                                 "user_id": person.id})).fetchone()
    assert row is not None  # the session's person
    account = Account(person.id, person.organization_id, person.role, person.active, row[0], bool(row[1]), row[2],
                      row[3])
    login = clean_login(person.email or person.slack_id or f"user-{person.id}")
    lock, attempt_id = await _reserve(conn, login, address, [account], now)
    if attempt_id is None:
        await end_session(conn, session, now)
        raise SignInRefused(429, lockout_message(lock, now) + " You have been signed out.")
    if not await verify_off_loop(row[0], current):
        await _outcome(conn, attempt_id, "wrong_current", account)
        left = LOGIN_FAILURES - (lock.account_failures + 1)
        if left <= 0:
            await end_session(conn, session, now)
            await security.record(conn, now=now, organization_id=person.organization_id,
                                  event_type="dashboard.locked", threat_level="high", user_id=person.id,
                                  description="dashboard session ended: too many wrong current passwords",
                                  details={"address": address, "action": "dashboard.password_change"})
            raise SignInRefused(429, "That current password is not right either, and that was too many tries: for "
                                     "your safety you have been signed out and nothing was changed. "
                                     + lockout_message(await _lock(conn, login, address, [account], now), now))
        raise await security.deny(conn, organization_id=person.organization_id, actor=person,
                                  action="dashboard.password_change",
                                  message=f"Your current password is not right, so nothing was changed ({left} more "
                                          f"wrong {'try' if left == 1 else 'tries'} and you will be signed out).")
    await _outcome(conn, attempt_id, "current_ok", account)
    check_new_password(new, confirm, current=current,
                       context=[person.email or "", person.display_name, person.real_name or "", person.slack_id or ""])
    hashed = await hash_off_loop(new)
    async with conn.transaction():
        await conn.execute(Q["dashboard_set_password"], {"organization_id": person.organization_id, "user_id": person.id,
                                                         "password_hash": hashed, "must_change": False, "now": now})
        await conn.execute(Q["dashboard_sessions_end_others"], {"organization_id": person.organization_id,
                                                                "user_id": person.id, "keep_id": session.id, "now": now})
        await security.audit(conn, organization_id=person.organization_id, actor=person,
                             action="dashboard.password_changed", entity_type="user", entity_id=person.id, now=now)

