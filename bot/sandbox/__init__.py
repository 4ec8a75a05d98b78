"""The local sandbox: a demo Slack workspace on loopback, the bot connected to it, and a web page."""

from bot.sandbox.seed import CHANNELS, DEMO_TEAM_ID, DEMO_TEAM_NAME, PEOPLE, Demo, demo_emulator, seed_demo
from bot.sandbox.server import Sandbox

__all__ = ["CHANNELS", "DEMO_TEAM_ID", "DEMO_TEAM_NAME", "PEOPLE", "Demo", "Sandbox", "demo_emulator", "seed_demo"]
