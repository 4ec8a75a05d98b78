"""The manager dashboard's pages (issue 17, SPEC F18): an aiohttp sub-application mounted at ``/dashboard/`` on the
server that serves ``/healthz`` and ``/metrics`` (bot/health.py), HTML rendered by Jinja2 from
``bot/dashboard/templates``, CSS from ``bot/dashboard/static``, charts drawn on the server (PNG, matplotlib).

Every request but the sign-in page and the stylesheet passes :meth:`Dashboard.guard`: the session cookie is checked
against ``dashboard_sessions`` (bot/services/dashboard_auth.py), the person re-read (a role changed since sign-in
counts at once), a one-time password sends them to the change form before anything else, and a POST must carry the
session's CSRF token. Each page reads only the viewer's organization and scope (bot/services/dashboard.py) and
writes who viewed whose data to ``audit_logs``. Refusals are answered with a plain page and the right status and
written to ``security_audit_logs`` (to the application log when no organization is known: a cookie naming no
session). Every response carries the security headers of :data:`SECURITY_HEADERS`; pages with personal data are
never cached.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import psycopg
from aiohttp import web
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from bot.errors import InvalidInput, NotFound, PermissionDenied, StewardError
from bot.log import get_logger
from bot.services import calendar, report_chart, security
from bot.services import dashboard as data
from bot.services import dashboard_auth as auth
from bot.services import rhythm as rules
from bot.services import tasks as task_rules
from bot.settings import Settings
from db.repos import tasks as task_repo
from db.repos.users import user_by_id
from db.rows import User

log = get_logger(__name__)

PREFIX = "/dashboard"
ROOT = PREFIX + "/"
STATIC_DIR = Path(__file__).resolve().parent / "static"
SESSION_COOKIE = "steward_session"
SIGN_IN_COOKIE = "steward_sign_in"
"""The sign-in form's CSRF token before there is a session (double submit: cookie and form field must match)."""
SECURITY_HEADERS = {
    # No script at all, inline or not; styles from our own stylesheet only; nothing may frame a page.
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}
NO_STORE = "no-store"
NOTICES = {
    "expired": "Your session has ended (12 hours without use, or signed out elsewhere). Please sign in again.",
    "invalid": "Your sign-in could not be read, so please sign in again.",
    "signed_out": "You are signed out.",
}
NAV = (("overview", "Overview", ""), ("kpis", "KPIs", "kpis"), ("mood", "Mood", "mood"),
       ("flags", "Flags", "flags"), ("security", "Security", "security"), ("board", "Board", "board"),
       ("actions", "Action items", "actions"))
FORM_MAX_BYTES = 16 * 1024
"""The largest form body read (the sign-in and password forms are a few hundred bytes)."""

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def code_spans(text: str | None) -> Markup:
    """``text`` written for Slack, for a page: escaped, its `backticked` parts as ``<code>`` (messages shared with
    Slack, e.g. "`/tasks`, App Home and `/steward my-data`", would otherwise show their backticks)."""
    parts = str(text or "").split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: nothing is code
        return escape(str(text or ""))
    return Markup("").join(Markup("<code>{}</code>").format(p) if i % 2 else escape(p) for i, p in enumerate(parts))


