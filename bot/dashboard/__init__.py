"""The manager dashboard (issue 17, SPEC F18): pages in bot/dashboard/web.py, templates and CSS beside it."""
