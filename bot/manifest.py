"""Steward's Slack app manifest (``bot/manifest.yaml``, package data; a checkout's top-level ``manifest.yaml``
links to it): the app an operator creates in Slack, and what the emulator and ``steward doctor`` compare with."""

from __future__ import annotations

from pathlib import Path

import yaml

MANIFEST_PATH = Path(__file__).resolve().with_name("manifest.yaml")


def bot_scopes(path: Path = MANIFEST_PATH) -> frozenset[str]:
    """The bot token scopes a manifest asks for (``oauth_config.scopes.bot``); empty when the file is absent.
    Raises yaml.YAMLError for a file that is not YAML."""
    try:
        manifest = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        return frozenset()
    return frozenset(((manifest.get("oauth_config") or {}).get("scopes") or {}).get("bot") or [])