def one_decimal(value: float) -> str:
    """``value`` to one decimal, halves up as people round (3.25 is "3.3"; ``%.1f`` rounds it to even: "3.2")."""
    return str(Decimal(repr(float(value))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def see_other(location: str) -> web.Response:
    """A 303 to ``location`` (after a form: the browser GETs it)."""
    return web.Response(status=303, headers={"Location": location})


@dataclass(frozen=True)
class Viewer:
    session: auth.Session
    user: User
    people: list[User]
    zone: str = "UTC"
    """The organization's time zone (its standup rhythm's): every date and time on the pages is shown in it, as the
    overview's "today" is (tester17 finding 9)."""
    flash: str | None = None
    """The session's message for this page (set by the form before the redirect), never from the address."""


VIEWER = web.RequestKey("viewer", Viewer)


class Dashboard:
    """The dashboard for one process: ``pool`` its database, ``clock`` its now (the sandbox's moves), ``settings``
    for STEWARD_PUBLIC_URL (whether cookies are ``Secure``)."""

    def __init__(self, pool: Any, clock: Callable[[], datetime], settings: Settings) -> None:
        self.pool = pool
        self.clock = clock
        self.settings = settings
        self.templates = Environment(loader=PackageLoader("bot.dashboard", "templates"),
                                     autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
        self.templates.filters["code"] = code_spans
        self.templates.filters["one_decimal"] = one_decimal

    def make_app(self) -> web.Application:
        app = web.Application(middlewares=[self.headers, self.guard], client_max_size=FORM_MAX_BYTES)
        r = app.router
        r.add_get("/", self.overview)
        r.add_get("/login", self.login_page)
        r.add_post("/login", self.login)
        r.add_post("/logout", self.logout)
        r.add_get("/password", self.password_page)
        r.add_post("/password", self.password)
        r.add_get("/kpis", self.kpis)
        r.add_get("/mood", self.mood)
        r.add_get("/flags", self.flags)
        r.add_get("/security", self.security_events)
        r.add_get("/board", self.board)
        r.add_post("/board/tasks/{task_id}/move", self.move_task)
        r.add_get("/actions", self.actions)
        r.add_get("/charts/kpis.png", self.kpi_chart)
        r.add_get("/charts/mood.png", self.mood_chart)
        r.add_static("/static/", STATIC_DIR)
        return app

    def mount(self, root: web.Application) -> None:
        """Serve the dashboard under ``/dashboard/`` of ``root`` (``/dashboard`` redirects there)."""
        root.router.add_get(PREFIX, self._to_root)
        root.add_subapp(PREFIX, self.make_app())

    async def _to_root(self, _request: web.Request) -> web.Response:
        raise web.HTTPPermanentRedirect(ROOT)

    # ------------------------------------------------------------ plumbing

    def _secure(self, request: web.Request) -> bool:
        return request.secure or (self.settings.public_url or "").startswith("https://")

    def _set_cookie(self, response: web.StreamResponse, request: web.Request, name: str, value: str) -> None:
        response.set_cookie(name, value, path=ROOT, httponly=True, samesite="Lax", secure=self._secure(request))

    @staticmethod
    def _address(request: web.Request) -> str:
        return (request.remote or "unknown")[:64]

    def render(self, request: web.Request, template: str, *, status: int = 200, viewer: Viewer | None = None,
               page: str | None = None, csrf: str | None = None, **context: Any) -> web.Response:
        nav = [(key, label, ROOT + path) for key, label, path in NAV
               if key != "security" or (viewer is not None and viewer.user.is_admin)]
        if context.get("notice") is None and viewer is not None:
            context["notice"] = viewer.flash
        body = self.templates.get_template(template).render(
            root=ROOT, viewer=viewer.user if viewer else None, csrf=csrf if csrf is not None else (viewer.session.csrf_token if viewer else ""),
            must_change=viewer.session.must_change_password if viewer else False, nav=nav, page=page,
            age=lambda since: data.age(since, self.clock()), zone=viewer.zone if viewer else "UTC",
            local=lambda at, fmt: at.astimezone(calendar.zone(viewer.zone if viewer else "UTC")).strftime(fmt),
            **context)
        return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")

    def message(self, request: web.Request, status: int, heading: str, text: str, *, viewer: Viewer | None = None,
                link: str | None = None, link_text: str | None = None) -> web.Response:
        return self.render(request, "message.html", status=status, viewer=viewer, title=heading, heading=heading,
                           message=text, link=link, link_text=link_text)

    @web.middleware
    async def headers(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPNotFound:
            response = self.message(request, 404, "Not found", "There is no such page on the dashboard.",
                                    link=ROOT, link_text="Back to the overview")
        except web.HTTPMethodNotAllowed:
            response = self.message(request, 405, "Not allowed", "That page can't be used that way.",
                                    link=ROOT, link_text="Back to the overview")
        except web.HTTPException as exc:
            exc.headers.update(SECURITY_HEADERS)
            exc.headers["Cache-Control"] = NO_STORE
            raise
        response.headers.update(SECURITY_HEADERS)
        if not request.path.startswith(ROOT + "static/"):
            response.headers["Cache-Control"] = NO_STORE  # every page and chart holds people's data
        return response

    @web.middleware
    async def guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path.removeprefix(PREFIX)
        if path in ("/login",) or path.startswith("/static/"):
            return await handler(request)
        now = self.clock()
        async with self.pool.connection() as conn:
            check = await auth.check_session(conn, request.cookies.get(SESSION_COOKIE), now)
            if check.session is None:
                return await self._refuse_session(conn, request, check, now)
            session = check.session
            user = await user_by_id(conn, session.organization_id, session.user_id)
            assert user is not None  # the session's row joins its user
            viewer = Viewer(session, user, await data.scope(conn, user.organization_id, user),
                            await data.zone_of(conn, user.organization_id))
            if request.method == "POST":
                form = await request.post()
                if not auth.csrf_ok(session, form.get("csrf")):
                    await security.record(conn, organization_id=user.organization_id, event_type="dashboard.csrf_refused",
                                          threat_level="medium", user_id=user.id, now=now,
                                          description="dashboard form posted without its CSRF token",
                                          details={"path": request.path, "address": self._address(request)})
                    return self.message(request, 403, "Form refused",
                                        "This form came without the security token of your session, so nothing was "
                                        "changed. Please reload the page and try again.", viewer=viewer,
                                        link=ROOT, link_text="Back to the overview")
        if session.must_change_password and path not in ("/password", "/logout"):
            return see_other(ROOT + "password")
        if request.method == "GET" and not path.startswith("/charts/"):
            async with self.pool.connection() as conn:
                viewer = replace(viewer, flash=await auth.take_flash(conn, session))
        request[VIEWER] = viewer
        return await handler(request)

    async def _refuse_session(self, conn: psycopg.AsyncConnection, request: web.Request, check: auth.SessionCheck,
                              now: datetime) -> web.StreamResponse:
        """No live session: a page sends the browser to sign in, a form is refused (401: nothing was saved). A
        cookie that names a real session but is not it (tampered), an expired or ended session used, or a person
        no longer allowed, is logged to the organization's security_audit_logs; a cookie naming no session to
        the application log."""
        problem = check.problem or "missing"
        if check.organization_id is not None:
            level = {"tampered": "medium", "not_allowed": "low"}.get(problem, "none")
            event = "permission_denied" if problem == "not_allowed" else f"dashboard.session_{problem}"
            await security.record(conn, organization_id=check.organization_id, event_type=event, threat_level=level,
                                  user_id=check.user_id, now=now,
                                  description=("dashboard.page refused" if problem == "not_allowed"
                                               else f"dashboard session {problem}"),
                                  details={"action": "dashboard.page", "path": request.path, "method": request.method,
                                           "address": self._address(request)})
        elif problem != "missing":
            log.warning("dashboard_session_refused", problem=problem, path=request.path, address=self._address(request))
        if problem == "not_allowed":
            response: web.StreamResponse = self.message(request, 403, "Not for your role", auth.MEMBERS)
            response.del_cookie(SESSION_COOKIE, path=ROOT)
            return response
        if request.method == "POST":
            response = self.message(request, 401, "Please sign in again",
                                    "Your session has ended (12 hours without use, or you signed out), so nothing "
                                    "was saved. Sign in again and do it once more.", link=ROOT + "login",
                                    link_text="Sign in")
        else:
            notice = {"missing": None, "expired": "expired", "ended": "expired"}.get(problem, "invalid")
            response = see_other(ROOT + "login" + (f"?notice={notice}" if notice else ""))
        if problem != "missing":
            response.del_cookie(SESSION_COOKIE, path=ROOT)
        return response

    async def _audit_view(self, conn: psycopg.AsyncConnection, viewer: Viewer, page: str, shown: list[User],
                          **extra: Any) -> None:
        await security.audit(conn, organization_id=viewer.user.organization_id, actor=viewer.user,
                             action="dashboard.viewed", entity_type="page", entity_id=page,
                             details=data.audit_details(page, shown, **extra), now=self.clock())

    async def _not_in_scope(self, conn: psycopg.AsyncConnection, request: web.Request, viewer: Viewer, what: str,
                            value: str) -> web.Response:
        await security.record(conn, organization_id=viewer.user.organization_id, event_type="permission_denied",
                              threat_level="low", user_id=viewer.user.id, now=self.clock(),
                              description=f"dashboard.{what} refused",
                              details={"action": f"dashboard.{what}", "asked": value[:64], "path": request.path})
        return self.message(request, 404, "Not found", "That isn't on your dashboard: you see your own team's "
                            "people and tasks only.", viewer=viewer, link=ROOT, link_text="Back to the overview")

    # ------------------------------------------------------------ signing in and out

    async def login_page(self, request: web.Request, *, status: int = 200, error: str | None = None,
                         login: str = "", team: str | None = None) -> web.Response:
        if request.method == "GET" and request.cookies.get(SESSION_COOKIE):
            async with self.pool.connection() as conn:  # signed in already: the overview, not the form again
                if (await auth.check_session(conn, request.cookies.get(SESSION_COOKIE), self.clock())).session:
                    return see_other(ROOT)
        token = request.cookies.get(SIGN_IN_COOKIE)
        if not token or len(token) > 100:
            token = secrets.token_urlsafe(auth.CSRF_BYTES)
        team = team if team is not None else request.query.get("team", "")
        response = self.render(request, "login.html", status=status, title="Sign in", error=error,
                               notice=NOTICES.get(request.query.get("notice", "")),
                               login=login or request.query.get("login", "")[:auth.LOGIN_MAX],
                               team=team[:20] if team and team.isalnum() else "", csrf=token)
        self._set_cookie(response, request, SIGN_IN_COOKIE, token)
        return response

    async def login(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        login = str(form.get("login") or "")
        password = str(form.get("password") or "")
        team = str(form.get("team") or "") or None
        now, address = self.clock(), self._address(request)
        cookie_token, sent = request.cookies.get(SIGN_IN_COOKIE), form.get("csrf")
        async with self.pool.connection() as conn:
            if not cookie_token or not isinstance(sent, str) or not secrets.compare_digest(sent, cookie_token):
                await auth.record_csrf_refusal(conn, login, address, now)
                return await self.login_page(request, status=403, login=login[:auth.LOGIN_MAX], team=team or "",
                                             error="This sign-in form came without its security token (an old or "
                                                   "copied page?), so nothing was checked. Please try again.")
            try:  # no transaction around it: a refused attempt's records must stay
                person = await auth.sign_in(conn, login, password, address=address, now=now,
                                            team_id=team if team and team.isalnum() else None)
            except auth.SignInRefused as refused:
                return await self.login_page(request, status=refused.status, error=refused.message,
                                             login=login[:auth.LOGIN_MAX], team=team or "")
            cookie = await auth.start_session(conn, person, address=address, now=now)
            _, must_change = await auth.has_password(conn, person)
        response = see_other(ROOT + ("password" if must_change else ""))
        self._set_cookie(response, request, SESSION_COOKIE, cookie)
        response.del_cookie(SIGN_IN_COOKIE, path=ROOT)
        return response

    async def logout(self, request: web.Request) -> web.StreamResponse:
        viewer: Viewer = request[VIEWER]
        async with self.pool.connection() as conn:
            await auth.end_session(conn, viewer.session, self.clock())
        response = see_other(ROOT + "login?notice=signed_out")
        response.del_cookie(SESSION_COOKIE, path=ROOT)
        return response

    async def password_page(self, request: web.Request, *, status: int = 200, error: str | None = None) -> web.Response:
        viewer: Viewer = request[VIEWER]
        return self.render(request, "password.html", status=status, viewer=viewer, title="Your password",
                           error=error, min_length=auth.PASSWORD_MIN)

    async def password(self, request: web.Request) -> web.StreamResponse:
        viewer: Viewer = request[VIEWER]
        form = await request.post()
        try:
            async with self.pool.connection() as conn:
                await auth.change_password(conn, viewer.session, viewer.user, current=str(form.get("current") or ""),
                                           new=str(form.get("new") or ""), confirm=str(form.get("confirm") or ""),
                                           now=self.clock(), address=self._address(request))
        except auth.SignInRefused as refused:  # too many wrong current passwords: the session has ended
            response = self.message(request, refused.status, "Signed out", refused.message,
                                    link=ROOT + "login", link_text="Sign in")
            response.del_cookie(SESSION_COOKIE, path=ROOT)
            return response
        except PermissionDenied as exc:
            return await self.password_page(request, status=403, error=str(exc))
        except InvalidInput as exc:
            return await self.password_page(request, status=400, error=str(exc))
        async with self.pool.connection() as conn:
            await auth.set_flash(conn, viewer.session, "Your password is saved.")
        return see_other(ROOT)

    # ------------------------------------------------------------ pages

    async def overview(self, request: web.Request) -> web.Response:
        viewer: Viewer = request[VIEWER]
        async with self.pool.connection() as conn:
            found = await data.overview(conn, viewer.user.organization_id, viewer.user, viewer.people, self.clock())
            await self._audit_view(conn, viewer, "overview", viewer.people)
        return self.render(request, "overview.html", viewer=viewer, page="overview", title="Overview", data=found,
                           people=viewer.people)

    async def _person_arg(self, conn: psycopg.AsyncConnection, request: web.Request,
                          viewer: Viewer) -> User | None | web.Response:
        raw = request.query.get("person", "")
        if not raw:
            return None
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
            return self.message(request, 400, "Not a person", "The person in this address is not a number; pick "
                                "someone from the list instead.", viewer=viewer, link=ROOT + "kpis", link_text="KPIs")
        if int(raw) == viewer.user.id:  # your own KPIs: yours to see (a manager is not among their people)
            return viewer.user
        try:
            return data.person_in(viewer.people, int(raw))
        except NotFound:
            return await self._not_in_scope(conn, request, viewer, "kpis.person", raw)

    def _team_label(self, viewer: Viewer) -> str:
        return "the organization" if viewer.user.is_admin else "your team"

    async def kpis(self, request: web.Request) -> web.Response:
        viewer: Viewer = request[VIEWER]
        async with self.pool.connection() as conn:
            person = await self._person_arg(conn, request, viewer)
            if isinstance(person, web.Response):
                return person
            table = await data.kpi_table(conn, viewer.user.organization_id, viewer.user, viewer.people, person=person,
                                         now=self.clock())
            await self._audit_view(conn, viewer, "kpis", [person] if person else viewer.people)
        chart_url = ROOT + "charts/kpis.png" + (f"?{urlencode({'person': person.id})}" if person else "")
        choices = viewer.people if any(p.id == viewer.user.id for p in viewer.people) else [viewer.user, *viewer.people]
        return self.render(request, "kpis.html", viewer=viewer, page="kpis", title="KPIs", table=table, person=person,
                           people=choices, periods=data.KPI_PERIODS, chart_url=chart_url,
                           team_label=self._team_label(viewer))

    async def kpi_chart(self, request: web.Request) -> web.StreamResponse:
        viewer: Viewer = request[VIEWER]
        async with self.pool.connection() as conn:
            person = await self._person_arg(conn, request, viewer)
            if isinstance(person, web.Response):
                return person
            table = await data.kpi_table(conn, viewer.user.organization_id, viewer.user, viewer.people, person=person,
                                         now=self.clock())
            targets = await data.targets_of(conn, viewer.user.organization_id)
            await self._audit_view(conn, viewer, "kpis.chart", [person] if person else viewer.people)
        name = person.display_name if person else self._team_label(viewer)
        try:
            png = report_chart.render(table.trend, targets, title=f"Weekly KPIs of {name}", periods=data.KPI_PERIODS)
        except report_chart.ChartError as exc:
            return web.Response(status=404, text=f"No chart: {exc}.", content_type="text/plain")
        return web.Response(body=png, content_type="image/png")

    async def mood(self, request: web.Request) -> web.Response:
        viewer: Viewer = request[VIEWER]
        async with self.pool.connection() as conn:
            weeks = await data.mood_weeks(conn, viewer.user.organization_id, viewer.people, self.clock())
            await self._audit_view(conn, viewer, "mood", viewer.people)
        return self.render(request, "mood.html", viewer=viewer, page="mood", title="Mood", weeks=weeks,
                           shown=any(w.average is not None for w in weeks), people=viewer.people,
                           min_people=rules.MIN_AGGREGATE_PEOPLE)

    async def mood_chart(self, request: web.Request) -> web.StreamResponse:
        viewer: Viewer = request[VIEWER]
        async with self.pool.connection() as conn:
            weeks = await data.mood_weeks(conn, viewer.user.organization_id, viewer.people, self.clock())
            await self._audit_view(conn, viewer, "mood.chart", viewer.people)
        try:
            png = report_chart.render_mood([(w.week, w.average, w.people) for w in weeks],
                                           title=f"Weekly mood of {self._team_label(viewer)}",
                                           min_people=rules.MIN_AGGREGATE_PEOPLE)
        except report_chart.ChartError as exc:
            return web.Response(status=404, text=f"No chart: {exc}.", content_type="text/plain")
        return web.Response(body=png, content_type="image/png")

    async def flags(self, request: web.Request) -> web.Response:
        viewer: Viewer = request[VIEWER]
        async with self.pool.connection() as conn:
            shown, inquiries = await data.flags_and_inquiries(conn, viewer.user.organization_id, viewer.user,
                                                              viewer.people, self.clock())
            await self._audit_view(conn, viewer, "flags", viewer.people)
        return self.render(request, "flags.html", viewer=viewer, page="flags", title="Flags", flags=shown,
                           inquiries=inquiries, names=data.names_of(viewer.people, viewer.user))

    async def security_events(self, request: web.Request) -> web.Response:
        viewer: Viewer = request[VIEWER]
        event_type = request.query.get("type") or None
        threat_level = request.query.get("level") or None
        async with self.pool.connection() as conn:
            if not viewer.user.is_admin:
                await security.deny(conn, organization_id=viewer.user.organization_id, actor=viewer.user,
                                    action="dashboard.security", message="")
                return self.message(request, 403, "For admins", "The security log is for Steward's admins.",
                                    viewer=viewer, link=ROOT, link_text="Back to the overview")
            if threat_level is not None and threat_level not in data.THREAT_LEVELS:
                return self.message(request, 400, "Unknown threat level",
                                    f"The threat level must be one of {', '.join(data.THREAT_LEVELS)}.",
                                    viewer=viewer, link=ROOT + "security", link_text="All security events")
            raw_page = request.query.get("page", "1")
            if not (raw_page.isascii() and raw_page.isdigit()) or not 1 <= int(raw_page) <= data.SECURITY_PAGES_MAX:
                return self.message(request, 400, "Unknown page", "The page number must be a whole number from 1.",
                                    viewer=viewer, link=ROOT + "security", link_text="All security events")
            found = await data.security_events(conn, viewer.user.organization_id, event_type=event_type,
                                               threat_level=threat_level, page=int(raw_page))
            events, kinds = found.events, found.kinds
            if event_type is not None and event_type not in kinds:  # README: an unknown filter is a 400
                return self.message(request, 400, "Unknown kind",
                                    "That kind of event is not one Steward has recorded here; pick one from the list.",
                                    viewer=viewer, link=ROOT + "security", link_text="All security events")
            await self._audit_view(conn, viewer, "security", [], event_type=event_type, threat_level=threat_level)

        def page_url(n: int) -> str:
            query = {k: v for k, v in (("type", event_type), ("level", threat_level)) if v}
            return ROOT + "security?" + urlencode({**query, "page": n})

        return self.render(request, "security.html", viewer=viewer, page="security", title="Security events",
                           events=events, kinds=kinds, levels=data.THREAT_LEVELS, event_type=event_type,
                           threat_level=threat_level, found=found, per_page=data.SECURITY_LIMIT, page_url=page_url)

    async def board(self, request: web.Request, *, status: int = 200, error: str | None = None,
                    notice: str | None = None) -> web.Response:
        viewer: Viewer = request[VIEWER]
        async with self.pool.connection() as conn:
            found = await data.board(conn, viewer.user.organization_id, viewer.user, viewer.people, self.clock())
            await self._audit_view(conn, viewer, "board", viewer.people)
        stages = [c.stage for c in found.columns]

        def neighbour(stage: Any, step: int) -> Any:
            index = next(i for i, s in enumerate(stages) if s.id == stage.id) + step
            return stages[index] if 0 <= index < len(stages) else None

        return self.render(request, "board.html", status=status, viewer=viewer, page="board", title="Board",
                           board=found, limit=data.BOARD_LIMIT, error=error, notice=notice,
                           loop_prev=lambda s: neighbour(s, -1), loop_next=lambda s: neighbour(s, 1))

    async def move_task(self, request: web.Request) -> web.StreamResponse:
        viewer: Viewer = request[VIEWER]
        raw_id = request.match_info["task_id"]
        form = await request.post()
        raw_stage = str(form.get("stage") or "")
        now = self.clock()
        async with self.pool.connection() as conn:
            if not raw_id.isdigit() or len(raw_id) > 18:
                return await self._not_in_scope(conn, request, viewer, "task.move", raw_id)
            try:
                shown = await data.board_task(conn, viewer.user.organization_id, viewer.user, viewer.people,
                                              int(raw_id), now)
            except NotFound:
                return await self._not_in_scope(conn, request, viewer, "task.move", raw_id)
            stages = {str(s.id): s for s in await task_repo.stages(conn, viewer.user.organization_id)}
            target = stages.get(raw_stage)
            if target is None:
                return await self.board(request, status=400, error="That stage is not on this board any more; "
                                                                    "nothing was moved.")
            task = await task_repo.get(conn, viewer.user.organization_id, shown.id)
            try:
                result = await task_rules.move(conn, viewer.user, task, target.slug, now)
            except StewardError as exc:
                status = 403 if isinstance(exc, PermissionDenied) else 400
                return await self.board(request, status=status, error=f"{exc.user_message} Nothing was moved.")
            # Post/Redirect/Get: the result travels in the session, so a reload of the board re-posts nothing.
            await auth.set_flash(conn, viewer.session, f"Moved {task.display_id} to {target.name}."
                                 + (f" {result.warning}" if result.warning else ""))
        return see_other(ROOT + "board")

    async def actions(self, request: web.Request) -> web.Response:
        viewer: Viewer = request[VIEWER]
        async with self.pool.connection() as conn:
            items = await data.open_action_items(conn, viewer.user.organization_id, viewer.user, viewer.people)
            await self._audit_view(conn, viewer, "actions", viewer.people)
        return self.render(request, "actions.html", viewer=viewer, page="actions", title="Action items", items=items,
                           names=data.names_of(viewer.people, viewer.user))
