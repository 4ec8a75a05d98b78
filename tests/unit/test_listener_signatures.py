"""Bolt fills a listener's arguments by name, but for a functools.partial only those before the bound
`deps` keyword: everything a listener needs must come before `deps`."""

from __future__ import annotations

import functools
import inspect

from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import Deps
from bot.settings import Settings
from bot.slack_app import FEATURES, build_app
from bot.tenants import Tenants


def test_every_partial_listener_takes_deps_last() -> None:
    deps = Deps(settings=Settings.from_env({}), pool=None)  # type: ignore[arg-type]
    tenants = Tenants(None, environment=AsyncWebClient(token="xoxb-test", base_url="http://127.0.0.1:9/api/"))
    app = build_app(deps, tenants, FEATURES)
    checked = 0
    functions = [listener.ack_function for listener in app._async_listeners]
    functions += [m.func for m in app._async_middleware_list if hasattr(m, "func")]
    for fn in functions:
        if not isinstance(fn, functools.partial) or "deps" not in fn.keywords:
            continue
        params = [p for p in inspect.signature(fn.func).parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
        names = [p.name for p in params]
        assert names[-1] == "deps", f"{fn.func.__module__}.{fn.func.__name__}{names}: move `deps` last"
        checked += 1
    assert checked >= 20
