"""Process settings: one frozen object read from the environment and validated once.

A bad value raises :class:`SettingsError` naming the variable; the CLI turns that into a
single line on stderr and exit code 2. Secrets are wrapped in :class:`Secret` so that they
never show up in a repr, a log line or a traceback.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from urllib.parse import urlparse

import platformdirs

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("json", "console")


class SettingsError(ValueError):
    """A single environment variable holds a value Steward cannot use."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable
        self.problem = problem


class Secret:
    """A string that refuses to print itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)


def _secret_or_none(value: str | None) -> Secret | None:
    return Secret(value) if value else None


@dataclass(frozen=True)
class Settings:
    database_url: Secret | None = None
    data_dir: Path = field(default_factory=lambda: Path(platformdirs.user_data_dir("steward")))
    log_level: str = "INFO"
    log_format: str = "console"
    context_raw_retention_days: int = 7
    slack_bot_token: Secret | None = None
    slack_app_token: Secret | None = None
    slack_api_url: str = "https://slack.com/api/"
    openai_api_key: Secret | None = None
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"
    embedding_model: str = "text-embedding-3-small"
    admins: tuple[str, ...] = ()
    port: int = 8080
    auto_migrate: bool = True
    token_key: Secret | None = None  # STEWARD_TOKEN_KEY: Fernet key(s) for bot tokens kept in the database
    shutdown_seconds: int = 20
    # STEWARD_PUBLIC_URL: where people reach this server (the dashboard's sign-in links); None: http://localhost:PORT
    public_url: str | None = None

    @property
    def slack_configured(self) -> bool:
        return self.slack_bot_token is not None and self.slack_app_token is not None

    def dashboard_url(self, port: int | None = None) -> str:
        """The dashboard's address as people reach it: STEWARD_PUBLIC_URL + ``/dashboard/``, else
        ``http://localhost:<port>/dashboard/`` (``port``: the port the server got; default PORT)."""
        base = self.public_url or f"http://localhost:{self.port if port is None else port}"
        return f"{base}/dashboard/"

    @property
    def offline_ai(self) -> bool:
        return self.openai_api_key is None

    def describe(self) -> dict[str, object]:
        """A loggable view: secrets appear only as set / unset."""
        out: dict[str, object] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Secret) or f.name in ("database_url",):
                out[f.name] = "set" if value else "unset"
            else:
                out[f.name] = str(value) if isinstance(value, Path) else value
        return out

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(name)
            if value is None:
                return None
            value = value.strip()
            return value or None

        database_url = get("DATABASE_URL")
        if database_url is not None:
            parsed = urlparse(database_url)
            if parsed.scheme not in ("postgres", "postgresql"):
                raise SettingsError(
                    "DATABASE_URL", "must be a postgresql:// URL (for example postgresql://user@host:5432/steward)"
                )

        data_dir_raw = get("STEWARD_DATA_DIR")
        data_dir = (
            Path(data_dir_raw).expanduser() if data_dir_raw else Path(platformdirs.user_data_dir("steward"))
        )
        if data_dir.exists() and not data_dir.is_dir():
            raise SettingsError("STEWARD_DATA_DIR", f"{data_dir} exists and is not a directory")

        log_level = (get("LOG_LEVEL") or "INFO").upper()
        if log_level not in LOG_LEVELS:
            raise SettingsError("LOG_LEVEL", f"must be one of {', '.join(LOG_LEVELS)}, not {log_level!r}")

        log_format = (get("LOG_FORMAT") or "console").lower()
        if log_format not in LOG_FORMATS:
            raise SettingsError("LOG_FORMAT", f"must be json or console, not {log_format!r}")

        retention = _int(get("CONTEXT_RAW_RETENTION_DAYS"), "CONTEXT_RAW_RETENTION_DAYS", default=7, low=1, high=3650)

        bot_token = get("SLACK_BOT_TOKEN")
        if bot_token is not None and not bot_token.startswith("xoxb-"):
            raise SettingsError("SLACK_BOT_TOKEN", "must be a bot token starting with xoxb-")
        app_token = get("SLACK_APP_TOKEN")
        if app_token is not None and not app_token.startswith("xapp-"):
            raise SettingsError("SLACK_APP_TOKEN", "must be an app-level token starting with xapp- (Socket Mode)")
        if (bot_token is None) != (app_token is None):
            missing = "SLACK_APP_TOKEN" if app_token is None else "SLACK_BOT_TOKEN"
            raise SettingsError(missing, "is required when the other Slack token is set (set both, or neither for the sandbox)")

        slack_api_url = get("SLACK_API_URL") or "https://slack.com/api/"
        _require_http_url("SLACK_API_URL", slack_api_url)
        if not slack_api_url.endswith("/"):
            slack_api_url += "/"

        openai_base_url = get("OPENAI_BASE_URL")
        if openai_base_url is not None:
            _require_http_url("OPENAI_BASE_URL", openai_base_url)

        admins = tuple(a for a in re.split(r"[,\s]+", get("STEWARD_ADMINS") or "") if a)
        for admin in admins:
            if not (re.fullmatch(r"[UW][A-Z0-9]{2,}", admin) or re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", admin)):
                raise SettingsError("STEWARD_ADMINS", f"{admin!r} is neither a Slack user id (U…) nor an email address")

        port = _int(get("PORT"), "PORT", default=8080, low=0, high=65535)

        token_key = get("STEWARD_TOKEN_KEY")
        if token_key is not None:
            from bot.tokens import TokenKeyError, parse_keys

            try:
                parse_keys(token_key)
            except TokenKeyError as exc:
                raise SettingsError("STEWARD_TOKEN_KEY", str(exc)) from None
        shutdown = _int(get("STEWARD_SHUTDOWN_SECONDS"), "STEWARD_SHUTDOWN_SECONDS", default=20, low=1, high=600)

        public_url = get("STEWARD_PUBLIC_URL")
        if public_url is not None:
            _require_http_url("STEWARD_PUBLIC_URL", public_url)
            public_url = public_url.rstrip("/")

        auto_migrate_raw = (get("STEWARD_AUTO_MIGRATE") or "true").lower()
        if auto_migrate_raw not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
            raise SettingsError("STEWARD_AUTO_MIGRATE", "must be true or false")

        return cls(
            database_url=_secret_or_none(database_url),
            data_dir=data_dir,
            log_level=log_level,
            log_format=log_format,
            context_raw_retention_days=retention,
            slack_bot_token=_secret_or_none(bot_token),
            slack_app_token=_secret_or_none(app_token),
            slack_api_url=slack_api_url,
            openai_api_key=_secret_or_none(get("OPENAI_API_KEY")),
            openai_base_url=openai_base_url,
            openai_model=get("OPENAI_MODEL") or "gpt-4o-mini",
            embedding_model=get("EMBEDDING_MODEL") or "text-embedding-3-small",
            admins=admins,
            port=port,
            auto_migrate=auto_migrate_raw in ("1", "true", "yes", "on"),
            token_key=_secret_or_none(token_key),
            shutdown_seconds=shutdown,
            public_url=public_url,
        )


def _int(raw: str | None, name: str, *, default: int, low: int, high: int) -> int:
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(name, f"must be a whole number, not {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(name, f"must be between {low} and {high}, not {value}")
    return value


def _require_http_url(name: str, value: str) -> None:
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise SettingsError(name, f"must be an http(s) URL, not {value!r}")
