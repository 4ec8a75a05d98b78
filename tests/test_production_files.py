"""The operator's files say what the code does: .env.example lists every variable Steward reads (and only
those), with the defaults the code applies; the Dockerfile installs the wheel alone as a non-root user with a
health check; compose.yaml runs it beside the seed's pgvector image with DATABASE_URL wired and a named
volume. (This machine has no Docker engine: CI builds and runs the same wheel in .ci/wheel-smoke.)"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_ONLY = {"POSTGRES_PASSWORD"}


def variables_read() -> set[str]:
    source = (ROOT / "bot" / "settings.py").read_text()
    return set(re.findall(r'\bget\("([A-Z][A-Z0-9_]+)"\)', source))


def env_example() -> dict[str, str]:
    pairs = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            pairs[name.strip()] = value.strip()
    return pairs


def test_env_example_lists_every_variable_and_only_those() -> None:
    read = variables_read()
    assert len(read) >= 15, read  # the regex still finds the settings' reads
    listed = set(env_example())
    assert read - listed == set(), "variables Steward reads that .env.example does not list"
    assert listed - read - COMPOSE_ONLY == set(), "variables .env.example lists that Steward does not read"


def test_env_example_defaults_are_the_codes_defaults(tmp_path: Path) -> None:
    listed = {k: v for k, v in env_example().items() if k not in COMPOSE_ONLY}
    from_example = Settings.from_env({**listed, "STEWARD_DATA_DIR": str(tmp_path)})
    from_nothing = Settings.from_env({"STEWARD_DATA_DIR": str(tmp_path)})
    assert from_example == from_nothing


def test_readme_configuration_table_names_every_variable() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = sorted(v for v in variables_read() if f"`{v}`" not in readme)
    assert missing == []


def test_dockerfile_installs_the_wheel_alone_as_a_non_root_user() -> None:
    text = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+)", text, re.MULTILINE)
    assert stages and all(re.fullmatch(r"python:3\.1[1-9]-slim(?: AS \w+)?|python:3\.1[1-9]-slim", s) for s in stages), stages
    final = text.split("\nFROM ")[-1]
    assert re.search(r"pip wheel .*--no-deps", text)  # the step .ci/wheel-smoke runs
    assert re.search(r"pip install /tmp/dist/steward-\*\.whl", final)
    assert not re.search(r"pip install (-e|\.)", text)
    user = re.findall(r"^USER (\S+)", final, re.MULTILINE)
    assert user and user[-1] not in ("root", "0")
    assert re.search(r"^HEALTHCHECK .*", final, re.MULTILINE) and "/healthz" in final
    assert re.search(r'^CMD \["steward", "run"\]$', final, re.MULTILINE)
    wheel_smoke = (ROOT / ".ci" / "wheel-smoke").read_text()
    assert re.search(r"-m pip wheel -q --no-deps -w \S+ \.", wheel_smoke)
    assert re.search(r'/bin/pip" install -q "\$work"/dist/steward-\*\.whl', wheel_smoke)
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", ".git", ".env"} <= set(ignored)


def test_compose_runs_steward_beside_pgvector() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert services["db"]["image"] == "pgvector/pgvector:pg16"
    volume = services["db"]["volumes"][0].split(":")[0]
    assert volume in compose["volumes"]  # a named volume, not a bind mount
    steward = services["steward"]
    assert steward["build"] == "."
    assert steward["env_file"] == [".env"]
    url = steward["environment"]["DATABASE_URL"]
    assert url.startswith("postgresql://") and "@db:5432/" in url
    assert steward["depends_on"]["db"]["condition"] == "service_healthy"
    grace = int(steward["stop_grace_period"].rstrip("s"))
    assert grace > 20  # longer than the default STEWARD_SHUTDOWN_SECONDS
