"""The fuzz runs on the end-to-end fixtures: the Slack emulator with its seeded workspace."""

from __future__ import annotations

from tests.e2e.conftest import emulator

__all__ = ["emulator"]
