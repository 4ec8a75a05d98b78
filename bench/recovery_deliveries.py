"""Recovery after crashes (issue 11, part 8), the deliveries section of bench/recovery.py: real `steward run`
processes, killed and started again.

    python bench/recovery_deliveries.py [--dms 300] [--kills 1]     (bench/recovery.py --section deliveries)

Section "deliveries lost/duplicated after a kill -9 during dispatch": N DMs to N people are queued, the
process is killed with SIGKILL while it sends them (each time a further share has been sent), and started
again. Reported: DMs lost (no copy), duplicated (more than one copy), rows not `sent` with the ts of their
copy; the deliveries in flight at each kill, how many of them were found already in Slack and how many
were posted after the look-up; and the time from the last restart until every DM was sent (it includes the
lease the interrupted deliveries wait out, bot.services.notifications.LEASE).

The emulator takes 10 ms before handling each chat.postMessage and 20 ms before answering it, so that a
kill finds posts on both sides of Slack.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

from harness import fresh_database, machine

REQUEST_LATENCY, ANSWER_LATENCY = 0.01, 0.02


async def _statuses(dsn: str, ids: list[int]) -> dict[str, int]:
    from tests.chaos.harness import query

    rows = await query(dsn, "SELECT status, count(*) FROM notification_deliveries WHERE id = ANY(%s) GROUP BY status",
                       (ids,))
    return {status: int(n) for status, n in rows}


async def deliveries_after_kill(dms: int = 300, kills: int = 1) -> dict[str, Any]:
    """Section "deliveries lost/duplicated after a kill -9 during dispatch" (see the module docstring)."""
    from bot.emulators.slack import SlackEmulator
    from tests.chaos.harness import StewardProcess, process_env, query
    from tests.chaos.test_dispatch_kill import queue_dms
    from tests.helpers import eventually

    async with fresh_database() as (data, dsn):
        emu = SlackEmulator(team_id="TRECOVER", team_name="Recovery", ack_timeout=10)
        emu.add_user("U0ADMIN", "admin", "Admin", is_owner=True)
        people = [f"U0B{n:05d}" for n in range(dms)]
        for n, person in enumerate(people):
            emu.add_user(person, f"person{n}", f"Person {n}")
        emu.set_latency("chat.postMessage", before=REQUEST_LATENCY, after=ANSWER_LATENCY)
        await emu.start()
        proc = StewardProcess(process_env(emu, dsn, data / "run"), name="recovery")
        try:
            await proc.start(emu)
            ids = await queue_dms(dsn, "bench.dm", people)
            all_ids = list(ids.values())
            in_flight: set[int] = set()  # a delivery still leased from one kill may be in flight at the next
            restarted = time.perf_counter()
            for kill in range(kills):
                target = (kill + 1) * dms // (kills + 1)

                async def mid_dispatch(target: int = target) -> bool:
                    now = await _statuses(dsn, all_ids)
                    return now.get("sent", 0) >= target and now.get("sending", 0) >= 1

                await eventually(mid_dispatch, within=120, interval=0.005)
                await proc.kill()
                in_flight |= {r[0] for r in await query(dsn, "SELECT id FROM notification_deliveries "
                                                             "WHERE id = ANY(%s) AND status = 'sending'", (all_ids,))}
                restarted = time.perf_counter()
                await proc.start(emu)

            async def all_sent() -> bool:
                return (await _statuses(dsn, all_ids)).get("sent", 0) == dms

            await eventually(all_sent, within=180, interval=0.05)
            recovered_in = time.perf_counter() - restarted
            rows = {r[0]: (r[1], r[2]) for r in await query(
                dsn, "SELECT id, slack_ts, slack_channel_id FROM notification_deliveries WHERE id = ANY(%s)", (all_ids,))}
            lost = duplicated = wrong = 0
            for person, delivery_id in ids.items():
                channel = await emu.dm_channel(person)
                copies = [m for m in emu.messages(channel)
                          if (m.get("metadata") or {}).get("event_payload") == {"delivery_id": delivery_id}]
                lost += not copies
                duplicated += len(copies) > 1
                wrong += len(copies) == 1 and (copies[0]["ts"], channel) != rows[delivery_id]
            looked_up = [json.loads(line) for line in proc.log_lines() if '"notification_looked_up"' in line]
            return {
                "dms": dms, "kills": kills, "lost": lost, "duplicated": duplicated, "rows_without_their_ts": wrong,
                "in_flight_at_kills": len(in_flight),
                "found_in_slack": sum(1 for e in looked_up if e.get("found")),
                "posted_after_look_up": sum(1 for e in looked_up if not e.get("found")),
                "seconds_from_last_restart_to_all_sent": round(recovered_in, 2),
            }
        finally:
            await proc.aclose()
            await emu.stop()


async def main(dms: int, kills: int) -> None:
    print(machine())
    result = await deliveries_after_kill(dms, kills)
    print(f"deliveries lost/duplicated after kill -9 during dispatch ({result['dms']} DMs, {result['kills']} kill(s)):")
    print(f"  lost {result['lost']}, duplicated {result['duplicated']}, rows without their real ts "
          f"{result['rows_without_their_ts']}")
    print(f"  in flight at the kill(s): {result['in_flight_at_kills']} (found in Slack: {result['found_in_slack']}, "
          f"posted after the look-up: {result['posted_after_look_up']})")
    print(f"  last restart -> every DM sent: {result['seconds_from_last_restart_to_all_sent']} s "
          "(includes the interrupted deliveries' lease)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dms", type=int, default=300)
    parser.add_argument("--kills", type=int, default=1)
    args = parser.parse_args()
    asyncio.run(main(args.dms, args.kills))
