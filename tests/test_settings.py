from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import Secret, Settings, SettingsError

GOOD = {
    "SLACK_BOT_TOKEN": "xoxb-1234567890-abcdef",
    "SLACK_APP_TOKEN": "xapp-1-A1-123-abcdef",
    "OPENAI_API_KEY": "sk-very-secret-key",
    "DATABASE_URL": "postgresql://steward:hunter2@db.internal:5432/steward",
}


def test_defaults() -> None:
    s = Settings.from_env({})
    assert s.database_url is None
    assert s.context_raw_retention_days == 7
    assert s.slack_api_url == "https://slack.com/api/"
    assert s.port == 8080
    assert s.log_format == "console"
    assert s.offline_ai and not s.slack_configured
    assert s.embedding_model == "text-embedding-3-small"


def test_values_are_read_and_normalised(tmp_path: Path) -> None:
    s = Settings.from_env(
        {**GOOD, "STEWARD_DATA_DIR": str(tmp_path), "LOG_LEVEL": "debug", "LOG_FORMAT": "JSON",
         "CONTEXT_RAW_RETENTION_DAYS": "14", "SLACK_API_URL": "http://127.0.0.1:9/api",
         "STEWARD_ADMINS": "U123ABC, boss@example.com", "PORT": "9090"}
    )
    assert s.data_dir == tmp_path
    assert (s.log_level, s.log_format, s.context_raw_retention_days) == ("DEBUG", "json", 14)
    assert s.slack_api_url == "http://127.0.0.1:9/api/"
    assert s.admins == ("U123ABC", "boss@example.com")
    assert s.port == 9090
    assert s.slack_configured and not s.offline_ai


def test_secrets_never_show() -> None:
    s = Settings.from_env(GOOD)
    text = repr(s) + str(s.describe())
    for secret in ("xoxb-1234567890-abcdef", "xapp-1-A1-123-abcdef", "sk-very-secret-key", "hunter2"):
        assert secret not in text
    assert isinstance(s.openai_api_key, Secret) and s.openai_api_key.reveal() == "sk-very-secret-key"


def test_the_token_key_is_a_secret_and_names_no_key_when_bad() -> None:
    from cryptography.fernet import Fernet

    first, second = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    s = Settings.from_env({"STEWARD_TOKEN_KEY": f" {first} , {second} "})
    assert s.token_key is not None and first not in repr(s) + str(s.describe())
    assert s.describe()["token_key"] == "set"
    with pytest.raises(SettingsError) as info:
        Settings.from_env({"STEWARD_TOKEN_KEY": f"{first},{second[:-2]}"})
    assert "key 2 is not a Fernet key" in str(info.value) and second[:20] not in str(info.value)


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"LOG_LEVEL": "loud"}, "LOG_LEVEL"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT"),
        ({"CONTEXT_RAW_RETENTION_DAYS": "seven"}, "CONTEXT_RAW_RETENTION_DAYS"),
        ({"CONTEXT_RAW_RETENTION_DAYS": "0"}, "CONTEXT_RAW_RETENTION_DAYS"),
        ({"PORT": "70000"}, "PORT"),
        ({"DATABASE_URL": "mysql://x@y/z"}, "DATABASE_URL"),
        ({"SLACK_BOT_TOKEN": "xoxp-user-token", "SLACK_APP_TOKEN": "xapp-1"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_APP_TOKEN"),
        ({"SLACK_API_URL": "slack.com/api"}, "SLACK_API_URL"),
        ({"OPENAI_BASE_URL": "localhost:11434"}, "OPENAI_BASE_URL"),
        ({"STEWARD_ADMINS": "not-an-id"}, "STEWARD_ADMINS"),
        ({"STEWARD_TOKEN_KEY": "not-a-fernet-key"}, "STEWARD_TOKEN_KEY"),
        ({"STEWARD_TOKEN_KEY": "A" * 43 + "=,short"}, "STEWARD_TOKEN_KEY"),
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(SettingsError) as info:
        Settings.from_env(env)
    assert info.value.variable == variable


@pytest.mark.parametrize(("name", "value"), [("LOG_LEVEL", "loud"), ("PORT", "eighty"), ("SLACK_BOT_TOKEN", "nope")])
def test_cli_bad_setting_is_one_line_and_exit_2(name: str, value: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPENAI_", "DATABASE_URL"))}
    env.update({name: value, "STEWARD_DATA_DIR": str(tmp_path)})
    if name == "SLACK_BOT_TOKEN":
        env["SLACK_APP_TOKEN"] = "xapp-1-A1-1-abc"
    proc = subprocess.run([sys.executable, "-m", "bot", "doctor"], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"steward: configuration error: {name}:")
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_public_url_names_the_dashboards_address() -> None:
    assert Settings.from_env({}).dashboard_url() == "http://localhost:8080/dashboard/"
    assert Settings.from_env({"PORT": "9000"}).dashboard_url() == "http://localhost:9000/dashboard/"
    assert Settings.from_env({"PORT": "9000"}).dashboard_url(4321) == "http://localhost:4321/dashboard/"
    public = Settings.from_env({"STEWARD_PUBLIC_URL": "https://steward.acme.test/"})
    assert public.dashboard_url(4321) == "https://steward.acme.test/dashboard/"
    with pytest.raises(SettingsError) as bad:
        Settings.from_env({"STEWARD_PUBLIC_URL": "steward.acme.test"})
    assert bad.value.variable == "STEWARD_PUBLIC_URL" and "http(s) URL" in str(bad.value)
