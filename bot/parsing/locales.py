"""A person's date order from their Slack locale.

Slack's ``users.info`` / ``users.list`` with ``include_locale=true`` return ``locale`` ("en-US",
"en-GB", "de-DE" ...). The order comes from dateparser's locale data (CLDR): day-first locales read
"3/4" as 3 April; month-first ones (en-US) as 4 March; year-first ones (ja-JP, zh-CN, ko-KR) put the
month before the day too, so a yearless "3/4" is 4 March there. Unknown or missing: month-first,
Slack's default locale being en-US.
"""

from __future__ import annotations

import importlib
import re
from functools import lru_cache

from .models import DateOrder

DATE_ORDER_CHOICES: dict[str, DateOrder | None] = {"day-first": "DMY", "month-first": "MDY", "auto": None}


@lru_cache(maxsize=256)
def date_order_for_locale(locale: str | None) -> DateOrder:
    """"MDY" or "DMY" for a Slack locale such as "en-GB" (``_`` accepted too); "MDY" when unknown."""
    if not locale:
        return "MDY"
    parts = re.split(r"[-_]", locale.strip())
    lang = parts[0].lower()
    region = parts[1].upper() if len(parts) > 1 else ""
    if not re.fullmatch(r"[a-z]{2,3}", lang):
        return "MDY"
    try:
        info = importlib.import_module(f"dateparser.data.date_translation_data.{lang}").info
    except ImportError:
        return "MDY"
    order = info.get("date_order", "MDY")
    if region:
        order = (info.get("locale_specific", {}).get(f"{lang}-{region}") or {}).get("date_order", order)
    return "DMY" if order.startswith("D") else "MDY"


def effective_date_order(locale: str | None, choice: str | None) -> DateOrder:
    """The person's own choice ("DMY"/"MDY", set with `/steward dates`) or else their locale's order."""
    if choice in ("DMY", "MDY"):
        return choice  # type: ignore[return-value]
    return date_order_for_locale(locale)
