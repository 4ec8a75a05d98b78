"""`python -m bot` runs the bot, like `steward run`."""

import sys

from bot.cli import main

if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:] or ["run"]))
